"""Steps 2 to 7 of the activation wizard (wizard.steps), under /activate/."""

from django.urls import path

from plugline.devices.wizard import steps

urlpatterns = [
    path("purchase/", steps.purchase, name="activate_purchase"),
    path("account/", steps.account, name="activate_account"),
    path("addresses/", steps.addresses, name="activate_addresses"),
    path("number/", steps.number, name="activate_number"),
    path("terms/", steps.terms, name="activate_terms"),
    path("code/", steps.code, name="activate_code"),
    path("code/send/", steps.code_send, name="activate_code_send"),
    path("done/", steps.done, name="activate_done"),
]
