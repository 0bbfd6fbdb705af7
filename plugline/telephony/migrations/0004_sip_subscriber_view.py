"""The view Kamailio authenticates against (see plugline.telephony.sipview)."""

from django.db import migrations


def create_view(apps, schema_editor):
    from plugline.telephony.sipview import sip_subscriber_view_write

    sip_subscriber_view_write(schema_editor.connection)


def drop_view(apps, schema_editor):
    from plugline.telephony.sipview import sip_subscriber_view_drop

    sip_subscriber_view_drop(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_cart_item_payment'),
        ('devices', '0004_trial'),
        ('telephony', '0003_sip_account'),
    ]

    operations = [migrations.RunPython(create_view, drop_view)]
