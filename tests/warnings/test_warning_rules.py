"""What a warning means, as pure functions: checking, dispatch, the clock, results, figures."""

from __future__ import annotations

import datetime as dt
import math

from hypothesis import given
from hypothesis import strategies as st

from campaign.cases.rules import KnownRegion, Reference
from campaign.phones import keep_phone, normalise_phone
from campaign.warnings import rules
from campaign.warnings.rules import Victim, WarningFacts

REF = Reference(
    regions={
        "330282005": KnownRegion("town", "330282005", "330282"),
        "330282005002": KnownRegion("village", "330282005", "330282", None),
        "330282005206": KnownRegion("village", "330282005", "330282", "PS330282108"),
        "330206002": KnownRegion("town", "330206002", "330206"),
        "330206009": KnownRegion("town", "330206009", "330206"),
    },
    stations={
        "PS330282005": frozenset({"330282005"}),
        "PS330282108": frozenset({"330282108"}),
        "PS330206002": frozenset({"330206002", "330206009"}),
        "PS330206099": frozenset({"330206009"}),
    },
    fraud_types={"刷单": "兼职刷单", "兼职刷单": "兼职刷单", "投资理财": "投资理财"},
    occupations={},
    tracked_since=None,
    today=dt.date(2026, 7, 9),
)


def row(n=2, **cells):
    base = {
        "warning_id": f"W{n}",
        "issued_at": "2026-07-09 14:30",
        "risk_level": "高",
        "phone": "138 1234 5678",
    }
    return (n, {**base, **cells})


def test_good_row_is_placed_and_dispatched_to_the_village_town_station():
    records, errors = rules.validate_warnings([row(region_code="330282005002")], REF)
    assert errors == []
    (record,) = records
    assert (record.village_code, record.town_code, record.district_code) == (
        "330282005002",
        "330282005",
        "330282",
    )
    assert record.station_code == "PS330282005"
    assert record.phone_masked == "138****5678" and "13812345678" not in record.phone_hash
    assert record.issued_at.isoformat() == "2026-07-09T14:30:00+08:00"


def test_village_of_its_own_station_goes_there_not_to_the_towns():
    (record,), _ = rules.validate_warnings([row(region_code="330282005206")], REF)
    assert record.station_code == "PS330282108"


def test_unknown_village_or_a_town_of_two_stations_waits_for_the_centre():
    records, errors = rules.validate_warnings(
        [row(2, region_code="330299999999"), row(3, region_code="330206009"), row(4)], REF
    )
    assert errors == []
    assert [r.station_code for r in records] == [None, None, None]
    assert records[1].town_code == "330206009"


def test_named_station_wins_when_it_exists():
    (record,), _ = rules.validate_warnings(
        [row(region_code="330206009", station_code="PS330206099")], REF
    )
    assert record.station_code == "PS330206099"


def test_every_bad_cell_is_named_with_its_row_and_column():
    rows = [
        row(2, warning_id="", risk_level="紧急", phone="12345", amount_yuan="-5"),
        row(3, issued_at="昨天", amount_yuan="200000000"),
        row(4, warning_id="W3"),
    ]
    _, errors = rules.validate_warnings(rows, REF)
    where = {(e.row, e.column) for e in errors}
    assert {(2, "预警编号"), (2, "风险等级"), (2, "手机号"), (2, "涉险金额")} <= where
    assert {(3, "下发时间"), (3, "涉险金额"), (4, "预警编号")} <= where


