# Every account has its original email, enforced by the database. Accounts
# made without one (demo data, createsuperuser) get the first email they had:
# their first address in allauth's table, or else their email.

from django.db import migrations, models


def fill_original_email(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user in User.objects.filter(original_email="").only("pk", "email"):
        first = (
            EmailAddress.objects.filter(user_id=user.pk)
            .order_by("pk")
            .values_list("email", flat=True)
            .first()
        )
        User.objects.filter(pk=user.pk).update(original_email=(first or user.email).lower())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_known_browser"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [
        migrations.RunPython(fill_original_email, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("original_email", ""), _negated=True),
                name="user_original_email_set",
            ),
        ),
    ]
