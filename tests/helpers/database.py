"""Emptying the test database between tests (and inside property-based tests)."""

from __future__ import annotations

from campaign import generations
from campaign.db import engine, is_sqlite


def _tables() -> list[str]:
    from piccolo.conf.apps import Finder

    return [table._meta.tablename for table in Finder().get_table_classes()]


async def truncate_all() -> None:
    tables = _tables()
    if is_sqlite():
        for name in tables:
            await engine().run_ddl(f'DELETE FROM "{name}"')
    else:
        await engine().run_ddl(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE"
        )
    # every process's caches (the session user, the home cards) must not outlive the data
    await generations.bump(generations.ACCOUNTS, generations.DATA)
