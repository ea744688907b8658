"""The 平安考核 score: a hand-computed example, an oracle over random units, weights that must add
up to 100, red lines that zero a score and baseline items kept apart from the ranking."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.duties import rules
from campaign.duties.rules import UnitFacts
from campaign.rules import competition_ranks

WEIGHTS = {"tasks": 30, "contest": 20, "outreach": 20, "dissuasion": 15, "cases": 15}
BASELINE = {"min_events": 3, "max_overdue": 0}
RED = {"major_loss_yuan": 1_000_000, "red_line_tasks": True}

A = UnitFacts(
    "A",
    tasks_due=4,
    tasks_on_time=3,
    tasks_late=1,
    contest_percentiles=(100.0, 50.0),
    outreach_points=40.0,
    events_verified=5,
    cases=2,
    population=20_000,
)
B = UnitFacts(
    "B",
    tasks_due=2,
    tasks_on_time=1,
    contest_percentiles=(0.0,),
    outreach_points=10.0,
    events_verified=2,
    cases=1,
    population=5_000,
)
C = UnitFacts("C", outreach_points=20.0, events_verified=3, cases=0, population=10_000)


def test_hand_computed_example():
    """A: tasks (3 + 0.5)/4 = 87.5; contest mean(100, 50) = 75; outreach best = 100; no
    dissuasion data = 50; 1 case per 10k (B has 2, C 0) → 50.
    score = .30·87.5 + .20·75 + .20·100 + .15·50 + .15·50 = 26.25+15+20+7.5+7.5 = 76.25.
    B: tasks 50, contest 0, outreach 0, dissuasion 50, cases worst 0 → 15 + 0 + 0 + 7.5 + 0 = 22.5.
    C: no tasks 50, no contest 50, outreach (20-10)/(40-10) = 33.33, dissuasion 50, cases 100
    → 15 + 10 + 6.666 + 7.5 + 15 = 54.17 (points rounded first: 33.33 → 6.666)."""
    lines = {line.code: line for line in rules.score_assessment([A, B, C], WEIGHTS, BASELINE, RED)}
    assert lines["A"].score == 76.25 and lines["A"].rank == 1
    assert lines["C"].score == 54.17 and lines["C"].rank == 2
    assert lines["B"].score == 22.5 and lines["B"].rank == 3
    points = {i.key: i.points for i in lines["A"].indicators}
    assert points == {
        "tasks": 87.5,
        "contest": 75.0,
        "outreach": 100.0,
        "dissuasion": 50.0,
        "cases": 50.0,
    }
    assert lines["B"].baseline_ok is False  # 2 events < 3 and one task overdue
    assert [v.ok for v in lines["B"].baseline] == [False, False]
    assert lines["A"].baseline_ok and not lines["A"].vetoed


def test_a_red_line_zeroes_the_score_and_ranks_last_without_touching_the_indicators():
    vetoed = replace(A, max_case_loss_fen=150_000_000)
    lines = {
        line.code: line for line in rules.score_assessment([vetoed, B, C], WEIGHTS, BASELINE, RED)
    }
    assert lines["A"].vetoed and lines["A"].score == 0 and lines["A"].raw_score == 76.25
    assert lines["A"].rank == 3
    missed = UnitFacts("B", tasks_due=1, red_line_missed=1)
    lines = {
        line.code: line for line in rules.score_assessment([missed, C], WEIGHTS, BASELINE, RED)
    }
    assert lines["B"].vetoed
    assert not rules.score_assessment(
        [missed], WEIGHTS, BASELINE, {"major_loss_yuan": 0, "red_line_tasks": False}
    )[0].vetoed


def test_weights_must_add_up_to_100():
    weights, errors = rules.check_weights(
        {"tasks": "30", "contest": "20", "outreach": "20", "dissuasion": "15", "cases": "10"}
    )
    assert "合计须为 100" in errors["weights"] and "95" in errors["weights"]
    weights, errors = rules.check_weights({**{k: "20" for k in rules.INDICATORS}, "cases": "abc"})
    assert errors == {"cases": "请填写 0–100 的整数"}
    weights, errors = rules.check_weights({k: "20" for k in rules.INDICATORS})
    assert errors == {} and sum(weights.values()) == 100


units = st.lists(
    st.builds(
        UnitFacts,
        code=st.text("ABCDEFGH", min_size=1, max_size=3),
        tasks_due=st.integers(0, 6),
        contest_percentiles=st.lists(st.sampled_from([0.0, 25.0, 50.0, 100.0]), max_size=3).map(
            tuple
        ),
        outreach_points=st.floats(0, 500, allow_nan=False).map(lambda v: round(v, 2)),
        events_verified=st.integers(0, 8),
        dissuasion=st.one_of(st.none(), st.integers(0, 40).map(float)),
        cases=st.integers(0, 9),
        population=st.one_of(st.none(), st.integers(1_000, 50_000)),
        max_case_loss_fen=st.integers(0, 2 * 10**8),
        red_line_missed=st.integers(0, 1),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda u: u.code,
).map(
    lambda us: [replace(u, tasks_on_time=u.tasks_due // 2, tasks_late=u.tasks_due // 3) for u in us]
)


def oracle(units: list[UnitFacts]) -> dict[str, tuple[float, bool]]:
    """Brute force: every indicator from its definition, min–max by hand."""

    def minmax(values: dict[str, float | None], higher: bool) -> dict[str, float]:
        known = {c: v for c, v in values.items() if v is not None}
        out = {}
        for c, v in values.items():
            if v is None:
                out[c] = 50.0
            elif max(known.values()) == min(known.values()):
                out[c] = 100.0
            else:
                lo, hi = min(known.values()), max(known.values())
                out[c] = 100 * ((v - lo) if higher else (hi - v)) / (hi - lo)
        return out

    tasks = {
        u.code: 50.0
        if not u.tasks_due
        else 100 * (u.tasks_on_time + u.tasks_late / 2) / u.tasks_due
        for u in units
    }
    contest = {
        u.code: (sum(u.contest_percentiles) / len(u.contest_percentiles))
        if u.contest_percentiles
        else 50.0
        for u in units
    }
    outreach = minmax({u.code: u.outreach_points for u in units}, True)
    dissuasion = minmax({u.code: u.dissuasion for u in units}, True)
    cases = minmax(
        {u.code: (u.cases * 10_000 / u.population if u.population else None) for u in units}, False
    )
    result = {}
    for u in units:
        parts = [
            (tasks, "tasks"),
            (contest, "contest"),
            (outreach, "outreach"),
            (dissuasion, "dissuasion"),
            (cases, "cases"),
        ]
        raw = round(sum(WEIGHTS[k] * round(p[u.code], 2) / 100 for p, k in parts), 2)
        vetoed = u.max_case_loss_fen >= 100_000_000 or u.red_line_missed > 0
        result[u.code] = (0.0 if vetoed else raw, vetoed)
    return result


@settings(max_examples=150, deadline=None)
@given(units)
def test_scores_and_ranks_match_the_oracle(units):
    lines = rules.score_assessment(units, WEIGHTS, BASELINE, RED)
    expected = oracle(units)
    for line in lines:
        assert line.score == pytest.approx(expected[line.code][0], abs=0.011)
        assert line.vetoed == expected[line.code][1]
        assert sum(i.weight for i in line.indicators) == 100
    ranks = competition_ranks([(line.code, line.score) for line in lines])
    assert [(r, c) for r, c, _s in ranks] == [(line.rank, line.code) for line in lines]


def test_quarters():
    import datetime as dt

    assert rules.quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert rules.quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert rules.parse_quarter("2026Q2", dt.date(2026, 11, 1)) == (2026, 2)
    assert rules.parse_quarter("junk", dt.date(2026, 11, 1)) == (2026, 4)


def test_evidence_of_the_wrong_type_or_too_large_is_refused():
    _t, problem = rules.check_evidence_file(rules.PHOTO, "report.pdf", b"%PDF-1.4 ...")
    assert "照片" in problem and "jpg" in problem
    _t, problem = rules.check_evidence_file(rules.PHOTO, "fake.jpg", b"not a jpeg")
    assert "不符" in problem
    big = b"\xff\xd8\xff" + b"0" * rules.MAX_PHOTO_BYTES
    _t, problem = rules.check_evidence_file(rules.PHOTO, "big.jpg", big)
    assert "超过上限 10 MB" in problem
    content_type, problem = rules.check_evidence_file(rules.DOCUMENT, "plan.PDF", b"%PDF-1.7")
    assert problem is None and content_type == "application/pdf"


def test_review_threshold_and_closing_rules():
    assert rules.review_threshold_fen(None) == 10_000_000
    assert rules.review_threshold_fen("50000") == 5_000_000
    assert rules.needs_review(5_000_000, 5_000_000) and not rules.needs_review(4_999_999, 5_000_000)
    assert "不能空白结案" in rules.closing_errors("  ")["findings"]
    assert rules.closing_errors("宣传未覆盖该村") == {}
