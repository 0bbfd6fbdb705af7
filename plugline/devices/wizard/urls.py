from django.urls import include, path

urlpatterns = [
    # Step 1: detecting the device (wizard.detect).
    path("", include("plugline.devices.wizard.detect_urls")),
    # Steps 2 to 7 (wizard.steps).
    path("", include("plugline.devices.wizard.steps_urls")),
]
