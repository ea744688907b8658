"""Keeping the case-day index (CaseDay) and each unit's summary of it (CaseUnit) in step with the
cases, inside the write transaction that changed them.

A single write moves one case: each of its units gets one case more or less on one day, which
touches at most two CaseDay rows and the unit's CaseUnit row (rules.shift_day), and the unit's
last case day (Region / Station `last_case_on`). Those are read for all the units at once and
written back with one statement per kind (Steps below). On PostgreSQL the writes go as one
statement of data-modifying CTEs, the case's UPDATE or DELETE with them: a correction or a
deletion is three round trips (the units' locks with its audit entry riding along, the read, the
writes). A new case is one: its units move on the server (add_case). On SQLite all
of them run in one call on the connection's thread. Bulk writes rebuild the touched units
set-based instead (rebuild_units), or a whole level from the cases they counted (merge_stored, level_rows, write_level)."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import zlib
from collections.abc import Collection, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from piccolo.columns import Column
from piccolo.columns.defaults.base import Default
from piccolo.table import Table

from campaign.cases import rules
from campaign.cases.tables import Case, CaseDay, CaseUnit
from campaign.db import (
    Query,
    engine,
    fetch_alone,
    insert_many,
    is_sqlite,
    numbered,
    run_alone,
    take_riders,
)
from campaign.regions.tables import Region, Station

#: (level, code, day, +1 | -1): one case more or less for a unit on a day.
Change = tuple[str, str, dt.date, int]

DAYS = CaseDay._meta.tablename
UNITS = CaseUnit._meta.tablename


def _day(value: Any) -> Any:
    """Dates read raw from SQLite (through a UNION, without their declared type) are text; a
    NULL stays None (typed Any: the columns say which may be NULL)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _param(day: dt.date | None) -> Any:
    return day.isoformat() if day is not None and is_sqlite() else day


def _connection():
    transaction = engine().current_transaction.get()
    assert transaction is not None, "the case-day index is kept inside write_transaction()"
    return transaction.connection


class Many(NamedTuple):
    """One statement for many rows: on SQLite `sqlite` for each row (executemany); on PostgreSQL
    `postgres` once, each column of the rows an array parameter (unnest)."""

    sqlite: str
    postgres: str


@dataclass(frozen=True, slots=True)
class Write:
    """A Many statement and the rows it writes."""

    statement: Many
    rows: list[tuple]


Step = Query | Write

#: A single write's statements as a generator of batches: it yields a list of statements none of
#: which reads what another of the list writes, and is sent back the rows the last one returned.
#: On SQLite every batch runs statement by statement, all in one call on the connection's thread
#: (aiosqlite hands every call to that thread and back: a hop costs more than the statement). On
#: PostgreSQL a batch is one statement, the others data-modifying CTEs ahead of the last: a round
#: trip per batch (all CTEs see one snapshot, and ON CONFLICT may touch a row once per statement).
Steps = Generator[list[Step], list | None, Any]


async def _run(steps: Steps) -> Any:
    if is_sqlite():
        if engine().current_transaction.get() is None:  # a one-statement write
            return await run_alone(_run_sqlite, steps, take_riders())
        return await _connection().run_sync(_run_sqlite, steps)
    connection = _connection()
    answer: list | None = None
    try:
        while True:
            batch = _sent(steps.send(answer))
            if batch:  # the audit entries queued meanwhile ride along (campaign.db.ride)
                batch = [*take_riders(), *batch]
            answer = list(await connection.fetch(*_statement(batch))) if batch else None
    except StopIteration as done:
        return done.value


def _sent(batch: list[Step]) -> list[Step]:
    """The batch without its writes of no rows."""
    return [step for step in batch if not isinstance(step, Write) or step.rows]


