from django.urls import path

from plugline.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_home, name="home"),
]
