from allauth.mfa.recovery_codes import views as mfa_recovery_codes
from allauth.mfa.totp import views as mfa_totp
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import never_cache

from plugline.accounts.sessions import user_sessions_list
from plugline.accounts.views import emails, set_language, staff
from plugline.billing import refund_admin

admin.site.site_header = admin.site.site_title = "Plugline back office"

urlpatterns = [
    path("", include("plugline.portal.urls")),
    path("", include("plugline.devices.urls")),
    # "Upgrade my device" (upgrades), from a device's page.
    path("", include("plugline.upgrades.urls")),
    # The JSON API (devices now), with its OpenAPI schema and docs.
    path("api/v1/", include("plugline.api.urls")),
    # Pages that show a two-factor secret or recovery codes are never cached
    # (a shared computer's back button or disk cache must not show them again).
    path("accounts/2fa/totp/activate/", never_cache(mfa_totp.activate_totp)),
    path("accounts/2fa/recovery-codes/", never_cache(mfa_recovery_codes.view_recovery_codes)),
    # allauth's Emails page, with what Plugline's rules add to it.
    path("accounts/email/", emails.email),
    # allauth's list of signed-in browsers, at a cost that does not grow with their number.
    path("accounts/sessions/", user_sessions_list),
    path("accounts/", include("allauth.urls")),
    # "Start Trial": the activation wizard as a free trial (billing.trials).
    path("trial/", include("plugline.billing.trial_urls")),
    path("account/cards/", include("plugline.billing.urls")),
    path("account/autorenew/", include("plugline.billing.autorenew_urls")),
    # Redeeming a Re-Up card (reup).
    path("account/reup/", include("plugline.reup.urls")),
    # International minutes: the balance and buying more (minutes).
    path("account/minutes/", include("plugline.minutes.urls")),
    # Support: the contact form, "My requests", and the ticket desk for staff.
    path("", include("plugline.support.urls")),
    path("account/", include("plugline.accounts.urls")),
    path("stores/", include("plugline.stores.urls")),
    # The help centre: articles, search, "Was this helpful?" (helpcentre).
    path("help/", include("plugline.helpcentre.urls")),
    # Live chat: the widget's HTTP side and the agents' console (the rest is WebSockets).
    path("", include("plugline.chat.urls")),
    # "Calling rates": the rate deck, searched by country or number (rates).
    path("rates/", include("plugline.rates.urls")),
    # Renewing online, checkout, invoices, the renew link (billing).
    path("", include("plugline.billing.renew_urls")),
    # The business reports for staff (reports), under the staff consoles.
    path("staff/reports/", include("plugline.reports.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # Refunding a payment (billing.refund_admin), in front of the admin's own pages.
    path(
        "admin/billing/payment/<uuid:payment_id>/refund/",
        refund_admin.refund_view,
        name="billing_payment_refund",
    ),
    # Staff sign in through the portal's sign-in (two-factor, limits, audit),
    # never with a password alone on the admin's own form.
    path("admin/login/", staff.admin_login, name="staff_admin_login"),
    path("admin/password_change/", staff.admin_password_change),
    path("admin/", admin.site.urls),
    # The staff console: customers, their story and the actions on it (backoffice).
    path("staff/", include("plugline.backoffice.urls")),
    path("billing/webhooks/", include("plugline.billing.webhook_urls")),
    # The sandbox payment gateway's own pages (a PSP beside Plugline).
    path("sandbox-gateway/", include("plugline.sandbox_gateway.urls")),
    # The developers' mailbox answers 404 unless DEBUG is on.
    path("dev/mail/", include("plugline.notifications.urls")),
]
