from django.urls import path

from plugline.sandbox_gateway import views

app_name = "sandbox_gateway"
urlpatterns = [
    path("card/<str:session_id>/", views.card, name="card"),
    path("authenticate/<str:charge_id>/", views.authenticate, name="authenticate"),
]
