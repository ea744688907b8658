"""Database engine and transactions.

SQLite is the embedded default and PostgreSQL the production engine. On SQLite every writing
transaction is IMMEDIATE: a deferred read-then-write transaction under concurrency fails with
"database is locked" instead of waiting, so writers take the lock up front. Every SQLite
connection runs with `synchronous=NORMAL`: in WAL mode a commit then no longer waits for an fsync
(the log is synced at checkpoints), which is most of a small write's time on a slow disk. A crash
of the application loses nothing; a power cut may lose the last commits, never the file. Between
start_pool and close_pool, SQLite connections are reused (_SQLiteEngine) rather than opened for
every query and transaction as Piccolo does, and the log is checkpointed by a background task
rather than by whichever write crosses SQLite's 1,000 pages (_SQLiteEngine.checkpoint_forever).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import sqlite3
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Iterable,
    Sequence,
    Sized,
)
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple, TypeVar

import aiosqlite
from piccolo.engine.base import Engine
from piccolo.engine.finder import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType, dict_factory

from campaign import generations
from campaign.parsing import search_text
from campaign.settings import get_settings

log = logging.getLogger(__name__)

R = TypeVar("R")  # a row: a dict from Piccolo or a domain's dataclass
C = TypeVar("C", bound=aiosqlite.Connection)


def make_engine() -> Engine:
    settings = get_settings()
    if settings.is_sqlite:
        path = settings.sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        _enable_wal(str(path))
        return _SQLiteEngine(path=str(path), timeout=30, factory=_SQLiteConnection)
    return PostgresEngine(config={"dsn": settings.database_url})


async def pragmas_until_released(connection: aiosqlite.Connection, **values: int) -> None:
    """SQLite settings for the rest of a connection's transaction, its commit included (a bulk
    write's cache, sort threads, no checkpoint in the commit); the previous values come back
    when the connection is released, before the pool takes it back."""
    restore = []
    for name, value in values.items():
        cursor = await connection.execute(f"PRAGMA {name}")
        row: Any = await cursor.fetchone()  # a dict (dict_factory) or a tuple
        previous = next(iter(row.values() if isinstance(row, dict) else row))
        restore.append(f"PRAGMA {name} = {int(previous)}")
        await connection.execute(f"PRAGMA {name} = {int(value)}")
    connection.on_release = (*restore, *getattr(connection, "on_release", ()))  # type: ignore[attr-defined]


class _ReusedConnection(aiosqlite.Connection):
    """An aiosqlite connection that its engine may take back on close() instead of closing;
    `on_release` puts back what pragmas_until_released changed."""

    engine: _SQLiteEngine
    on_release: tuple[str, ...] = ()

    async def close(self) -> None:
        if self.on_release:  # a bulk write's settings: its log, committed without a checkpoint,
            self.engine.checkpoint_due.set()  # is copied now, beside its follow-ups
        for statement in self.on_release:
            await self.execute(statement)
        self.on_release = ()
        if not self.engine.take_back(self):
            await super().close()

    async def run_sync(self, function: Callable[..., R], *args: Any) -> R:
        """`function(sqlite3_connection, *args)` on the connection's thread, in one hop: several
        statements for the price of one hand-off (each aiosqlite call is a hop there and back)."""
        return await self._execute(function, self._conn, *args)


class _SQLiteEngine(SQLiteEngine):
    """Piccolo's SQLite engine opens a connection (and its thread) for every transaction and for
    every query outside one. Each new connection parses the whole schema and prepares every
    statement afresh, and the last one to close checkpoints the whole log with an fsync: most
    of a small page's or write's time. Between start_pool and close_pool (in that process) a
    closed connection outside a transaction is kept for the next one, up to IDLE of them.

    In WAL mode the commit that takes the log past `wal_autocheckpoint` pages (1,000 by
    default) copies the whole log into the database and syncs it before it returns: a stall of
    5-30 ms every few dozen small writes, the p95 of a point award. Between start_pool and
    close_pool the connections only do that at POOLED_AUTOCHECKPOINT pages (a safety net), and
    checkpoint_forever copies the log every CHECKPOINT_EVERY seconds on a connection and thread
    of its own, off every request's path (PASSIVE: it never waits for, nor blocks, a reader or
    the writer), and at once when a bulk write that committed without a checkpoint is released:
    a 10^6-case import's log (~650 MB) is then copied beside its follow-up jobs, whose first
    commit would otherwise copy it inside the job (~1.2-2.3 s)."""

    IDLE = 8
    POOLED_AUTOCHECKPOINT = 10_000
    CHECKPOINT_EVERY = 1.0

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.idle: list[_ReusedConnection] = []
        self.pooling_pid: int | None = None
        self.checkpointer: asyncio.Task | None = None
        self.stopping = asyncio.Event()
        #: set: checkpoint now rather than at the next tick
        self.checkpoint_due = asyncio.Event()

    def _connect(self, kind: type[C]) -> C:
        options = dict(self.connection_kwargs)
        database = options.pop("database")
        connection = kind(lambda: sqlite3.connect(database, **options), 64)
        connection._thread.daemon = True  # an idle connection never holds the process at exit
        return connection

    async def get_connection(self) -> aiosqlite.Connection:
        if self.idle and self.pooling_pid == os.getpid():
            return self.idle.pop()
        connection = self._connect(_ReusedConnection)
        connection.engine = self
        await connection
        connection.row_factory = dict_factory  # type: ignore[assignment]  # as Piccolo does
        await connection.execute("PRAGMA foreign_keys = 1")
        if self.pooling_pid == os.getpid():
            await connection.execute(f"PRAGMA wal_autocheckpoint = {self.POOLED_AUTOCHECKPOINT}")
        return connection

    def take_back(self, connection: _ReusedConnection) -> bool:
        if (
            self.pooling_pid != os.getpid()
            or len(self.idle) >= self.IDLE
            or connection.in_transaction
        ):
            return False
        self.idle.append(connection)
        return True

    async def close_idle(self) -> None:
        self.pooling_pid = None
        if self.checkpointer is not None:
            self.stopping.set()
            self.checkpoint_due.set()
            if self.checkpointer.get_loop() is asyncio.get_running_loop():
                await self.checkpointer
            self.checkpointer = None
        while self.idle:
            await self.idle.pop().close()

    async def checkpoint_forever(self, stop: asyncio.Event) -> None:
        """Copy the log into the database every CHECKPOINT_EVERY seconds until `stop` is set
        (never cancelled: a cancelled call would leave its thread to answer a closed loop). A
        checkpoint with nothing new to copy writes and syncs nothing; one that fails (a full
        disk) is logged and tried again, and the connections' own safety net still holds."""
        connection = self._connect(aiosqlite.Connection)
        await connection
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.checkpoint_due.wait(), self.CHECKPOINT_EVERY)
                self.checkpoint_due.clear()
                if stop.is_set():
                    break
                try:
                    await connection.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as error:
                    log.warning("background WAL checkpoint failed: %s", error)
        finally:
            await connection.close()

    async def _run_in_existing_connection(
        self,
        connection: aiosqlite.Connection,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table=None,
    ) -> Any:
        """Piccolo's without the `PRAGMA foreign_keys = 1` it sends before every statement of a
        transaction (a round trip to the connection's thread each): get_connection set it."""
        async with connection.execute(query, args or []) as cursor:
            return await cursor.fetchall()

    async def _run_in_new_connection(
        self, query: str, args: list[Any] | None = None, query_type: str = "generic", table=None
    ) -> Any:
        """Piccolo's, on a reused connection (RETURNING needs SQLite ≥ 3.35, as everywhere)."""
        connection = await self.get_connection()
        try:
            async with connection.execute(query, args or []) as cursor:
                await connection.commit()
                return await cursor.fetchall()
        finally:
            await connection.close()


