"""The function Kamailio asks how long an international call may last (PostgreSQL only)."""

from django.db import migrations


def write_function(apps, schema_editor):
    from plugline.minutes.allowance import allowance_function_write

    allowance_function_write(schema_editor.connection)


def drop_function(apps, schema_editor):
    from plugline.minutes.allowance import allowance_function_drop

    allowance_function_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('devices', '0007_devicemodel_price'),
        ('minutes', '0005_unrated_call'),
        ('rates', '0001_initial'),
        ('telephony', '0008_call_settings'),
    ]

    operations = [
        migrations.RunPython(write_function, drop_function),
    ]
