"""Django's admin app, with the site that asks staff for two-factor (accounts.admin_site)."""

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "plugline.accounts.admin_site.StaffAdminSite"
