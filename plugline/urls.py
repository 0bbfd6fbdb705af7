from django.contrib import admin
from django.urls import include, path

from plugline.accounts.views import set_language

admin.site.site_header = admin.site.site_title = "Plugline back office"

urlpatterns = [
    path("", include("plugline.portal.urls")),
    path("accounts/", include("allauth.urls")),
    path("account/", include("plugline.accounts.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    # The developers' mailbox answers 404 unless DEBUG is on.
    path("dev/mail/", include("plugline.notifications.urls")),
]
