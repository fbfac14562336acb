"""Line health at millions of deliveries (issue #18): /dashboard/lines/ looks each fax line's last
delivery and its traffic of the last 120 days up in an index on Delivery (fax_number, received_at),
and the deliveries to retired numbers (about 1 in 100) in a partial index of their own, instead of
reading every delivery (1.7 s at 10 million; see bench/dashboard).

Numbered 0012 but after 0013: it was written beside 0013 and depends on it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("detainers", "0012_search_indexes"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                fields=["fax_number", "received_at"], name="delivery_line_received_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("number_match", "retired")),
                fields=["received_at"],
                name="delivery_retired_number_idx",
            ),
        ),
    ]
