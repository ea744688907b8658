"""Zero-case streaks: the boards, the honour roll, the feed, unit pages and the nightly snapshot.

Performance by design (docs/architecture.md): each unit keeps its last case day, so as of today a board is
an index scan in streak order — never-a-case units first, then by last case day, then by code —
and a rank is 1 + the number of units with a longer streak, counted on the same index. A past
day, or a tracking start set after some units' last cases, takes the slow path: the units with a
case after that day get their case day before it from the case-day index (cases.CaseDay, kept
with every case write); only the long case-free gaps around the day are read (see
_past_day_rows). Longest runs come from each unit's maintained first case day and longest gap
(cases.unit_bests, kept with every case write), so no board waits for a job.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import itertools
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query import OrderByRaw

from campaign import generations
from campaign import rules as shared_rules
from campaign.accounts.rules import Scope
from campaign.cases import queries as cases
from campaign.cases.tables import Case, CaseDay
from campaign.db import (
    chunks,
    contains,
    insert_many,
    read_transaction,
    select_in,
    write_transaction,
)
from campaign.regions import queries as regions
from campaign.regions.tables import Region, Station, StationTown
from campaign.rows import Row
from campaign.streaks import rules
from campaign.streaks.tables import StreakBest, StreakEvent, StreakSnapshot
from campaign.system import queries as system
from campaign.timeutil import today

LEVELS = ("station", "village", "town")
#: Piccolo appends " ASC" to a raw ordering, which lands on the code.
STREAK_ORDER = "last_case_on ASC NULLS FIRST, code"


def _table(level: str):
    return Station if level == "station" else Region


def _level_where(level: str) -> list:
    return [] if level == "station" else [Region.level == level]


def _day(value: dt.date | str | None) -> dt.date | None:
    """SQLite returns aggregates of date columns (MIN, MAX) as ISO text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def tracked_since() -> dt.date | None:
    """The administrator's tracking start, else the earliest case stored (docs/definitions.md)."""
    return await cases.tracked_since() or _day(await cases.earliest_case_day())


async def milestones(level: str) -> tuple[int, ...]:
    return rules.parse_milestones(await system.get_setting(f"milestones.{level}"), level)


async def _settings(level: str) -> tuple[dt.date | None, tuple[int, ...]]:
    """tracked_since and the level's milestones, read together (a board needs both)."""
    values = await system.setting_values(["tracked_since", f"milestones.{level}"])
    since = values.get("tracked_since")
    return (
        dt.date.fromisoformat(since) if since else _day(await cases.earliest_case_day()),
        rules.parse_milestones(values.get(f"milestones.{level}"), level),
    )


def _where(
    level: str,
    district: str | None = None,
    town: str | None = None,
    q: str | None = None,
    scope: Scope | None = None,
) -> list:
    """The rows a board shows: the level, the district/town filters, a search and a scope."""
    table = _table(level)
    where = _level_where(level)
    if district:
        where.append(table.district_code == district)
    if town:
        if level == "village":
            where.append(Region.town_code == town)
        elif level == "town":
            where.append(Region.code == town)
        else:
            covering = StationTown.select(StationTown.station_code).where(
                StationTown.town_code == town
            )
            where.append(Station.code.is_in(covering))
    if q and q.strip():
        q = q.strip()
        if level == "station":
            where.append(contains(Station.name, q) | contains(Station.code, q))
        else:
            where.append(regions.matching(q))
    if scope is not None and not scope.is_city:
        where += (
            regions.station_scope_where(scope) if level == "station" else regions.scope_where(scope)
        )
    return where


def _columns(level: str) -> list:
    table = _table(level)
    columns = [table.code, table.name, table.district_code, table.last_case_on]
    if level != "station":
        columns.append(Region.town_code)
    return columns


# -- Ranking -------------------------------------------------------------------------------------


async def _on_fast_path(level: str, as_of: dt.date, since: dt.date | None) -> bool:
    """Whether the stored last case days are the last case days as of `as_of` and rank in index
    order: none after as_of, and none before tracking start (which would tie with the
    never-a-case units). Two range probes on the board index in one statement, written with
    literals (a known level, dates) on purpose: as a prepared statement PostgreSQL switches to a
    generic plan after five runs, guesses a third of all units match and scans the table (80 ms
    at 600,000 villages) when in truth none does."""
    assert level in LEVELS
    table = _table(level)._meta.tablename
    where = "" if level == "station" else f"level = '{level}' AND "
    probes = [f"{where}last_case_on > '{as_of.isoformat()}'"]
    if since is not None:
        probes.append(f"{where}last_case_on < '{since.isoformat()}'")
    rows = await _table(level).raw(
        " UNION ALL ".join(
            f"SELECT 1 AS hit FROM (SELECT 1 FROM {table} WHERE {p} LIMIT 1) h" for p in probes
        )
    )
    return not rows


