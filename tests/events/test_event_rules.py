"""The rules of outreach events, checked against brute-force oracles with Hypothesis."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from campaign.accounts.rules import Place, Scope
from campaign.events import rules
from campaign.timeutil import LOCAL

DOOR = rules.TypeSpec(
    id=2,
    name="敲门入户",
    counts_as_lecture=False,
    points=2.0,
    figures=rules.default_figures(dict(rules.DEFAULT_EVENT_TYPES[1][3])),
)
NOW = dt.datetime(2026, 7, 9, 15, 30, tzinfo=LOCAL)


def test_door_to_door_with_twenty_thousand_attendees_is_absurd():
    figures, errors = rules.check_figures(DOOR, {"attendees": "20000", "households": "40"})
    assert "attendees" in errors and "households" not in errors


@given(st.dictionaries(st.sampled_from(rules.FIGURES), st.integers(-10_000, 3_000_000).map(str)))
def test_figures_are_accepted_exactly_when_whole_and_within_the_types_bound(raw):
    figures, errors = rules.check_figures(DOOR, raw)
    for key in rules.FIGURES:
        bound = DOOR.bound(key)
        value = int(raw.get(key, "0"))
        ok = bound is None or 0 <= value <= bound
        assert (key not in errors) == ok
        if ok:
            assert figures[key] == (value if bound is not None else 0)


def test_one_door_to_door_event_scores_its_type_points_and_nothing_for_no_figures():
    assert rules.event_points(DOOR, {}) == DOOR.points == 2.0
    assert rules.event_points(DOOR, {}, events=3) == 6.0


@given(
    st.dictionaries(st.sampled_from(rules.FIGURES), st.integers(0, 10_000)),
    st.integers(1, 50),
    st.sampled_from(rules.FIGURES),
)
def test_points_grow_by_the_type_points_per_event_and_by_each_figures_points_per_unit(
    figures, events, key
):
    """The oracle counts one more event, or one more unit of a figure, and looks at the step —
    the points of the type's definition (DOOR.figures), whatever the formula inside."""
    base = rules.event_points(DOOR, figures, events)
    assert abs(rules.event_points(DOOR, figures, events + 1) - base - DOOR.points) < 1e-6
    one_more = {**figures, key: figures.get(key, 0) + 1}
    step = DOOR.figures[key]["points"] if key in DOOR.figures else 0
    assert abs(rules.event_points(DOOR, one_more, events) - base - step) < 1e-6


def oracle_may_verify(role, scope, user_id, place, unit_kind, submitter):
    """Brute force: list who sits above whom (coordinators and leaders alike)."""
    if user_id == submitter or role not in ("admin", "coordinator", "leader"):
        return False
    if role == "admin":
        return True
    above = {"station": {"town", "district", None}, "town": {"district", None}, "district": {None}}
    from campaign.accounts.rules import covers

    return covers(scope, place) and scope.kind in above.get(unit_kind, set())


scopes = st.sampled_from(
    [
        Scope(),
        Scope("district", "330282"),
        Scope("district", "330206"),
        Scope("town", "330282005"),
        Scope("town", "330282108"),
        Scope("station", "PS330282108", frozenset({"330282108"})),
    ]
)
places = st.sampled_from(
    [
        Place("village", "330282005002", "330282", "330282005", None),
        Place("village", "330282108201", "330282", "330282108", None),
        Place("town", "330282108", "330282", "330282108", None),
        Place("village", "330206002001", "330206", "330206002", None),
    ]
)


@given(
    st.sampled_from(["admin", "leader", "coordinator", "team"]),
    scopes,
    st.integers(1, 3),
    places,
    st.sampled_from(["station", "town", "district"]),
    st.integers(1, 3),
)
def test_verification_is_for_the_unit_above_never_the_submitter(role, scope, uid, place, unit, sub):
    if role == "admin":
        scope = Scope()
    assert rules.may_verify(role, scope, uid, place, unit, sub) == oracle_may_verify(
        role, scope, uid, place, unit, sub
    )


@given(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
def test_rising_compares_equal_length_periods_where_last_month_allows(day):
    (a, b), (c, d) = rules.month_to_date_pair(day)
    assert a.day == 1 and b == day and c.day == 1 and d < a
    assert (d - c) == min(b - a, (a - dt.timedelta(days=1)) - c)


def test_a_future_date_and_an_end_before_start_are_refused():
    form = {"place_code": "330282005002", "day": "2026-07-10", "start": "09:00", "end": "10:00"}
    _, errors = rules.check_event(form, [], DOOR, [], NOW)
    assert "day" in errors
    form |= {"day": "2026-07-09", "start": "11:00", "end": "10:30"}
    _, errors = rules.check_event(form, [], DOOR, [], NOW)
    assert set(errors) == {"end"}


@given(st.integers(2000, 2100), st.integers(1, 12))
def test_month_grid_holds_every_day_once_in_monday_weeks(year, month):
    weeks = rules.month_grid(year, month)
    days = [d for week in weeks for d in week if d]
    first, last = rules.month_bounds(dt.date(year, month, 1))
    assert days == [first + dt.timedelta(n) for n in range((last - first).days + 1)]
    assert all(len(week) == 7 for week in weeks)
    assert all(d.weekday() == i for week in weeks for i, d in enumerate(week) if d)


#: Every kind of outreach the newspaper report names → the default type that records it.
REPORT_NAMES_TYPE = {
    "千人反诈大讲堂、巡回反诈宣讲": "宣讲/讲堂",
    "敲门入户": "敲门入户",
    "入村社": "进村社",
    "入企业": "进企业",
    "入高校": "进校园",
    "“警格+网格”“捆绑式”集中宣传": "集中宣传(警格+网格)",
    "新冠疫苗接种点,利用接种群众排队、留观的等待时间": "接种点/集市等候区宣传",
    "分批次进行精准宣传培训": "培训",
    "宣传文章、短视频推送": "线上推送",
}


def test_every_kind_of_outreach_the_report_names_has_a_default_type():
    defaults = [name for name, *_ in rules.DEFAULT_EVENT_TYPES]
    assert set(REPORT_NAMES_TYPE.values()) <= set(defaults)
    assert len(defaults) == len(set(defaults))
    assert "摆摊宣传" in defaults and "其他" in defaults


EDITORS = {
    # (role, is the creator, status, may write the place) -> may edit; written out by hand
    ("admin", False, "submitted", True): True,
    ("admin", False, "returned", True): True,
    ("admin", True, "verified", True): False,
    ("coordinator", True, "submitted", True): True,
    ("coordinator", True, "returned", True): True,
    ("coordinator", True, "returned", False): False,
    ("coordinator", False, "returned", True): False,
    ("coordinator", True, "verified", True): False,
    ("leader", False, "submitted", True): False,
}


def test_one_rule_decides_who_may_edit_an_event():
    for (role, creator, status, writes), expected in EDITORS.items():
        assert rules.may_edit(role, 7, 7 if creator else 8, status, writes) is expected, (
            role,
            creator,
            status,
            writes,
        )
