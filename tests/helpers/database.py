"""Emptying the test database between tests (and inside property-based tests); asking either
engine which index a query would take."""

from __future__ import annotations

from piccolo.table import Table

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


async def query_plan(table: type[Table], query: str) -> str:
    """The plan either engine would choose for `query` (over `table`), as text. PostgreSQL's
    test tables are small: scans are priced out, so that it names the index it would take on a
    large table."""
    if is_sqlite():
        return str(await table.raw(f"EXPLAIN QUERY PLAN {query}"))
    async with engine().transaction():
        await table.raw("SET LOCAL enable_seqscan = off")
        await table.raw("SET LOCAL enable_bitmapscan = off")
        return str(await table.raw(f"EXPLAIN {query}"))