async def _better_counts(level: str, days: set[dt.date]) -> dict[dt.date | None, int]:
    """For each last case day, how many units of the level have a longer streak: the units that
    never had a case plus those whose last case was earlier — one statement, two ranges of the
    board index (an OR of both would make SQLite read the whole level)."""
    counts: dict[dt.date | None, int] = {None: 0}
    if not days:
        return counts  # every row on the page shares the top rank
    table = _table(level)._meta.tablename
    where = "" if level == "station" else "level = {} AND "
    level_args = [] if level == "station" else [level]
    histogram = await _table(level).raw(
        f"SELECT NULL AS day, COUNT(*) AS n FROM {table} WHERE {where}last_case_on IS NULL "
        f"UNION ALL SELECT last_case_on, COUNT(*) FROM {table} "
        f"WHERE {where}last_case_on < {{}} GROUP BY last_case_on",
        *level_args,
        *level_args,
        max(days),
    )
    never = sum(row["n"] for row in histogram if row["day"] is None)
    dated = sorted((day, row["n"]) for row in histogram if (day := _day(row["day"])) is not None)
    earlier, position = never, 0
    for day in sorted(days):
        while position < len(dated) and dated[position][0] < day:
            earlier += dated[position][1]
            position += 1
        counts[day] = earlier
    return counts


@dataclass(frozen=True)
class Standing:
    rank: int
    current_days: int
    last_case_on: dt.date | None


async def standings(
    level: str, as_of: dt.date, since: dt.date | None, fast: bool = False
) -> dict[str, Standing]:
    """Every unit of the level ranked as of a day (the slow path, and the nightly snapshot)."""
    table = _table(level)
    units = await table.select(table.code, table.last_case_on).where(*_level_where(level))
    lasts = {
        u["code"]: u["last_case_on"]
        for u in units
        if u["last_case_on"] is None or u["last_case_on"] <= as_of
    }
    if not fast:  # units with a case after as_of: their case day before it, from the index
        lasts.update(await cases.last_case_days_changed_since(level, as_of))
    current = {
        u["code"]: rules.current_streak(as_of, since, lasts.get(u["code"])) if since else 0
        for u in units
    }
    return {
        code: Standing(rank, days, lasts.get(code))
        for rank, code, days in shared_rules.competition_ranks(list(current.items()))
    }


async def _rank_rows(
    level: str, as_of: dt.date, since: dt.date | None, rows: list[dict], fast: bool
) -> None:
    """Sets rank, current_days and last_case_on (as of the day) on rows of units."""
    if fast:
        better = await _better_counts(level, {r["last_case_on"] for r in rows if r["last_case_on"]})
        for row in rows:
            row["rank"] = 1 + better[row["last_case_on"]] if since else 1
            row["current_days"] = (
                rules.current_streak(as_of, since, row["last_case_on"]) if since else 0
            )
        return
    ranked = await standings(level, as_of, since)
    for row in rows:
        standing = ranked[row["code"]]
        row.update(
            rank=standing.rank,
            current_days=standing.current_days,
            last_case_on=standing.last_case_on,
        )


#: Units per level, for unfiltered boards: counting 600,000 villages on every page costs more
#: than the rest of the page, and the number changes only when regions are imported.
_sizes: dict[str, tuple[float, int]] = {}
SIZE_SECONDS = 60


async def _level_size(level: str) -> int:
    expires, size = _sizes.get(level, (0.0, 0))
    if time.monotonic() >= expires:
        size = await _table(level).count().where(*_level_where(level))
        _sizes[level] = (time.monotonic() + SIZE_SECONDS, size)
    return size


# -- The board -----------------------------------------------------------------------------------


def _board_key(row: dict) -> tuple:
    """STREAK_ORDER in Python: never-a-case first, then by last case day, then by code."""
    last = row["last_case_on"]
    return (last is not None, last or dt.date.min, row["code"])


#: The case-free gap, in days, a past day's board reads first when fewer units than the page
#: went without a case since that day; halved until the page is complete.
FIRST_GAP = 64


