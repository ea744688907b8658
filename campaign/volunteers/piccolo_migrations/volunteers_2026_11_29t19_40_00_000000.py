"""Composite unique and board indexes (Piccolo declares only single-column ones). The unique
indexes make replays harmless: a ledger entry, a board row, a quiz answer, a check-in, an open
and an active day exist at most once. Plain CREATE ... IF NOT EXISTS works on SQLite and
PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from campaign.volunteers.tables import PointEntry

ID = "2026-11-29T19:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique and board indexes"

UNIQUE = {
    "point_entry_once": ("point_entry", ("person_kind", "person_id", "kind", "ref")),
    "board_row_once": ("board_row", ("board", "bucket", "person_id")),
    "quiz_answer_once": ("quiz_answer", ("volunteer_id", "day", "question_id")),
    "event_checkin_once": ("event_checkin", ("event_id", "volunteer_id")),
    "share_open_once": ("share_open", ("link_id", "visitor")),
    "active_day_once": ("active_day", ("volunteer_id", "day")),
}
INDEXES = {
    "point_entry_person": ("point_entry", ("person_kind", "person_id", "id")),
    "point_entry_today": ("point_entry", ("person_kind", "person_id", "kind", "day")),
    "board_row_city": ("board_row", ("board", "bucket", "points", "person_id")),
    "board_row_district": (
        "board_row",
        ("board", "bucket", "district_code", "points", "person_id"),
    ),
    "board_row_town": ("board_row", ("board", "bucket", "town_code", "points", "person_id")),
    "volunteer_recruiter_day": ("volunteer", ("recruiter_id", "created_on")),
    "volunteer_ip_created": ("volunteer", ("signup_ip", "created_at")),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="volunteers", description=DESCRIPTION)

    async def create() -> None:
        for name, (table, columns) in UNIQUE.items():
            await PointEntry.raw(
                f"CREATE UNIQUE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"
            )
        for name, (table, columns) in INDEXES.items():
            await PointEntry.raw(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"
            )

    async def drop() -> None:
        for name in (*UNIQUE, *INDEXES):
            await PointEntry.raw(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
