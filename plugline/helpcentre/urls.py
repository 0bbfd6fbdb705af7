"""URLs of the help centre (mounted at /help/)."""

from django.urls import path

from plugline.helpcentre import views

app_name = "helpcentre"
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("<slug:category>/", views.category, name="category"),
    path("<slug:category>/<slug:slug>/", views.article, name="article"),
    path("<slug:category>/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path(
        "<slug:category>/<slug:slug>/feedback/reason/",
        views.feedback_reason,
        name="feedback_reason",
    ),
]
