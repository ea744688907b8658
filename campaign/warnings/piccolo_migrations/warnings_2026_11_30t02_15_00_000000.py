"""Warning boards: each unit's warnings by time, so that a board's newest-first page reads its
50 rows from an index however many warnings the unit has (10^6 stored); the unit-only indexes
they replace are their prefixes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine.finder import engine_finder

ID = "2026-11-30T02:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "warning boards: (unit, issued_at, id) indexes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="warnings", description=DESCRIPTION)

    for column in ("station_code", "town_code", "district_code"):
        manager.alter_column(
            table_class_name="Warning",
            tablename="warning",
            column_name=column,
            db_column_name=column,
            params={"index": False},
            old_params={"index": True},
            column_class=Varchar,
            old_column_class=Varchar,
            schema=None,
        )

    async def board_indexes():
        for unit in ("station", "town", "district"):
            await engine_finder().run_ddl(
                f"CREATE INDEX IF NOT EXISTS warning_{unit}_issued "
                f'ON "warning" ({unit}_code, issued_at, id)'
            )
        # the city's board (every warning, newest first)
        await engine_finder().run_ddl(
            'CREATE INDEX IF NOT EXISTS warning_issued ON "warning" (issued_at, id)'
        )

    manager.add_raw(board_indexes)
    return manager
