"""The counted scores' unique key, and the counts of the board rows already there (city, district
and town areas), so "rank and gap" read BoardScore from the first request on."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from campaign.volunteers.tables import BoardScore

ID = "2026-11-29T22:54:48:000000"
VERSION = "1.38.0"
DESCRIPTION = "board score counts: unique key and backfill"

BACKFILL = " UNION ALL ".join(
    f"SELECT board, bucket, {area}, points, COUNT(*) FROM board_row WHERE points > 0{where} "
    f"GROUP BY board, bucket, {group}points"
    for area, where, group in (
        ("''", "", ""),
        ("district_code", " AND district_code <> ''", "district_code, "),
        ("town_code", " AND town_code <> '' AND town_code <> district_code", "town_code, "),
    )
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create() -> None:
        await BoardScore.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS board_score_once "
            "ON board_score (board, bucket, area, points)"
        )
        await BoardScore.raw("DELETE FROM board_score")
        await BoardScore.raw(f"INSERT INTO board_score (board, bucket, area, points, n) {BACKFILL}")

    async def drop() -> None:
        await BoardScore.raw("DROP INDEX IF EXISTS board_score_once")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
