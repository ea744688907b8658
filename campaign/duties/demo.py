"""Demo responsibility data shaped by the source report: the 反诈十条, organisations of Cixi (50-odd
enterprises and 20-odd self-media in the 小牛警 alliance, schools, hospitals, banks, operators),
tasks for Cixi's towns and stations in every state, outreach held at organisations, reviews of
the recent cases above the threshold and the current quarter's assessment. Deterministic for a
seed and a day; bulk inserts, a couple of seconds on SQLite."""

from __future__ import annotations

import datetime as dt
import random

from campaign.accounts.rules import Scope
from campaign.cases import queries as cases
from campaign.db import bulk_insert
from campaign.duties import queries, rules
from campaign.duties.tables import (
    EventOrganisation,
    Evidence,
    Measure,
    Organisation,
    Review,
    SweepMark,
    Task,
)
from campaign.phones import keep_phone
from campaign.regions import queries as regions

CIXI = "330282"
MEASURES = (
    ("党政领导负总责", "各镇街党政主要负责人为反诈第一责任人,每季度专题研究一次反诈工作。", False),
    ("综治部门牵头协调", "综治中心统筹网格员参与预警劝阻“1+1+1”上门见面。", False),
    (
        "行业部门落实主责",
        "教育、卫健、金融、通信等行业主管部门对本行业反诈宣传和防范负主责。",
        False,
    ),
    ("公安机关主打攻坚", "派出所对高风险预警 30 分钟内响应,当日见面劝阻。", True),
    (
        "机关企事业单位主体责任",
        "单位负责人为本单位反诈第一责任人,每半年至少开展一次全员宣讲。",
        False,
    ),
    ("校园反诈全覆盖", "每所学校每学期至少开展一次反诈主题班会和一次家长告知。", False),
    ("银行网点止付拦截", "银行网点对大额异常转账实行“劝阻一分钟”,发现可疑及时报警。", True),
    ("运营商风险提示", "运营商对涉诈高风险号码开展提醒与核验。", False),
    ("社会面宣传全覆盖", "村社每月至少一次宣传活动,重点人群入户率达到 90%。", False),
    ("严重案件倒查追责", "发生重大损失案件的,倒查宣传、预警和单位责任落实情况。", False),
)
SECTOR_PLAN = (
    ("enterprise", 60, ("慈溪{}电器有限公司", "宁波{}汽配股份公司", "慈溪{}纺织厂", "{}家电集团")),
    ("school", 24, ("慈溪市{}中学", "{}小学", "{}职业高级中学")),
    ("hospital", 10, ("{}卫生院", "慈溪市{}医院")),
    ("bank", 14, ("农商银行{}支行", "工商银行{}支行", "邮储银行{}网点")),
    ("operator", 6, ("中国移动{}营业厅", "中国电信{}营业厅")),
    ("government", 12, ("{}街道办事处", "{}镇人民政府")),
    ("media", 24, ("{}生活圈", "慈溪{}事", "{}吃喝玩乐")),
)
WORDS = "东西南北中新华兴海滨湖城山阳光明德"


async def generate_demo(day: dt.date, reviewer_id: int, seed: int = 2026) -> None:
    rng = random.Random(seed)
    await _measures()
    towns = [
        r for r in await regions.regions(Scope("district", CIXI), {"level": "town"}, limit=None)
    ]
    villages = await regions.regions(Scope("district", CIXI), {"level": "village"}, limit=None)
    orgs = await _organisations(rng, villages)
    await _tasks(rng, day, towns, orgs, reviewer_id)
    await _link_events(rng, orgs)
    await _reviews(day)
    for level in rules.LEVELS:
        year, quarter = rules.quarter_of(day)
        await queries.compute_assessment(level, year, quarter, None)


async def _measures() -> None:
    await Measure.insert(
        *[
            Measure(number=n, title=title, body=body, red_line=red, active=True)
            for n, (title, body, red) in enumerate(MEASURES, start=1)
        ]
    )


