"""Keeping the case-day index (CaseDay) and each unit's summary of it (CaseUnit) in step with the
cases, inside the write transaction that changed them.

A single write moves one case: each of its units gets one case more or less on one day, which
touches at most two CaseDay rows and the unit's CaseUnit row (rules.shift_day), and the unit's
last case day (Region / Station `last_case_on`). Those are read for all the units at once and
written back with one statement per kind (Steps below): on PostgreSQL a round trip each, on
SQLite all of them — the new case's insert too — in one call on the connection's thread. Bulk
writes rebuild the touched units set-based instead (rebuild_units)."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Collection, Generator, Iterable, Sequence
from typing import Any

from piccolo.table import Table

from campaign.cases import rules
from campaign.cases.tables import Case, CaseDay, CaseUnit
from campaign.db import engine, is_sqlite
from campaign.regions.tables import Region, Station

#: (level, code, day, +1 | -1): one case more or less for a unit on a day.
Change = tuple[str, str, dt.date, int]

DAYS = CaseDay._meta.tablename
UNITS = CaseUnit._meta.tablename
_MARK = re.compile(r"\?")


def _sql(statement: str) -> str:
    """`?` placeholders as the engine's driver wants them ($1, $2 … for asyncpg)."""
    if is_sqlite():
        return statement
    numbers = iter(range(1, 10_000))
    return _MARK.sub(lambda _match: f"${next(numbers)}", statement)


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


#: A single write's statements as a generator: it yields (statement, parameters, many) and is
#: sent back the rows a query returned (None after an executemany). The same steps run on
#: asyncpg (a round trip each) or, on SQLite, all in one call on the connection's thread
#: (aiosqlite hands every call to that thread and back: a hop costs more than the statement).
Steps = Generator[tuple[str, Sequence, bool], list | None, Any]


async def _run(steps: Steps) -> Any:
    connection = _connection()
    if is_sqlite():
        return await connection.run_sync(_run_sqlite, steps)
    answer: list | None = None
    try:
        while True:
            statement, params, many = steps.send(answer)
            if many:
                await connection.executemany(_sql(statement), params)
                answer = None
            else:
                answer = list(await connection.fetch(_sql(statement), *params))
    except StopIteration as done:
        return done.value


def _run_sqlite(connection: sqlite3.Connection, steps: Steps) -> Any:
    answer: list | None = None
    try:
        while True:
            statement, params, many = steps.send(answer)
            if many:
                connection.executemany(statement, params)
                answer = None
            else:
                answer = connection.execute(statement, params).fetchall()
    except StopIteration as done:
        return done.value