async def _past_day_rows(
    level: str,
    as_of: dt.date,
    since: dt.date | None,
    where: list,
    offset: int,
    limit: int | None,
) -> list[dict] | None:
    """One page of the board as of a past day without ranking every unit. Units without a case
    since that day keep their stored last case day and come in board-index order; a unit with
    a case since has, as of that day, the last case day before its first later case — and a unit
    whose last case day then lies n days back has a case-free gap of at least n days around the
    day. The page needs the units down to its last row's day only, so only the long gaps are read
    (cases.units_hit_after on the (level, gap, day) index), merged in board order; a rank is 1 +
    the units with a longer streak (the index histogram, plus the gaps read). None where this
    does not apply (no tracking start, a day before it, or case days before it, which tie with
    units never hit and need the full ranking)."""
    if since is None or as_of < since or await cases.any_case_day_before(level, since):
        return None
    table = _table(level)
    need = None if limit is None else offset + limit
    query = (
        table.select(*_columns(level))
        .where(*where, table.last_case_on.is_null() | (table.last_case_on <= as_of))
        .order_by(OrderByRaw(STREAK_ORDER))
    )
    kept = await (query.limit(need) if need is not None else query)
    if need is not None and len(kept) == need:  # the page ends at or before kept[-1]
        last = kept[-1]["last_case_on"]
        gaps = [NO_GAP if last is None else (as_of - last).days]
    else:
        gaps = [FIRST_GAP >> i for i in range(7)] + [0] if need is not None else [0]
    filtered = len(where) > len(_level_where(level))
    for gap in gaps:
        # a page needs the first `need` units hit, in board order, and ranks only theirs
        hit = await cases.units_hit_after(level, as_of, gap, None if filtered else need)
        allowed = await _matching(level, where, [code for code, _day in hit]) if filtered else None
        moved = sorted(
            (
                {"code": code, "last_case_on": day}
                for code, day in hit
                if allowed is None or code in allowed
            ),
            key=_board_key,
        )
        rows = list(heapq.merge(kept, moved, key=_board_key))
        complete = as_of - dt.timedelta(days=gap) if gap < NO_GAP else None
        sure = sum(
            1
            for r in rows
            if r["last_case_on"] is None or (complete and r["last_case_on"] <= complete)
        )
        if gap in (0, NO_GAP) or need is None or sure >= need:
            break
    rows = await _with_columns(level, rows[offset:need])
    rank = await _ranker(
        level, {r["last_case_on"] for r in rows if r["last_case_on"]}, Counter(d for _c, d in hit)
    )
    for row in rows:
        row["rank"] = rank(row["last_case_on"])
        row["current_days"] = rules.current_streak(as_of, since, row["last_case_on"])
    return rows


async def _ranker(
    level: str, days: set[dt.date], hit: Mapping[dt.date | None, int]
) -> Callable[[dt.date | None], int]:
    """Rank as of a past day by last case day then, for the given days: 1 + the units with a
    longer streak — never hit, or an earlier last case day — counted on the board index for
    units without a case since, and among `hit` ({last case day then: how many units}, which
    must count every unit with a case since whose last case day then is before the latest of
    `days`) for the others."""
    better = await _better_counts(level, days)
    changed = sorted((day, n) for day, n in hit.items() if day is not None)
    changed_days = [day for day, _n in changed]
    before = [0, *itertools.accumulate(n for _day, n in changed)]
    never_changed = hit.get(None, 0)

    def rank(last: dt.date | None) -> int:
        if last is None:
            return 1
        return 1 + better[last] + never_changed + before[bisect.bisect_left(changed_days, last)]

    return rank


#: A gap no unit reaches: only the units whose first case came after the day are read.
NO_GAP = 100_000


async def _matching(level: str, where: list, codes: list[str]) -> set[str]:
    """The codes among `codes` of units that match a board's filters."""
    table = _table(level)
    found: set[str] = set()
    for chunk in chunks(sorted(codes)):
        found |= {
            r["code"] for r in await table.select(table.code).where(*where, table.code.is_in(chunk))
        }
    return found


async def _with_columns(level: str, rows: list[dict]) -> list[dict]:
    """Board rows with the unit's columns, for the rows of units with a case since the day
    (known so far by code and last case day then only)."""
    table = _table(level)
    bare = [r["code"] for r in rows if "name" not in r]
    columns = {
        r["code"]: r
        for chunk in chunks(bare)
        for r in await table.select(*_columns(level)).where(table.code.is_in(chunk))
    }
    return [
        r if "name" in r else {**columns[r["code"]], "last_case_on": r["last_case_on"]}
        for r in rows
    ]


@dataclass
class Board:
    level: str
    as_of: dt.date
    tracked_since: dt.date | None
    milestones: tuple[int, ...]
    total: int | None
    rows: list[dict] = field(default_factory=list)


