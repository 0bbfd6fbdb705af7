from django.urls import path

from plugline.chat import views

app_name = "chat"

urlpatterns = [
    path("chat/status/", views.chat_status, name="status"),
    path("chat/start/", views.chat_start, name="start"),
    path("staff/chat/", views.console, name="console"),
]
