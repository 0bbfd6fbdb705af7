"""URLs of the Account area's "AutoRenew" page (mounted at /account/autorenew/)."""

from django.urls import path

from plugline.billing import autorenew_views

app_name = "autorenew"
urlpatterns = [
    path("", autorenew_views.autorenew_page, name="page"),
    path("<int:device_id>/", autorenew_views.autorenew_change, name="change"),
]
