from django.urls import path

from plugline.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.mailbox, name="mailbox"),
    path("<int:message_id>/", views.mailbox_message, name="mailbox_message"),
]
