from django.db import migrations, models
from django.db.models import F


def copy_email(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    User.objects.filter(original_email="").update(original_email=F("email"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="original_email",
            field=models.EmailField(
                default="", editable=False, max_length=254, verbose_name="original email"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(copy_email, migrations.RunPython.noop),
    ]