def _statement(batch: list[Step]) -> list:
    """A PostgreSQL batch as one statement and its parameters."""
    texts, params = [], []
    for step in batch:
        if isinstance(step, Write):
            texts.append(step.statement.postgres)
            params += [list(column) for column in zip(*step.rows, strict=True)]
        else:
            texts.append(step.statement)
            params += step.params
    return [_composed(tuple(texts)), *params]


@functools.lru_cache(maxsize=256)
def _composed(texts: tuple[str, ...]) -> str:
    """The last statement after the others as data-modifying CTEs, numbered. Built once per
    combination: a few recur on every write, and building one costs a tenth of its round trip."""
    *ctes, last = texts
    if ctes:
        last = "WITH " + ", ".join(f"w{i} AS ({text})" for i, text in enumerate(ctes)) + " " + last
    return numbered(last)


def _run_sqlite(connection: sqlite3.Connection, steps: Steps, riders: Sequence[Query] = ()) -> Any:
    for rider in riders:
        connection.execute(rider.statement, rider.params)
    answer: list | None = None
    try:
        while True:
            batch = _sent(steps.send(answer))
            answer = None
            for step in batch:
                if isinstance(step, Write):
                    connection.executemany(step.statement.sqlite, step.rows)
                    answer = None
                else:
                    answer = connection.execute(step.statement, step.params).fetchall()
    except StopIteration as done:
        return done.value


def insert_row(table: type[Table], values: Mapping[str, Any]) -> Query:
    """A new row inserted with one raw statement that returns its id; the columns `values` lacks
    get their defaults as Table(**values) gives them (building that object costs more CPU than
    the statement's round trip)."""
    statement, columns = _insert(table)
    _check_known(columns, values)
    return Query(
        statement,
        [values[name] if name in values else _default(c) for name, c in columns.items()],
    )


def update_row(table: type[Table], row_id: int, values: Mapping[str, Any]) -> Query:
    """One stored row's columns `values` changed, with one raw statement."""
    columns = _insert(table)[1]
    _check_known(columns, values)
    sets = ", ".join(f'"{columns[name]._meta.db_column_name}" = ?' for name in values)
    return Query(
        f'UPDATE "{table._meta.tablename}" SET {sets} WHERE id = ?', [*values.values(), row_id]
    )


def delete_row(table: type[Table], row_id: int) -> Query:
    return Query(f'DELETE FROM "{table._meta.tablename}" WHERE id = ?', [row_id])


@functools.cache
def _insert(table: type[Table]) -> tuple[str, dict[str, Column]]:
    """A table's INSERT statement and its writable columns by name (all but the primary key)."""
    columns = {c._meta.name: c for c in table._meta.columns if not c._meta.primary_key}
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns.values())
    marks = ", ".join("?" for _ in columns)
    return f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks}) RETURNING id', columns


def _check_known(columns: Mapping[str, Column], values: Mapping[str, Any]) -> None:
    if unknown := values.keys() - columns.keys():
        raise ValueError(f"unknown columns {sorted(unknown)}")


def _default(column: Column) -> Any:
    value = column.get_default_value()
    return value.python() if isinstance(value, Default) else value


#: (column, PostgreSQL type) of the rows written, the key columns first.
DAY_COLUMNS = (
    ("level", "text"),
    ("code", "text"),
    ("day", "date"),
    ("cases", "int"),
    ("previous_day", "date"),
    ("gap", "int"),
)
UNIT_COLUMNS = (
    ("level", "text"),
    ("code", "text"),
    ("first_day", "date"),
    ("last_day", "date"),
    ("days", "int"),
    ("best_gap", "int"),
    ("best_gap_end", "date"),
)


def _unnest(columns: Sequence[tuple[str, str]]) -> str:
    return "unnest(" + ", ".join(f"?::{kind}[]" for _name, kind in columns) + ")"


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _kind in columns)


def _delete(table: str, key: Sequence[tuple[str, str]]) -> Many:
    where = " AND ".join(f"{name} = ?" for name, _kind in key)
    return Many(
        f'DELETE FROM "{table}" WHERE {where}',
        f'DELETE FROM "{table}" WHERE ({_names(key)}) IN (SELECT * FROM {_unnest(key)})',
    )


