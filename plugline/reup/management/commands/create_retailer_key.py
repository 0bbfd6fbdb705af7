"""`manage.py create_retailer_key --chain CODE --name NAME`: a key for a chain's tills."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plugline.reup.services import api_key_create
from plugline.stores.models import RetailChain


class Command(BaseCommand):
    help = (
        "Create an API key for a retail chain's point of sale and print it once: only its "
        "hash is kept. Revoke it in the admin."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--chain", required=True, help="the retail chain's code")
        parser.add_argument(
            "--name", required=True, help="where the key is used (e.g. 'Tills, Ontario')"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chain = RetailChain.objects.filter(code=options["chain"]).first()
        if chain is None:
            known = ", ".join(RetailChain.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No retail chain {options['chain']!r} (known: {known}).")
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        _key, plaintext = api_key_create(chain=chain, name=name)
        self.stdout.write(f"API key for {chain.name} ({name}), shown this once:")
        self.stdout.write(plaintext)
        self.stdout.write("Send it as 'Authorization: Bearer <key>' to /api/v1/retail/.")