async def streak_board(
    level: str,
    as_of: dt.date,
    district: str | None = None,
    town: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int | None = 100,
    *,
    scope: Scope | None = None,
    details: bool = True,
) -> Board:
    """One page of the zero-case leaderboard of a level ("station", "village", "town").

    Rows, in board order (longest streak first, within a tie by code), are dicts with: rank
    (city-wide, standard competition ranking), code, name, district_code, district_name,
    town_code/town_name (villages), current_days, last_case_on (last case on or before as_of),
    longest_days, longest_from, longest_to (personal best, the current run included) and
    milestone (highest reached, or None). `total` counts the rows matching the filters; `scope`
    limits them to a jurisdiction. limit=None returns every row (for exports). details=False
    (the API) skips what a page needs besides the rows: total (None) and place names."""
    since, marks = await _settings(level)
    table = _table(level)
    where = _where(level, district, town, q, scope)
    fast = await _on_fast_path(level, as_of, since)
    past = None if fast else await _past_day_rows(level, as_of, since, where, offset, limit)
    if fast or past is not None:
        total = None
        if details:
            unfiltered = len(where) == len(_level_where(level))
            total = await (_level_size(level) if unfiltered else table.count().where(*where))
    if past is not None:
        rows = past
    elif fast:
        query = table.select(*_columns(level)).where(*where).order_by(OrderByRaw(STREAK_ORDER))
        if limit is not None:
            query = query.offset(offset).limit(limit)
        rows = await query
        if limit is None:
            rows = rows[offset:]
        await _rank_rows(level, as_of, since, rows, fast=True)
    else:
        rows = await table.select(*_columns(level)).where(*where)
        await _rank_rows(level, as_of, since, rows, fast=False)
        rows.sort(key=lambda r: (r["rank"], r["code"]))
        total = len(rows)
        rows = rows[offset : offset + limit if limit is not None else None]
    for row in rows:
        row["milestone"] = rules.milestone(row["current_days"], marks)
    await _with_longest(level, rows, as_of, since)
    if details:
        await _with_places(rows)
    return Board(level, as_of, since, marks, total, rows)


#: Board pages kept per process until the cases generation moves — after every committed write
#: that may change them (campaign.db.write_transaction: any write but those that name another
#: domain only), in any process — or ten minutes pass: a page as of a day is
#: a function of the stored data, and most views repeat one of a few pages. At most 500 pages
#: (≈ 1 KB a row: 50 MB at worst), then it starts afresh.
_boards: generations.Kept[tuple, Board] = generations.Kept(generations.CASES, seconds=600, size=500)


async def kept_board(
    level: str,
    as_of: dt.date,
    district: str | None = None,
    town: str | None = None,
    q: str | None = None,
    offset: int = 0,
    limit: int | None = 100,
    *,
    scope: Scope | None = None,
    details: bool = True,
    rank_change: bool = False,
) -> Board:
    """streak_board (with_rank_change when asked), kept (see _boards); limit=None only for
    short boards (a town's or station's own units). Callers must not change the board: the
    next request gets the same object."""
    await _boards.check()  # before reading what is kept
    key = (level, as_of, district, town, q, offset, limit, scope, details, rank_change)
    if (board := _boards.get(key)) is None:
        async with read_transaction():  # one connection, opened only when reading
            board = await streak_board(
                level, as_of, district, town, q, offset, limit, scope=scope, details=details
            )
            board = _boards.put(key, await with_rank_change(board) if rank_change else board)
    return board


async def _with_longest(
    level: str, rows: list[dict], as_of: dt.date, since: dt.date | None
) -> None:
    """Personal bests as of a day: the closed best from the case-day index (kept with every case
    write, so it never waits for a job) plus the current run."""
    for row in rows:
        row.update(longest_days=0, longest_from=None, longest_to=None)
    if since is None or not rows:
        return
    gaps = await cases.unit_bests(level, since, as_of, [r["code"] for r in rows])
    for row in rows:
        found = gaps.get(row["code"])
        closed = (
            rules.closed_best_of(since, found.first_day, found.gap, found.gap_end)
            if found
            else rules.EMPTY_RUN
        )
        run = rules.longer_of(closed, rules.current_run(as_of, since, row["last_case_on"]))
        row.update(longest_days=run.days, longest_from=run.first, longest_to=run.last)


async def _with_places(rows: list[dict]) -> None:
    codes = {c for r in rows for c in (r.get("district_code"), r.get("town_code")) if c}
    names: dict[str, str] = {}
    for chunk in chunks(sorted(codes)):
        for region in await Region.select(Region.code, Region.name).where(Region.code.is_in(chunk)):
            names[region["code"]] = region["name"]
    for row in rows:
        row["district_name"] = names.get(row.get("district_code") or "", "")
        row["town_name"] = names.get(row.get("town_code") or "", "")


