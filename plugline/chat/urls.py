from django.urls import path

from plugline.chat import views

app_name = "chat"

urlpatterns = [
    path("chat/status/", views.chat_status, name="status"),
    path("chat/start/", views.chat_start, name="start"),
    path("chat/image/", views.customer_image, name="image"),
    path("chat/images/<int:message_id>/", views.attachment, name="attachment"),
    path("staff/chat/<int:conversation_id>/image/", views.agent_image, name="agent_image"),
    path("staff/chat/", views.console, name="console"),
]
