from django.urls import path

from plugline.backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path(
        "customers/<int:pk>/payments/<uuid:payment_id>/refund/",
        views.refund,
        name="refund",
    ),
    path(
        "customers/<int:pk>/payments/<uuid:payment_id>/receipt/",
        views.receipt_resend,
        name="receipt_resend",
    ),
    path(
        "customers/<int:pk>/devices/<int:device_id>/goodwill/",
        views.goodwill,
        name="goodwill",
    ),
    path(
        "customers/<int:pk>/devices/<int:device_id>/suspend/",
        views.line,
        {"action": "suspend"},
        name="suspend",
    ),
    path(
        "customers/<int:pk>/devices/<int:device_id>/resume/",
        views.line,
        {"action": "resume"},
        name="resume",
    ),
    path("customers/<int:pk>/password-reset/", views.password_reset, name="password_reset"),
    path(
        "customers/<int:pk>/two-factor/remove/", views.two_factor_remove, name="two_factor_remove"
    ),
]
