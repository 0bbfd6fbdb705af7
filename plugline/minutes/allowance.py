"""The longest international call a balance pays for, as Kamailio asks it before a call.

`sip_international_seconds(caller, number)`, a PL/pgSQL function (PostgreSQL
only) that Kamailio calls through sqlops at every international call
(route[INTERNATIONAL] in deploy/kamailio/kamailio.cfg), before it sends the
call to the carrier: `caller` is the calling line's SIP user, `number` the
number dialled, both E.164 digits without '+'. It answers, in seconds:

- -1: no rate for the number now (the call is refused, nothing to charge);
- 0: the line has no account, or its balance does not pay the connection fee
  and the first increment (the call is refused: 402 "No international balance");
- otherwise the whole increments the balance pays for, connection fee first,
  at the rate of the number's longest prefix valid now (plugline.rates.lookup),
  at most MAX_CALL_SECONDS: Kamailio ends the call after that (its dialog's
  timeout). The rating job (plugline.minutes.rating) charges the call afterwards
  at the same rate, `call_cost` of its seconds: a call of `s` seconds costs
  fee + ceil(price * s / 60), which the balance pays while price * s <= 60 *
  (balance - fee), so a call ended on time never takes the balance below zero,
  and one ended a second late (the timer's tick) by at most one increment.

The balance is the ledger's sum in the rate's currency (the billing currency at
import, as the rating charges it). The function runs with its owner's rights
(SECURITY DEFINER, a fixed search_path): Kamailio's role may only EXECUTE it
(plugline.telephony.roles), never read the ledger. Written by migration
minutes.0006; on SQLite there is no such
function and Kamailio (`make sip`) refuses every international call.

`sip_line_account(caller)` answers the account (user id) of the calling line, 0 for
none: Kamailio lets an account have one international call at a time, whichever of its
lines makes it (a dialog profile keyed by the account), so that two lines never spend the
same balance at once and a call never takes it below zero by more than one increment.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

ALLOWANCE_FUNCTION = "sip_international_seconds"
ALLOWANCE_SIGNATURE = f"{ALLOWANCE_FUNCTION}(text, text)"
ACCOUNT_SIGNATURE = "sip_line_account(text)"
# The longest international call, whatever the balance (a free destination, a large balance).
MAX_CALL_SECONDS = 4 * 3600
NO_RATE = -1

_FUNCTION = """
CREATE OR REPLACE FUNCTION sip_international_seconds(caller text, number text) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $body$
DECLARE
    account_owner bigint;
    rate record;
    balance bigint;
    paid bigint;
BEGIN
    IF number !~ '^[0-9]{{1,15}}$' THEN
        RETURN -1;
    END IF;
    SELECT r.currency, r.price_per_minute::bigint AS price, r.connection_fee::bigint AS fee,
           r.first_increment::bigint AS first_step, r.next_increment::bigint AS next_step
      INTO rate
      FROM rates_rate r
     WHERE r.prefix IN (SELECT left(number, n) FROM generate_series(1, length(number)) n)
       AND r.valid_from <= now()
     ORDER BY length(r.prefix) DESC, r.valid_from DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    SELECT device.owner_id INTO account_owner
      FROM telephony_sipaccount account
      JOIN devices_device device ON device.id = account.device_id
     WHERE account.username = caller;
    IF account_owner IS NULL THEN
        RETURN 0;
    END IF;
    SELECT coalesce(sum(entry.amount), 0) INTO balance
      FROM minutes_minutesentry entry
     WHERE entry.user_id = account_owner AND entry.currency = rate.currency;
    -- What the balance leaves for the minutes once the connection fee is paid, times 60.
    paid := 60 * (balance - rate.fee);
    IF paid < rate.price * rate.first_step THEN
        RETURN 0;
    END IF;
    IF rate.price = 0 THEN
        RETURN {max_seconds:d};
    END IF;
    RETURN least(
        rate.first_step
            + (paid - rate.price * rate.first_step) / (rate.price * rate.next_step)
            * rate.next_step,
        {max_seconds:d}
    );
END
$body$
"""

_ACCOUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION sip_line_account(caller text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $body$
    SELECT coalesce(
        (SELECT device.owner_id
           FROM telephony_sipaccount account
           JOIN devices_device device ON device.id = account.device_id
          WHERE account.username = caller),
        0)
$body$
"""


def allowance_function_write(connection: BaseDatabaseWrapper) -> None:
    """(Re)write the function on PostgreSQL (CREATE OR REPLACE keeps Kamailio's grant);
    nothing elsewhere."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
        cursor.execute(
            _FUNCTION.format(schema=connection.ops.quote_name(schema), max_seconds=MAX_CALL_SECONDS)
        )
        cursor.execute(_ACCOUNT_FUNCTION.format(schema=connection.ops.quote_name(schema)))
        for signature in (ALLOWANCE_SIGNATURE, ACCOUNT_SIGNATURE):
            cursor.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")


def allowance_function_drop(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for signature in (ALLOWANCE_SIGNATURE, ACCOUNT_SIGNATURE):
            cursor.execute(f"DROP FUNCTION IF EXISTS {signature}")
