"""The embedded SQLite engine is set up for concurrent use: WAL, and writers that wait their turn."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest

from campaign.db import (
    close_pool,
    engine,
    is_sqlite,
    pragmas_until_released,
    start_pool,
    write_transaction,
)
from campaign.settings import get_settings
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


async def test_sqlite_reuses_its_connections_between_start_and_close_pool(db):
    """A new SQLite connection per query parses the schema and, as the last to close, checkpoints
    the log with an fsync (campaign/db.py): the engine keeps closed ones for the next query."""
    if not is_sqlite():
        pytest.skip("SQLite only")
    db_engine = engine()
    await start_pool()
    try:
        await Setting.count()
        kept = list(db_engine.idle)
        assert len(kept) == 1
        async with write_transaction() as transaction:
            assert transaction.connection is kept[0]
            assert db_engine.idle == []
            await Setting.count()  # inside the transaction: its connection, not another one
        assert db_engine.idle == kept
    finally:
        await close_pool()
    assert db_engine.idle == []
    await Setting.count()  # outside start_pool … close_pool nothing is kept
    assert db_engine.idle == []


async def test_sqlite_pool_leaves_the_log_checkpoint_to_a_background_task(db, monkeypatch):
    """Between start_pool and close_pool a write never pays for copying the log into the database
    (its connection checkpoints only at POOLED_AUTOCHECKPOINT pages); the background task does
    it: a committed row reaches the database file itself (read ignoring the log) while every
    connection stays open and the log stays far below that mark."""
    if not is_sqlite():
        pytest.skip("SQLite only")
    db_engine = engine()
    monkeypatch.setattr(db_engine, "CHECKPOINT_EVERY", 0.01)
    await start_pool()
    try:
        async with write_transaction() as transaction:
            rows = await transaction.connection.execute_fetchall("PRAGMA wal_autocheckpoint")
            assert rows[0]["wal_autocheckpoint"] == db_engine.POOLED_AUTOCHECKPOINT
            await Setting.insert(
                Setting(key="copied", value="1", updated_at=dt.datetime.now(dt.UTC))
            )
        assert await _reaches_the_file("copied")
    finally:
        await close_pool()
    assert db_engine.checkpointer is None


async def test_sqlite_copies_a_bulk_write_s_log_as_soon_as_its_connection_is_released(
    db, monkeypatch
):
    """A bulk write commits without a checkpoint (its ~1 GB log would stall the commit): the
    background task copies it as soon as the connection is released, not at its next tick,
    so that the copy runs beside the write's follow-up jobs rather than inside one of them."""
    if not is_sqlite():
        pytest.skip("SQLite only")
    db_engine = engine()
    monkeypatch.setattr(db_engine, "CHECKPOINT_EVERY", 3600)
    await start_pool()
    try:
        await asyncio.sleep(0.01)  # the background task waits for its first tick
        async with write_transaction() as transaction:
            await pragmas_until_released(transaction.connection, wal_autocheckpoint=0)
            await Setting.insert(Setting(key="bulk", value="1", updated_at=dt.datetime.now(dt.UTC)))
        assert await _reaches_the_file("bulk")
    finally:
        await close_pool()


async def _reaches_the_file(key: str) -> bool:
    """Whether a setting's row is in the database file itself (read ignoring the log) within
    ten seconds."""
    uri = f"file:{get_settings().sqlite_path}?immutable=1"
    for _ in range(1000):
        with sqlite3.connect(uri, uri=True) as file_only:
            if file_only.execute("SELECT 1 FROM setting WHERE key = ?", (key,)).fetchall():
                return True
        await asyncio.sleep(0.01)
    return False
