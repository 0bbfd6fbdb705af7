"""The view `sip_subscriber`: the SIP accounts whose service allows the line right now.

Kamailio's auth_db reads it as its `subscriber` table (same columns: id,
username, domain, password, ha1, ha1b; the password is always empty, the
hashes are checked). A device is listed only while it is active on an
account, not suspended by staff, with the number its SIP account was made for, and while its
subscription is in trial, active or in its grace days (billing.periods'
rules), compared with the database's clock in the view itself: when the
service ends, the next REGISTER is refused without any job running.

The view `sip_emergency_caller` lists, with the same columns, every line
that still belongs to a household: its service may have ended and staff may
have suspended it. Kamailio checks a caller against it only for a call to
911 that `sip_subscriber` refused, so that a lapsed line can still reach
the emergency service and nothing else.

The grace days are a setting (BILLING_GRACE_DAYS) written into the view:
every `migrate` and `sip_provision` writes it again, so a changed setting
takes effect there. The table `kamailio_version` is Kamailio's `version`
table (its `version_table` parameter names it), with the schema version
auth_db expects for the view.
"""

from __future__ import annotations

from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper

VIEW_NAME = "sip_subscriber"
LINE_OPEN_VIEW_NAME = "sip_line_open"
LINE_OPEN_FUNCTION = "sip_account_line_open"
EMERGENCY_VIEW_NAME = "sip_emergency_caller"
VERSION_TABLE = "kamailio_version"
# auth_db 5.6 refuses to start unless its table is at this version.
SUBSCRIBER_TABLE_VERSION = 7

# Kamailio sends its queries as plain SQL, so PostgreSQL plans each one: a
# view joining three tables cost most of a REGISTER's time in planning
# (bench/sip.py). Kamailio's view reads one table by its unique (username,
# domain) index and asks a PL/pgSQL function whether the line is open; the
# function's own query is planned once per connection. The function runs with
# its owner's rights (SECURITY DEFINER, a fixed search_path), only the view's
# owner and the roles granted it may call it. `sip_line_open` is the same
# rule as a view, for Plugline's own reading of every line at once.
_POSTGRES_LINE_OPEN_WHERE = """
       device.owner_id IS NOT NULL
   AND device.status = 'active'
   AND device.suspended_at IS NULL
   AND device.phone_number = '+' || account.username
   AND (subscription.trial_ends_at > now()
        OR subscription.ends_at + make_interval(days => {grace_days:d}) > now())
"""

_POSTGRES_LINE_OPEN_VIEW = """
CREATE OR REPLACE VIEW sip_line_open AS
SELECT account.id AS id
  FROM telephony_sipaccount account
  JOIN devices_device device ON device.id = account.device_id
  JOIN billing_subscription subscription ON subscription.device_id = device.id
 WHERE {where}
"""

_POSTGRES_LINE_OPEN_FUNCTION = """
CREATE OR REPLACE FUNCTION sip_account_line_open(account_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $body$
BEGIN
    RETURN EXISTS (
        SELECT 1
          FROM telephony_sipaccount account
          JOIN devices_device device ON device.id = account.device_id
          JOIN billing_subscription subscription ON subscription.device_id = device.id
         WHERE account.id = account_id AND {where}
    );
END
$body$
"""

_POSTGRES_VIEW = """
CREATE OR REPLACE VIEW sip_subscriber AS
SELECT account.id::integer AS id,
       account.username::varchar(64) AS username,
       account.domain::varchar(64) AS domain,
       ''::varchar(64) AS password,
       account.ha1::varchar(128) AS ha1,
       account.ha1b::varchar(128) AS ha1b
  FROM telephony_sipaccount account
 WHERE sip_account_line_open(account.id)
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
   AND device.suspended_at IS NULL
   AND device.phone_number = '+' || account.username
   AND (datetime(subscription.trial_ends_at) > datetime('now')
        OR datetime(subscription.ends_at, '+{grace_days:d} days') > datetime('now'))
"""

