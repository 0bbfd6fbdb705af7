"""The devices app's pages: the activation wizard and answers to transfer requests."""

from django.urls import include, path

app_name = "devices"
urlpatterns = [
    path("activate/", include("plugline.devices.wizard.urls")),
    # An owner's answer to a request to release a used device (devices.transfer).
    path("devices/transfer/", include("plugline.devices.transfer_urls")),
]