class _SQLiteConnection(sqlite3.Connection):
    """Every SQLite connection the engine opens gets the pragma here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # FULL with a rollback journal (rollback_journal_while_alone), as SQLite advises for it
        wal = self.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        self.execute(f"PRAGMA synchronous={'NORMAL' if wal else 'FULL'}")


def _enable_wal(path: str) -> None:
    """WAL lets readers run beside one writer; the mode persists in the file, Piccolo never sets it."""
    if not _set_journal_mode(path, "WAL", timeout=5):  # a command's load holds it (below)
        log.warning("the database is busy: WAL is set when its load ends")


def _set_journal_mode(path: str, mode: str, timeout: float) -> bool:
    """Whether the file is now in `mode`. Leaving WAL needs every other connection closed: with
    one open (another process, even idle) it fails at once ("database is locked")."""
    with contextlib.closing(sqlite3.connect(path, timeout=timeout)) as connection:
        try:
            now = connection.execute(f"PRAGMA journal_mode={mode}").fetchone()[0]
        except sqlite3.OperationalError:
            return False
    return now.lower() == mode.lower()


@asynccontextmanager
async def rollback_journal_while_alone() -> AsyncIterator[None]:
    """SQLite: a bulk load into new pages written once, when this process is alone with the
    database (the command line with no server running). Under WAL every page a load writes goes
    into the log, then into the file at the checkpoint: for a 10^6-case import ~650 MB twice, each
    page new to the operating system's cache (on this project's virtual machines ~1.7 ms a MB of
    kernel time) and the copy after the commit (~1.2-2.3 s). A rollback journal keeps only the
    pages that existed before the load, which a first load barely changes, and the commit syncs
    the file once (synchronous FULL, _SQLiteConnection). With any other connection open — a
    server, another command — the switch is refused, WAL stays and nothing changes. The
    process's own idle connections and background checkpoint are closed first and come back
    after, with WAL, before the block's caller goes on (its follow-up jobs read in WAL)."""
    db = engine()
    if not isinstance(db, _SQLiteEngine):
        yield
        return
    pooled = db.pooling_pid == os.getpid()
    await db.close_idle()
    path = str(get_settings().sqlite_path)
    switched = await asyncio.to_thread(_set_journal_mode, path, "DELETE", 0)
    try:
        yield
    finally:
        if switched and not await asyncio.to_thread(_set_journal_mode, path, "WAL", 30):
            log.warning("the database stays in rollback journal mode until the next start")
        if pooled:
            await start_pool()


