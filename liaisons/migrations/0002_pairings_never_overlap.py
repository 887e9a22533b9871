"""On PostgreSQL, pairings of one agency, or of one compound, never overlap in time: two exclusion
constraints over the pairing's days ``[started_on, ended_on)`` (btree_gist lets them compare ids).

They are not in the model's Meta because SQLite (the demo and development database) has no exclusion
constraints; there the unique constraints on open pairings and the service's check stand in.
"""

from django.db import migrations

CONSTRAINTS = {
    "liaisons_liaison_agency_no_overlap": "agency_id",
    "liaisons_liaison_compound_no_overlap": "compound_id",
}


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE liaisons_liaison ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, daterange(started_on, ended_on, '[)') WITH &&)"
        )


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE liaisons_liaison DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("liaisons", "0001_initial")]

    operations = [migrations.RunPython(add, remove, elidable=False)]
