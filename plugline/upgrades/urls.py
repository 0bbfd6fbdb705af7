from django.urls import path

from plugline.upgrades import views

app_name = "upgrades"
urlpatterns = [
    path("devices/<str:serial>/upgrade/", views.device_upgrade, name="device_upgrade"),
    path(
        "devices/<str:serial>/upgrade/payments/<uuid:payment_id>/",
        views.device_upgrade_payment,
        name="device_upgrade_payment",
    ),
]
