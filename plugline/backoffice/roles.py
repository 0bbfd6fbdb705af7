"""The staff roles: Django groups and the permissions each holds, in one place.

Adding a permission to a role is one line in ROLES. `roles_refresh` makes
the groups hold exactly these permissions (it runs after every migrate);
a permission that does not exist is an error, not a silent gap.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SUPPORT_AGENT = "Support agent"
BILLING = "Billing"
INVENTORY = "Inventory"
ADMINISTRATOR = "Administrator"

# The group names are stored in English; staff pages show them translated.
ROLE_LABELS: dict[str, Promise] = {
    SUPPORT_AGENT: _("Support agent"),
    BILLING: _("Billing"),
    INVENTORY: _("Inventory"),
    ADMINISTRATOR: _("Administrator"),
}

_SUPPORT = (
    "backoffice.view_customer",
    "backoffice.resend_receipt",
    "backoffice.reset_customer_sign_in",
    "backoffice.suspend_device",
    "support.answer_ticket",
    "chat.answer_chat",
)


def _model_permissions(app_label: str, *models: str) -> tuple[str, ...]:
    return tuple(
        f"{app_label}.{action}_{model}"
        for model in models
        for action in ("view", "add", "change", "delete")
    )


ROLES: dict[str, tuple[str, ...]] = {
    SUPPORT_AGENT: _SUPPORT,
    BILLING: (
        *_SUPPORT,
        "backoffice.refund_payment",
        "backoffice.extend_service",
        "billing.view_payment",
        "billing.add_refund",
        "reports.view_reports",
    ),
    INVENTORY: (
        *_model_permissions("devices", "device", "devicemodel", "weborder"),
        *_model_permissions("reup", "reupbatch", "reupcard", "retailerapikey"),
        *_model_permissions("stores", "store", "retailchain"),
    ),
}
# The Administrator role holds every permission there is.
EVERY_PERMISSION = (ADMINISTRATOR,)


def role_label(name: str) -> str:
    """A role's name in the active language (a group that is not a role keeps its name)."""
    label = ROLE_LABELS.get(name)
    return str(label) if label is not None else name


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    wanted = set(names)
    condition = Q(pk__in=[])
    for name in wanted:
        app_label, codename = name.split(".", 1)
        condition |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(condition).select_related("content_type"))
    missing = wanted - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"unknown permissions for a staff role: {sorted(missing)}")
    return found


@transaction.atomic
def roles_refresh() -> list[Group]:
    """Make each role's group exist and hold exactly its permissions; safe to run again."""
    groups = []
    for name, permissions in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(permissions))
        groups.append(group)
    for name in EVERY_PERMISSION:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.all())
        groups.append(group)
    return groups


def roles_refresh_after_migrate(*, app_config: AppConfig, **kwargs: Any) -> None:
    """After migrate: once, when the last app's permissions exist (post_migrate runs per app)."""
    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and app_config is with_models[-1]:
        # auth's own receiver may run after this one for that app: make its permissions now.
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", DEFAULT_DB_ALIAS))
        roles_refresh()
