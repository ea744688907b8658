"""Composite indexes for the streak boards (raw SQL: Piccolo declares single-column indexes only).

The board is an index scan in streak order: never-a-case units first, then by last case day, then
by code. SQLite sorts NULLs first in ascending order; PostgreSQL needs NULLS FIRST in the index.
The case indexes serve a unit's case days (unit page, longest runs) and past-day boards.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-25T13:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "streak board indexes"


def statements(sqlite: bool) -> list[str]:
    nulls = "" if sqlite else " NULLS FIRST"
    last = f"last_case_on{nulls}"
    return [
        f"CREATE INDEX IF NOT EXISTS streak_region_board ON region (level, {last}, code)",
        f"CREATE INDEX IF NOT EXISTS streak_region_district ON region (level, district_code, {last}, code)",
        f"CREATE INDEX IF NOT EXISTS streak_region_town ON region (level, town_code, {last}, code)",
        f"CREATE INDEX IF NOT EXISTS streak_station_board ON station ({last}, code)",
        f"CREATE INDEX IF NOT EXISTS streak_station_district ON station (district_code, {last}, code)",
        'CREATE INDEX IF NOT EXISTS streak_case_village_day ON "case" (village_code, occurred_on)',
        'CREATE INDEX IF NOT EXISTS streak_case_town_day ON "case" (town_code, occurred_on)',
        'CREATE INDEX IF NOT EXISTS streak_case_station_day ON "case" (station_code, occurred_on)',
        "CREATE UNIQUE INDEX IF NOT EXISTS streak_snapshot_key ON streak_snapshot (level, day, code)",
        "CREATE UNIQUE INDEX IF NOT EXISTS streak_best_key ON streak_best (level, code)",
        "CREATE INDEX IF NOT EXISTS streak_event_feed ON streak_event (day, id)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="streaks", description=DESCRIPTION)

    async def create_indexes():
        engine = engine_finder()
        for statement in statements(isinstance(engine, SQLiteEngine)):
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
