from django.urls import path

from plugline.accounts import views
from plugline.accounts.views import privacy, profile, security

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
    path("profile/", profile.profile, name="profile"),
    path("security/", security.security, name="security"),
    path("privacy/", privacy.privacy, name="privacy"),
    path("privacy/download/", privacy.data_export, name="data_export"),
    path("privacy/close/", privacy.close, name="close"),
    path("closed/", privacy.closed, name="closed"),
]
