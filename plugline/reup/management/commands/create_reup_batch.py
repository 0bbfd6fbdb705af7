"""`manage.py create_reup_batch --chain CODE (--plan CODE | --minutes AMOUNT) --count N`: a batch
of Re-Up cards, each giving a plan's period or an amount of international minutes (in minor
units of the billing currency: --minutes 1000 is 10.00).

With `--output FILE` the printer file (serial, PIN, plan, chain) is written
there at once, readable by its owner only: that is the batch's one and only
export. Without it, the file is downloaded once from the admin.
"""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from plugline.billing.models import Plan
from plugline.reup.services import BATCH_MAX_CARDS, ReupError, batch_create, batch_export
from plugline.stores.models import RetailChain


class Command(BaseCommand):
    help = (
        "Create a batch of Re-Up cards for a retail chain and a plan (or an amount of "
        "international minutes). With --output, write "
        "the printer file (serial, PIN, plan, chain) to that new file at once: the PINs can "
        "never be shown again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--chain", required=True, help="the retail chain's code")
        gives = parser.add_mutually_exclusive_group(required=True)
        gives.add_argument("--plan", help="the plan's code (e.g. 1-year)")
        gives.add_argument(
            "--minutes",
            type=int,
            help="cards of international minutes: the amount each adds to the balance, in "
            "minor units of the billing currency (e.g. 1000 for 10.00)",
        )
        parser.add_argument(
            "--count", required=True, type=int, help=f"how many cards (1 to {BATCH_MAX_CARDS})"
        )
        parser.add_argument("--note", default="", help="a note for staff (e.g. the print run)")
        parser.add_argument(
            "--output",
            help="write the printer file here now (a new file; an existing one is refused)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chain = RetailChain.objects.filter(code=options["chain"]).first()
        if chain is None:
            known = ", ".join(RetailChain.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No retail chain {options['chain']!r} (known: {known}).")
        plan = None
        minutes = options["minutes"]
        if minutes is not None:
            if minutes <= 0:
                raise CommandError("--minutes must be more than zero (minor units, e.g. 1000).")
        else:
            plan = Plan.objects.filter(code=options["plan"]).first()
            if plan is None:
                known = ", ".join(Plan.objects.values_list("code", flat=True)) or "none"
                raise CommandError(f"No plan {options['plan']!r} (known: {known}).")
        count = options["count"]
        if not 1 <= count <= BATCH_MAX_CARDS:
            raise CommandError(f"--count must be between 1 and {BATCH_MAX_CARDS}.")
        if len(options["note"]) > 200:
            raise CommandError("--note is at most 200 characters.")

        output = options["output"]
        fd = None
        if output:
            # Made before the batch, so that a file in the way refuses everything.
            try:
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                raise CommandError(f"{output} exists already: give a new file name.") from None
            except OSError as error:
                raise CommandError(f"Cannot create {output}: {error.strerror}.") from None
        try:
            batch = batch_create(
                chain=chain, plan=plan, minutes_amount=minutes, count=count, note=options["note"]
            )
        except ReupError as error:
            if fd is not None:
                os.close(fd)
                os.unlink(output)
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Batch #{batch.pk}: {count} cards of {batch.gives_code} for {chain.code}."
        )

        if fd is None:
            url = reverse("admin:reup_reupbatch_change", args=[batch.pk])
            self.stdout.write(
                f"Download its printer file once, from the admin: {url} (or void the batch there)."
            )
            return
        printer_file = batch_export(batch=batch)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
                printer_file.write_csv(out)
        except OSError as error:
            raise CommandError(
                f"The printer file could not be written ({error.strerror}); its PINs are "
                f"lost. Void batch #{batch.pk} in the admin and create a new one."
            ) from None
        self.stdout.write(
            f"Printer file written to {output} (readable by you only). Its PINs cannot be "
            "shown again: keep the file safe, and delete it once the cards are printed."
        )
