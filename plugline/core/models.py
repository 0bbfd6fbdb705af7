"""Core models: the audit log, alerts for staff, and the claims that keep periodic jobs single."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
    SIGN_OUT = "sign_out", _("Signed out")
    PASSWORD_RESET_REQUESTED = "password_reset_requested", _("Password reset requested")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    LANGUAGE_CHANGED = "language_changed", _("Language changed")
    EMAIL_ADDED = "email_added", _("Email added")
    EMAIL_VERIFIED = "email_verified", _("Email verified")
    EMAIL_REMOVED = "email_removed", _("Email removed")
    PREFERRED_EMAIL_CHANGED = "preferred_email_changed", _("Preferred email changed")
    PROFILE_CHANGED = "profile_changed", _("Profile changed")
    TWO_FACTOR_ENABLED = "two_factor_enabled", _("Two-factor sign-in turned on")
    TWO_FACTOR_DISABLED = "two_factor_disabled", _("Two-factor sign-in turned off")
    RECOVERY_CODES_GENERATED = "recovery_codes_generated", _("New recovery codes")
    SESSIONS_ENDED = "sessions_ended", _("Signed out elsewhere")
    NEW_BROWSER_SIGN_IN = "new_browser_sign_in", _("Sign-in from a new browser")
    DATA_EXPORTED = "data_exported", _("Data downloaded")
    ACCOUNT_CLOSED = "account_closed", _("Account closed")
    DEVICE_ACTIVATED = "device_activated", _("Device activated")
    DEVICE_RELEASED = "device_released", _("Device released")
    DEVICE_RENAMED = "device_renamed", _("Device renamed")
    E911_ADDRESS_CHANGED = "e911_address_changed", _("E911 address changed")
    ACTIVATION_CODE_FAILED = "activation_code_failed", _("Wrong activation code")
    TRANSFER_REQUESTED = "transfer_requested", _("Device transfer requested")
    TRANSFER_APPROVED = "transfer_approved", _("Device transfer approved")
    TRANSFER_DECLINED = "transfer_declined", _("Device transfer declined")
    INVENTORY_IMPORTED = "inventory_imported", _("Inventory imported")
    CARD_ADDED = "card_added", _("Card added")
    CARD_REMOVED = "card_removed", _("Card removed")
    DEFAULT_CARD_CHANGED = "default_card_changed", _("Default card changed")
    PAYMENT_SUCCEEDED = "payment_succeeded", _("Payment")
    PAYMENT_FAILED = "payment_failed", _("Payment refused")
    REFUND_ISSUED = "refund_issued", _("Refund")
    SUBSCRIPTION_EXTENDED = "subscription_extended", _("Service extended")
    AUTORENEW_CHANGED = "autorenew_changed", _("AutoRenew changed")
    TRIAL_STARTED = "trial_started", _("Free trial started")
    TRIAL_CANCELLED = "trial_cancelled", _("Free trial cancelled")
    BILLING_CHANGED_BY_STAFF = "billing_changed_by_staff", _("Billing changed by staff")
    REUP_BATCH_CREATED = "reup_batch_created", _("Re-Up batch created")
    REUP_BATCH_EXPORTED = "reup_batch_exported", _("Re-Up batch printer file downloaded")
    REUP_CARD_ACTIVATED = "reup_card_activated", _("Re-Up card activated")
    REUP_CARD_VOIDED = "reup_card_voided", _("Re-Up card voided")
    REUP_CARD_REDEEMED = "reup_card_redeemed", _("Re-Up card redeemed")
    REUP_REDEEM_FAILED = "reup_redeem_failed", _("Re-Up card refused")
    RETAILER_KEY_CREATED = "retailer_key_created", _("Retailer API key created")
    RETAILER_KEY_REVOKED = "retailer_key_revoked", _("Retailer API key revoked")
    STORES_IMPORTED = "stores_imported", _("Stores imported")
    RATES_IMPORTED = "rates_imported", _("Calling rates imported")
    SIP_CREDENTIALS_ROTATED = "sip_credentials_rotated", _("SIP credentials rotated")
    DEVICE_SUSPENDED = "device_suspended", _("Device suspended")
    DEVICE_RESUMED = "device_resumed", _("Device resumed")
    BLOCKED_CALLERS_CHANGED = "blocked_callers_changed", _("Blocked callers changed")
    NUMBER_CHANGED = "number_changed", _("Phone number changed")
    CALL_SETTINGS_CHANGED = "call_settings_changed", _("Call settings changed")
    SOFTPHONE_CREDENTIALS_ISSUED = (
        "softphone_credentials_issued",
        _("Credentials issued for calling from the browser"),
    )
    MINUTES_ADJUSTED = "minutes_adjusted", _("International minutes adjusted by staff")
    TICKET_REPLIED = "ticket_replied", _("Support ticket answered by staff")
    TICKET_ASSIGNED = "ticket_assigned", _("Support ticket assigned")
    TICKET_STATUS_CHANGED = "ticket_status_changed", _("Support ticket status changed")
    CUSTOMER_SEARCHED = "customer_searched", _("Customers searched by staff")
    RECEIPT_RESENT = "receipt_resent", _("Receipt sent again by staff")
    PASSWORD_RESET_SENT_BY_STAFF = (
        "password_reset_sent_by_staff",
        _("Password reset link sent by staff"),
    )
    TWO_FACTOR_REMOVED_BY_STAFF = (
        "two_factor_removed_by_staff",
        _("Two-factor sign-in removed by staff"),
    )


class AuditEvent(models.Model):
    """One security-relevant event. Never holds a secret (password, token, code)."""

    created_at = models.DateTimeField(
        auto_now_add=True, db_index=True, verbose_name=_("created at")
    )
    action = models.CharField(max_length=64, choices=AuditAction.choices, verbose_name=_("action"))
    # The account concerned; null when an identifier matched no account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        verbose_name=_("user"),
    )
    # The account's id, kept when the account itself is deleted (closing an
    # account keeps its audit trail, unlinked from the person).
    subject_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, verbose_name=_("subject ID")
    )
    # Staff member acting on someone else's account (back office).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    # What was typed to identify the account, kept only when it is a
    # well-formed email or phone number (normalised), never free text.
    identifier = models.CharField(max_length=254, blank=True, verbose_name=_("identifier"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(
        max_length=300, blank=True, verbose_name=_("browser (user agent)")
    )
    data = models.JSONField(default=dict, blank=True, verbose_name=_("details"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"


class PeriodicJobClaim(models.Model):
    """A periodic job's run for one time slot, claimed by exactly one scheduler.

    The unique constraint is what keeps two schedulers (on one machine or
    several) from running the same job for the same slot twice.
    """

    job = models.CharField(max_length=100)
    slot = models.BigIntegerField()
    claimed_at = models.DateTimeField(auto_now_add=True)
    claimed_by = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="periodic_job_claim_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job}#{self.slot}"


class StaffAlert(models.Model):
    """Something staff should look at (a burst of guessed Re-Up PINs, ...), shown in the admin.

    `dedupe_key` makes one alert per incident: raising the same key again
    counts the repeat on the existing alert instead of adding another row.
    """

    kind = models.CharField(_("kind"), max_length=60)
    message = models.CharField(_("message"), max_length=300)
    data = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    dedupe_key = models.CharField(max_length=200, unique=True, verbose_name=_("deduplication key"))
    repeats = models.PositiveIntegerField(_("repeats"), default=0)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), auto_now=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )

    class Meta:
        verbose_name = _("staff alert")
        verbose_name_plural = _("staff alerts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
