"""Search and the long lists at millions of requests (issue #18).

- The subject's name is searched as a substring without regard to case or accents: on PostgreSQL
  through detainers_name_folded(text) (lower(unaccent(text)), declared IMMUTABLE so it can be
  indexed) and a GIN trigram index on it (pg_trgm), which serves LIKE '%word%'.
- The inbox and the drill-down lists walk the deliveries in the order of their arrival: an index on
  Delivery (received_at, id), on every database; and the inbox's unreviewed requests, few among
  millions, have a partial index of their own, as have the quarantined emails the inbox's mailbox
  panel counts.

The trigram index is built CONCURRENTLY on PostgreSQL (the migration is not atomic), so intake goes on
while they are built. SQLite has neither extension: search falls back to icontains there.
"""

from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations, models

FOLDED_FUNCTION = """
CREATE OR REPLACE FUNCTION detainers_name_folded(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$
"""
NAME_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS detainers_request_name_trgm "
    "ON detainers_detainerrequest USING gin (detainers_name_folded(subject_name) gin_trgm_ops)"
)


def name_index_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FOLDED_FUNCTION)
    schema_editor.execute(NAME_INDEX)
    # The planner knows how many names a pattern matches only from the statistics of the index's
    # expression, which only ANALYZE gathers: without them it takes a common surname for a rare
    # one (bench/lists: 6.5 s against 1 s).
    schema_editor.execute("ANALYZE detainers_detainerrequest")


def name_index_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS detainers_request_name_trgm")
    schema_editor.execute("DROP FUNCTION IF EXISTS detainers_name_folded(text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("detainers", "0011_retention"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.RunPython(name_index_create, name_index_drop),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(fields=["received_at", "id"], name="delivery_received_idx"),
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("quarantine_reason", ""), _negated=True),
                fields=["source"],
                name="delivery_quarantined_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="detainerrequest",
            index=models.Index(
                condition=models.Q(("disposition", "")),
                fields=["delivery"],
                name="request_unreviewed_idx",
            ),
        ),
    ]
