"""The Django admin, for staff signed in with two-factor only.

The stock admin lets in any active staff session. This site also asks what
the staff consoles ask (`staff_access.staff_console_refusal`): a session that
did not use a second factor is not let in; the admin's login page
(accounts.views.staff.admin_login) then sends it to turn two-factor on or
to enter a code.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from plugline.accounts.staff_access import staff_console_refusal


class StaffAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        try:
            return staff_console_refusal(request) is None
        except PermissionDenied:
            return False