@functools.cache
def engine() -> Engine:
    """The process's engine, looked up once: Piccolo's finder imports the conf module again on
    every call (tens of µs), and one case write asks for the engine some thirty times."""
    found = engine_finder()
    assert found is not None, "campaign.piccolo_conf defines DB"
    return found


class Query(NamedTuple):
    """A statement run once and its parameters (`?` placeholders: see numbered)."""

    statement: str
    params: Sequence


_MARK = re.compile(r"\?")


def numbered(statement: str) -> str:
    """`?` placeholders numbered as asyncpg wants them ($1, $2 …)."""
    numbers = iter(range(1, 100_000))
    return _MARK.sub(lambda _match: f"${next(numbers)}", statement)


#: Set inside the outermost transaction opened by the two helpers below: the domains written.
_writing: ContextVar[set[str] | None] = ContextVar("writing", default=None)
#: Inside the outermost write transaction on PostgreSQL, or a one-statement write on SQLite:
#: INSERTs that nothing in the transaction reads back (audit entries), waiting to ride along
#: with its next batched statement (the case-day index's, as data-modifying CTEs on PostgreSQL,
#: in the same hop on SQLite: take_riders) or else sent just before the commit.
_riders: ContextVar[list[Query] | None] = ContextVar("riders", default=None)


def ride(query: Query) -> bool:
    """Queue `query` to ride along (see _riders); False where nothing waits (a SQLite
    transaction, or outside a write): the caller then sends it itself."""
    riders = _riders.get()
    if riders is not None:
        riders.append(query)
    return riders is not None


def take_riders() -> list[Query]:
    """The queued riders, for a statement that takes them along."""
    riders = _riders.get()
    taken = list(riders or ())
    if riders:
        riders.clear()
    return taken


