"""On PostgreSQL, the database itself refuses two owners of one number at the same moment.

The constraint lives outside Django's model state on purpose: SQLite cannot express it, and a
constraint in the state would be re-created on SQLite table rebuilds. The service checks it on
every database (precincts.services.fax_number_assign).
"""

from django.db import migrations

CONSTRAINT = "faxnumber_one_owner_at_a_time"


def add_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE precincts_faxnumber ADD CONSTRAINT {CONSTRAINT} EXCLUDE USING gist "
        "(number WITH =, tstzrange(active_from, active_until, '[)') WITH &&)"
    )


def drop_exclusion(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE precincts_faxnumber DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("precincts", "0001_initial")]
    operations = [migrations.RunPython(add_exclusion, drop_exclusion)]