def _upsert(table: str, columns: Sequence[tuple[str, str]], key: int) -> Many:
    """Rows inserted, or written over the stored row with the same first `key` columns."""
    names = _names(columns)
    sets = ", ".join(f"{name} = excluded.{name}" for name, _kind in columns[key:])
    tail = f" ON CONFLICT ({_names(columns[:key])}) DO UPDATE SET {sets}"
    marks = ", ".join("?" for _ in columns)
    return Many(
        f'INSERT INTO "{table}" ({names}) VALUES ({marks}){tail}',
        f'INSERT INTO "{table}" ({names}) SELECT * FROM {_unnest(columns)}{tail}',
    )


def _last_case_on(table: type[Table]) -> Many:
    name = table._meta.tablename
    return Many(
        f'UPDATE "{name}" SET last_case_on = ? WHERE code = ?',
        f'UPDATE "{name}" SET last_case_on = v.day FROM unnest(?::date[], ?::text[]) '
        f'AS v(day, code) WHERE "{name}".code = v.code',
    )


DELETE_DAYS = _delete(DAYS, DAY_COLUMNS[:3])
UPSERT_DAYS = _upsert(DAYS, DAY_COLUMNS, 3)
DELETE_UNITS = _delete(UNITS, UNIT_COLUMNS[:2])
UPSERT_UNITS = _upsert(UNITS, UNIT_COLUMNS, 2)
REGION_LAST_CASE_ON = _last_case_on(Region)
STATION_LAST_CASE_ON = _last_case_on(Station)


def _rounds(changes: Iterable[Change]) -> list[list[Change]]:
    """The changes netted per unit and day, as rounds in which each unit moves at most once (a
    round reads its units' rows once): every removal before any addition."""
    net: dict[tuple[str, str, dt.date], int] = {}
    for level, code, day, delta in changes:
        net[(level, code, day)] = net.get((level, code, day), 0) + delta
    rounds: list[list[Change]] = []
    for sign in (-1, 1):
        pending = [
            (level, code, day, sign)
            for (level, code, day), n in net.items()
            if n * sign > 0
            for _ in range(abs(n))
        ]
        while pending:
            seen: set[tuple[str, str]] = set()
            round_: list[Change] = []
            later: list[Change] = []
            for change in pending:
                (later if change[:2] in seen else round_).append(change)
                seen.add(change[:2])
            rounds.append(round_)
            pending = later
    return rounds


async def shift_days(changes: Iterable[Change], also: Query | None = None) -> list | None:
    """Apply single-case changes to the index and to the touched units' last case days (None
    when a unit has none left) in the current write transaction. `also` (a statement of the
    same write that none of these reads: the case's INSERT, UPDATE or DELETE) is sent with the
    last writes — alone when the changes cancel out; returns its rows."""
    return await _run(_shift_days(list(changes), also))


#: PostgreSQL advisory locks (two-key form): a single write holds its units' locks and the
#: shared bulk lock; a bulk rebuild holds the bulk lock exclusively. Without them two writes to
#: one unit at once (READ COMMITTED) both read the same case-day rows and the later upsert wins:
#: four cases on one new day left `cases = 1`. SQLite's writers are serialised (BEGIN IMMEDIATE).
UNIT_LOCKS, BULK_LOCK = 0x63617365, 0x63617366
LOCK_UNITS = (
    "SELECT pg_advisory_xact_lock_shared(?, 0) AS bulk, "
    "(SELECT COUNT(pg_advisory_xact_lock(?, k)) FROM unnest(?::int[]) AS k) AS units"
)


#: PostgreSQL: a new case's units moved by the server (`case_days_added`, the PL/pgSQL twin of
#: rules.shift_day for a case added, in the cases migration of 2026-11-30T23:00), called in the
#: case's INSERT … RETURNING: one round trip where the locks, the read and the writes took three.
ADDED_ON_SERVER = ", case_days_added(?::text[], ?::text[], ?::date, ?::int[], ?, ?) AS units"


