"""URLs of "Calling rates" (mounted at /rates/)."""

from django.urls import path

from plugline.rates import views

app_name = "rates"
urlpatterns = [
    path("", views.find, name="find"),
]
