"""The pure rules of cases against brute-force oracles: money, dates, occupations, places, scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.accounts.rules import Scope
from campaign.cases import rules
from campaign.timeutil import LOCAL

OCCUPATIONS = rules.alias_index(list(rules.DEFAULT_OCCUPATION_GROUPS))


@given(st.integers(min_value=0, max_value=10**13))
def test_fen_written_as_yuan_comes_back_as_the_same_fen(fen):
    yuan = f"{Decimal(fen) / 100:,.2f}"
    assert rules.yuan_to_fen(yuan) == fen
    assert rules.yuan_to_fen(f"{Decimal(fen) / 100}元") == fen


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, places=4))
def test_yuan_to_fen_equals_the_decimal_oracle_or_refuses(value):
    text = str(value)
    if value < 0 or value != value.quantize(Decimal("0.01")):
        with pytest.raises(ValueError):
            rules.yuan_to_fen(text)
    else:
        assert rules.yuan_to_fen(text) == int(value * 100)


@given(st.text(alphabet="0123456789.,-元 ae", max_size=12))
def test_the_fast_loss_path_agrees_with_the_careful_one(text):
    try:
        expected = rules.loss_to_fen(text)
    except ValueError:
        expected = None
    try:
        fast = rules._fen_fast(text)
    except ValueError:
        fast = None
    assert fast == expected


@given(st.integers(min_value=0, max_value=10**9))
def test_a_spreadsheet_number_of_cents_is_read_exactly(fen):
    assert rules.loss_to_fen(fen / 100) == fen


def test_nan_infinity_and_negatives_are_not_losses():
    for bad in ("NaN", "Infinity", "-1", "1e3x", float("nan"), -0.5, True):
        with pytest.raises(ValueError):
            rules.loss_to_fen(bad)


def _oracle_group(occupation: str | None) -> str:
    """Brute force: the canonical group of the longest alias found in the occupation."""
    if not occupation or not occupation.strip():
        return rules.OTHER
    key = "".join(occupation.split()).lower()
    best = None
    for name, aliases in rules.DEFAULT_OCCUPATION_GROUPS:
        for alias in [name, *aliases.split(";")]:
            alias = "".join(alias.split()).lower()
            if alias and alias in key and (best is None or len(alias) > len(best[0])):
                best = (alias, name)
            if alias == key:
                return name
    return best[1] if best else rules.OTHER


ALIAS_WORDS = [a for _n, aliases in rules.DEFAULT_OCCUPATION_GROUPS for a in aliases.split(";")]


@given(
    st.lists(st.sampled_from([*ALIAS_WORDS, "在校", "某", " ", "公司", "x"]), max_size=4).map(
        "".join
    )
)
def test_occupation_grouping_equals_the_longest_alias_oracle(occupation):
    assert rules.occupation_group(occupation, OCCUPATIONS) == _oracle_group(occupation)


def test_occupation_is_grouped_by_alias_and_unknowns_are_other():
    assert rules.occupation_group("在校大学生", OCCUPATIONS) == "学生"
    assert rules.occupation_group("护士", OCCUPATIONS) == "医务人员"
    assert rules.occupation_group("宇航员", OCCUPATIONS) == rules.OTHER
    assert rules.occupation_group(None, OCCUPATIONS) == rules.OTHER


@given(st.integers(min_value=20_000, max_value=79_999), st.integers(0, 86_399))
def test_excel_serial_is_the_day_counted_from_1899_12_30(days, seconds):
    serial = days + seconds / 86_400
    day, moment = rules.parse_occurred(serial)
    oracle = dt.datetime(1899, 12, 30) + dt.timedelta(days=days, seconds=seconds)
    assert day == oracle.date()
    if seconds:
        assert moment is not None and abs(moment.replace(tzinfo=None) - oracle).total_seconds() < 1


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
def test_times_without_zone_are_local_and_with_zone_are_converted(moment):
    moment = moment.replace(microsecond=0)
    day, local = rules.parse_occurred(moment.isoformat(sep=" "))
    assert day == moment.date()
    assert local is None if moment.time() == dt.time() else local == moment.replace(tzinfo=LOCAL)
    utc = moment.replace(tzinfo=dt.UTC)
    day, local = rules.parse_occurred(utc.isoformat())
    assert day == utc.astimezone(LOCAL).date()


def test_chinese_and_slashed_dates_are_read():
    assert rules.parse_occurred("2026/7/9")[0] == dt.date(2026, 7, 9)
    assert rules.parse_occurred("2026年7月9日 8:05")[1].hour == 8
    with pytest.raises(ValueError):
        rules.parse_occurred("7/9")


REGIONS = {
    "330282005": rules.KnownRegion("town", "330282005", "330282"),
    "330282005002": rules.KnownRegion("village", "330282005", "330282"),
    "330282005206": rules.KnownRegion("village", "330282005", "330282", "PSB"),
    "330282108": rules.KnownRegion("town", "330282108", "330282"),
}
STATIONS = {"PSA": frozenset({"330282005"}), "PSB": frozenset({"330282108"})}


def test_region_code_names_a_village_or_a_town_in_9_or_12_digits():
    assert rules.region_of("330282005000", REGIONS)[0] == "330282005"
    assert rules.region_of("330282005002", REGIONS)[0] == "330282005002"
    assert rules.region_of("330282", REGIONS) is None


def test_station_is_the_villages_own_else_the_only_one_over_its_town():
    by_town = {"330282005": ["PSA"], "330282108": ["PSB", "PSC"]}
    assert rules.station_of(REGIONS["330282005206"], "330282005206", by_town) == "PSB"
    assert rules.station_of(REGIONS["330282005002"], "330282005002", by_town) == "PSA"
    assert rules.station_of(REGIONS["330282108"], "330282108", by_town) is None


def test_a_village_assigned_to_a_station_belongs_to_that_station_only():
    village = REGIONS["330282005206"]
    assert rules.station_covers("PSB", village, "330282005206", STATIONS)
    assert not rules.station_covers("PSA", village, "330282005206", STATIONS)


CASE = {"district_code": "330282", "town_code": "330282005", "station_code": None}


@pytest.mark.parametrize(
    "scope, seen",
    [
        (Scope(), True),
        (Scope("district", "330282"), True),
        (Scope("district", "330206"), False),
        (Scope("town", "330282005"), True),
        (Scope("town", "330282108"), False),
        (Scope("station", "PSA", frozenset({"330282005"})), True),
        (Scope("station", "PSB", frozenset({"330282108"})), False),
    ],
)
def test_case_scope(scope, seen):
    assert rules.case_in_scope(scope, CASE) is seen
    named = {**CASE, "station_code": "PSB"}
    assert rules.case_in_scope(Scope("station", "PSB", frozenset()), named)
    assert not rules.case_in_scope(Scope("station", "PSA", frozenset({"330282005"})), named)
