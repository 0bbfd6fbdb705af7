from django.urls import path

from plugline.portal import number_change, softphone, views, voicemail

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("devices/<str:serial>/", views.device, name="device"),
    path("devices/<str:serial>/nickname/", views.device_nickname, name="device_nickname"),
    path("devices/<str:serial>/e911/", views.device_e911, name="device_e911"),
    path(
        "devices/<str:serial>/trial/cancel/",
        views.device_trial_cancel,
        name="device_trial_cancel",
    ),
    path(
        "devices/<str:serial>/blocked-callers/",
        views.device_blocked_caller_add,
        name="device_blocked_caller_add",
    ),
    path(
        "devices/<str:serial>/calls/<int:call_pk>/block/",
        views.device_call_caller_block,
        name="device_call_caller_block",
    ),
    path(
        "devices/<str:serial>/blocked-callers/<int:blocked_id>/remove/",
        views.device_blocked_caller_remove,
        name="device_blocked_caller_remove",
    ),
    path(
        "devices/<str:serial>/anonymous-callers/",
        views.device_anonymous_callers,
        name="device_anonymous_callers",
    ),
    path(
        "devices/<str:serial>/call-settings/",
        views.device_call_settings,
        name="device_call_settings",
    ),
    path("devices/<str:serial>/number/", number_change.device_number, name="device_number"),
    path(
        "devices/<str:serial>/number/confirm/",
        number_change.device_number_confirm,
        name="device_number_confirm",
    ),
    path(
        "devices/<str:serial>/number/payments/<uuid:payment_id>/",
        number_change.device_number_payment,
        name="device_number_payment",
    ),
    path("devices/<str:serial>/release/", views.device_release_confirm, name="device_release"),
    path("devices/<str:serial>/softphone/", softphone.device_softphone, name="device_softphone"),
    path(
        "devices/<str:serial>/softphone/credentials/",
        softphone.device_softphone_credentials,
        name="device_softphone_credentials",
    ),
    path(
        "devices/<str:serial>/voicemail/<int:message_id>/audio/",
        voicemail.device_voicemail_audio,
        name="device_voicemail_audio",
    ),
    path(
        "devices/<str:serial>/voicemail/<int:message_id>/delete/",
        voicemail.device_voicemail_delete,
        name="device_voicemail_delete",
    ),
    path(
        "devices/<str:serial>/voicemail/greeting/",
        voicemail.device_voicemail_greeting,
        name="device_voicemail_greeting",
    ),
    path(
        "devices/<str:serial>/voicemail/greeting/reset/",
        voicemail.device_voicemail_greeting_reset,
        name="device_voicemail_greeting_reset",
    ),
    path(
        "devices/<str:serial>/voicemail/email/",
        voicemail.device_voicemail_email,
        name="device_voicemail_email",
    ),
]
