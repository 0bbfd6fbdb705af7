"""The function Kamailio asks whose account a calling line is (PostgreSQL only): one
international call at a time per account (plugline.minutes.allowance)."""

from django.db import migrations


def write_functions(apps, schema_editor):
    from plugline.minutes.allowance import allowance_function_write

    allowance_function_write(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("minutes", "0007_minutesentry_refund"),
    ]

    operations = [
        migrations.RunPython(write_functions, migrations.RunPython.noop),
    ]
