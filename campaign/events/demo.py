"""A year of demo outreach across Ningbo, shaped by the source report (about 1,200 lectures,
500,000 printed materials, 20,000 gifts, app installs guided at booths and door-to-door visits,
Cixi as the busiest county), with photos drawn locally by Pillow. Deterministic for a seed and a
day; every row carries is_demo."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from PIL import Image, ImageDraw

from campaign.db import bulk_insert
from campaign.events import photos, queries, rules
from campaign.events.tables import Event, EventPhoto
from campaign.fonts import cjk_font
from campaign.regions.tables import Region, StationTown
from campaign.timeutil import LOCAL

CIXI = "330282"
#: (type name, events in the year, audiences to pick from, where it happens)
PLAN = (
    (
        "宣讲/讲堂",
        400,
        ("老人", "村社居民", "企业员工", "宝妈"),
        ("村文化礼堂", "社区会议室", "党群服务中心"),
    ),
    ("进村社", 500, ("老人", "村社居民", "宝妈"), ("村委会", "社区广场", "老年活动室")),
    ("进企业", 180, ("企业员工", "外来务工人员"), ("工业园区", "企业食堂", "厂区会议室")),
    ("进校园", 120, ("学生", "教师"), ("中学报告厅", "小学操场", "职业技术学校")),
    ("敲门入户", 3600, ("老人", "村社居民", "宝妈"), ("", "")),
    ("摆摊宣传", 300, ("老人", "宝妈", "外来务工人员"), ("农贸市场", "银行网点门口", "社区广场")),
    ("接种点/集市等候区宣传", 120, ("老人", "宝妈", "村社居民"), ("疫苗接种点", "集市等候区")),
    ("培训", 120, ("医务人员", "教师", "企业员工"), ("派出所会议室", "街道会议室")),
    ("线上推送", 110, ("学生", "宝妈", "企业员工"), ("微信群", "“防骗我最牛”小程序")),
)
TEAMS = ("小牛警宣防小分队", "警民小铺", "达叔讲堂", "木兰织梦", None, None, None)
PHOTO_COUNT = 60


def _figures(rng: random.Random, kind: rules.TypeSpec, name: str) -> dict[str, int]:
    """Plausible figures for one event, inside the type's bounds."""
    if name == "敲门入户":
        households = int(rng.triangular(8, 120, 30))
        base = int(households * rng.uniform(1.6, 2.6))
    elif name == "线上推送":
        households, base = 0, int(rng.lognormvariate(8.5, 0.8))
    else:
        households, base = int(rng.triangular(0, 60, 10)), int(rng.lognormvariate(4.3, 0.6)) + 15
    values = {
        "attendees": base,
        "households": households,
        "installs": int(base * rng.uniform(0.1, 0.45)),
        "materials": int(base * rng.uniform(1.0, 3.5)),
        "gifts": int(base * rng.uniform(0.03, 0.12)),
        "volunteers": rng.randint(1, 12),
    }
    return {
        key: min(values[key], kind.bound(key) or 0) if kind.bound(key) is not None else 0
        for key in rules.FIGURES
    }