def test_future_issue_time_is_refused():
    later = (dt.datetime.now(rules.LOCAL) + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    _, errors = rules.validate_warnings([row(issued_at=later)], REF)
    assert [e.column for e in errors] == ["下发时间"]


def test_fraud_type_aliases_map_to_the_managed_list_and_unknown_to_other():
    records, _ = rules.validate_warnings(
        [row(2, fraud_type="刷单"), row(3, fraud_type="新型骗术"), row(4)], REF
    )
    assert [r.fraud_type for r in records] == ["兼职刷单", "其他", ""]


def test_same_content_has_the_same_digest_and_any_change_another():
    (a,), _ = rules.validate_warnings([row(amount_yuan="100")], REF)
    (b,), _ = rules.validate_warnings([row(amount_yuan="100.00", phone="+86 13812345678")], REF)
    (c,), _ = rules.validate_warnings([row(amount_yuan="100.01")], REF)
    assert a.digest == b.digest != c.digest


def test_phone_forms_and_malformed_phones():
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert normalise_phone(13812345678.0) == "13812345678"
    assert normalise_phone("0574-86123456") == "057486123456"
    for bad in ("", "1381234567", "23812345678", "138123456789", "abc", None):
        try:
            normalise_phone(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    kept = keep_phone("13812345678")
    assert kept.masked == "138****5678" and "13812345678" not in kept.hash


def test_closing_needs_an_outcome_and_a_sane_amount_for_stopped_funds():
    assert rules.check_closing("phone", "", "", "")[1].keys() == {"outcome"}
    assert "amount" in rules.check_closing("visit", "stopped", "", "")[1]
    assert "amount" in rules.check_closing("visit", "stopped", "-100", "")[1]
    assert "amount" in rules.check_closing("visit", "stopped", "0", "")[1]
    assert "amount" in rules.check_closing("visit", "stopped", "100000001", "")[1]
    closing, errors = rules.check_closing("visit", "stopped", "12,345.60", " 已止付 ")
    assert errors == {} and closing.amount_stopped_fen == 1234560 and closing.notes == "已止付"
    closing, _ = rules.check_closing("phone", "dissuaded", "999", "")
    assert closing.amount_stopped_fen == 0


def test_targets_come_from_settings_with_defaults_for_missing_or_broken_values():
    targets = rules.targets_from({"warnings.targets.high": "10,60", "warnings.targets.low": "x"})
    assert targets["high"] == rules.Target(10, 60)
    assert targets["medium"] == rules.Target(30, 240)
    assert targets["low"] == rules.Target(240, 1440)


def test_a_step_is_overdue_when_done_late_or_not_done_past_its_deadline():
    issued = dt.datetime(2026, 7, 9, 8, 0, tzinfo=dt.UTC)
    at = issued + dt.timedelta(minutes=6)
    assert rules.overdue(issued, None, 5, at)
    assert not rules.overdue(issued, issued + dt.timedelta(minutes=4), 5, at)
    assert rules.overdue(issued, issued + dt.timedelta(minutes=7), 5, at)


def _oracle_percentile(values, p):
    """Brute force: the smallest value with at least p % of the values at or below it."""
    if not values:
        return None
    return min(v for v in values if sum(1 for w in values if w <= v) >= p / 100 * len(values))


@given(st.lists(st.integers(0, 10_000), max_size=60), st.sampled_from([50, 90, 100, 1, 75]))
def test_percentile_matches_the_brute_force_definition(values, p):
    assert rules.percentile(values, p) == _oracle_percentile(values, p)


facts = st.builds(
    WarningFacts,
    code=st.sampled_from(["A", "B", "C"]),
    outcome=st.sampled_from([None, *rules.OUTCOMES]),
    amount_stopped_fen=st.integers(0, 10**8),
    acknowledge_seconds=st.one_of(st.none(), st.integers(0, 10**5).map(float)),
    contact_seconds=st.one_of(st.none(), st.integers(0, 10**5).map(float)),
    failed=st.booleans(),
)


@given(st.lists(facts, max_size=40))
def test_figures_count_each_unit_like_the_report_does(items):
    figures = rules.figures_of(items)
    assert set(figures) == {f.code for f in items}
    for code, got in figures.items():
        mine = [f for f in items if f.code == code]
        assert got.warnings == len(mine)
        assert got.dissuaded == sum(
            1 for f in mine if f.outcome in ("dissuaded", "stopped") and not f.failed
        )
        assert got.stopped_fen == sum(f.amount_stopped_fen for f in mine if f.outcome == "stopped")
        assert got.defrauded == sum(1 for f in mine if f.outcome == "defrauded")
        assert got.unreachable == sum(1 for f in mine if f.outcome == "unreachable")
        acks = [f.acknowledge_seconds for f in mine if f.acknowledge_seconds is not None]
        assert got.acknowledge_median == _oracle_percentile(acks, 50)
        assert got.acknowledge_p90 == _oracle_percentile(acks, 90)
        contacts = [f.contact_seconds for f in mine if f.contact_seconds is not None]
        assert got.contact_p90 == _oracle_percentile(contacts, 90)
        assert got.failed == sum(1 for f in mine if f.failed or f.outcome == "defrauded")
        rate = got.failed_rate
        assert rate is not None and math.isclose(rate, got.failed / len(mine))


days = st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@given(
    st.lists(st.tuples(st.sampled_from("pq"), days), max_size=15),
    st.lists(st.tuples(st.sampled_from("pqr"), days), max_size=8),
)
def test_a_warning_fails_when_a_case_of_its_phone_follows_within_30_days(warned, defrauded):
    warnings = [(i, phone, day) for i, (phone, day) in enumerate(warned)]
    victims = [Victim(phone, f"C{j}", day) for j, (phone, day) in enumerate(defrauded)]
    links = rules.match_failures(warnings, victims)
    for wid, phone, issued in warnings:
        following = sorted(
            (v.occurred_on, v.case_no)
            for v in victims
            if v.phone_hash == phone and issued <= v.occurred_on <= issued + dt.timedelta(days=30)
        )
        assert links.get(wid) == (following[0][1] if following else None)


def test_scope_sees_station_town_district_or_everything():
    from campaign.accounts.rules import Scope

    w = {"station_code": "PS1", "town_code": "330282005", "district_code": "330282"}
    assert rules.in_scope(Scope("station", "PS1"), w)
    assert not rules.in_scope(Scope("station", "PS2"), w)
    assert rules.in_scope(Scope("town", "330282005"), w)
    assert rules.in_scope(Scope("district", "330282"), w)
    assert not rules.in_scope(Scope("district", "330206"), w)
    assert rules.in_scope(Scope(), {"station_code": None})
    assert rules.can_act("coordinator", Scope("station", "PS1"), w)
    assert not rules.can_act("leader", Scope("station", "PS1"), w)
    assert not rules.can_act("coordinator", Scope("station", "PS2"), w)
