"""The streak boards equal a brute-force ranking of the raw case lists (docs/definitions.md)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from campaign import rules as shared_rules
from campaign.accounts.rules import Scope
from campaign.streaks import queries, rules
from campaign.system.queries import set_setting
from tests.helpers.database import truncate_all
from tests.helpers.ningbo import load_slice
from tests.helpers.streaks import PLACES, START, UNITS, add_cases

D = dt.date


def oracle(level: str, cases_list, as_of: dt.date, since: dt.date | None) -> list[tuple]:
    """Rank every unit from the raw case list: its case days, counted the docs/definitions.md way."""
    index = {"village": 0, "town": 1, "station": 2}[level]
    days = {code: set() for code in UNITS[level]}
    for place, day in cases_list:
        code = PLACES[place][index]
        if code and day <= as_of:
            days[code].add(day)
    current = {}
    for code, seen in days.items():
        current[code] = (
            rules.current_streak(as_of, since, max(seen) if seen else None) if since else 0
        )
    result = []
    for rank, code, value in shared_rules.competition_ranks(list(current.items())):
        run = rules.longest_run(days[code], since, as_of) if since else rules.EMPTY_RUN
        result.append((rank, code, value, run.days, run.first, run.last))
    return result


def board_rows(board) -> list[tuple]:
    return [
        (
            r["rank"],
            r["code"],
            r["current_days"],
            r["longest_days"],
            r["longest_from"],
            r["longest_to"],
        )
        for r in board.rows
    ]


case_lists = st.lists(
    st.tuples(
        st.integers(0, len(PLACES) - 1),
        st.integers(0, 40).map(lambda n: START + dt.timedelta(days=n)),
    ),
    max_size=12,
)


# Each example rebuilds the database, so no shrinking: the failing example is small already.
@settings(
    max_examples=15,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case_lists, st.integers(0, 45).map(lambda n: START + dt.timedelta(days=n)))
async def test_every_board_equals_a_brute_force_ranking_of_the_cases(db, cases_list, as_of):
    await truncate_all()
    await load_slice()
    await add_cases(cases_list)
    since = min((day for _, day in cases_list), default=None)
    for level in queries.LEVELS:
        expected = oracle(level, cases_list, as_of, since)
        assert board_rows(await queries.streak_board(level, as_of, limit=None)) == expected
        await queries.refresh_bests(level)
        assert board_rows(await queries.streak_board(level, as_of, limit=None)) == expected


async def test_ties_share_a_rank_and_the_tie_is_ordered_by_code(db):
    await load_slice()
    await add_cases([(0, D(2026, 6, 1)), (2, D(2026, 6, 5)), (3, D(2026, 6, 5))])
    board = await queries.streak_board("village", D(2026, 6, 10))
    assert [(r["rank"], r["code"], r["current_days"]) for r in board.rows] == [
        (1, "330282005206", 10),
        (2, "330282005002", 9),
        (3, "330206002001", 5),
        (3, "330282108201", 5),
    ]


async def test_past_as_of_ignores_later_cases(db):
    await load_slice()
    await add_cases([(0, D(2026, 6, 1)), (0, D(2026, 6, 20))])
    board = await queries.streak_board("village", D(2026, 6, 10))
    row = next(r for r in board.rows if r["code"] == "330282005002")
    assert (row["current_days"], row["last_case_on"]) == (9, D(2026, 6, 1))
    assert (row["longest_days"], row["longest_from"], row["longest_to"]) == (
        9,
        D(2026, 6, 2),
        D(2026, 6, 10),
    )


async def test_a_later_tracking_start_ties_older_last_cases_with_units_never_hit(db):
    await load_slice()
    await add_cases([(0, D(2026, 6, 1)), (2, D(2026, 6, 8))])
    await set_setting("tracked_since", "2026-06-05")
    board = await queries.streak_board("village", D(2026, 6, 10))
    assert [(r["rank"], r["code"], r["current_days"]) for r in board.rows] == [
        (1, "330206002001", 6),
        (1, "330282005002", 6),
        (1, "330282005206", 6),
        (4, "330282108201", 2),
    ]


async def test_filters_search_and_scope_narrow_rows_but_keep_city_wide_ranks(db):
    await load_slice()
    await add_cases([(0, D(2026, 6, 1)), (2, D(2026, 6, 5)), (3, D(2026, 6, 7))])
    as_of = D(2026, 6, 10)
    district = await queries.streak_board("village", as_of, district="330282")
    assert [(r["rank"], r["code"]) for r in district.rows] == [
        (1, "330282005206"),
        (2, "330282005002"),
        (3, "330282108201"),
    ]
    town = await queries.streak_board("village", as_of, town="330282108")
    assert [(r["rank"], r["code"]) for r in town.rows] == [(3, "330282108201")]
    found = await queries.streak_board("village", as_of, q="曙光")
    assert [(r["rank"], r["name"]) for r in found.rows] == [(2, "曙光社区")]
    scoped = await queries.streak_board("station", as_of, scope=Scope("town", "330282108"))
    assert [(r["rank"], r["code"]) for r in scoped.rows] == [(2, "PS330282108")]
    stations_in_town = await queries.streak_board("station", as_of, town="330206002")
    assert [r["code"] for r in stations_in_town.rows] == ["PS330206002"]


async def test_pages_are_slices_of_the_whole_board(db):
    await load_slice()
    await add_cases([(0, D(2026, 6, 1)), (2, D(2026, 6, 5)), (3, D(2026, 6, 5))])
    whole = await queries.streak_board("village", D(2026, 6, 10), limit=None)
    pages = [
        (await queries.streak_board("village", D(2026, 6, 10), offset=o, limit=2)).rows
        for o in (0, 2)
    ]
    assert [r["code"] for r in whole.rows] == [r["code"] for r in pages[0] + pages[1]]
    assert (
        [r["rank"] for r in whole.rows] == [r["rank"] for r in pages[0] + pages[1]] == [1, 2, 3, 3]
    )
    assert whole.total == 4


async def test_no_cases_means_no_tracking_and_every_unit_at_zero(db):
    await load_slice()
    board = await queries.streak_board("town", D(2026, 6, 10))
    assert board.tracked_since is None
    assert {(r["rank"], r["current_days"]) for r in board.rows} == {(1, 0)}


async def test_milestone_is_the_highest_reached_at_the_level(db):
    await load_slice()
    await add_cases([(0, D(2026, 5, 1)), (2, D(2026, 6, 25))])
    board = await queries.streak_board("station", D(2026, 7, 1))
    assert {r["code"]: r["milestone"] for r in board.rows} == {
        "PS330206002": 60,
        "PS330282005": 60,
        "PS330282108": None,
    }


async def test_total_of_an_unfiltered_board_counts_every_unit_of_the_level(db):
    await load_slice()
    board = await queries.streak_board("village", D(2026, 6, 10), limit=1)
    assert (board.total, len(board.rows)) == (4, 1)
