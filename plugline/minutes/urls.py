from django.urls import path

from plugline.minutes import views

app_name = "minutes"
urlpatterns = [
    path("", views.minutes, name="minutes"),
    path("payments/<uuid:payment_id>/", views.minutes_payment, name="payment"),
    path("low-balance/", views.minutes_low_balance, name="low_balance"),
]
