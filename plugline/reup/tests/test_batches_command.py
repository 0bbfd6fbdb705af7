"""`create_reup_batch` and `create_retailer_key`: what an operator types and reads."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from plugline.billing.tests.factories import make_plan
from plugline.reup import pins
from plugline.reup.models import RetailerApiKey, ReupBatch, ReupCardStatus
from plugline.reup.services import BatchAlreadyExported, api_key_authenticate, batch_export
from plugline.reup.tests.factories import make_chain

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_it_writes_the_printer_file_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    make_chain("kwik")
    make_plan("1-year")
    output = tmp_path / "batch.csv"

    said = run(
        "create_reup_batch",
        "--chain=kwik",
        "--plan=1-year",
        "--count=25",
        "--note=Spring",
        f"--output={output}",
    )

    batch = ReupBatch.objects.get()
    assert f"Batch #{batch.pk}: 25 cards" in said and "cannot be shown again" in said
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    rows = list(csv.DictReader(output.open()))
    assert len(rows) == 25
    cards = {card.serial: card for card in batch.cards.all()}
    for row in rows:
        assert (row["plan"], row["chain"]) == ("1-year", "kwik")
        assert cards[row["serial"]].pin_hash == pins.pin_hash(row["pin"])
        assert cards[row["serial"]].status == ReupCardStatus.PRINTED
    assert batch.note == "Spring" and batch.exported_at is not None
    # That was the one export: the admin cannot make another.
    with pytest.raises(BatchAlreadyExported):
        batch_export(batch=batch)


def test_it_refuses_to_overwrite_a_file_and_makes_no_batch(tmp_path: Path) -> None:
    make_chain("kwik")
    make_plan("1-year")
    output = tmp_path / "batch.csv"
    output.write_text("earlier cards\n")

    with pytest.raises(CommandError, match="exists already"):
        run("create_reup_batch", "--chain=kwik", "--plan=1-year", "--count=5", f"--output={output}")

    assert output.read_text() == "earlier cards\n"
    assert not ReupBatch.objects.exists()


def test_it_says_how_to_download_the_file_when_not_written_at_once() -> None:
    make_chain("kwik")
    make_plan("1-year")

    said = run("create_reup_batch", "--chain=kwik", "--plan=1-year", "--count=3")

    batch = ReupBatch.objects.get()
    assert f"/admin/reup/reupbatch/{batch.pk}/change/" in said
    assert batch.exported_at is None
    assert not batch.cards.filter(pin_hash__isnull=False).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chain=nope", "--plan=1-year", "--count=3"], "No retail chain 'nope' (known: kwik)"),
        (["--chain=kwik", "--plan=nope", "--count=3"], "No plan 'nope' (known: 1-year)"),
        (["--chain=kwik", "--plan=1-year", "--count=0"], "between 1 and 100000"),
        (["--chain=kwik", "--plan=1-year", "--count=100001"], "between 1 and 100000"),
    ],
)
def test_it_refuses_a_batch_it_cannot_make_and_says_why(
    tmp_path: Path, args: list[str], message: str
) -> None:
    make_chain("kwik")
    make_plan("1-year")
    output = tmp_path / "batch.csv"

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("create_reup_batch", *args, f"--output={output}")

    assert not ReupBatch.objects.exists()
    assert not output.exists()


def test_it_prints_a_new_retailer_key_once_and_stores_only_its_hash() -> None:
    make_chain("kwik")

    said = run("create_retailer_key", "--chain=kwik", "--name=Tills, Ontario")

    plaintext = next(line for line in said.splitlines() if line.startswith("plr_"))
    key = RetailerApiKey.objects.get()
    assert key.name == "Tills, Ontario" and key.chain.code == "kwik"
    assert api_key_authenticate(plaintext) == key
    assert plaintext.split("_", 2)[2] not in key.secret_hash


def test_it_refuses_a_key_for_an_unknown_chain() -> None:
    with pytest.raises(CommandError, match="No retail chain 'nope'"):
        run("create_retailer_key", "--chain=nope", "--name=Tills")

    assert not RetailerApiKey.objects.exists()
