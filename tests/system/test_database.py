"""The embedded SQLite engine is set up for concurrent use: WAL, and writers that wait their turn."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from campaign.db import engine, is_sqlite, write_transaction
from campaign.system.tables import Setting


async def test_sqlite_runs_in_wal_mode(db):
    if not is_sqlite():
        pytest.skip("SQLite only")
    rows = await engine().run_ddl("PRAGMA journal_mode")
    assert rows[0]["journal_mode"] == "wal"


async def test_twenty_concurrent_read_then_write_transactions_all_succeed(db):
    await Setting.insert(Setting(key="counter", value="0", updated_at=dt.datetime.now(dt.UTC)))

    async def bump() -> None:
        async with write_transaction():
            row = await Setting.select(Setting.value).where(Setting.key == "counter").first()
            await asyncio.sleep(0.001)
            await Setting.update({Setting.value: str(int(row["value"]) + 1)}).where(
                Setting.key == "counter"
            )

    results = await asyncio.gather(*(bump() for _ in range(20)), return_exceptions=True)
    assert [r for r in results if isinstance(r, Exception)] == []
    if is_sqlite():  # IMMEDIATE serialises the writers; PostgreSQL would need SELECT … FOR UPDATE
        row = await Setting.select(Setting.value).where(Setting.key == "counter").first()
        assert row["value"] == "20"