async def add_case(changes: list[Change], insert: Query) -> list:
    """A new case stored (`insert`: one row, RETURNING its id) and its units gaining a case on
    its day, in the current write transaction or as a one-statement write
    (db.write_transaction); returns the INSERT's rows. SQLite goes through shift_days; in a
    one-statement write the audit entries queued meanwhile ride along on both engines."""
    if is_sqlite():
        return await shift_days(changes, also=insert) or []
    (day,) = {day for _level, _code, day, _delta in changes}
    assert all(delta == 1 for *_unit, delta in changes), "a new case only adds"
    call = Query(
        insert.statement + ADDED_ON_SERVER,
        [
            *insert.params,
            [level for level, *_rest in changes],
            [code for _level, code, *_rest in changes],
            day,
            unit_lock_keys(changes),
            BULK_LOCK,
            UNIT_LOCKS,
        ],
    )
    statement, *params = _statement([*take_riders(), call])
    return await fetch_alone(statement, params)


def unit_lock_keys(changes: Iterable[Change]) -> list[int]:
    """The units' lock keys (signed 32-bit), sorted: writes that lock in one order never wait
    for each other in a circle."""
    keys = {zlib.crc32(f"{level}:{code}".encode()) for level, code, _day, _delta in changes}
    return sorted(key - (1 << 32) if key >= 1 << 31 else key for key in keys)


def _shift_days(changes: list[Change], also: Query | None) -> Steps:
    if changes and not is_sqlite():  # before the first read: it then reads what others wrote
        yield [Query(LOCK_UNITS, [BULK_LOCK, UNIT_LOCKS, unit_lock_keys(changes)])]
    last: dict[tuple[str, str], dt.date | None] = {}
    writes: list[Step] = []
    for round_ in _rounds(changes):
        if writes:  # the previous round's, before this round reads
            yield writes
        writes, moved = yield from _shift(round_)
        last.update(moved)
    writes += [
        Write(
            REGION_LAST_CASE_ON,
            [(_param(d), code) for (level, code), d in last.items() if level != "station"],
        ),
        Write(
            STATION_LAST_CASE_ON,
            [(_param(d), code) for (level, code), d in last.items() if level == "station"],
        ),
    ]
    return (yield [*writes, also] if also is not None else writes)


#: A unit's longest gap and the case day that ended it (the latest of equally long ones), read
#: through the unit's (level, code, day) rows: ordered by an expression, so that SQLite's planner
#: (which has no statistics here) does not walk the level's (level, gap, day) index instead —
#: 90 ms for a village at 10^6 cases, against 0.1 ms.
LONGEST_GAP = (
    f'SELECT gap, day FROM "{DAYS}" WHERE level = ? AND code = ? '
    "ORDER BY COALESCE(gap, 0) DESC, day DESC LIMIT 1"
)


