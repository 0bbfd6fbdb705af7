"""Cart lines say which checkout payment is paying them; lines of payments still open are claimed."""

import django.db.models.deletion
from django.db import migrations, models

OPEN_STATUSES = ("pending", "unknown", "requires_action")


def claim_lines_of_open_payments(apps, schema_editor):
    """A checkout payment still waiting for its outcome holds its account's lines for the devices
    it pays, as a payment made from now on does (else they could be paid a second time)."""
    Payment = apps.get_model("billing", "Payment")
    CartItem = apps.get_model("billing", "CartItem")
    open_checkouts = Payment.objects.filter(
        kind="checkout", status__in=OPEN_STATUSES, user__isnull=False
    ).order_by("created_at")
    for payment in open_checkouts.iterator():
        CartItem.objects.filter(
            user_id=payment.user_id,
            payment__isnull=True,
            subscription__in=payment.items.values("subscription"),
        ).update(payment=payment)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_autorenew_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="cartitem",
            name="payment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="billing.payment",
            ),
        ),
        migrations.RunPython(claim_lines_of_open_payments, migrations.RunPython.noop),
    ]
