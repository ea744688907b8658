"""A covering index for the sums over counted scores: rank, gap and total read (points, n) from
the index alone. Without it SQLite fetched each of a board's few thousand score rows from the
table (≈6 ms for the all-time city board at 150,000 volunteers)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from campaign.volunteers.tables import BoardScore

ID = "2026-11-30T00:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "covering index for board score sums"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create() -> None:
        await BoardScore.raw(
            "CREATE INDEX IF NOT EXISTS board_score_sums "
            "ON board_score (board, bucket, area, points, n)"
        )

    async def drop() -> None:
        await BoardScore.raw("DROP INDEX IF EXISTS board_score_sums")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