def _shift(changes: list[Change]) -> Steps:
    """One round: reads its units' rows and works out their new ones; returns the writes still
    to send and the units whose last case day moved (the others' last_case_on stays as it is: a
    new case on a day that already had one, or before the last, writes no Region / Station row)."""
    params = [p for level, code, day, _ in changes for p in (level, code, _param(day))]
    params += [p for level, code, _day_, _ in changes for p in (level, code)]
    rows: dict[tuple[str, str], list[rules.DayRow]] = {}
    summaries: dict[tuple[str, str], rules.UnitDays] = {}
    for r in (yield [Query(_read(len(changes)), params)]) or ():
        if r["kind"] == "u":
            summaries[(r["level"], r["code"])] = _unit_days(r)
            continue
        row = rules.DayRow(_day(r["day"]), r["cases"], _day(r["previous_day"]), r["gap"])
        rows.setdefault((r["level"], r["code"]), []).append(row)
    upserts, deletes, lost = [], [], []
    result: dict[tuple[str, str], rules.UnitDays | None] = {}
    for level, code, day, delta in changes:
        days = sorted(rows.get((level, code), []), key=lambda row: row.day)
        here = days[0] if days and days[0].day == day else None
        after = next((row for row in days if row.day > day), None)
        shift = rules.shift_day(summaries.get((level, code)), here, after, day, delta)
        for kept in (shift.here, shift.after):
            if kept is not None:
                upserts.append(_day_row(level, code, kept))
        if shift.here is None:
            deletes.append((level, code, _param(day)))
        if shift.best_lost:
            lost.append((level, code))
        result[(level, code)] = shift.unit
    writes: list[Step] = [Write(DELETE_DAYS, deletes), Write(UPSERT_DAYS, upserts)]
    if lost:  # the longest gap is read again from the rows as they are now
        yield writes
        writes = []
    for level, code in lost:
        summary = result[(level, code)]
        assert summary is not None
        best = yield [Query(LONGEST_GAP, [level, code])]
        gap, end = (best[0]["gap"], _day(best[0]["day"])) if best and best[0]["gap"] else (0, None)
        result[(level, code)] = rules.UnitDays(
            summary.first_day, summary.last_day, summary.days, gap, end
        )
    writes += [
        Write(DELETE_UNITS, [unit for unit, summary in result.items() if not summary]),
        Write(
            UPSERT_UNITS,
            [
                (
                    level,
                    code,
                    _param(s.first_day),
                    _param(s.last_day),
                    s.days,
                    s.best_gap,
                    _param(s.best_gap_end),
                )
                for (level, code), s in result.items()
                if s is not None
            ],
        ),
    ]
    moved = {
        unit: _last_day(summary)
        for unit, summary in result.items()
        if _last_day(summary) != _last_day(summaries.get(unit))
    }
    return writes, moved


@functools.lru_cache(maxsize=16)
def _read(units: int) -> str:
    """One query for a round of `units` changes: each unit's case day on or after the change's
    day and the next one, then the units' summaries (the columns the other side lacks are typed
    NULLs)."""
    null_date, null_int = "CAST(NULL AS DATE)", "CAST(NULL AS INTEGER)"
    sides = " UNION ALL ".join(
        f"SELECT * FROM (SELECT 'd' AS kind, level, code, day, cases, previous_day, gap, "
        f"{null_date} AS first_day, {null_date} AS last_day, {null_int} AS days, "
        f'{null_int} AS best_gap, {null_date} AS best_gap_end FROM "{DAYS}" '
        f"WHERE level = ? AND code = ? AND day >= ? ORDER BY day LIMIT 2) AS u{i}"
        for i in range(units)
    )
    where = " OR ".join("(level = ? AND code = ?)" for _ in range(units))
    return (
        f"{sides} UNION ALL SELECT 'u', level, code, {null_date}, {null_int}, {null_date}, "
        f'{null_int}, first_day, last_day, days, best_gap, best_gap_end FROM "{UNITS}" '
        f"WHERE {where}"
    )


def _last_day(summary: rules.UnitDays | None) -> dt.date | None:
    return summary.last_day if summary else None


def _day_row(level: str, code: str, row: rules.DayRow) -> tuple:
    return (level, code, _param(row.day), row.cases, _param(row.previous_day), row.gap)


def _unit_days(r) -> rules.UnitDays:
    return rules.UnitDays(
        _day(r["first_day"]), _day(r["last_day"]), r["days"], r["best_gap"], _day(r["best_gap_end"])
    )


# -- Bulk: rebuilt from the stored cases ----------------------------------------------------------

#: Past this many units a rebuild covers the whole level: one statement beats long IN lists.
REBUILD_LEVEL_ABOVE = 5_000
LEVEL_COLUMN = {"village": "village_code", "town": "town_code", "station": "station_code"}


