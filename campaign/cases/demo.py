"""A year of generated cases for the demo, shaped by the source report's week (7月3日–9日):
185 cases city-wide and 660.6万元 lost; 投资理财, 兼职刷单, 冒充客服 and 贷款 together 88%;
冒充亲友 18 cases; among victims 33 students, 5 hospital staff, 1 teacher; most cases in 慈溪,
北仑 and 鄞州. Deterministic for a seed; every case is marked is_demo.

Places are skewed on purpose: a risk factor per town and per village (heavy-tailed), so a few
villages see cases most weeks while many go months without one — the streak boards need both.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence

from campaign.accounts.rules import Scope
from campaign.cases import queries, rules
from campaign.db import write_transaction
from campaign.regions import queries as regions
from campaign.system import queries as system
from campaign.timeutil import LOCAL, today

CASES_PER_WEEK = 185
LOSS_PER_WEEK_FEN = 660_600_000
DAYS = 365
#: (canonical type, share of cases, loss multiplier)
TYPE_SHARES = (
    ("投资理财", 0.30, 2.6),
    ("兼职刷单", 0.27, 0.55),
    ("冒充客服", 0.19, 0.7),
    ("贷款", 0.12, 0.35),
    ("冒充亲友", 0.097, 0.6),
    ("网络婚恋", 0.008, 3.0),
    ("冒充公检法", 0.006, 4.0),
    ("网络游戏", 0.005, 0.3),
    ("其他", 0.004, 0.5),
)
#: (occupation as victims state it, share, age range)
OCCUPATIONS = (
    (("在校大学生", "学生", "中学生", "研究生", "中职学生"), 0.17, (15, 25)),
    (("护士", "医生", "医院工作人员"), 0.027, (23, 58)),
    (("教师", "小学老师", "中学教师"), 0.01, (24, 60)),
    (("公司职员", "企业员工", "白领", "财务职员"), 0.29, (22, 55)),
    (("个体户", "个体工商户", "网店商户"), 0.10, (25, 60)),
    (("外来务工人员", "工人", "务工"), 0.15, (18, 55)),
    (("退休", "离退休人员"), 0.08, (58, 82)),
    (("务农", "农民"), 0.05, (35, 75)),
    (("无业", "待业"), 0.07, (18, 60)),
    (("事业单位", "公务员"), 0.018, (25, 58)),
    (("自由职业", ""), 0.025, (20, 65)),
)
#: District weights: 慈溪, 北仑 and 鄞州 lead (the source report's week).
DISTRICT_WEIGHTS = {
    "330282": 0.20,
    "330206": 0.15,
    "330212": 0.145,
    "330281": 0.10,
    "330203": 0.085,
    "330205": 0.07,
    "330226": 0.07,
    "330211": 0.06,
    "330213": 0.06,
    "330225": 0.06,
}
#: Share of cases the platform codes only to a town.
TOWN_ONLY = 0.08


def _pick(rng: random.Random, items: Sequence, weights: Sequence[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _hour(rng: random.Random) -> int:
    """Cases cluster in the day and the evening."""
    return _pick(
        rng, range(24), [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 9, 9, 8, 7, 7, 8, 9, 7, 4, 2]
    )


def build(
    reference: rules.Reference,
    towns: Sequence[regions.RegionRow],
    villages: Sequence[regions.RegionRow],
    end: dt.date,
    seed: int = 2026,
) -> list[rules.CaseRecord]:
    """The demo cases for the DAYS days ending on `end`: pure and deterministic for a seed."""
    rng = random.Random(seed)
    town_stations = reference.town_stations
    district_of = {t["code"]: t["district_code"] for t in towns}
    population: dict[str, int] = {}
    for t in towns:
        population[t["district_code"]] = population.get(t["district_code"], 0) + (
            t["population"] or 20_000
        )
    # a town's share of its district's cases follows its population, times its own risk
    town_weight = {
        t["code"]: DISTRICT_WEIGHTS.get(t["district_code"], 0.05)
        * (t["population"] or 20_000)
        / population[t["district_code"]]
        * rng.lognormvariate(0, 0.6)
        for t in towns
    }
    by_town: dict[str, list[tuple[str, float]]] = {}
    for v in villages:
        # a fifth of the villages are quiet: one tenth of the usual risk
        risk = rng.lognormvariate(0, 0.9) * (0.1 if rng.random() < 0.2 else 1.0)
        by_town.setdefault(v["town_code"], []).append((v["code"], (v["population"] or 2000) * risk))
    town_codes = sorted(town_weight)
    town_weights = [town_weight[c] for c in town_codes]
    types = [t[0] for t in TYPE_SHARES]
    type_weights = [t[1] for t in TYPE_SHARES]
    multiplier = {t[0]: t[2] for t in TYPE_SHARES}
    mean_multiplier = sum(t[1] * t[2] for t in TYPE_SHARES) / sum(type_weights)
    sigma = 1.5
    mean_loss_yuan = LOSS_PER_WEEK_FEN / 100 / CASES_PER_WEEK / mean_multiplier
    mu = math.log(mean_loss_yuan) - sigma**2 / 2
    occupation_weights = [o[1] for o in OCCUPATIONS]

    records: list[rules.CaseRecord] = []
    start = end - dt.timedelta(days=DAYS - 1)
    for offset in range(DAYS):
        day = start + dt.timedelta(days=offset)
        seasonal = (
            1 + 0.12 * math.sin(2 * math.pi * offset / DAYS) + (0.1 if day.weekday() >= 5 else 0)
        )
        expected = CASES_PER_WEEK / 7 * seasonal
        count = max(0, round(rng.gauss(expected, math.sqrt(expected))))
        for n in range(count):
            town = _pick(rng, town_codes, town_weights)
            village = None
            if by_town.get(town) and rng.random() >= TOWN_ONLY:
                codes, weights = zip(*by_town[town], strict=True)
                village = _pick(rng, codes, weights)
            known = reference.regions[village or town]
            fraud_type = _pick(rng, types, type_weights)
            names, _share, (young, old) = _pick(rng, OCCUPATIONS, occupation_weights)
            occupation = rng.choice(names) or None
            loss_yuan = min(rng.lognormvariate(mu, sigma) * multiplier[fraud_type], 8_000_000)
            moment = dt.datetime.combine(day, dt.time(_hour(rng), rng.randrange(60)), tzinfo=LOCAL)
            records.append(
                rules.CaseRecord(
                    row=len(records) + 2,
                    case_no=f"DEMO{day:%Y%m%d}{n + 1:03d}",
                    occurred_on=day,
                    occurred_at=moment,
                    village_code=village,
                    town_code=town,
                    district_code=district_of[town],
                    station_code=rules.station_of(known, village or town, town_stations),
                    fraud_type=fraud_type,
                    loss_fen=int(loss_yuan * 100),
                    victim_occupation=occupation,
                    occupation_group=rules.occupation_group(occupation, reference.occupations),
                    victim_age=rng.randint(young, old),
                )
            )
    return records


async def generate_cases(seed: int = 2026) -> int:
    """Store a year of demo cases up to today (bulk, one transaction, set-based last case days)
    and start tracking from its first day unless an administrator already chose a day."""
    reference = await queries.reference()
    towns = await regions.regions(Scope(), {"level": "town"}, limit=None)
    villages = await regions.regions(Scope(), {"level": "village"}, limit=None)
    if not towns:
        return 0
    records = build(reference, towns, villages, today(), seed)
    async with write_transaction() as transaction:
        await queries.write_import(
            transaction.connection, queries.ImportPlan(added=records), is_demo=True
        )
    if records and not await system.get_setting("tracked_since"):
        await system.set_setting("tracked_since", records[0].occurred_on.isoformat())
    return len(records)
