"""An invoice as a PDF (fpdf2): its number, date, the account's name and email, the lines,
the amount and the card's brand and last four; nothing more."""

from __future__ import annotations

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext
from fpdf import FPDF

from plugline.accounts.models import User
from plugline.billing.models import Payment
from plugline.billing.receipts import invoice_lines
from plugline.core.money import money_format


def _latin1(text: str) -> str:
    # The PDF's core font covers Latin-1 (French and Danish letters); any
    # other character is replaced rather than breaking the file.
    return (
        (text.replace("\u202f", " ").replace("\xa0", " ").replace("\u2019", "'"))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def invoice_pdf(*, payment: Payment, user: User, language: str | None = None) -> bytes:
    with translation.override(language or user.language or settings.LANGUAGE_CODE):
        pdf = FPDF(format="A4")
        pdf.set_title(_latin1(gettext("Invoice %(number)s") % {"number": payment.invoice_number}))
        pdf.set_creator(settings.BRAND_NAME)
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(0, 10, _latin1(settings.BRAND_NAME), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(
            0,
            10,
            _latin1(gettext("Invoice %(number)s") % {"number": payment.invoice_number}),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", "", 11)
        paid_at = payment.settled_at or payment.created_at
        facts = [
            (gettext("Date"), formats.date_format(paid_at, "DATE_FORMAT")),
            (gettext("Account"), user.get_full_name() if hasattr(user, "get_full_name") else ""),
            (gettext("Email"), user.email),
        ]
        for label, value in facts:
            pdf.cell(40, 7, _latin1(label))
            pdf.cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(120, 8, _latin1(gettext("Item")), border="B")
        pdf.cell(
            0, 8, _latin1(gettext("Amount")), border="B", align="R", new_x="LMARGIN", new_y="NEXT"
        )
        pdf.set_font("Helvetica", "", 11)
        for line in invoice_lines(payment):
            # A fee that is no device's (international minutes) has no device to name.
            text = f"{line.plan}, {line.device} ({line.serial})" if line.serial else line.plan
            if line.ends_at:
                text += ", " + gettext("service until %(date)s") % {
                    "date": formats.date_format(line.ends_at, "DATE_FORMAT")
                }
            pdf.cell(120, 8, _latin1(text))
            pdf.cell(0, 8, _latin1(line.amount), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(120, 9, _latin1(gettext("Total")), border="T")
        pdf.cell(
            0,
            9,
            _latin1(money_format(payment.amount, payment.currency)),
            border="T",
            align="R",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_font("Helvetica", "", 11)
        pdf.ln(4)
        pdf.cell(
            0,
            7,
            _latin1(
                gettext("Paid with %(card_brand)s ending in %(card_last4)s.")
                % {"card_brand": payment.card_brand, "card_last4": payment.card_last4}
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if payment.refunded_amount:
            pdf.cell(
                0,
                7,
                _latin1(
                    gettext("Refunded: %(amount)s")
                    % {"amount": money_format(payment.refunded_amount, payment.currency)}
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )
        return bytes(pdf.output())
