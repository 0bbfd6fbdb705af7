"""The views Kamailio reads at every incoming call, to refuse the callers a device blocks.

`sip_blocked_caller` (username, prefix, is_prefix): the callee's SIP user,
and a blocked number or the start of blocked numbers, both as E.164 digits
without '+'. `sip_anonymous_refused` (username): the SIP users that refuse
callers who hide their number. Kamailio (sqlops, route[BLOCKED_CALLERS] in
deploy/kamailio/kamailio.cfg) queries them, so a change saved in the portal
applies to the very next call. It inserts every call it refuses into the
table sip_blocked_call (telephony.BlockedCall).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

BLOCKED_VIEW = "sip_blocked_caller"
ANONYMOUS_VIEW = "sip_anonymous_refused"
BLOCKED_CALL_TABLE = "sip_blocked_call"

_BLOCKED = """
CREATE {replace} VIEW sip_blocked_caller AS
SELECT account.username AS username,
       substr(blocked.e164, 2) AS prefix,
       blocked.is_prefix AS is_prefix
  FROM telephony_blockedcaller blocked
  JOIN telephony_sipaccount account ON account.device_id = blocked.device_id
"""

_ANONYMOUS = """
CREATE {replace} VIEW sip_anonymous_refused AS
SELECT account.username AS username
  FROM telephony_callscreening screening
  JOIN telephony_sipaccount account ON account.device_id = screening.device_id
 WHERE screening.refuse_anonymous
"""


def blocked_caller_views_write(connection: BaseDatabaseWrapper) -> None:
    replace = "OR REPLACE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DROP VIEW IF EXISTS {BLOCKED_VIEW}")
            cursor.execute(f"DROP VIEW IF EXISTS {ANONYMOUS_VIEW}")
        cursor.execute(_BLOCKED.format(replace=replace))
        cursor.execute(_ANONYMOUS.format(replace=replace))


def blocked_caller_views_drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {BLOCKED_VIEW}")
        cursor.execute(f"DROP VIEW IF EXISTS {ANONYMOUS_VIEW}")