async def ranks_on(
    level: str, day: dt.date, lasts: Mapping[str, dt.date | None], since: dt.date | None
) -> dict[str, int]:
    """City-wide ranks of some units at the end of a day: from that day's snapshot, or
    computed when the nightly job did not write one. `lasts` holds each unit's last case day
    on or before some day on or after `day` (what the caller's board or unit page has read
    already), `since` the tracking start the caller has read."""
    if not lasts:
        return {}
    found: dict[str, int] = {}
    snapshot = False
    name = StreakSnapshot._meta.tablename
    for chunk in chunks(sorted(lasts)):
        # the units' ranks, and one row of NULLs when the day has a snapshot at all
        for row in await StreakSnapshot.raw(
            f'SELECT code, rank FROM "{name}" WHERE level = {{}} AND day = {{}} AND code IN ('
            + ", ".join("{}" for _ in chunk)
            + f') UNION ALL SELECT NULL, NULL WHERE EXISTS (SELECT 1 FROM "{name}" '
            "WHERE level = {} AND day = {})",
            level,
            day,
            *chunk,
            level,
            day,
        ):
            snapshot = True
            if row["code"] is not None:
                found[row["code"]] = row["rank"]
    if snapshot:
        return found
    if since is None or day < since:
        return {}
    if (from_index := await _ranks_from_index(level, day, since, lasts)) is not None:
        return from_index
    ranked = await standings(level, day, since)
    return {code: ranked[code].rank for code in lasts if code in ranked}


async def _ranks_from_index(
    level: str, day: dt.date, since: dt.date, lasts: Mapping[str, dt.date | None]
) -> dict[str, int] | None:
    """Ranks of some units at the end of a past day without ranking every unit (as
    _past_day_rows does for a page); None where case days before tracking start need the full
    ranking. A unit whose last case day (see ranks_on) is after `day` has, as of `day`, the
    previous day of its first case day after it."""
    if await cases.any_case_day_before(level, since):
        return None
    then = dict(lasts)
    later = [code for code, last in then.items() if last is not None and last > day]
    then.update(await cases.last_case_days_of(level, day, later))
    known = {last for last in then.values() if last is not None}
    hit = await cases.hit_days_after(level, day, (day - max(known)).days if known else NO_GAP)
    rank = await _ranker(level, known, hit)
    return {code: rank(last) for code, last in then.items()}


async def with_rank_change(board: Board) -> Board:
    """Adds week_rank (rank seven days before as_of) and rank_change (places gained)."""
    before = await ranks_on(
        board.level,
        board.as_of - dt.timedelta(days=7),
        {r["code"]: r["last_case_on"] for r in board.rows},
        board.tracked_since,
    )
    for row in board.rows:
        row["week_rank"] = before.get(row["code"])
        row["rank_change"] = (
            row["week_rank"] - row["rank"] if row["week_rank"] is not None else None
        )
    return board


# -- One unit ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitPlace(Row):
    """A unit of a level with its place in the tree. A station has no town and no level column
    (level is "station"); `towns` are the towns it covers."""

    code: str
    name: str
    level: str
    district_code: str
    town_code: str | None
    station_code: str | None
    last_case_on: dt.date | None
    district_name: str
    town_name: str
    towns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitStreak(Row):
    code: str
    last_case_on: dt.date | None
    rank: int
    current_days: int
    longest_days: int
    longest_from: dt.date | None
    longest_to: dt.date | None
    tracked_since: dt.date | None
    milestones: tuple[int, ...]
    milestone: int | None
    next_milestone: int | None
    week_rank: int | None
    total: int


async def unit(level: str, code: str) -> UnitPlace | None:
    """A unit of a level with its place in the tree (for scope checks and headings)."""
    table = _table(level)
    extra = [] if level == "station" else [Region.station_code]
    row = (
        await table.select(*_columns(level), *extra)
        .where(table.code == code, *_level_where(level))
        .first()
    )
    if row is None:
        return None
    towns: tuple[str, ...] = ()
    if level == "station":
        towns = tuple(await regions.station_towns(code))
        row.update(town_code=None, station_code=None)
    await _with_places([row])
    return UnitPlace(**row, level=level, towns=towns)


async def unit_streak(level: str, row: Mapping[str, Any], as_of: dt.date) -> UnitStreak:
    """Current streak, rank now and a week ago, personal best and milestone progress of a unit."""
    since = await tracked_since()
    [ranked] = rows = [{"code": row["code"], "last_case_on": row["last_case_on"]}]
    await _rank_rows(level, as_of, since, rows, await _on_fast_path(level, as_of, since))
    await _with_longest(level, rows, as_of, since)
    marks = await milestones(level)
    week = await ranks_on(
        level, as_of - dt.timedelta(days=7), {row["code"]: ranked["last_case_on"]}, since
    )
    return UnitStreak(
        **ranked,
        tracked_since=since,
        milestones=marks,
        milestone=rules.milestone(ranked["current_days"], marks),
        next_milestone=rules.next_milestone(ranked["current_days"], marks),
        week_rank=week.get(row["code"]),
        total=await _table(level).count().where(*_level_where(level)),
    )


