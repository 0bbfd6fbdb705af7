"""Step 1 of the activation wizard (wizard.detect), under /activate/."""

from django.urls import path

from plugline.devices.wizard import detect

urlpatterns = [
    path("", detect.detect, name="activate_detect"),
    # What the page's script asks while it relays between the agent and the server.
    path("detect/challenge", detect.detect_challenge, name="activate_detect_challenge"),
    path("detect/proof", detect.detect_proof, name="activate_detect_proof"),
]