@asynccontextmanager
async def _announcing(
    transaction: Any, domains: Collection[str], riders: bool = False
) -> AsyncIterator[Any]:
    """Run `transaction`; once the outermost one of ours has committed after a write inside
    it, move the generations of the domains written and the data generation, so that every
    process drops what it kept of them (the boards follow cases, the home cards every domain).
    After the commit, never before: a reader must not keep old data as new. With `riders`
    (PostgreSQL writes) the INSERTs still queued by `ride` are sent before the commit."""
    outer = _writing.get()
    if outer is not None:  # nested: the outermost one commits and announces
        outer.update(domains)
        async with transaction as inner:
            yield inner
        return
    written = set(domains)
    token = _writing.set(written)
    queue = _riders.set([] if riders else None)
    try:
        async with transaction as inner:
            yield inner
            left = take_riders()
            if left and inner is None:
                raise RuntimeError("a one-statement write left statements unsent")
            for query in left:
                await inner.connection.execute(numbered(query.statement), *query.params)
    finally:
        _riders.reset(queue)
        _writing.reset(token)
    if written:
        await generations.bump(generations.DATA, *sorted(written))


def write_transaction(*domains: str, one_statement: bool = False):
    """A transaction for writes: IMMEDIATE on SQLite, the default (READ COMMITTED) on PostgreSQL.
    Every write commits through here. After the commit the generations of `domains`
    (campaign.generations: CASES, VOLUNTEERS, …) and the data generation move; a writer that
    names none moves every domain's, so that a writer not thought about never leaves a kept
    board stale — name the domain only where the write cannot change what the others show.

    `one_statement` (outside another write transaction): none is opened; the use case sends all
    its changes, the queued riders with them, at once as their own transaction — on PostgreSQL
    one statement (fetch_alone), on SQLite one hop to a connection's thread (run_alone): the
    round trips of BEGIN, of the riders and of COMMIT saved."""
    db = engine()
    written = domains or generations.DOMAINS
    if one_statement and db.current_transaction.get() is None:
        return _announcing(contextlib.nullcontext(), written, riders=True)
    if isinstance(db, SQLiteEngine):
        return _announcing(db.transaction(transaction_type=TransactionType.immediate), written)
    return _announcing(db.transaction(), written, riders=True)


async def fetch_alone(statement: str, params: Sequence) -> list:
    """PostgreSQL: one statement on a connection of the pool (of its own without one), in the
    current transaction if there is one, else as its own (see write_transaction's
    one_statement); returns its rows."""
    db = engine()
    assert isinstance(db, PostgresEngine)
    if (transaction := db.current_transaction.get()) is not None:
        return list(await transaction.connection.fetch(statement, *params))
    run = db._run_in_pool if db.pool else db._run_in_new_connection
    return list(await run(statement, params))


async def run_alone(function: Callable[..., R], *args: Any) -> R:
    """SQLite: `function(sqlite3_connection, *args)` as a transaction of its own (BEGIN
    IMMEDIATE … COMMIT, rolled back if it raises) on a pooled connection, in one hop to its
    thread (see write_transaction's one_statement; each aiosqlite call is a hop there and back,
    ~0.2 ms on a slow box, more than a small statement costs)."""
    db = engine()
    assert isinstance(db, _SQLiteEngine)
    connection = await db.get_connection()
    try:
        return await connection.run_sync(_immediate, function, *args)  # type: ignore[attr-defined]
    finally:
        await connection.close()


def _immediate(connection: sqlite3.Connection, function: Callable[..., R], *args: Any) -> R:
    connection.execute("BEGIN IMMEDIATE")
    try:
        result = function(connection, *args)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return result