def _draw_photo(rng: random.Random, index: int, label: str) -> bytes:
    """A simple outdoor scene with a banner: sky, ground, a tent, people as dots."""
    import io

    width, height = 1024, 768
    sky = (rng.randint(120, 190), rng.randint(170, 215), rng.randint(220, 250))
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    horizon = rng.randint(380, 470)
    draw.rectangle(
        [0, horizon, width, height], fill=(rng.randint(90, 140), rng.randint(120, 160), 90)
    )
    for _ in range(3):
        x = rng.randint(0, width)
        draw.ellipse([x - 160, horizon - 120, x + 160, horizon + 40], fill=(70, 120, 80))
    left = rng.randint(120, 380)
    draw.polygon(
        [(left, horizon - 40), (left + 260, horizon - 140), (left + 520, horizon - 40)],
        fill=(31, 95, 191),
    )
    draw.rectangle([left + 20, horizon - 40, left + 500, horizon + 130], fill=(232, 240, 252))
    draw.rectangle([left + 40, horizon - 20, left + 480, horizon + 40], fill=(192, 57, 43))
    font = cjk_font(34, bold=True)
    draw.text((left + 60, horizon - 14), "全民反诈 · 守护钱袋子", fill="white", font=font)
    for _ in range(rng.randint(12, 40)):
        x, y = rng.randint(20, width - 20), rng.randint(horizon + 150, height - 30)
        shirt = rng.choice([(31, 95, 191), (220, 220, 220), (200, 80, 60), (60, 60, 60)])
        draw.ellipse([x - 9, y - 40, x + 9, y - 22], fill=(240, 205, 170))
        draw.rectangle([x - 13, y - 22, x + 13, y + 18], fill=shirt)
    small = cjk_font(22)
    draw.text((24, height - 40), f"{label} · 演示照片 {index + 1}", fill="white", font=small)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=82)
    return buffer.getvalue()


def _make_photos(rng: random.Random, day: dt.date) -> list[str]:
    names = []
    labels = [p[0] for p in PLAN]
    for index in range(PHOTO_COUNT):
        data = _draw_photo(rng, index, labels[index % len(labels)])
        checked, _problem = photos.check(data)
        assert checked is not None
        name = photos.store(data, checked, day)
        photos.make_derivatives(name)
        names.append(name)
    return names


async def generate_demo_events(
    today: dt.date, baisha_coordinator: int | None, seed: int = 2026
) -> int:
    """Insert a year of demo events ending yesterday; returns how many."""
    rng = random.Random(seed)
    specs = {spec.name: spec for spec in (await queries.type_specs()).values()}
    villages = (
        await Region.select(
            Region.code, Region.town_code, Region.district_code, Region.station_code
        )
        .where(Region.level == "village")
        .order_by(Region.code)
    )
    if not villages or not specs:
        return 0
    stations = {
        row["town_code"]: row["station_code"]
        for row in await StationTown.select(StationTown.town_code, StationTown.station_code)
    }
    # Cixi carries the most outreach, as in the report; other districts vary in zeal.
    zeal = {v["district_code"]: rng.uniform(0.4, 2.2) for v in villages} | {CIXI: 5.0}
    weights = [zeal[v["district_code"]] for v in villages]
    photo_names = _make_photos(rng, today)
    created = dt.datetime.now(dt.UTC)
    events, photo_rows = [], []
    for name, count, audiences, spots in PLAN:
        kind = specs.get(name)
        if kind is None:
            continue
        for village in rng.choices(villages, weights=weights, k=count):
            events.append(
                _event(rng, kind, name, village, audiences, spots, stations, today, created)
            )
    events.append(_thousand_person_lecture(specs, stations, today, created))
    events.sort(key=lambda e: (e["starts_at"], e["place_code"]))
    mine = [
        e
        for e in events
        if e["town_code"] == "330282005" and e["day"] >= today - dt.timedelta(days=20)
    ]
    for index, event in enumerate(mine[:6]):
        event["created_by"] = baisha_coordinator
        event["created_by_name"] = "白沙路街道协调员"
        if index < 2:
            event |= {
                "status": rules.RETURNED,
                "return_reason": "照片与活动内容不符,请补充现场照片",
                "reviewed_by": "慈溪市局反诈中心",
            }
    await bulk_insert(Event, events)
    demo = Event.select(Event.id).where(Event.is_demo == True)  # noqa: E712
    ids = [r["id"] for r in await demo.order_by(Event.id)]
    for event_id in ids:
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            photo_rows.append(
                {
                    "event_id": event_id,
                    "upload_token": "demo",
                    "stored_name": rng.choice(photo_names),
                    "original_bytes": 0,
                    "width": 1024,
                    "height": 768,
                    "ready": True,
                    "uploaded_by": None,
                    "created_at": created,
                    "is_demo": True,
                }
            )
    await bulk_insert(EventPhoto, photo_rows)
    await queries.rebuild_outreach()
    return len(events)


