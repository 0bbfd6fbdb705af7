"""People and their sign-in."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """A new account; its email is also its original email unless one is given.

        Every way of creating a user (createsuperuser, demo data, tests) goes
        through here, so that the original email is never left empty.
        """
        if not email:
            raise ValueError("users have an email")
        email = self.normalize_email(email).lower()
        original = self.normalize_email(extra.pop("original_email", "") or email).lower()
        user = self.model(email=email, original_email=original, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A subscriber (or a staff member). Signs in with an email or a device's number."""

    # The preferred email: every message to the account goes here. It is
    # always one of the account's verified addresses (allauth's EmailAddress
    # table, where it is the "primary" one).
    email = models.EmailField(_("email"), max_length=254, unique=True)
    # The email given at registration, attached to the account for good:
    # it can be demoted from preferred but never removed.
    original_email = models.EmailField(_("original email"), max_length=254, editable=False)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # The profile lives on the user rather than in a one-to-one model: the
    # time zone is needed on every request (UserTimezoneMiddleware) and the
    # user is already loaded then, so no extra query; and the data export
    # and account closing cover these fields with no extra code.
    # Contact address, normalised by plugline.core.addresses (empty: none given).
    street_address = models.CharField(_("street address"), max_length=200, blank=True)
    street_address_2 = models.CharField(_("apartment, suite, unit"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country_area = models.CharField(_("state or province"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # A name from the IANA database (zoneinfo); dates are shown in it.
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
            # Every account has the email it was registered with, staff too.
            models.CheckConstraint(condition=~Q(original_email=""), name="user_original_email_set"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A new account's first email is its original one, however it is made
        # (the manager, the admin's "Add user" form); the database refuses none.
        if self._state.adding and not self.original_email:
            self.original_email = self.email
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class KnownBrowser(models.Model):
    """A browser that has signed in to the account before (see plugline.accounts.browsers).

    The browser carries a random id in a long-lived signed cookie; only a
    hash of it is kept here, so these rows alone cannot be turned back into
    a cookie.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_browsers")
    browser_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "browser_hash"], name="known_browser_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.browser_hash[:8]}"
