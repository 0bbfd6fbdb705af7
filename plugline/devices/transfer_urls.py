"""Used-device transfer (devices.transfer), under /devices/transfer/."""

from django.urls import path

from plugline.devices import transfer_views

urlpatterns = [
    path("request/", transfer_views.transfer_request, name="transfer_request"),
    path("<str:token>/", transfer_views.transfer_answer, name="transfer_answer"),
]
