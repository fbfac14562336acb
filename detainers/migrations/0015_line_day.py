"""Line health's own summary: each fax number period's deliveries by UTC day, counted from the
deliveries already received (detainers.counting.line_traffic)."""

from datetime import UTC

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count
from django.db.models.functions import TruncDate


def count_existing(apps, schema_editor):
    Delivery = apps.get_model("detainers", "Delivery")
    LineDay = apps.get_model("detainers", "LineDay")
    rows = (
        Delivery.objects.filter(fax_number__isnull=False)
        .annotate(day=TruncDate("received_at", tzinfo=UTC))
        .values("fax_number", "day")
        .annotate(count=Count("id"))
        .order_by()
    )
    LineDay.objects.bulk_create(
        (
            LineDay(fax_number_id=row["fax_number"], day=row["day"], deliveries=row["count"])
            for row in rows.iterator()
        ),
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("detainers", "0014_request_sequence"),
        ("precincts", "0003_known_senders"),
    ]

    operations = [
        migrations.CreateModel(
            name="LineDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField()),
                ("deliveries", models.PositiveIntegerField(default=0)),
                (
                    "fax_number",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="precincts.faxnumber",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("fax_number", "day"), name="line_day_unique")
                ],
            },
        ),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
