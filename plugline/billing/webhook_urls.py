"""The gateways' webhook receivers, mounted under /billing/webhooks/."""

from django.urls import path

from plugline.billing.webhooks import webhook_receive

app_name = "billing_webhooks"
urlpatterns = [
    path("sandbox/", webhook_receive, {"gateway_name": "sandbox"}, name="sandbox"),
]
