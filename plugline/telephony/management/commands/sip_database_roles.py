"""`manage.py sip_database_roles`: the read-only PostgreSQL role Kamailio connects as."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from plugline.telephony.roles import sip_database_role_grant


class Command(BaseCommand):
    help = (
        "Let Kamailio's role read the view sip_subscriber and the table kamailio_version, "
        "and nothing else. The role is created if missing (needs CREATEROLE), with the "
        "password in the environment variable KAMAILIO_DB_PASSWORD. PostgreSQL only."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--role", default="kamailio", help="the role's name (kamailio)")

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Kamailio reads Plugline's database on PostgreSQL only.")
        try:
            created = sip_database_role_grant(
                connection, role=options["role"], password=os.environ.get("KAMAILIO_DB_PASSWORD")
            )
        except (DatabaseError, ValueError) as error:
            raise CommandError(str(error)) from error
        verb = "created" if created else "updated"
        self.stdout.write(f"Role {options['role']} {verb}: SELECT on sip_subscriber only.")
