"""URLs of redeeming a Re-Up card (mounted at /account/reup/)."""

from django.urls import path

from plugline.reup import views

app_name = "reup"
urlpatterns = [
    path("", views.redeem, name="redeem"),
    path("<str:serial>/", views.done, name="done"),
]