# A line of a household, whatever its service: for 911 only.
_POSTGRES_EMERGENCY_VIEW = """
CREATE OR REPLACE VIEW sip_emergency_caller AS
SELECT account.id::integer AS id,
       account.username::varchar(64) AS username,
       account.domain::varchar(64) AS domain,
       ''::varchar(64) AS password,
       account.ha1::varchar(128) AS ha1,
       account.ha1b::varchar(128) AS ha1b
  FROM telephony_sipaccount account
  JOIN devices_device device ON device.id = account.device_id
 WHERE device.owner_id IS NOT NULL
   AND device.status = 'active'
   AND device.phone_number = '+' || account.username
"""

_SQLITE_EMERGENCY_VIEW = """
CREATE VIEW sip_emergency_caller AS
SELECT CAST(account.id AS INTEGER) AS id,
       account.username AS username,
       account.domain AS domain,
       '' AS password,
       account.ha1 AS ha1,
       account.ha1b AS ha1b
  FROM telephony_sipaccount account
  JOIN devices_device device ON device.id = account.device_id
 WHERE device.owner_id IS NOT NULL
   AND device.status = 'active'
   AND device.phone_number = '+' || account.username
"""

_SQLITE_LINE_OPEN_VIEW = """
CREATE VIEW sip_line_open AS SELECT CAST(id AS INTEGER) AS id FROM sip_subscriber
"""

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS kamailio_version (
    table_name VARCHAR(32) NOT NULL PRIMARY KEY,
    table_version INTEGER DEFAULT 0 NOT NULL
)
"""


def sip_subscriber_view_write(
    connection: BaseDatabaseWrapper, grace_days: int | None = None
) -> None:
    """(Re)write the views (sip_subscriber with the grace days of the settings,
    sip_emergency_caller) and Kamailio's version table."""
    days = settings.BILLING_GRACE_DAYS if grace_days is None else grace_days
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CREATE OR REPLACE keeps the grants given to Kamailio's role.
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone()
            where = _POSTGRES_LINE_OPEN_WHERE.format(grace_days=int(days))
            cursor.execute(
                _POSTGRES_LINE_OPEN_FUNCTION.format(
                    where=where, schema=connection.ops.quote_name(schema)
                )
            )
            cursor.execute(f"REVOKE ALL ON FUNCTION {LINE_OPEN_FUNCTION}(bigint) FROM PUBLIC")
            cursor.execute(_POSTGRES_LINE_OPEN_VIEW.format(where=where))
            cursor.execute(_POSTGRES_VIEW)
            cursor.execute(_POSTGRES_EMERGENCY_VIEW)
        else:
            cursor.execute(f"DROP VIEW IF EXISTS {LINE_OPEN_VIEW_NAME}")
            cursor.execute(f"DROP VIEW IF EXISTS {VIEW_NAME}")
            cursor.execute(_SQLITE_VIEW.format(grace_days=int(days)))
            cursor.execute(_SQLITE_LINE_OPEN_VIEW)
            cursor.execute(f"DROP VIEW IF EXISTS {EMERGENCY_VIEW_NAME}")
            cursor.execute(_SQLITE_EMERGENCY_VIEW)
        cursor.execute(_VERSION_TABLE)
        cursor.execute(
            "DELETE FROM kamailio_version WHERE table_name IN (%s, %s, %s)",
            [VERSION_TABLE, VIEW_NAME, EMERGENCY_VIEW_NAME],
        )
        cursor.execute(
            "INSERT INTO kamailio_version (table_name, table_version)"
            " VALUES (%s, %s), (%s, %s), (%s, %s)",
            [
                VERSION_TABLE,
                1,
                VIEW_NAME,
                SUBSCRIBER_TABLE_VERSION,
                EMERGENCY_VIEW_NAME,
                SUBSCRIBER_TABLE_VERSION,
            ],
        )


def sip_subscriber_view_drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {EMERGENCY_VIEW_NAME}")
        cursor.execute(f"DROP VIEW IF EXISTS {VIEW_NAME}")
        cursor.execute(f"DROP VIEW IF EXISTS {LINE_OPEN_VIEW_NAME}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP FUNCTION IF EXISTS {LINE_OPEN_FUNCTION}(bigint)")
        cursor.execute(f"DROP TABLE IF EXISTS {VERSION_TABLE}")
