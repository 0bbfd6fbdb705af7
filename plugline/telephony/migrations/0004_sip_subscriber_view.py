"""The view Kamailio authenticates against (see plugline.telephony.sipview).

The view as it was then, frozen here: plugline.telephony.sipview writes
today's view, which may name columns that later migrations add (0005 and
the post_migrate refresh write it).
"""

from django.conf import settings
from django.db import migrations

_POSTGRES_VIEW = """
CREATE OR REPLACE VIEW sip_subscriber AS
SELECT account.id::integer AS id,
       account.username::varchar(64) AS username,
       account.domain::varchar(64) AS domain,
       ''::varchar(64) AS password,
       account.ha1::varchar(128) AS ha1,
       account.ha1b::varchar(128) AS ha1b
  FROM telephony_sipaccount account
  JOIN devices_device device ON device.id = account.device_id
  JOIN billing_subscription subscription ON subscription.device_id = device.id
 WHERE device.owner_id IS NOT NULL
   AND device.status = 'active'
   AND device.phone_number = '+' || account.username
   AND (subscription.trial_ends_at > now()
        OR subscription.ends_at + make_interval(days => {grace_days:d}) > now())
"""

_SQLITE_VIEW = """
CREATE VIEW sip_subscriber AS
SELECT CAST(account.id AS INTEGER) AS id,
       account.username AS username,
       account.domain AS domain,
       '' AS password,
       account.ha1 AS ha1,
       account.ha1b AS ha1b
  FROM telephony_sipaccount account
  JOIN devices_device device ON device.id = account.device_id
  JOIN billing_subscription subscription ON subscription.device_id = device.id
 WHERE device.owner_id IS NOT NULL
   AND device.status = 'active'
   AND device.phone_number = '+' || account.username
   AND (datetime(subscription.trial_ends_at) > datetime('now')
        OR datetime(subscription.ends_at, '+{grace_days:d} days') > datetime('now'))
"""

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS kamailio_version (
    table_name VARCHAR(32) NOT NULL PRIMARY KEY,
    table_version INTEGER DEFAULT 0 NOT NULL
)
"""


def create_view(apps, schema_editor):
    days = int(settings.BILLING_GRACE_DAYS)
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(_POSTGRES_VIEW.format(grace_days=days))
        else:
            cursor.execute("DROP VIEW IF EXISTS sip_subscriber")
            cursor.execute(_SQLITE_VIEW.format(grace_days=days))
        cursor.execute(_VERSION_TABLE)
        cursor.execute(
            "DELETE FROM kamailio_version WHERE table_name IN (%s, %s)",
            ["kamailio_version", "sip_subscriber"],
        )
        cursor.execute(
            "INSERT INTO kamailio_version (table_name, table_version) VALUES (%s, %s), (%s, %s)",
            ["kamailio_version", 1, "sip_subscriber", 7],
        )


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
