"""Two case indexes fewer to build after a bulk load (and to keep on every write).

`case_occurred_on` repeated the first column of the bulletin's covering index
(`bulletin_case_week`, which serves every range or order by day). The index of every victim
phone hash, mostly NULL, becomes `case_phone_day` (occurred_on, victim_phone_hash) over the
cases that carry one: the only reader (cases.queries.victim_phones_since) asks by day for those.
And one index more, on `updated_at`: the accountability-review sweep that follows every case
write reads the cases written since its last run (a scan of every case before: ~0.3 s per write
at 10^6 cases)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date, Timestamptz, Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T08:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: indexes for the bulk load and the review sweep"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    for name, column_class, index in (
        ("occurred_on", Date, False),
        ("victim_phone_hash", Varchar, False),
        ("updated_at", Timestamptz, True),
    ):
        manager.alter_column(
            table_class_name="Case",
            tablename="case",
            column_name=name,
            db_column_name=name,
            params={"index": index},
            old_params={"index": not index},
            column_class=column_class,
            old_column_class=column_class,
            schema=None,
        )

    async def phone_index():
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS case_phone_day ON "case" (occurred_on, victim_phone_hash) '
            'WHERE "victim_phone_hash" IS NOT NULL'
        )

    manager.add_raw(phone_index)
    return manager
