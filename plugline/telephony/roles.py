"""Kamailio's role on PostgreSQL: it reads the views made for it, writes call records
(INSERT into kamailio_acc), and records the calls it refuses to blocked callers (INSERT into
sip_blocked_call); nothing else. The apps above telephony that give Kamailio a function of
their own (plugline.minutes.allowance) register it here, and the role may EXECUTE it."""

from __future__ import annotations

import re

from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

from plugline.telephony.blockview import ANONYMOUS_VIEW, BLOCKED_CALL_TABLE, BLOCKED_VIEW
from plugline.telephony.forwardview import CALL_SETTINGS_VIEW
from plugline.telephony.models import KamailioAcc
from plugline.telephony.sipview import (
    EMERGENCY_VIEW_NAME,
    LINE_OPEN_FUNCTION,
    VERSION_TABLE,
    VIEW_NAME,
)

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# A function's name and argument types, e.g. "sip_international_seconds(text, text)".
_FUNCTION_SIGNATURE = re.compile(r"[a-z_][a-z0-9_]{0,62}\((?:[a-z ]+(?:, [a-z ]+)*)?\)")
_functions: list[str] = []


def sip_database_function_register(signature: str) -> None:
    """Let Kamailio's role EXECUTE this function too (it must exist once migrated)."""
    if not _FUNCTION_SIGNATURE.fullmatch(signature):
        raise ValueError(f"{signature!r} is not a function signature")
    if signature not in _functions:
        _functions.append(signature)


def sip_database_role_grant(
    connection: BaseDatabaseWrapper, *, role: str, password: str | None
) -> bool:
    """Create `role` if missing (LOGIN, `password`), grant it SELECT on the views and the
    version table, INSERT (only) on the call records table kamailio_acc with the use of its id
    sequence and on sip_blocked_call, and nothing else; whether it was created."""
    if not _ROLE_NAME.fullmatch(role):
        raise ValueError(f"{role!r} is not a plain role name (a-z, 0-9, _)")
    name = sql.Identifier(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        created = cursor.fetchone() is None
        if created:
            if not password:
                raise ValueError(
                    f"Role {role} does not exist: set KAMAILIO_DB_PASSWORD to create it."
                )
            cursor.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(password))
            )
        for table in (
            VIEW_NAME,
            EMERGENCY_VIEW_NAME,
            VERSION_TABLE,
            BLOCKED_VIEW,
            ANONYMOUS_VIEW,
            CALL_SETTINGS_VIEW,
        ):
            cursor.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(sql.Identifier(table), name))
        # sip_subscriber asks this function (its owner's rights) whether a line is open.
        cursor.execute(
            sql.SQL("GRANT EXECUTE ON FUNCTION {}(bigint) TO {}").format(
                sql.Identifier(LINE_OPEN_FUNCTION), name
            )
        )
        for signature in _functions:
            cursor.execute(
                sql.SQL("GRANT EXECUTE ON FUNCTION {} TO {}").format(sql.SQL(signature), name)
            )
        acc = KamailioAcc._meta.db_table
        cursor.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(acc), name))
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [acc])
        (sequence,) = cursor.fetchone()
        cursor.execute(sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(sequence), name))
        cursor.execute(
            sql.SQL("GRANT INSERT ON {} TO {}").format(sql.Identifier(BLOCKED_CALL_TABLE), name)
        )
        cursor.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(connection.settings_dict["NAME"]), name
            )
        )
    return created
