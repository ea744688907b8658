"""Demo warnings since 1 May, shaped by the source report: "5月以来…累计预警劝阻近2.5万人次,成功止付
资金600余万元" — about 25,000 people dissuaded and ¥6M stopped, here spread over Ningbo by town
population. High-risk warnings are answered in minutes, low-risk ones in hours; a few are still
open today, some missed their targets, and a handful were 劝阻失败 (a case of the same person
followed). Deterministic for a seed; every warning is marked is_demo. Also the live feed: while
the demo serves, one new warning every 20–60 s so a station board moves.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Sequence

from campaign.accounts.rules import Scope
from campaign.cases import queries as cases
from campaign.cases.rules import station_of
from campaign.phones import keep_phone
from campaign.regions import queries as regions
from campaign.timeutil import LOCAL, today
from campaign.warnings import queries, rules
from campaign.warnings.rules import WarningRecord

#: ≈ 25,000 dissuaded / 0.86 successful share → warnings since 1 May.
TARGET_DISSUADED = 25_000
STOPPED_TOTAL_YUAN = 6_000_000
RISK_SHARES = ((rules.HIGH, 0.22), (rules.MEDIUM, 0.45), (rules.LOW, 0.33))
#: outcome, share of closed warnings
OUTCOME_SHARES = (
    (rules.DISSUADED, 0.826),
    (rules.STOPPED, 0.034),
    (rules.DEFRAUDED, 0.012),
    (rules.UNREACHABLE, 0.068),
    (rules.FALSE_ALARM, 0.06),
)
SUCCESS_SHARE = 0.86
TYPES = (
    ("兼职刷单", 0.30),
    ("投资理财", 0.25),
    ("冒充客服", 0.18),
    ("贷款", 0.12),
    ("冒充亲友", 0.08),
    ("冒充公检法", 0.03),
    ("网络婚恋", 0.02),
    ("网络游戏", 0.02),
)
CHANNELS = (("涉诈电话", 0.45), ("APP", 0.25), ("资金", 0.15), ("短信", 0.15))
#: Median minutes to 签收 and then to 首次联系, per risk level.
MEDIAN_MINUTES = {rules.HIGH: (2.5, 9), rules.MEDIUM: (14, 50), rules.LOW: (70, 240)}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗"
METHODS = (("phone", 0.55), ("visit", 0.2), ("several", 0.2), ("video", 0.05))


_CUMULATIVE: dict[int, tuple[list, list[float]]] = {}


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    """One key by its share (cumulative weights computed once per table: 30,000 draws)."""
    keys, cumulative = _CUMULATIVE.get(id(shares)) or _CUMULATIVE.setdefault(
        id(shares), ([k for k, _ in shares], list(itertools.accumulate(w for _, w in shares)))
    )
    return rng.choices(keys, cum_weights=cumulative)[0]


def _name(rng: random.Random, role: str) -> str:
    return rng.choice(SURNAMES) + role


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('356789')}{rng.randrange(10**9):09d}"


async def places() -> list[tuple[str, str, str, str | None, int]]:
    """(village or town code, town, district, station, weight) for every village of Ningbo."""
    rows = await regions.regions(Scope(), {"level": "village"}, 0, None)
    ref = await queries.reference()
    town_stations = ref.town_stations
    out = []
    for row in rows:
        region = ref.regions.get(row["code"])
        station = station_of(region, row["code"], town_stations) if region else None
        out.append(
            (
                row["code"],
                row["town_code"],
                row["district_code"],
                station,
                row["population"] or 1000,
            )
        )
    return out


def _record(
    rng: random.Random,
    number: str,
    issued: dt.datetime,
    place: tuple,
) -> WarningRecord:
    code, town, district, station, _weight = place
    kept = keep_phone(_phone(rng))
    amount = None if rng.random() < 0.4 else int(rng.lognormvariate(9.0, 1.2)) * 100
    return WarningRecord(
        row=0,
        warning_no=number,
        issued_at=issued,
        risk_level=_pick(rng, RISK_SHARES),
        phone_hash=kept.hash,
        phone_masked=kept.masked,
        region_code=code,
        village_code=code,
        town_code=town,
        district_code=district,
        address="",
        given_station_code=None,
        station_code=station,
        fraud_type=_pick(rng, TYPES),
        amount_fen=amount,
        channel=_pick(rng, CHANNELS),
    )


def _answered(rng: random.Random, record: WarningRecord, now: dt.datetime, targets: dict) -> dict:
    """What the station did with a warning: times, team, result, overdue flags."""
    ack_median, contact_median = MEDIAN_MINUTES[record.risk_level]
    ack = record.issued_at + dt.timedelta(minutes=rng.lognormvariate(0, 0.8) * ack_median)
    contact = ack + dt.timedelta(minutes=rng.lognormvariate(0, 0.9) * contact_median)
    closed = contact + dt.timedelta(minutes=rng.lognormvariate(0, 0.8) * 90)
    values: dict = {"status": rules.NEW}
    if ack <= now:
        values.update(status=rules.ACKNOWLEDGED, acknowledged_at=ack)
        values["acknowledged_by"] = _name(rng, "警官")
    outcome = _pick(rng, OUTCOME_SHARES)
    reached = outcome not in (rules.UNREACHABLE,)
    if reached and contact <= now:
        values.update(status=rules.CONTACTED, first_contact_at=contact)
    if closed <= now and values["status"] != rules.NEW:
        values.update(
            status=rules.CLOSED,
            closed_at=closed,
            closed_by=values["acknowledged_by"],
            outcome=outcome,
            contact_method=_pick(rng, METHODS),
            officer_name=values["acknowledged_by"],
            auxiliary_name=_name(rng, "辅警"),
            grid_worker_name=_name(rng, "网格员") if rng.random() < 0.7 else "",
        )
        if outcome == rules.STOPPED:
            values["amount_stopped_fen"] = max(50_000, int(rng.lognormvariate(8.4, 1.0)) * 100)
    target = targets[record.risk_level]
    values["ack_overdue"] = rules.overdue(
        record.issued_at, values.get("acknowledged_at"), target.acknowledge, now
    )
    values["contact_overdue"] = rules.overdue(
        record.issued_at, values.get("first_contact_at"), target.contact, now
    )
    return values


async def generate_warnings(seed: int = 2026, since: dt.date | None = None) -> int:
    """Warnings since 1 May (or `since`) to now, bulk-inserted; returns how many."""
    rng = random.Random(seed)
    all_places = [p for p in await places() if p[3]]
    if not all_places:
        return 0
    cumulative = list(itertools.accumulate(p[4] for p in all_places))
    start = since or dt.date(today().year, 5, 1)
    if start > today():
        start = dt.date(today().year - 1, 5, 1)
    now = dt.datetime.now(LOCAL)
    days = (today() - start).days + 1
    total = int(TARGET_DISSUADED / (SUCCESS_SHARE * 0.97))
    per_day = total / days
    targets = await queries.targets()
    records: list[tuple[WarningRecord, dict]] = []
    number = 0
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        count = max(0, int(rng.gauss(per_day, per_day * 0.15)))
        for _ in range(count):
            minute = int(rng.triangular(7 * 60, 23 * 60, 15 * 60))
            issued = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=LOCAL)
            if issued > now:
                continue
            number += 1
            place = rng.choices(all_places, cum_weights=cumulative)[0]
            record = _record(rng, f"DEMO{day:%Y%m%d}{number:06d}", issued, place)
            records.append((record, _answered(rng, record, now, targets)))
    _scale_stopped(records)
    await _link_failures(rng, records)
    await queries.insert_demo_warnings(records)
    await _attempts(rng, now - dt.timedelta(days=14))
    return len(records)


async def _attempts(rng: random.Random, since: dt.datetime) -> None:
    """Contact attempts for the last two weeks' warnings: unanswered calls, then the one that
    reached the person at the time of first contact (one demo warning took 11 visits, 13 calls)."""
    attempts = []
    for row in await queries.contacted_since(since):
        tries = 1 + min(int(rng.expovariate(0.9)), 6)
        if rng.random() < 0.002:
            tries = 24
        who = row.officer_name or row.acknowledged_by or _name(rng, "警官")
        step = (row.first_contact_at - row.issued_at) / (tries + 1)
        for i in range(1, tries + 1):
            last = i == tries
            attempts.append(
                {
                    "warning_id": row.id,
                    "at": row.first_contact_at if last else row.issued_at + step * i,
                    "method": "visit"
                    if last and rng.random() < 0.3
                    else rng.choice(("call", "call", "sms")),
                    "by_name": who,
                    "reached": last,
                    "result": "已当面劝阻,当事人认可是诈骗" if last else "未接通",
                }
            )
    await queries.insert_demo_attempts(attempts)


def _scale_stopped(records: list[tuple[WarningRecord, dict]]) -> None:
    """Bring the funds stopped to the report's ¥6M (the lognormal sum wanders)."""
    stopped = [v for _r, v in records if v.get("outcome") == rules.STOPPED]
    total = sum(v["amount_stopped_fen"] for v in stopped)
    if not total:
        return
    factor = STOPPED_TOTAL_YUAN * 100 / total
    for values in stopped:
        values["amount_stopped_fen"] = max(100, int(values["amount_stopped_fen"] * factor))


