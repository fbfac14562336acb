"""A request's place in its delivery (1, 2, ...), the "-2" of its reference DD-2026-000121-2.

Existing requests are numbered in the order they were made (by id) within their delivery; most
deliveries carry one request and keep the default 1."""

from django.db import migrations, models

NUMBER_EXISTING = """
UPDATE detainers_detainerrequest SET sequence = (
    SELECT COUNT(*) FROM detainers_detainerrequest AS earlier
    WHERE earlier.delivery_id = detainers_detainerrequest.delivery_id
      AND earlier.id <= detainers_detainerrequest.id
)
WHERE delivery_id IN (
    SELECT delivery_id FROM detainers_detainerrequest GROUP BY delivery_id HAVING COUNT(*) > 1
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("detainers", "0013_line_health_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="detainerrequest",
            name="sequence",
            field=models.PositiveSmallIntegerField(default=1, db_default=1),
        ),
        migrations.RunSQL(NUMBER_EXISTING, reverse_sql=migrations.RunSQL.noop),
        migrations.AddConstraint(
            model_name="detainerrequest",
            constraint=models.UniqueConstraint(
                fields=("delivery", "sequence"), name="request_delivery_sequence_unique"
            ),
        ),
    ]
