"""The view Kamailio reads at every incoming call for the callee's call settings.

`sip_call_settings` (username, ring_seconds, dnd, fwd_always, fwd_busy, fwd_noanswer,
fwd_unreachable, forward_to): the callee's SIP user, its ring time in seconds, whether do not
disturb and each case of forwarding is on (1 or 0), and the forwarding number as E.164 digits
without '+' ('' when none). Only devices whose owner changed something have a row; Kamailio
uses the defaults (telephony.models.RING_SECONDS_DEFAULT, nothing on) for the others.
Kamailio (sqlops, route[CALL_SETTINGS] in deploy/kamailio/kamailio.cfg) queries it by the
callee's SIP user, so a change saved in the portal applies to the very next call, on
PostgreSQL and on the SQLite file of the embedded default alike (the same SQL for both).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

CALL_SETTINGS_VIEW = "sip_call_settings"

_VIEW = """
CREATE {replace} VIEW sip_call_settings AS
SELECT account.username AS username,
       settings.ring_seconds AS ring_seconds,
       CASE WHEN settings.do_not_disturb THEN 1 ELSE 0 END AS dnd,
       CASE WHEN settings.forward_always THEN 1 ELSE 0 END AS fwd_always,
       CASE WHEN settings.forward_busy THEN 1 ELSE 0 END AS fwd_busy,
       CASE WHEN settings.forward_no_answer THEN 1 ELSE 0 END AS fwd_noanswer,
       CASE WHEN settings.forward_unreachable THEN 1 ELSE 0 END AS fwd_unreachable,
       substr(settings.forward_to, 2) AS forward_to
  FROM telephony_callsettings settings
  JOIN telephony_sipaccount account ON account.device_id = settings.device_id
"""


def call_settings_view_write(connection: BaseDatabaseWrapper) -> None:
    replace = "OR REPLACE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(f"DROP VIEW IF EXISTS {CALL_SETTINGS_VIEW}")
        cursor.execute(_VIEW.format(replace=replace))


def call_settings_view_drop(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP VIEW IF EXISTS {CALL_SETTINGS_VIEW}")
