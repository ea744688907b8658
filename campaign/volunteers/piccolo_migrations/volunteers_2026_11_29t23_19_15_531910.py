from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-29T23:19:15:531910"
VERSION = "1.38.0"
DESCRIPTION = ""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    manager.drop_column(
        table_class_name="Team",
        tablename="team",
        column_name="points",
        db_column_name="points",
        schema=None,
    )

    return manager