async def _link_failures(rng: random.Random, records: list[tuple[WarningRecord, dict]]) -> None:
    """劝阻失败: a few demo cases are made the later cases of earlier warnings in their station."""
    earliest = min((r.issued_on for r, _v in records), default=today())
    found = await cases.cases(Scope(), {"from": earliest, "to": today()}, 0, 2000)
    by_station: dict[str, list[tuple[WarningRecord, dict]]] = {}
    for record, values in records:
        if record.station_code and values.get("outcome") in rules.SUCCESSFUL:
            by_station.setdefault(record.station_code, []).append((record, values))
    days_of: dict[str, list[dt.date]] = {}
    for station, items in by_station.items():
        items.sort(key=lambda item: item[0].issued_at)
        days_of[station] = [r.issued_on for r, _v in items]
    for case in found:
        items = by_station.get(case["station_code"] or "", [])
        days = days_of.get(case["station_code"] or "", [])
        first = bisect.bisect_left(days, case["occurred_on"] - dt.timedelta(days=rules.MATCH_DAYS))
        last = bisect.bisect_right(days, case["occurred_on"])
        candidates = [v for _r, v in items[first:last] if "failed_case_no" not in v]
        if candidates and rng.random() < 0.35:
            values = rng.choice(candidates)
            values["failed_case_no"] = case["case_no"]
            values["failed_at"] = dt.datetime.combine(
                case["occurred_on"], dt.time(20), tzinfo=LOCAL
            )


# -- The live feed while the demo serves ----------------------------------------------------------


async def one_live_warning(rng: random.Random) -> int | None:
    """Push one new warning the way the platform would (through the intake), mostly to the demo
    stations the demo logins look at, so their boards move."""
    all_places = await places()
    if not all_places:
        return None
    favourites = [p for p in all_places if p[3] in ("PS330282005", "PS330282108")]
    place = rng.choice(favourites if favourites and rng.random() < 0.5 else all_places)
    now = dt.datetime.now(LOCAL).replace(microsecond=0)
    record = _record(rng, f"LIVE{now:%Y%m%d%H%M%S}{rng.randrange(1000):03d}", now, place)
    plan = queries.IntakePlan(added=[record])
    ids = await queries.store_warnings(plan, None, "demo", label="demo-feed", is_demo=True)
    return ids.get(record.warning_no)
