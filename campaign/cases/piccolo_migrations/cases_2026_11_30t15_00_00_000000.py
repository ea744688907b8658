"""Cases of a district by day: `case_district_day` (district_code, occurred_on) instead of the
district code alone, as the villages', towns' and stations' indexes are. A district's case list
(newest first) then walks the index instead of reading every case of the district for its day
and sorting them (13 ms at 10^6 cases), and its capped count still reads only the index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T15:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cases: the district index by day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="district_code",
        db_column_name="district_code",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def district_index():
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS case_district_day ON "case" (district_code, occurred_on)'
        )

    manager.add_raw(district_index)
    return manager
