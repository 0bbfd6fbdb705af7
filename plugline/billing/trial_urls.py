"""URLs of the free trial's own pages (mounted at /trial/); its other steps are the wizard's."""

from django.urls import path

from plugline.billing.views import trial

app_name = "trial"
urlpatterns = [
    path("", trial.start, name="start"),
    path("signup/", trial.signup, name="signup"),
    path("signup/card/", trial.card_added, name="card_added"),
    path("without/", trial.without_trial, name="without"),
]