async def rebuild_units(level: str, codes: Collection[str] | None = None) -> None:
    """Rebuild the CaseDay and CaseUnit rows of some units of a level (all of them when `codes`
    is None or more than REBUILD_LEVEL_ABOVE) from the stored cases, set-based: per level and
    chunk of codes one DELETE and one INSERT … SELECT for each table, the previous case day from
    a window function, the longest gap (latest among equals) from another."""
    await _lock_bulk()
    if codes is None or len(codes) > REBUILD_LEVEL_ABOVE:
        await _rebuild(level, [])
        return
    ordered = sorted(codes)
    for start in range(0, len(ordered), 1_000):
        await _rebuild(level, ordered[start : start + 1_000])


async def _lock_bulk() -> None:
    if not is_sqlite():  # single writes wait meanwhile (UNIT_LOCKS)
        await CaseDay.raw("SELECT pg_advisory_xact_lock({}, 0)", BULK_LOCK)


#: Cases per unit and day: {code: {day: number}}.
DayCounts = dict[str, dict[dt.date, int]]


async def merge_stored(level: str, counts: DayCounts) -> None:
    """Add a level's stored case days to `counts`, the cases the current transaction added to
    each unit and day (it changed no stored case): the counts then describe the whole level, as
    level_rows takes them. A bulk write counts its cases as it goes
    (cases.bulk.ImportSpill), so its level-wide rebuild needs no grouping of the stored cases:
    the ~1.7 M case days of a 10^6-case import are computed in Python (level_rows) and written
    by SQLite's executemany or PostgreSQL's COPY (where the grouping's INSERT … SELECT took 4.6
    and 10.2 s)."""
    await _lock_bulk()
    stored = await CaseDay.raw(f'SELECT code, day, cases FROM "{DAYS}" WHERE level = {{}}', level)
    for row in stored:
        per_day = counts.setdefault(row["code"], {})
        day = _day(row["day"])
        per_day[day] = per_day.get(day, 0) + row["cases"]


#: A level's CaseDay rows and its CaseUnit rows as the driver writes them (the unit rows are
#: complete once the day rows have all been taken).
LevelRows = tuple[Iterable[tuple], list[tuple]]


def level_rows(level: str, counts: DayCounts, sqlite: bool) -> LevelRows:
    """Every CaseDay and CaseUnit row of a level from its cases per unit and day (merge_stored),
    in unit and day order, the order of the unique index built after; the day rows as they are
    taken (PostgreSQL's COPY takes them as they come: no list of ~10^6 rows is held)."""
    text: dict[dt.date | None, Any] = {None: None}

    def param(day: dt.date | None) -> Any:
        """As the driver stores it (SQLite: ISO text, memoised: a level has a few hundred days)."""
        if not sqlite:
            return day
        found = text.get(day)
        return found if found is not None or day is None else text.setdefault(day, day.isoformat())

    units: list[tuple] = []

    def day_rows() -> Iterator[tuple]:
        for code in sorted(counts):
            rows, unit = rules.unit_rows(counts[code])
            if unit is None:
                continue
            units.append(
                (level, code, param(unit.first_day), param(unit.last_day), unit.days,
                 unit.best_gap, param(unit.best_gap_end))
            )  # fmt: skip
            for day, cases, previous, gap in rows:
                yield (level, code, param(day), cases, param(previous), gap)

    return day_rows(), units


async def write_level(level: str, rows: LevelRows) -> None:
    """Replace a level's CaseDay and CaseUnit rows with `rows` (level_rows), in the transaction
    whose merge_stored took the bulk lock."""
    for table in (DAYS, UNITS):
        await CaseDay.raw(f'DELETE FROM "{table}" WHERE level = {{}}', level)
    connection = _connection()
    columns = [name for name, _kind in DAY_COLUMNS]
    if is_sqlite():
        await insert_many(DAYS, columns, rows[0], connection)
    else:
        await _copy_numbered(connection, columns, rows[0])
    await insert_many(UNITS, [name for name, _kind in UNIT_COLUMNS], rows[1], connection)