def _case_days(level: str, code: str):
    """A unit's case days and their numbers of cases (the cases' case-day index)."""
    return CaseDay.select(CaseDay.day, CaseDay.cases).where(
        CaseDay.level == level, CaseDay.code == code
    )


async def daily_case_counts(
    level: str, code: str, start: dt.date, end: dt.date
) -> list[tuple[dt.date, int]]:
    """(day, number of cases) for the days in [start, end] on which the unit had cases."""
    rows = (
        await _case_days(level, code)
        .where(CaseDay.day >= start, CaseDay.day <= end)
        .order_by(CaseDay.day)
    )
    return [(r["day"], r["cases"]) for r in rows]


@dataclass(frozen=True, slots=True)
class CaseDayCount(Row):
    day: dt.date
    n: int
    fraud_types: list[str]


async def recent_case_days(level: str, unit: UnitPlace, limit: int = 15) -> list[CaseDayCount]:
    """The unit's latest case days, newest first: day, number of cases and their fraud types
    (nothing about victims)."""
    days = await _case_days(level, unit.code).order_by(CaseDay.day, ascending=False).limit(limit)
    if not days:
        return []
    types: dict[dt.date, set[str]] = {}
    where = cases.unit_case_where(level, unit.code, unit.town_code)
    for row in await Case.select(Case.occurred_on, Case.fraud_type).where(
        *where, Case.occurred_on >= days[-1]["day"]
    ):
        types.setdefault(row["occurred_on"], set()).add(row["fraud_type"])
    return [
        CaseDayCount(row["day"], row["cases"], sorted(types.get(row["day"], ()))) for row in days
    ]


async def home_card(user) -> dict:
    """The home page card: a town or station coordinator's own streak, rank and next milestone;
    for everybody else the top 5 stations they can see."""
    card: dict = {"template": "streaks/_home_card.html", "unit": None, "top": []}
    scope, as_of = user.scope, today()
    if user.role == "coordinator" and scope.kind in ("town", "station"):
        row = await unit(scope.kind, scope.code)
        if row:
            streak = await unit_streak(scope.kind, row, as_of)
            card["unit"] = {**row, **streak, "level": scope.kind}
            if streak["next_milestone"]:
                card["next_title"] = rules.milestone_title(scope.kind, streak["next_milestone"])
        return card
    card["top"] = (await streak_board("station", as_of, limit=5, scope=scope)).rows
    return card


# -- Honour roll ---------------------------------------------------------------------------------


def _streak_between(level: str, as_of: dt.date, since: dt.date, low: int, high: int | None):
    """Units whose streak as of today is in [low, high) days, as a clause on last_case_on."""
    table = _table(level)
    last = table.last_case_on
    dated = (last >= since) & (last <= as_of - dt.timedelta(days=low))
    if high is not None:
        dated = dated & (last > as_of - dt.timedelta(days=high))
    full = (as_of - since).days + 1
    if low <= full and (high is None or full < high):
        return dated | last.is_null() | (last < since)
    return dated


@dataclass(frozen=True, slots=True)
class HonourRow(Row):
    code: str
    name: str
    district_code: str
    last_case_on: dt.date | None
    current_days: int
    district_name: str
    town_name: str
    town_code: str | None = None


@dataclass(frozen=True, slots=True)
class HonourGroup(Row):
    milestone: int
    total: int
    rows: list[HonourRow]


async def honours(
    level: str,
    as_of: dt.date,
    district: str | None = None,
    *,
    scope: Scope | None = None,
    per_group: int | None = 60,
) -> list[HonourGroup]:
    """Units at or past a milestone, grouped by the highest one reached, highest first."""
    since = await tracked_since()
    if since is None:
        return []
    marks = await milestones(level)
    table = _table(level)
    where = _where(level, district, scope=scope)
    groups = []
    for i, mark in reversed(list(enumerate(marks))):
        upper = marks[i + 1] if i + 1 < len(marks) else None
        clause = _streak_between(level, as_of, since, mark, upper)
        total = await table.count().where(*where, clause)
        query = table.select(*_columns(level)).where(*where, clause)
        query = query.order_by(OrderByRaw(STREAK_ORDER))
        rows = await (query.limit(per_group) if per_group is not None else query)
        for row in rows:
            row["current_days"] = rules.current_streak(as_of, since, row["last_case_on"])
        await _with_places(rows)
        groups.append(HonourGroup(mark, total, [HonourRow(**row) for row in rows]))
    return groups


