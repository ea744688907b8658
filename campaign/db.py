"""Database engine and transactions.

SQLite is the embedded default and PostgreSQL the production engine. On SQLite every writing
transaction is IMMEDIATE: a deferred read-then-write transaction under concurrency fails with
"database is locked" instead of waiting (see STACK-NOTES), so writers take the lock up front.
"""

from __future__ import annotations

import sqlite3

from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from campaign.parsing import search_text
from campaign.settings import get_settings


def make_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(str(path))
        return SQLiteEngine(path=str(path), timeout=30)
    return PostgresEngine(config={"dsn": settings.database_url})


def _enable_wal(path: str) -> None:
    """WAL lets readers run beside one writer; the mode persists in the file, Piccolo never sets it."""
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def engine() -> Engine:
    found = engine_finder()
    assert found is not None, "campaign.piccolo_conf defines DB"
    return found


def write_transaction():
    """A transaction for writes: IMMEDIATE on SQLite, the default (READ COMMITTED) on PostgreSQL."""
    db = engine()
    if isinstance(db, SQLiteEngine):
        return db.transaction(transaction_type=TransactionType.immediate)
    return db.transaction()


def read_transaction():
    """Several reads on one connection: outside a transaction Piccolo's SQLite engine opens a new
    connection for every query, which costs more than a small indexed query itself."""
    return engine().transaction()


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def start_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(max_size=10)


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()


def contains(column, text: str):
    """Case-insensitive substring match: ILIKE on PostgreSQL, LIKE on SQLite (which ignores ASCII
    case and has no ILIKE). A typed % is dropped; a typed _ still matches itself (and any one
    character), which is harmless for search. The text is cut to parsing.MAX_SEARCH characters."""
    pattern = "%" + search_text(text).replace("%", "") + "%"
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)