async def _organisations(rng: random.Random, villages: list[regions.RegionRow]) -> list[dict]:
    rows = []
    number = 0
    for sector, count, patterns in SECTOR_PLAN:
        members = {"enterprise": 52, "media": 22}.get(sector, count // 3)
        for i in range(count):
            number += 1
            village = rng.choice(villages)
            phone = keep_phone(f"13{rng.randint(5, 9)}{rng.randint(10_000_000, 99_999_999)}")
            member = i < members
            rows.append(
                {
                    "code": f"DEMO-ORG-{number:04d}",
                    "name": rng.choice(patterns).format(rng.choice(WORDS) + rng.choice(WORDS)),
                    "sector": sector,
                    "village_code": village["code"],
                    "town_code": village["town_code"],
                    "district_code": village["district_code"],
                    "village_station_code": village["station_code"],
                    "address": village["name"],
                    "responsible_person": rng.choice("王李张刘陈杨黄赵")
                    + rng.choice(("老师", "经理", "主任", "行长")),
                    "contact_phone_hash": phone.hash,
                    "contact_phone_masked": phone.masked,
                    "alliance_member": member,
                    "alliance_joined_on": dt.date(2026, rng.randint(5, 10), rng.randint(1, 28))
                    if member
                    else None,
                    "is_demo": True,
                }
            )
    await bulk_insert(Organisation, rows)
    return await Organisation.select(
        Organisation.id,
        Organisation.code,
        Organisation.name,
        Organisation.town_code,
        Organisation.village_code,
        Organisation.village_station_code,
        Organisation.district_code,
        Organisation.sector,
    )


async def _tasks(
    rng, day: dt.date, towns: list[regions.RegionRow], orgs: list[dict], reviewer_id: int
) -> None:
    measures = {m["number"]: m["id"] for m in await Measure.select(Measure.id, Measure.number)}
    stations = await regions.stations(Scope("district", CIXI), {}, limit=None)
    units = [("town", t["code"], t["name"], t["code"], None) for t in towns]
    units += [("station", s["code"], s["name"], None, s["code"]) for s in stations]
    plan = (
        (1, "报送本季度反诈专题会议纪要", "document", "", -40),
        (9, "填报本月宣传入户户数", "figure", "入户户数", -10),
        (4, "上传预警见面劝阻现场照片", "photo", "", 5),
        (9, "上报下月宣传活动计划", "document", "", 12),
    )
    rows = []
    for number, title, evidence, label, offset in plan:
        due = day + dt.timedelta(days=offset)
        for kind, code, name, town, station in units:
            status, submitted, accepted = _state(rng, due, day)
            rows.append(
                _task(
                    measures[number],
                    title,
                    evidence,
                    label,
                    due,
                    reviewer_id,
                    kind,
                    code,
                    name,
                    town,
                    station,
                    status,
                    submitted,
                    accepted,
                )
            )
    schools = [o for o in orgs if o["sector"] in ("school", "bank")]
    for org in schools:
        due = day + dt.timedelta(days=rng.choice((-20, -5, 8, 20)))
        status, submitted, accepted = _state(rng, due, day)
        number, title = (
            (6, "开展反诈主题班会") if org["sector"] == "school" else (7, "报送止付拦截台账")
        )
        rows.append(
            _task(
                measures[number],
                title,
                "document",
                "",
                due,
                reviewer_id,
                "organisation",
                org["code"],
                org["name"],
                org["town_code"],
                None,
                status,
                submitted,
                accepted,
                org,
            )
        )
    await bulk_insert(Task, rows)
    await _figures(rng)


async def _figures(rng) -> None:
    """The figures submitted for the figure tasks that are waiting for review or accepted."""
    tasks = await Task.select(Task.id, Task.unit_name).where(
        Task.evidence_kind == "figure", Task.status.is_in(["submitted", "accepted", "returned"])
    )
    await bulk_insert(
        Evidence,
        [
            {
                "task_id": t["id"],
                "kind": "figure",
                "figure": rng.randint(300, 4000),
                "note": "",
                "submitted_by_name": f"{t['unit_name']}协调员",
                "submitted_at": queries.now(),
            }
            for t in tasks
        ],
    )


def _state(rng, due: dt.date, day: dt.date):
    roll = rng.random()
    if due < day:
        if roll < 0.65:
            return "accepted", due - dt.timedelta(days=2), due
        if roll < 0.8:
            return "submitted", due + dt.timedelta(days=1), None
        return ("returned" if roll < 0.87 else "open"), None, None
    if roll < 0.3:
        return "submitted", day - dt.timedelta(days=1), None
    return "open", None, None


def _task(
    measure_id,
    title,
    evidence,
    label,
    due,
    reviewer_id,
    kind,
    code,
    name,
    town,
    station,
    status,
    submitted,
    accepted,
    org=None,
) -> dict:
    return {
        "measure_id": measure_id,
        "title": title,
        "detail": "",
        "unit_kind": kind,
        "unit_code": code,
        "unit_name": name,
        "town_code": town,
        "village_code": org["village_code"] if org else None,
        "village_station_code": org["village_station_code"] if org else None,
        "station_code": station,
        "district_code": CIXI,
        "due_on": due,
        "evidence_kind": evidence,
        "figure_label": label,
        "reviewer_id": reviewer_id,
        "reviewer_name": "慈溪市局领导",
        "status": status,
        "return_reason": "材料不全,请补充签到表" if status == "returned" else None,
        "submitted_on": submitted,
        "accepted_on": accepted,
        "assigned_by": reviewer_id,
        "assigned_by_name": "慈溪市局领导",
        "is_demo": True,
    }


async def _link_events(rng, orgs: list[dict]) -> None:
    """Demo visits to schools and enterprises held at one of the town's organisations."""
    from campaign.events.tables import Event, EventType

    kinds = {
        t["id"]: t["name"]
        for t in await EventType.select(EventType.id, EventType.name).where(
            EventType.name.is_in(["进校园", "进企业"])
        )
    }
    by_town: dict[tuple[str, str], list[dict]] = {}
    for org in orgs:
        sector = "进校园" if org["sector"] == "school" else "进企业"
        by_town.setdefault((org["town_code"], sector), []).append(org)
    links = []
    for event in await Event.select(Event.id, Event.town_code, Event.type_id).where(
        Event.type_id.is_in(list(kinds) or [0]), Event.district_code == CIXI
    ):
        choices = by_town.get((event["town_code"], kinds[event["type_id"]]))
        if choices:
            links.append({"event_id": event["id"], "organisation_id": rng.choice(choices)["id"]})
    await bulk_insert(EventOrganisation, links)


async def _reviews(day: dt.date) -> None:
    """Reviews of the last 45 days' cases at or above the threshold, some closed; the sweep's
    mark set to now so the year of older demo cases does not open hundreds more."""
    threshold = await queries.review_threshold_fen()
    since = day - dt.timedelta(days=45)
    recent = [
        c for c in await cases.cases_written_since(None, threshold) if c["occurred_on"] >= since
    ]
    rows = []
    for i, case in enumerate(recent):
        values = queries.review_values(case, "loss", "", None)
        values["opened_on"] = min(day, case["occurred_on"] + dt.timedelta(days=1))
        values["is_demo"] = True
        values |= {
            "village_station_code": None,
            "findings": "",
            "closing_note": "",
            "closed_at": None,
            "closed_by_name": "",
        }
        if i % 3 == 0 and values["opened_on"] < day - dt.timedelta(days=10):
            values |= {
                "status": rules.REVIEW_CLOSED,
                "findings": "案发村近 90 天宣传未覆盖受害人所在企业;企业未落实全员宣讲。",
                "closing_note": "已约谈企业负责人,限期补课。",
                "closed_at": queries.now(),
                "closed_by_name": "慈溪市局领导",
            }
        rows.append(values)
    await bulk_insert(Review, rows)
    await SweepMark.insert(SweepMark(name="reviews", at=queries.now()))
