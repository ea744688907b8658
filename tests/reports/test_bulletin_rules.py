"""The bulletin's definitions as pure functions, checked against brute-force oracles."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from campaign.reports import rules
from campaign.reports.rules import Week, WeekError

days = st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31))


# -- ISO weeks ---------------------------------------------------------------------------------


def _weeks_in_year_oracle(year: int) -> int:
    day, best = dt.date(year, 12, 20), 0
    while day <= dt.date(year + 1, 1, 10):
        if day.isocalendar().year == year:
            best = max(best, day.isocalendar().week)
        day += dt.timedelta(days=1)
    return best


@given(st.integers(2001, 2099))
def test_weeks_in_year_matches_counting_the_days(year):
    assert rules.weeks_in_year(year) == _weeks_in_year_oracle(year)


@given(days)
def test_every_day_lies_in_the_monday_to_sunday_week_its_key_names(day):
    week = rules.week_of(day)
    assert rules.parse_week(week.key) == week
    assert week.start <= day <= week.end
    assert week.start.weekday() == 0 and (week.end - week.start).days == 6


@given(days)
def test_previous_week_ends_the_day_before_this_week_starts(day):
    week = rules.week_of(day)
    assert week.previous.end == week.start - dt.timedelta(days=1)
    assert week.shifted(1).previous == week


def test_week_53_and_new_year():
    assert rules.weeks_in_year(2020) == 53
    w53 = rules.parse_week("2020-W53")
    assert (w53.start, w53.end) == (dt.date(2020, 12, 28), dt.date(2021, 1, 3))
    assert rules.parse_week("2021-W01").previous == w53
    assert w53.year_earlier == Week(2019, 52)  # 2019 has no week 53
    assert rules.parse_week("2026-W01").start == dt.date(2025, 12, 29)
    assert rules.week_of(dt.date(2027, 1, 1)) == Week(2026, 53)
    assert rules.week_label(w53) == "2020年12月28日至2021年1月3日"
    assert rules.week_label(Week(2023, 27)) == "7月3日至9日"
    assert rules.week_label(rules.week_of(dt.date(2023, 7, 31))) == "7月31日至8月6日"


@pytest.mark.parametrize(
    "text, message",
    [
        ("2021-W53", "只有 52 个"),
        ("2023-W00", "没有第 0 周"),
        ("2023-27", "格式"),
        ("abc", "格式"),
        ("", "格式"),
        ("1899-W01", "超出范围"),
    ],
)
def test_malformed_or_missing_weeks_are_refused_in_chinese(text, message):
    with pytest.raises(WeekError, match=message):
        rules.parse_week(text)


def test_a_week_that_has_not_begun_is_refused():
    today = dt.date(2026, 11, 29)  # a Sunday
    rules.check_not_future(rules.week_of(today), today)
    with pytest.raises(WeekError, match="还没有开始"):
        rules.check_not_future(rules.week_of(today).shifted(1), today)


def test_the_monday_bulletin_reports_the_week_that_just_ended():
    assert rules.last_complete_week(dt.date(2023, 7, 10)) == Week(2023, 27)
    assert rules.last_complete_week(dt.date(2023, 7, 16)) == Week(2023, 27)
    assert rules.last_complete_week(dt.date(2021, 1, 4)) == Week(2020, 53)


# -- Series and top lists ----------------------------------------------------------------------


@given(st.lists(st.integers(0, 30), max_size=14))
def test_decline_weeks_counts_the_latest_run_of_falls(series):
    k = rules.decline_weeks(series)
    best = 0
    for n in range(len(series)):
        tail = series[len(series) - n - 1 :]
        if len(tail) == n + 1 and all(b < a for a, b in zip(tail, tail[1:], strict=False)):
            best = n
    assert k == best


area_rows = st.lists(
    st.tuples(st.integers(0, 12), st.integers(0, 12), st.integers(0, 10**6)), max_size=9
).map(
    lambda rows: [
        {"code": f"A{i}", "cases": c, "previous_cases": p, "loss_fen": loss}
        for i, (c, p, loss) in enumerate(rows)
    ]
)


@given(area_rows)
def test_top_by_decline_matches_picking_the_largest_fall_one_at_a_time(rows):
    candidates = [
        r for r in rows if r["previous_cases"] > 0 and 0 < r["cases"] < r["previous_cases"]
    ]
    expected = []
    while candidates and len(expected) < 3:

        def better(a, b):
            fa = Fraction(a["previous_cases"] - a["cases"], a["previous_cases"])
            fb = Fraction(b["previous_cases"] - b["cases"], b["previous_cases"])
            if fa != fb:
                return fa > fb
            da, db = a["previous_cases"] - a["cases"], b["previous_cases"] - b["cases"]
            if da != db:
                return da > db
            return a["code"] < b["code"]

        pick = candidates[0]
        for r in candidates[1:]:
            if better(r, pick):
                pick = r
        expected.append(pick)
        candidates.remove(pick)
    assert rules.top_by_decline(rows) == expected


def test_decline_ties_go_to_the_larger_absolute_fall():
    rows = [
        {"code": "A", "cases": 1, "previous_cases": 2},  # −50 %, −1
        {"code": "B", "cases": 5, "previous_cases": 10},  # −50 %, −5
        {"code": "C", "cases": 0, "previous_cases": 10},  # no cases this week: not "both weeks"
        {"code": "D", "cases": 3, "previous_cases": 0},
    ]
    assert [r["code"] for r in rules.top_by_decline(rows)] == ["B", "A"]


@given(area_rows)
def test_top_by_cases_is_the_three_largest_with_ties_by_loss_then_code(rows):
    top = rules.top_by_cases(rows)
    rest = [r for r in rows if r not in top and r["cases"] > 0]
    key = lambda r: (r["cases"], r["loss_fen"], [-ord(ch) for ch in r["code"]])  # noqa: E731
    assert all(key(t) > key(r) for t in top for r in rest)
    assert len(top) == min(3, sum(1 for r in rows if r["cases"] > 0))


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(0, 40)))
def test_shares_add_up_and_leading_four_is_their_sum(counts):
    items = rules.shares(counts)
    total = sum(counts.values())
    assert [i["cases"] for i in items] == sorted((n for n in counts.values() if n), reverse=True)
    if total:
        assert sum(i["share"] for i in items) == pytest.approx(1.0)
        lead = sum(i["cases"] for i in items[:4])
        assert lead >= sum(sorted(counts.values(), reverse=True)[:4])


@given(st.integers(0, 120) | st.none())
def test_every_age_falls_in_exactly_one_band(age):
    label = rules.age_band(age)
    matching = [b for b, low, high in rules.AGE_BANDS if age is not None and low <= age <= high]
    assert label == (matching[0] if matching else rules.UNKNOWN_AGE)


def test_a_rise_from_one_to_three_is_not_sharp_but_eight_to_eighteen_is():
    risers = rules.sharp_risers({"冒充亲友": 18, "网络游戏": 3}, {"冒充亲友": 8, "网络游戏": 1})
    assert [r["name"] for r in risers] == ["冒充亲友"]
    assert risers[0]["cases"] == 18


# -- Areas ---------------------------------------------------------------------------------------

TOWNS = {f"33020{i}001": f"T{i}" for i in range(6)}


@given(
    st.lists(
        st.tuples(st.sampled_from(["北仑", "大榭", " "]), st.sampled_from(sorted(TOWNS) + ["999"]))
    )
)
def test_area_check_flags_exactly_the_towns_left_out_or_doubled(pairs):
    problems = {p.kind: set(p.codes) for p in rules.check_areas(pairs, TOWNS)}
    named = {}
    for area, town in pairs:
        if area.strip():
            named.setdefault(town, set()).add(area.strip())
    assert problems.get("missing", set()) == {t for t in TOWNS if t not in named}
    assert problems.get("duplicate", set()) == {
        t for t, n in named.items() if len(n) > 1 and t in TOWNS
    }
    assert problems.get("unknown", set()) == ({"999"} if "999" in named else set())


def test_area_errors_name_the_towns():
    pairs = [("北仑", "330206001"), ("大榭", "330206001")]
    towns = {"330206001": "新碶街道", "330206002": "大碶街道"}
    messages = " ".join(p.message for p in rules.check_areas(pairs, towns))
    assert "新碶街道(北仑/大榭)" in messages
    assert "大碶街道(330206002)" in messages and "没有分到任何片区" in messages


# -- Reminders -----------------------------------------------------------------------------------

reminders = st.lists(
    st.builds(
        rules.Reminder,
        id=st.integers(1, 99),
        text=st.just("x"),
        fraud_type=st.sampled_from(["", "投资理财", "贷款"]),
        occupation_group=st.sampled_from(["", "学生", "教师"]),
        months=st.frozensets(st.integers(1, 12), max_size=3),
    ),
    max_size=8,
)


@given(
    reminders,
    st.sampled_from(["投资理财", "贷款", "其他"]),
    st.sampled_from(["学生", ""]),
    st.integers(1, 12),
)
def test_the_chosen_reminder_is_the_first_best_fitting_one(items, kind, group, month):
    def fits(r):
        return (
            (not r.fraud_type or r.fraud_type == kind)
            and (not r.occupation_group or r.occupation_group == group)
            and (not r.months or month in r.months)
        )

    def score(r):
        return 2 * bool(r.fraud_type) + 2 * bool(r.occupation_group) + bool(r.months)

    fitting = [r for r in items if fits(r)]
    expected = None
    for r in fitting:
        if expected is None or score(r) > score(expected):
            expected = r
    assert rules.choose_reminder(items, kind, group, month) == expected


def test_months_are_read_as_lists_and_ranges():
    assert rules.parse_months("7,8") == {7, 8}
    assert rules.parse_months("7-9、12") == {7, 8, 9, 12}
    assert rules.parse_months("") == frozenset()
    with pytest.raises(ValueError):
        rules.parse_months("13")


def test_the_text_uses_full_width_punctuation():
    figures = {
        "label": "7月3日至9日",
        "cases": 0,
        "previous_cases": 3,
        "has_previous_data": True,
    }
    text = rules.narrative(figures)
    assert "\uff08" in text and "\uff09" in text and "\uff0c" in text and "," not in text


@given(
    st.dictionaries(
        st.sampled_from(["学生", "医务人员", "教师", "企业职员", "其他"]), st.integers(0, 9)
    )
)
def test_the_text_names_the_first_three_groups_in_the_managed_order_with_victims(counts):
    order = ["学生", "医务人员", "教师", "企业职员", "其他"]
    named = [g["name"] for g in rules.text_groups(counts, order)]
    expected = [g for g in order if g != "其他" and counts.get(g, 0) > 0][:3]
    assert named == expected