async def relaxed_commit() -> None:
    """Inside a write transaction on PostgreSQL: its commit does not wait for the WAL flush
    (`SET LOCAL synchronous_commit = off`, this transaction only). A server crash may lose the
    last fraction of a second of such commits, whole and in order, never corrupt them; the flush
    is most of a small write's time. Only for writes whose loss is acceptable (point awards and
    the sign-up throttle's counter, docs/architecture.md "Durability"), never for anything that
    spends points or moves stock. SQLite needs nothing: its connections already commit without
    an fsync (above)."""
    db = engine()
    if isinstance(db, PostgresEngine):
        transaction = db.current_transaction.get()
        assert transaction is not None, "relaxed_commit runs inside write_transaction()"
        await transaction.connection.execute("SET LOCAL synchronous_commit = off")


def read_transaction():
    """Several reads on one connection and one snapshot: outside a transaction every query takes
    a connection of its own (on SQLite a thread hand-off each, more than a small query itself)."""
    return _announcing(engine().transaction(), ())


def is_sqlite() -> bool:
    return isinstance(engine(), SQLiteEngine)


async def start_pool() -> None:
    """PostgreSQL: the connection pool. SQLite: reuse of connections and the background
    checkpoint (_SQLiteEngine)."""
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.start_connection_pool(max_size=10, reset=_keep_session)
    elif isinstance(db, _SQLiteEngine):
        db.pooling_pid = os.getpid()
        running = db.checkpointer
        if (
            running is None
            or running.done()
            or running.get_loop() is not asyncio.get_running_loop()
        ):
            db.stopping, db.checkpoint_due = asyncio.Event(), asyncio.Event()
            db.checkpointer = asyncio.create_task(db.checkpoint_forever(db.stopping))


async def _keep_session(connection: Any) -> None:
    """asyncpg sends `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` each time a
    connection goes back to the pool — a round trip per transaction, and per query outside one.
    Nothing here leaves session state behind (advisory locks only per transaction, no cursors
    outside transactions, LISTEN or SET other than SET LOCAL), and asyncpg still rolls back a
    transaction left open, so the pool skips it."""


async def close_pool() -> None:
    db = engine()
    if isinstance(db, PostgresEngine):
        await db.close_connection_pool()
    elif isinstance(db, _SQLiteEngine):
        await db.close_idle()


def contains(column, text: str):
    """Case-insensitive substring match: ILIKE on PostgreSQL, LIKE on SQLite (which ignores ASCII
    case and has no ILIKE). A typed % is dropped; a typed _ still matches itself (and any one
    character), which is harmless for search. The text is cut to parsing.MAX_SEARCH characters."""
    pattern = "%" + search_text(text).replace("%", "") + "%"
    return column.like(pattern) if is_sqlite() else column.ilike(pattern)


async def existing_row(query: Awaitable[R | None]) -> R:
    """The row of a `.first()` query for a row the caller already found (earlier in the same
    request or transaction): a LookupError here rather than a None that fails further on."""
    row = await query
    if row is None:
        raise LookupError("the row disappeared")
    return row


# -- Long IN lists -------------------------------------------------------------------------------

#: Values per `IN (...)` list: well under SQLite's and asyncpg's limits on bind parameters.
IN_CHUNK = 5_000


def chunks(values: Sequence, size: int = IN_CHUNK) -> list[list]:
    """The values, in order, as lists of at most `size`."""
    values = list(values)
    return [values[i : i + size] for i in range(0, len(values), size)]


async def select_in(
    query: Callable[..., Awaitable[list[dict]]], column: Any, codes: Collection[Any] | None
) -> list[dict]:
    """`query(*extra_where)` for every code (None: no code filter), one IN list per chunk."""
    if codes is None:
        return await query()
    rows: list[dict] = []
    for chunk in chunks(sorted(set(codes))):
        rows += await query(column.is_in(chunk))
    return rows


async def count_upto(query: Any, cap: int) -> int:
    """How many rows a Piccolo select would return, counted no further than cap + 1: a list's
    pager needs the exact total of a narrow filter, not of 10^6 rows (counting those was most of
    the case list's time, 60–75 ms)."""
    limited = query.limit(cap + 1).querystrings[0]
    rows = await query.table.raw("SELECT COUNT(*) AS n FROM ({}) AS limited", limited)
    return int(rows[0]["n"])


# -- Bulk writes ---------------------------------------------------------------------------------


