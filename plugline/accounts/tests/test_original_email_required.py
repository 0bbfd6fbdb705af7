"""Every account keeps the email it was registered with: enforced by the database."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from plugline.accounts.models import User

BEFORE = [("accounts", "0004_known_browser"), ("account", "0009_emailaddress_unique_primary_email")]
AFTER = [("accounts", "0005_original_email_required")]


@pytest.mark.django_db
def test_it_refuses_an_account_without_an_original_email():
    with pytest.raises(IntegrityError, match="user_original_email_set"):
        User.objects.bulk_create([User(email="nobody@example.com", original_email="")])


@pytest.mark.django_db
def test_it_gives_createsuperuser_and_create_user_an_original_email():
    call_command("createsuperuser", "--noinput", email="Root@Example.com", verbosity=0)
    staff = User.objects.create_user("Sam@Example.com", None, is_staff=True)

    assert User.objects.get(is_superuser=True).original_email == "root@example.com"
    assert staff.original_email == "sam@example.com"


def test_it_gives_an_account_added_in_the_admin_its_original_email(staff_client: Client):
    response = staff_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "a long household passphrase",
            "password2": "a long household passphrase",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(email="added@example.com").original_email == "added@example.com"


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_original_email_of_existing_accounts():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    OldUser = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    # The demo subscriber, who had since made another email preferred.
    moved = OldUser.objects.create(email="new@example.com", original_email="")
    EmailAddress.objects.create(user=moved, email="demo@example.com", verified=True)
    EmailAddress.objects.create(user=moved, email="new@example.com", verified=True, primary=True)
    # A staff member made by createsuperuser, with no address in allauth's table.
    bare = OldUser.objects.create(email="staff@example.com", original_email="")
    kept = OldUser.objects.create(email="kept@example.com", original_email="first@example.com")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    originals = dict(User.objects.values_list("pk", "original_email"))
    assert originals == {
        moved.pk: "demo@example.com",
        bare.pk: "staff@example.com",
        kept.pk: "first@example.com",
    }