def _insert(row: Table) -> Steps:
    """A new row (an ORM object: the columns' defaults filled as the ORM fills them) inserted
    with one raw statement; returns its id."""
    table = type(row)
    columns = [c for c in table._meta.columns if not c._meta.primary_key]
    names = ", ".join(f'"{c._meta.db_column_name}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    values = [getattr(row, c._meta.name) for c in columns]
    statement = f'INSERT INTO "{table._meta.tablename}" ({names}) VALUES ({marks}) RETURNING id'
    found = yield statement, values, False
    assert found is not None
    return found[0]["id"]


def _many(statement: str, rows: list[tuple]) -> Steps:
    if rows:
        yield statement, rows, True


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


async def shift_days(changes: Iterable[Change], insert: Table | None = None) -> int | None:
    """Apply single-case changes to the index and to the touched units' last case days (None
    when a unit has none left) in the current write transaction. With `insert` (a new case as
    an ORM object) the case is inserted first, in the same steps; returns its id."""
    return await _run(_shift_days(list(changes), insert))


def _shift_days(changes: list[Change], insert: Table | None) -> Steps:
    inserted = (yield from _insert(insert)) if insert is not None else None
    last: dict[tuple[str, str], dt.date | None] = {}
    for round_ in _rounds(changes):
        last.update((yield from _shift(round_)))
    for table, units in (
        (Region, [(_param(d), code) for (level, code), d in last.items() if level != "station"]),
        (Station, [(_param(d), code) for (level, code), d in last.items() if level == "station"]),
    ):
        yield from _many(
            f'UPDATE "{table._meta.tablename}" SET last_case_on = ? WHERE code = ?', units
        )
    return inserted


def _shift(changes: list[Change]) -> Steps:
    # one query: each unit's case day on or after the change's day and the next one, then the
    # units' summaries (the columns the other side lacks are typed NULLs)
    null_date, null_int = "CAST(NULL AS DATE)", "CAST(NULL AS INTEGER)"
    sides = " UNION ALL ".join(
        f"SELECT * FROM (SELECT 'd' AS kind, level, code, day, cases, previous_day, gap, "
        f"{null_date} AS first_day, {null_date} AS last_day, {null_int} AS days, "
        f'{null_int} AS best_gap, {null_date} AS best_gap_end FROM "{DAYS}" '
        f"WHERE level = ? AND code = ? AND day >= ? ORDER BY day LIMIT 2) AS u{i}"
        for i in range(len(changes))
    )
    where = " OR ".join("(level = ? AND code = ?)" for _ in changes)
    summary_side = (
        f"SELECT 'u', level, code, {null_date}, {null_int}, {null_date}, {null_int}, "
        f'first_day, last_day, days, best_gap, best_gap_end FROM "{UNITS}" WHERE {where}'
    )
    params = [p for level, code, day, _ in changes for p in (level, code, _param(day))]
    params += [p for level, code, _day_, _ in changes for p in (level, code)]
    rows: dict[tuple[str, str], list[rules.DayRow]] = {}
    summaries: dict[tuple[str, str], rules.UnitDays] = {}
    for r in (yield f"{sides} UNION ALL {summary_side}", params, False) or ():
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
    yield from _many(f'DELETE FROM "{DAYS}" WHERE level = ? AND code = ? AND day = ?', deletes)
    yield from _many(
        f'INSERT INTO "{DAYS}" (level, code, day, cases, previous_day, gap) '
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (level, code, day) DO UPDATE SET "
        "cases = excluded.cases, previous_day = excluded.previous_day, gap = excluded.gap",
        upserts,
    )
    for level, code in lost:
        summary = result[(level, code)]
        assert summary is not None
        best = yield (
            f'SELECT gap, day FROM "{DAYS}" WHERE level = ? AND code = ? AND gap > 0 '
            "ORDER BY gap DESC, day DESC LIMIT 1",
            [level, code],
            False,
        )
        gap, end = (best[0]["gap"], _day(best[0]["day"])) if best else (0, None)
        result[(level, code)] = rules.UnitDays(
            summary.first_day, summary.last_day, summary.days, gap, end
        )
    yield from _many(
        f'DELETE FROM "{UNITS}" WHERE level = ? AND code = ?',
        [unit for unit, summary in result.items() if summary is None],
    )
    yield from _many(
        f'INSERT INTO "{UNITS}" (level, code, first_day, last_day, days, best_gap, best_gap_end) '
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (level, code) DO UPDATE SET "
        "first_day = excluded.first_day, last_day = excluded.last_day, days = excluded.days, "
        "best_gap = excluded.best_gap, best_gap_end = excluded.best_gap_end",
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
    )
    # the units whose last case day moved: the others' last_case_on stays as it is (a new case
    # on a day that already had one, or before the last, writes no Region / Station row)
    return {
        unit: _last_day(summary)
        for unit, summary in result.items()
        if _last_day(summary) != _last_day(summaries.get(unit))
    }


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
    if codes is None or len(codes) > REBUILD_LEVEL_ABOVE:
        await _rebuild(level, [])
        return
    ordered = sorted(codes)
    for start in range(0, len(ordered), 1_000):
        await _rebuild(level, ordered[start : start + 1_000])


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
    # the window in the grouping query itself: both read the (unit, day) index in its order, so
    # neither engine sorts the rows again for LAG
    await CaseDay.raw(
        f'INSERT INTO "{DAYS}" (level, code, day, cases, previous_day, gap) '
        f"SELECT '{level}', code, day, n, previous_day, {gap} FROM ("
        f"SELECT {column} AS code, occurred_on AS day, COUNT(*) AS n, "
        f"LAG(occurred_on) OVER (PARTITION BY {column} ORDER BY occurred_on) AS previous_day "
        f'FROM "{Case._meta.tablename}" WHERE {column} '
        + (f"IN ({marks})" if chunk else "IS NOT NULL")
        + f" GROUP BY {column}, occurred_on) AS w",
        *chunk,
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