def _table_name(table: Any) -> str:
    return table if isinstance(table, str) else table._meta.tablename


async def insert_many(
    table: Any,
    columns: Sequence[str],
    rows: Iterable[tuple],
    connection: Any = None,
    rebuild_indexes: bool = False,
) -> None:
    """Many rows inside the current write transaction: COPY on PostgreSQL, executemany on SQLite
    (ORM inserts are about ten times slower at 10^5-10^6 rows). `table` is a Piccolo table or a
    table name; `connection` the transaction's raw driver connection when the caller has it;
    `rows` may be a generator (consumed as the rows go in: memory flat in their number).
    With `rebuild_indexes` SQLite drops the table's indexes before the load and builds them
    again after it (one sort per index instead of 10^5 B-tree inserts: several times faster)."""
    if isinstance(rows, Sized) and not rows:
        return
    if connection is None:
        transaction = engine().current_transaction.get()
        assert transaction is not None, "insert_many runs inside write_transaction()"
        connection = transaction.connection
    name = _table_name(table)
    if is_sqlite():
        indexes = await _drop_indexes(connection, name) if rebuild_indexes else []
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        await connection.executemany(f'INSERT INTO "{name}" ({names}) VALUES ({marks})', rows)
        for sql in indexes:
            await connection.execute(sql)
    else:
        await connection.copy_records_to_table(name, records=rows, columns=list(columns))


#: Bind parameters per INSERT statement: under SQLite's 32,766 and asyncpg's 32,767.
MAX_PARAMETERS = 10_000


async def insert_returning(
    table: Any,
    columns: Sequence[str],
    rows: Sequence[tuple],
    returning: Sequence[str] = (),
    unique: str | None = None,
) -> list[dict]:
    """Rows in one multi-row INSERT per MAX_PARAMETERS inside the current write transaction,
    answering the `returning` columns of every row written (none without). With `unique` (a column with a
    unique constraint) a row whose value is stored already is skipped, never duplicated, also
    when a concurrent transaction stored it meanwhile (ON CONFLICT DO NOTHING). For writes
    hundreds of times a second: Piccolo's insert builds a Table object per row and costs more
    CPU than the database spends on the rows."""
    if not rows:
        return []
    transaction = engine().current_transaction.get()
    assert transaction is not None, "insert_returning runs inside write_transaction()"
    sqlite = is_sqlite()
    width = len(columns)
    names = ", ".join(f'"{c}"' for c in columns)
    head = f'INSERT INTO "{_table_name(table)}" ({names}) VALUES '
    tail = f' ON CONFLICT ("{unique}") DO NOTHING' if unique else ""
    if returning:
        tail += " RETURNING " + ", ".join(f'"{c}"' for c in returning)
    found: list[dict] = []
    per = max(1, MAX_PARAMETERS // width)
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        if sqlite:
            marks = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
        else:
            marks = ", ".join(
                "(" + ", ".join(f"${i * width + j}" for j in range(1, width + 1)) + ")"
                for i in range(len(chunk))
            )
        values = [value for row in chunk for value in row]
        if sqlite:
            found += await transaction.connection.execute_fetchall(head + marks + tail, values)
        elif not returning:
            await transaction.connection.execute(head + marks + tail, *values)
        else:
            found += [
                dict(r) for r in await transaction.connection.fetch(head + marks + tail, *values)
            ]
    return found


async def bulk_insert(table: Any, rows: list[dict]) -> None:
    """Rows given as dicts (all with the same keys), written in one transaction of their own
    (demo data, benchmarks)."""
    if not rows:
        return
    columns = list(rows[0])
    async with write_transaction():
        await insert_many(table, columns, [tuple(row[c] for c in columns) for row in rows])


async def _drop_indexes(connection: Any, table: str) -> list[str]:
    """Drop a SQLite table's indexes; returns the statements that build them again."""
    cursor = await connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    )
    rows = [(row["name"], row["sql"]) for row in await cursor.fetchall()]
    for name, _sql in rows:
        await connection.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in rows]