async def _copy_numbered(connection, columns: list[str], rows: Iterable[tuple]) -> None:
    """PostgreSQL: the case days COPYed with their ids numbered here and the sequence moved past
    them after (its nextval on the server was ~0.6 s of the ~1.7 M case days of a 10^6-case
    import). No other writer adds case days meanwhile: they wait for the bulk lock."""
    sequence = f"pg_get_serial_sequence('\"{DAYS}\"', 'id')"
    first = await connection.fetchval(f"SELECT nextval({sequence})")
    last = first  # one id taken even when no row comes: harmless

    def numbered() -> Iterator[tuple]:
        nonlocal last
        for last, row in enumerate(rows, first):
            yield (last, *row)

    await insert_many(DAYS, ["id", *columns], numbered(), connection)
    await connection.execute(f"SELECT setval({sequence}, {int(last)})")


#: A longest gap and the case day ending it packed into one number (gap * PACK + the day's number
#: since 1970), so one MAX per unit finds both — the latest among equally long gaps — in a plain
#: GROUP BY over the unit's rows in index order (a window ranking sorted every row of the level).
PACK = 100_000


async def _rebuild(level: str, chunk: Sequence[str]) -> None:
    column = LEVEL_COLUMN[level]
    if is_sqlite():
        gap = "CAST(julianday(day) - julianday(previous_day) AS INTEGER) - 1"
        number = "CAST(julianday(day) - 2440587.5 AS INTEGER)"
        unpack = "date(2440587.5 + {} % " + str(PACK) + ")"
    else:
        gap = "day - previous_day - 1"
        number = "(day - DATE '1970-01-01')"
        unpack = "DATE '1970-01-01' + CAST({} % " + str(PACK) + " AS INTEGER)"
    marks = ", ".join("{}" for _ in chunk)
    only = f" AND code IN ({marks})" if chunk else ""
    for table in (DAYS, UNITS):
        await CaseDay.raw(f"DELETE FROM \"{table}\" WHERE level = '{level}'{only}", *chunk)
    units, args = (f"{column} IN ({marks})", [*chunk]) if chunk else (f"{column} IS NOT NULL", [])
    if chunk and level == "village":  # read on their towns' (town, day, village) index
        units = f'town_code IN (SELECT town_code FROM "{Region._meta.tablename}" ' + (
            f"WHERE code IN ({marks})) AND {units}"
        )
        args += chunk
    # the window in the grouping query itself: the towns and stations read their (unit, day)
    # index in its order, so that neither engine sorts their rows again for LAG
    await CaseDay.raw(
        f'INSERT INTO "{DAYS}" (level, code, day, cases, previous_day, gap) '
        f"SELECT '{level}', code, day, n, previous_day, {gap} FROM ("
        f"SELECT {column} AS code, occurred_on AS day, COUNT(*) AS n, "
        f"LAG(occurred_on) OVER (PARTITION BY {column} ORDER BY occurred_on) AS previous_day "
        f'FROM "{Case._meta.tablename}" WHERE {units} GROUP BY {column}, occurred_on) AS w',
        *args,
    )
    best = f"MAX(CASE WHEN gap > 0 THEN CAST(gap AS BIGINT) * {PACK} + {number} END)"
    await CaseDay.raw(
        f'INSERT INTO "{UNITS}" (level, code, first_day, last_day, days, best_gap, best_gap_end) '
        f"SELECT '{level}', code, first_day, last_day, days, COALESCE(best / {PACK}, 0), "
        + unpack.format("best")
        + f" FROM (SELECT code, MIN(day) AS first_day, MAX(day) AS last_day, COUNT(*) AS days, "
        f"{best} AS best FROM \"{DAYS}\" WHERE level = '{level}'{only} GROUP BY code) AS g",
        *chunk,
    )