# -- Feed ----------------------------------------------------------------------------------------


def _event_where(level: str | None, district: str | None, scope: Scope | None) -> list:
    where: list[Combinable] = []
    if level:
        where.append(StreakEvent.level == level)
    if district:
        where.append(StreakEvent.district_code == district)
    if scope is not None and not scope.is_city:
        stations = Station.select(Station.code).where(*regions.station_scope_where(scope))
        places = Region.select(Region.code).where(*regions.scope_where(scope))
        where.append(
            ((StreakEvent.level == "station") & StreakEvent.code.is_in(stations))
            | ((StreakEvent.level != "station") & StreakEvent.code.is_in(places))
        )
    return where


async def feed_total(
    level: str | None = None, district: str | None = None, *, scope: Scope | None = None
) -> int:
    return await StreakEvent.count().where(*_event_where(level, district, scope))


@dataclass(frozen=True, slots=True)
class FeedEntry(Row):
    """A line of the feed (the columns of StreakEvent) with the unit's and its places' names."""

    id: int
    day: dt.date
    level: str
    code: str
    district_code: str
    kind: str
    days: int
    milestone: int | None
    created_at: dt.datetime
    name: str
    district_name: str
    town_name: str


async def feed(
    level: str | None = None,
    district: str | None = None,
    *,
    scope: Scope | None = None,
    offset: int = 0,
    limit: int | None = 50,
) -> tuple[int, list[FeedEntry]]:
    """Milestones reached and streaks broken, newest first, with unit and district names."""
    where = _event_where(level, district, scope)
    total = await feed_total(level, district, scope=scope)
    query = (
        StreakEvent.select()
        .where(*where)
        .order_by(StreakEvent.day, ascending=False)
        .order_by(StreakEvent.id, ascending=False)
    )
    rows = await (query.offset(offset).limit(limit) if limit is not None else query)
    names: dict[tuple[str, str], str] = {}
    for kind in ("station", "region"):
        codes = sorted(
            {r["code"] for r in rows if (r["level"] == "station") == (kind == "station")}
        )
        table = Station if kind == "station" else Region
        for chunk in chunks(codes):
            for unit_row in await table.select(table.code, table.name).where(
                table.code.is_in(chunk)
            ):
                names[(kind, unit_row["code"])] = unit_row["name"]
    for row in rows:
        kind = "station" if row["level"] == "station" else "region"
        row["name"] = names.get((kind, row["code"]), row["code"])
    await _with_places(rows)
    return total, [FeedEntry(**row) for row in rows]


# -- Jobs: maintained longest runs, snapshots, events --------------------------------------------


async def _units(level: str, codes: Collection[str] | None) -> list[dict]:
    """code, district_code and last_case_on of some units of a level (all when codes is None)."""
    table = _table(level)

    def query(*extra):
        return table.select(table.code, table.district_code, table.last_case_on).where(
            *_level_where(level), *extra
        )

    if codes is None:
        return await query()
    found = []
    for chunk in chunks(sorted(codes)):
        found += await query(table.code.is_in(chunk))
    return found


async def refresh_bests(level: str, codes: Collection[str] | None = None) -> int:
    """Recompute the stored closed best of some units (all when codes is None) and add a
    "broken" event for each run of at least the first milestone that a newly seen case ended.
    Returns the number of events added.

    The closed bests come from the maintained unit summaries (cases.unit_bests, one row per
    unit); case days are read only for the units that need them — a stored best whose last case
    moved (its "broken" entries) and units with feed entries to re-check — so refreshing every
    unit after a 10^6-case import no longer loads every case day into memory."""
    since = await tracked_since()
    if since is None:
        return 0
    # every unit (the nightly job, a large import): whole-level reads, no IN lists of all codes
    every_unit = codes is None
    units = await _units(level, None if every_unit else codes)
    codes = [u["code"] for u in units]
    old = {
        row["code"]: row
        for row in await select_in(
            lambda *extra: StreakBest.select().where(StreakBest.level == level, *extra),
            StreakBest.code,
            None if every_unit else codes,
        )
    }
    entries = await _events_of(level, None if every_unit else codes)
    moved = {
        u["code"]
        for u in units
        if (known := old.get(u["code"]))
        and known["tracked_since"] == since
        and known["last_case_on"] != u["last_case_on"]
    }
    needed = moved | {e["code"] for e in entries}
    days = await cases.case_days_by_unit(level, since, today(), needed) if needed else {}
    gaps = await cases.unit_bests(level, since, today(), None if every_unit else codes)
    first_mark = (await milestones(level))[0]
    bests, events = [], []
    for u in units:
        last = u["last_case_on"]
        found = gaps.get(u["code"])
        run = (
            rules.closed_best_of(since, found.first_day, found.gap, found.gap_end)
            if found and last is not None and last >= since
            else rules.EMPTY_RUN
        )
        bests.append((level, u["code"], run.days, run.first, run.last, since, last))
        if u["code"] in moved:
            unit_days = days.get(u["code"], [])
            for day, length in rules.broken_runs(unit_days, since, old[u["code"]]["last_case_on"]):
                if length >= first_mark:
                    events.append(
                        (day, level, u["code"], u["district_code"], "broken", length, None)
                    )
    untrue = [
        e["id"]
        for e in entries
        if not rules.feed_entry_still_true(e["kind"], e["day"], e["days"], days.get(e["code"], []))
    ]
    async with write_transaction():
        for chunk in chunks(untrue):
            await StreakEvent.delete().where(StreakEvent.id.is_in(chunk))
        if every_unit:
            await StreakBest.delete().where(StreakBest.level == level)
        for chunk in [] if every_unit else chunks(codes):
            await StreakBest.delete().where(StreakBest.level == level, StreakBest.code.is_in(chunk))
        await insert_many(
            StreakBest,
            ("level", "code", "days", "first_day", "last_day", "tracked_since", "last_case_on"),
            bests,
        )
        return await _add_events(events)


