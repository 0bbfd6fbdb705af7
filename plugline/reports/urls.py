from django.urls import path

from plugline.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.home, name="home"),
    path("<slug:slug>/", views.report_page, name="report"),
    path("<slug:slug>.csv", views.report_csv, name="csv"),
]
