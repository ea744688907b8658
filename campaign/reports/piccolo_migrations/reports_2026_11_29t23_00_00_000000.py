"""The bulletin's covering index on the cases (raw SQL: Piccolo declares single-column indexes).

A week's bulletin groups the cases of 12 weeks by district or town, and two weeks by fraud type,
occupation group and age: with every column it reads in one index keyed by the day, each of those
reads is an index-only range scan (no visit to the table's rows, which lie in import order)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T23:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "bulletin: covering index of the cases by day"

STATEMENT = (
    'CREATE INDEX IF NOT EXISTS bulletin_case_week ON "case" (occurred_on, district_code, '
    "town_code, fraud_type, occupation_group, victim_age, loss_fen)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="reports", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(STATEMENT)

    manager.add_raw(create_index)
    return manager