async def _events_of(level: str, codes: Collection[str] | None) -> list[dict]:
    """The feed entries of some units (all when codes is None), to check against their case
    days (a case recorded after a milestone was announced, a deleted case that had broken a
    streak)."""
    found = []
    for chunk in [None] if codes is None else chunks(sorted(codes)):
        extra = [] if chunk is None else [StreakEvent.code.is_in(chunk)]
        found += await StreakEvent.select(
            StreakEvent.id, StreakEvent.code, StreakEvent.kind, StreakEvent.day, StreakEvent.days
        ).where(StreakEvent.level == level, *extra)
    return found


async def _add_events(events: list[tuple]) -> int:
    """Insert the (day, level, code, district_code, kind, days, milestone) events not stored yet.
    Call inside a write transaction."""
    if not events:
        return 0
    stored = {
        (r["day"], r["level"], r["code"], r["kind"], r["milestone"])
        for r in await StreakEvent.select(
            StreakEvent.day,
            StreakEvent.level,
            StreakEvent.code,
            StreakEvent.kind,
            StreakEvent.milestone,
        ).where(StreakEvent.day.is_in(sorted({e[0] for e in events})))
    }
    fresh = [e for e in events if (e[0], e[1], e[2], e[4], e[6]) not in stored]
    await insert_many(
        StreakEvent,
        ("day", "level", "code", "district_code", "kind", "days", "milestone", "created_at"),
        [(*e, dt.datetime.now(dt.UTC)) for e in fresh],
    )
    return len(fresh)


async def write_snapshot(day: dt.date) -> int:
    """Every unit's streak, rank and longest run at the end of `day`, with the events since the
    day before's snapshot: milestones crossed, and streaks of at least the first milestone that
    a case on `day` broke. Returns the number of units written."""
    since = await tracked_since()
    if since is None or day < since:
        return 0
    written = 0
    for level in LEVELS:
        ranked = await standings(level, day, since)
        days = await cases.case_days_by_unit(level, since, day)
        previous = {
            row["code"]: row["current_days"]
            for row in await StreakSnapshot.select(
                StreakSnapshot.code, StreakSnapshot.current_days
            ).where(StreakSnapshot.level == level, StreakSnapshot.day == day - dt.timedelta(days=1))
        }
        district = {u["code"]: u["district_code"] for u in await _units(level, None)}
        marks = await milestones(level)
        rows: list[tuple] = []
        events: list[tuple] = []
        for code, standing in ranked.items():
            longest = rules.longest_run(days.get(code, []), since, day)
            rows.append((day, level, code, standing.current_days, standing.rank, longest.days))
            before = previous.get(code, max(standing.current_days - 1, 0))
            for mark in rules.milestones_crossed(before, standing.current_days, marks):
                events.append(
                    (day, level, code, district[code], "milestone", standing.current_days, mark)
                )
            if code in previous and standing.current_days == 0 and before >= marks[0]:
                events.append((day, level, code, district[code], "broken", before, None))
        async with write_transaction():
            await StreakSnapshot.delete().where(
                StreakSnapshot.level == level, StreakSnapshot.day == day
            )
            await insert_many(
                StreakSnapshot,
                ("day", "level", "code", "current_days", "rank", "longest_days"),
                rows,
            )
            await _add_events(events)
        written += len(rows)
    return written
