"""URLs of "Find a store" (mounted at /stores/)."""

from django.urls import path

from plugline.stores import views

app_name = "stores"
urlpatterns = [
    path("", views.find, name="find"),
]
