"""The case-day index (cases.CaseDay) and what the boards read from it equal the brute-force
definitions of docs/definitions.md after any sequence of inserts, corrections, moves, deletes and
imports (Hypothesis)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from unittest.mock import patch

import asyncpg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from campaign import jobs
from campaign.accounts.tables import AuditEntry
from campaign.cases import day_index
from campaign.cases import queries as cases
from campaign.cases.rules import CaseRecord
from campaign.cases.tables import CaseDay, CaseUnit
from campaign.db import engine, is_sqlite, write_transaction
from campaign.regions.tables import Region, Station
from campaign.streaks import queries, rules
from tests.helpers.database import query_plan, truncate_all
from tests.helpers.ningbo import load_slice
from tests.helpers.streaks import PLACES, START, UNITS, board_rows, case_values, oracle

INDEX = {"village": 0, "town": 1, "station": 2}
days = st.integers(0, 40).map(lambda n: START + dt.timedelta(days=n))
places = st.integers(0, len(PLACES) - 1)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("insert"), places, days),
        st.tuples(st.just("correct"), st.integers(0, 30), days),
        st.tuples(st.just("move"), st.integers(0, 30), places),
        st.tuples(st.just("delete"), st.integers(0, 30), st.just(None)),
        st.tuples(st.just("import"), places, days),
        st.tuples(st.just("import whole"), places, days),
    ),
    max_size=14,
)


def record(no: str, place: int, day: dt.date) -> CaseRecord:
    values = case_values(no, place, day)
    return CaseRecord(
        row=1,
        occurred_at=None,
        victim_occupation=None,
        occupation_group="其他",
        victim_age=None,
        **values,
    )


async def apply(ops) -> dict[str, tuple[int, dt.date]]:
    """Runs the operations through the cases domain's write functions; returns the cases that
    should be stored, {case_no: (place, day)}."""
    stored: dict[str, tuple[int, dt.date]] = {}
    for n, (kind, first, second) in enumerate(ops):
        numbers = sorted(stored)
        if kind == "insert":  # every other one as create_case writes: at once, no transaction
            async with write_transaction(one_statement=n % 2 == 0):
                await cases.insert_case(case_values(f"C{n}", first, second))
            stored[f"C{n}"] = (first, second)
        elif kind.startswith("import"):
            # "import whole": every touched level rebuilt, as a large import does — from the
            # counts it kept when it only adds cases (day_index.level_rows), else grouped
            whole = kind == "import whole"
            records = [record(f"I{n}", first, second)]
            if numbers and (not whole or n % 2):  # a stored case corrected to this place and day
                records.append(record(numbers[n % len(numbers)], first, second))
            plan = await cases.plan_import(records)
            above = 0 if whole else day_index.REBUILD_LEVEL_ABOVE
            with patch.object(day_index, "REBUILD_LEVEL_ABOVE", above):
                async with engine().transaction() as transaction:
                    await cases.write_import(transaction.connection, plan)
            for r in records:
                stored[r.case_no] = (first, second)
        elif numbers:
            no = numbers[first % len(numbers)]
            [row] = await cases.Case.select(cases.Case.id).where(cases.Case.case_no == no)
            place, day = stored[no]
            if kind == "delete":
                async with write_transaction():
                    await cases.delete_case(row["id"])
                del stored[no]
                continue
            place, day = (place, second) if kind == "correct" else (second, day)
            changes = case_values(no, place, day)
            async with write_transaction():
                await cases.update_case(row["id"], changes)
            stored[no] = (place, day)
    return stored


def brute_days(level: str, stored) -> dict[str, dict[dt.date, int]]:
    found: dict[str, dict[dt.date, int]] = {}
    for place, day in stored.values():
        code = PLACES[place][INDEX[level]]
        if code:
            found.setdefault(code, {}).setdefault(day, 0)
            found[code][day] += 1
    return found


def unit_summary(row: dict) -> tuple:
    return (row["first_day"], row["last_day"], row["days"], row["best_gap"], row["best_gap_end"])


def brute_summary(per_day: dict[dt.date, int]) -> tuple:
    days = sorted(per_day)
    gaps = [((b - a).days - 1, b) for a, b in zip(days, days[1:], strict=False)]
    gap, end = max(((g, d) for g, d in gaps if g > 0), default=(0, None))
    return (days[0], days[-1], len(days), gap, end)


async def assert_index_exact(level: str, stored) -> dict[str, dict[dt.date, int]]:
    """Case days (counts, previous day, gap), unit summaries and last case days of a level equal
    the brute-force ones of the stored cases; returns those."""
    expected = brute_days(level, stored)
    rows = await CaseDay.select().where(CaseDay.level == level)
    assert {(r["code"], r["day"]): r["cases"] for r in rows} == {
        (code, day): n for code, per_day in expected.items() for day, n in per_day.items()
    }
    for r in rows:  # previous case day and the gap between
        earlier = [d for d in expected[r["code"]] if d < r["day"]]
        assert r["previous_day"] == (max(earlier) if earlier else None)
        assert r["gap"] == ((r["day"] - max(earlier)).days - 1 if earlier else None)
    # each unit's summary: first and last case day, how many, longest gap (latest of equals)
    units = await CaseUnit.select().where(CaseUnit.level == level)
    assert {r["code"]: unit_summary(r) for r in units} == {
        code: brute_summary(per_day) for code, per_day in expected.items()
    }
    # each unit's last case day, as every board's "today" reads it
    owner = Station if level == "station" else Region
    kept = await owner.select(owner.code, owner.last_case_on).where(
        owner.code.is_in(list(UNITS[level]))
    )
    assert {r["code"]: r["last_case_on"] for r in kept} == {
        code: max(expected[code]) if code in expected else None for code in UNITS[level]
    }
    return expected


@settings(
    max_examples=25,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(operations, days)
async def test_case_days_and_boards_equal_the_oracle_after_any_writes(db, ops, as_of):
    await truncate_all()
    await load_slice()
    stored = await apply(ops)
    since = min((day for _, day in stored.values()), default=None)
    for level in queries.LEVELS:
        expected = await assert_index_exact(level, stored)
        if since is not None:
            codes = list(UNITS[level])
            assert await cases.unit_bests(level, since, as_of, codes) == await cases.unit_gaps(
                level, since, as_of, codes
            )
        # past days: last case day as of as_of, for the units with a case after it
        changed = await cases.last_case_days_changed_since(level, as_of)
        for code in UNITS[level]:
            seen = expected.get(code, {})
            if any(d > as_of for d in seen):
                before = [d for d in seen if d <= as_of]
                assert changed[code] == (max(before) if before else None)
            else:
                assert code not in changed
        assert await cases.any_case_day_before(level, as_of) == any(
            day < as_of for per_day in expected.values() for day in per_day
        )
        # the board as of any day: ranks, streaks and longest runs as the definitions say
        as_list = list(stored.values())
        board = await queries.streak_board(level, as_of, limit=None)
        assert board_rows(board) == oracle(level, as_list, as_of, since)
        page = await queries.streak_board(level, as_of, offset=1, limit=2)
        assert board_rows(page) == board_rows(board)[1:3]
        # ranks of some units on a day without a snapshot (the rank arrows a week back)
        # given each unit's latest case day (after as_of for some: looked up on the index)
        some = [r["code"] for r in board.rows[1:4]]
        latest = {code: max(expected.get(code, {}), default=None) for code in some}
        assert await queries.ranks_on(level, as_of, latest, board.tracked_since) == (
            {r["code"]: r["rank"] for r in board.rows[1:4]}
            if since is not None and as_of >= since
            else {}
        )
        district = await queries.streak_board(level, as_of, district="330282", limit=3)
        assert (
            board_rows(district)
            == [
                row
                for row, r in zip(board_rows(board), board.rows, strict=True)
                if r["district_code"] == "330282"
            ][:3]
        )


@given(
    st.sets(days, max_size=12),
    st.integers(-5, 45).map(lambda n: START + dt.timedelta(days=n)),
    days,
)
def test_closed_best_from_the_gaps_equals_closed_best(case_days, since, as_of):
    """What unit_gaps reads (first case day from tracking start, longest later gap, most recent
    among equals) gives rules.closed_best of the case days up to as_of."""
    inside = sorted(d for d in case_days if since <= d <= as_of)
    first = inside[0] if inside else None
    gaps = [((b - a).days - 1, b) for a, b in zip(inside, inside[1:], strict=False)]
    gap, end = max(((g, d) for g, d in gaps if g > 0), default=(0, None))
    last = inside[-1] if inside else None
    expected = rules.closed_best([d for d in case_days if d <= as_of], since, last)
    assert rules.closed_best_of(since, first, gap, end) == expected


async def test_single_writes_at_once_to_one_unit_keep_the_index_exact(db):
    """Eight cases written at the same moment into one village over three days: PostgreSQL runs
    the transactions side by side (READ COMMITTED), and before the units were locked each read
    the same case-day rows, so the last upsert won (four cases on one new day left cases = 1)."""
    await truncate_all()
    await load_slice()
    stored = {f"P{n}": (0, START + dt.timedelta(days=n % 3)) for n in range(8)}

    async def insert(no: str) -> None:  # half of them as create_case writes (one statement)
        async with write_transaction(one_statement=no in ("P1", "P3", "P5", "P7")):
            await cases.insert_case(case_values(no, *stored[no]))

    await asyncio.gather(*(insert(no) for no in stored))
    for level in queries.LEVELS:
        await assert_index_exact(level, stored)


async def test_a_new_case_the_database_refuses_leaves_no_trace(db):
    """create_case sends its audit entry, the case and its case days at once, as their own
    transaction (one statement on PostgreSQL, one hop to the connection's thread on SQLite): a
    case number stored already fails all of it — no audit entry, no case day moved."""
    await truncate_all()
    await load_slice()
    await cases.create_case(case_values("D1", 0, START), None, None)  # type: ignore[arg-type]
    await jobs.drain()  # its follow-up jobs, run in this process, finish before the next write
    entries = await AuditEntry.count()
    with pytest.raises((sqlite3.IntegrityError, asyncpg.UniqueViolationError)):
        await cases.create_case(case_values("D1", 1, START + dt.timedelta(days=2)), None, None)  # type: ignore[arg-type]
    assert await AuditEntry.count() == entries
    for level in queries.LEVELS:
        await assert_index_exact(level, {"D1": (0, START)})
    async with write_transaction():  # and the connection is left fit for the next write
        await cases.insert_case(case_values("D2", 1, START))
    for level in queries.LEVELS:
        await assert_index_exact(level, {"D1": (0, START), "D2": (1, START)})


async def test_corrections_and_deletes_at_once_keep_the_index_exact(db):
    """The same cases corrected and deleted by several writers at the same moment: on PostgreSQL
    each writer locks the case row before it reads it, so a second correction moves the case
    from where the first left it (without the lock both took a case off the same old day)."""
    await truncate_all()
    await load_slice()
    ids: dict[str, int] = {}
    for n in range(3):
        async with write_transaction():
            ids[f"P{n}"] = await cases.insert_case(case_values(f"P{n}", 0, START))

    async def correct(no: str, place: int, days_later: int) -> None:
        async with write_transaction():
            values = case_values(no, place, START + dt.timedelta(days=days_later))
            await cases.update_case(ids[no], values)

    async def delete(no: str) -> None:
        async with write_transaction():
            await cases.delete_case(ids[no])

    outcomes = await asyncio.gather(
        correct("P0", 1, 5),
        correct("P0", 2, 6),
        correct("P0", 0, 7),
        correct("P1", 1, 3),
        delete("P1"),
        delete("P2"),
        delete("P2"),
        return_exceptions=True,
    )
    # a correction that waited for the delete of its case finds it gone
    assert all(o is None or isinstance(o, LookupError) for o in outcomes), outcomes
    rows = await cases.Case.select()
    stored = {r["case_no"]: (place_of(r), r["occurred_on"]) for r in rows}
    assert "P0" in stored and "P2" not in stored
    for level in queries.LEVELS:
        await assert_index_exact(level, stored)


def place_of(row: dict) -> int:
    return next(
        n
        for n, (village, town, station) in enumerate(PLACES)
        if (row["village_code"], row["town_code"], row["station_code"]) == (village, town, station)
    )


async def test_a_units_longest_gap_is_read_through_the_units_own_rows(db):
    """Read when a correction takes away a unit's longest gap. SQLite has no statistics here, and
    a `gap > 0` condition once sent it down the level's (level, gap, day) index: every village's
    rows walked to find one (90 ms at 10^6 cases)."""
    plan = await query_plan(CaseDay, day_index.LONGEST_GAP.replace("?", "'x'"))
    assert "case_day_unit" in plan, plan


async def test_a_past_day_s_longest_gaps_are_read_through_the_units_own_rows(db):
    """The same trap in the longest gaps of a past day's board (cases.unit_gaps): through the
    (level, gap, day) index SQLite read every village's gaps, 1.4 s for a page at 10^6 cases.
    PostgreSQL plans it by its statistics (the units' index at 10^6 cases, 0.8 ms); on the
    test's empty tables it would take either."""
    if not is_sqlite():
        pytest.skip("SQLite's planner without statistics")
    query = cases.longest_gaps_between("village", 2).format(
        "'v1'",
        "'v2'",
        "'2026-01-01'",
        "'2026-06-01'",
        "'v1'",
        "'v2'",
        "'2026-01-01'",
        "'2026-06-01'",
    )
    plan = await query_plan(CaseDay, query)
    assert "case_day_unit" in plan and "case_day_gap" not in plan, plan
