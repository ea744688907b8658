"""Case indexes: each unit together with the day of the case; no index on type or group."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder
from piccolo.columns.column_types import Varchar

ID = "2026-11-25T13:47:00:210291"
VERSION = "1.38.0"
DESCRIPTION = "case indexes: a unit with its day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="cases", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="village_code",
        db_column_name="village_code",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="town_code",
        db_column_name="town_code",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="station_code",
        db_column_name="station_code",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="fraud_type",
        db_column_name="fraud_type",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="Case",
        tablename="case",
        column_name="occupation_group",
        db_column_name="occupation_group",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def unit_day_indexes():
        # Same names as the contests app's migration: whichever runs first creates them.
        for unit in ("village", "town", "station"):
            await engine_finder().run_ddl(
                f"CREATE INDEX IF NOT EXISTS streak_case_{unit}_day "
                f'ON "case" ({unit}_code, occurred_on)'
            )

    manager.add_raw(unit_day_indexes)
    return manager