def _event(rng, kind, name, village, audiences, spots, stations, today, created) -> dict:
    day = today - dt.timedelta(days=rng.randint(1, 365))
    hour = 20 if name == "线上推送" else rng.choice((9, 9, 10, 14, 14, 15, 16, 18, 19))
    starts = dt.datetime.combine(day, dt.time(hour, rng.choice((0, 15, 30))), tzinfo=LOCAL)
    ends = starts + dt.timedelta(minutes=rng.choice((30, 45, 60, 90, 120)))
    at_village = name not in ("培训", "线上推送") and rng.random() < 0.92
    station = stations.get(village["town_code"])
    by_station = rng.random() < 0.3 and station is not None
    age = (today - day).days
    status = rules.VERIFIED
    if age <= 7 and rng.random() < 0.55:
        status = rules.SUBMITTED
    elif rng.random() < 0.02:
        status = rules.RETURNED
    chosen = rng.sample(audiences, k=rng.randint(1, min(2, len(audiences))))
    return {
        "type_id": kind.id,
        "unit_kind": "station" if by_station else "town",
        "unit_code": station if by_station else village["town_code"],
        "team": rng.choice(TEAMS),
        "place_code": village["code"] if at_village else village["town_code"],
        "place_level": "village" if at_village else "town",
        "place_text": rng.choice(spots) or None,
        "village_code": village["code"] if at_village else None,
        "town_code": village["town_code"],
        "district_code": village["district_code"],
        "village_station_code": village["station_code"] if at_village else None,
        "station_code": village["station_code"] or station,
        "starts_at": starts,
        "ends_at": ends,
        "day": day,
        **_figures(rng, kind, name),
        "audiences": rules.audiences_text(chosen),
        "notes": "",
        "status": status,
        "return_reason": "人数与照片不符,请核对" if status == rules.RETURNED else None,
        "reviewed_by": "演示审核员" if status != rules.SUBMITTED else None,
        "reviewed_at": starts + dt.timedelta(days=1) if status != rules.SUBMITTED else None,
        "created_by": None,
        "created_by_name": "演示数据",
        "created_at": created,
        "updated_at": created,
        "token": uuid.UUID(int=rng.getrandbits(128)).hex,
        "external_id": None,
        "is_demo": True,
    }


def _thousand_person_lecture(specs, stations, today, created) -> dict:
    """白沙路派出所's 千人反诈大讲堂 at 宁大科技学院 on 21 May (the report's own example)."""
    year = today.year if today > dt.date(today.year, 5, 21) else today.year - 1
    day = dt.date(year, 5, 21)
    starts = dt.datetime.combine(day, dt.time(14, 0), tzinfo=LOCAL)
    kind = specs["进校园"]
    return {
        "type_id": kind.id,
        "unit_kind": "station",
        "unit_code": stations.get("330282005"),
        "team": "小牛警宣防小分队",
        "place_code": "330282005",
        "place_level": "town",
        "place_text": "宁波大学科学技术学院(千人反诈大讲堂)",
        "village_code": None,
        "town_code": "330282005",
        "district_code": CIXI,
        "village_station_code": None,
        "station_code": stations.get("330282005"),
        "starts_at": starts,
        "ends_at": starts + dt.timedelta(hours=2),
        "day": day,
        "attendees": 1000,
        "households": 0,
        "installs": 620,
        "materials": 1500,
        "gifts": 300,
        "volunteers": 12,
        "audiences": rules.audiences_text(["学生", "教师"]),
        "notes": "依托“一院一警”为2020级学生开设“千人反诈大讲堂”。",
        "status": rules.VERIFIED,
        "return_reason": None,
        "reviewed_by": "慈溪市局反诈中心",
        "reviewed_at": starts + dt.timedelta(days=1),
        "created_by": None,
        "created_by_name": "演示数据",
        "created_at": created,
        "updated_at": created,
        "token": "demo-thousand-person-lecture",
        "external_id": None,
        "is_demo": True,
    }
