"""Demo propagandists and volunteers: ≈2,000 propagandists and ≈20,000 volunteers across Ningbo
with four months of ledger, shaped by the report (most in 慈溪, a few recruiters bring most
recruits, some recruit people who never do anything). The ledger and the board rows are generated
together and written in bulk, so the demo builds in seconds; the boards equal the ledger sums."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from functools import cache

from campaign.accounts.rules import Scope, mask_phone, phone_digest
from campaign.db import insert_many, write_transaction
from campaign.regions import queries as regions
from campaign.timeutil import LOCAL
from campaign.volunteers import queries, rules
from campaign.volunteers.tables import Propagandist, Redemption, Reward, Team, Volunteer

CIXI = "330282"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方邹熊孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力飞鹏斌宇浩凯秀梅鑫倩婷雪琳晨欣悦子轩涵睿博彤航佳怡瑶"
TEAMS = (
    ("警民小铺", "team"),
    ("达叔讲堂", "team"),
    ("木兰织梦", "team"),
    ("小牛警宣讲团", "team"),
    ("慈溪农商银行", "alliance"),
    ("宁波移动", "alliance"),
    ("宁波电信", "alliance"),
    ("宁波大学青年志愿者协会", "alliance"),
    ("慈溪市老年大学", "alliance"),
    ("甬城网格员联盟", "alliance"),
    ("宁波晚报", "alliance"),
    ("慈溪发布", "alliance"),
)
REWARDS = (
    ("小牛警钥匙扣", "反诈小牛警亚克力钥匙扣", 80, 400),
    ("反诈帆布袋", "“不听不信不转账”帆布袋", 150, 300),
    ("小牛警公仔", "限量小牛警毛绒公仔", 600, 60),
    ("防诈雨伞", "三折晴雨伞", 400, 120),
    ("定制保温杯", "小牛警保温杯 350ml", 500, 80),
    ("话费充值 10 元", "兑换后由派出所协助充值", 300, 200),
)
INTERESTS = ("投资理财", "兼职刷单", "冒充客服", "网络婚恋", "老年人", "学生", "宝妈")
#: The demo staff accounts that are propagandists too, with their areas.
STAFF = (("coord_baisha", "330282005", "民警"), ("coord_fuhai", "330282108", "民警"))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


@cache
def _morning(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(7), LOCAL).astimezone(dt.UTC)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A time of day between 07:00 and 22:00 local."""
    return _morning(day) + dt.timedelta(seconds=int(rng.random() * 54000))


async def generate_demo(
    today: dt.date,
    staff_ids: dict[str, int],
    propagandists: int = 2000,
    volunteers: int = 20000,
    days: int = 120,
    seed: int = 2026,
    activity: float = 1.0,
) -> dict[str, int]:
    """Insert the demo; returns row counts. Data end today (today's entries are the ones that move
    the rank arrows, whose "previous" ranks are those before today). `activity` multiplies how
    often an active volunteer comes back (the benchmark's 5,000,000-row ledger uses ≈3 over a
    year)."""
    rng = random.Random(seed)
    secret = queries.secret()
    towns = await regions.regions(Scope(), {"level": "town"}, limit=None)
    villages = await regions.regions(Scope(), {"level": "village"}, limit=None)
    by_town: dict[str, list[str]] = defaultdict(list)
    for place in villages:
        by_town[place["town_code"]].append(place["code"])
    towns = [t for t in towns if by_town[t["code"]]]
    if not towns:
        return {}
    station_names = await regions.names_of([f"PS{t['code']}" for t in towns])
    start = today - dt.timedelta(days=days)

    # -- Teams and propagandists ------------------------------------------------------------------
    async with write_transaction():
        await Team.insert(*(Team(name=n, kind=k) for n, k in TEAMS))
        team_ids = [t["id"] for t in await Team.select(Team.id).order_by(Team.id)]
    weight = [5.0 if t["district_code"] == CIXI else rng.uniform(0.5, 1.5) for t in towns]
    prop_rows, zeal, activation = [], [], []
    plan: list[tuple[str | None, str | None, str | None, int | None]] = [
        (n, code, kind, staff_ids[n]) for n, code, kind in STAFF if n in staff_ids
    ]
    plan += [(None, None, None, None)] * propagandists
    for i, (username, town_code, kind, user_id) in enumerate(plan):
        town = (
            next((t for t in towns if t["code"] == town_code), None)
            or rng.choices(towns, weight)[0]
        )
        name = (
            username
            and {"coord_baisha": "白沙路街道协调员", "coord_fuhai": "附海派出所协调员"}[username]
            or _name(rng)
        )
        area = [town["code"]]
        if user_id is None and rng.random() < 0.3:
            area = rng.sample(
                by_town[town["code"]], min(len(by_town[town["code"]]), rng.randint(2, 5))
            )
        status = rules.APPROVED
        if user_id is None:
            roll = rng.random()
            status = (
                rules.APPLIED if roll < 0.03 else rules.SUSPENDED if roll < 0.04 else rules.APPROVED
            )
        applied = _at(start - dt.timedelta(days=rng.randint(0, 60)), rng)
        prop_rows.append(
            {
                "user_id": user_id if user_id is not None else -(i + 1),
                "name": name,
                "name_masked": rules.mask_name(name),
                "kind": kind or rng.choices(rules.KINDS, (5, 3, 3, 1))[0],
                "unit_kind": "station",
                "unit_code": f"PS{town['code']}",
                "unit_name": station_names.get(f"PS{town['code']}", ""),
                "district_code": town["district_code"],
                "town_code": town["code"],
                "area": rules.area_text(area),
                "status": status,
                "applied_at": applied,
                "decided_at": applied + dt.timedelta(days=1) if status != rules.APPLIED else None,
                "decided_by": "演示审批" if status != rules.APPLIED else None,
                "recruits": 0,
                "active_recruits": 0,
                "points": 0,
                "is_demo": True,
            }
        )
        zeal.append(
            0.0 if status == rules.APPLIED else (8.0 if user_id else rng.lognormvariate(0, 1.1))
        )
        activation.append(0.0 if rng.random() < 0.06 else rng.uniform(0.5, 0.95))

    # -- Volunteers and what they did -----------------------------------------------------------------
    entries: list[tuple] = []
    boards: dict[tuple[str, str, int], int] = defaultdict(int)
    today_points: dict[tuple[str, str, int], int] = defaultdict(int)
    active_days: set[tuple[int, dt.date]] = set()
    signups: dict[dt.date, int] = defaultdict(int)
    recruit_day: dict[tuple[int, dt.date], int] = defaultdict(int)
    vol_rows = []
    cap = {kind: c for kind, (_p, c) in rules.DEFAULT_RULES.items()}
    pts = {kind: p for kind, (p, _c) in rules.DEFAULT_RULES.items()}

    def add(kind: str, person: str, pid: int, points: int, ref: str, reason: str, day, team=None):
        entries.append((person, pid, kind, points, reason, ref, day, _at(day, rng), True))
        for board, bucket, who, p in rules.board_updates(
            rules.Award(person, pid, points, day, kind, team)
        ):
            boards[(board, bucket, who)] += p
            if day == today:
                today_points[(board, bucket, who)] += p

    approved = [i for i, p in enumerate(prop_rows) if p["status"] != rules.APPLIED]
    recruiters = rng.choices(approved, [zeal[i] for i in approved], k=volunteers)
    for n, r in enumerate(recruiters):
        p = prop_rows[r]
        area = rules.area_codes(p["area"])
        village = rng.choice([c for c in area if len(c) == 12] or by_town[area[0]])
        joined = start + dt.timedelta(days=int(days * rng.random() ** 0.7))
        joined = max(joined, p["applied_at"].astimezone(LOCAL).date() + dt.timedelta(days=1))
        joined = min(joined, today)
        team = rng.choice(team_ids) if rng.random() < 0.3 else None
        nickname = _name(rng)
        phone = f"199{n:08d}"
        signups[joined] += 1
        vol_rows.append(
            {
                "nickname": nickname,
                "name_masked": rules.mask_name(nickname),
                "phone_hash": phone_digest(phone, secret),
                "phone_masked": mask_phone(phone),
                "village_code": village,
                "town_code": village[:9],
                "district_code": village[:6],
                "team_id": team,
                "recruiter_id": r,
                "interests": rules.interests_text(rng.sample(INTERESTS, rng.randint(0, 3))),
                "points": 0,
                "balance": 0,
                "first_active_at": None,
                "last_active_on": None,
                "signup_ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "created_at": _at(joined, rng),
                "created_on": joined,
                "is_demo": True,
            }
        )
    recruited = Counter(recruiters)
    for i, prop in enumerate(prop_rows):
        prop["recruits"] = recruited[i]

    # What each volunteer did (people are numbered by list position until the database gives ids;
    # "p" entries carry the propagandist's position, "v" entries the volunteer's).
    totals: list[int] = [0] * len(vol_rows)
    prop_points: dict[int, int] = defaultdict(int)
    active_recruits: dict[int, int] = defaultdict(int)
    for n, v in enumerate(vol_rows):
        r = v["recruiter_id"]
        if rng.random() > activation[r]:
            continue
        first = v["created_on"] + dt.timedelta(days=min(int(rng.expovariate(0.5)), 20))
        if first > today:
            continue
        rate = min(0.9, activity * rng.betavariate(1.0, 9.0))
        span = (today - first).days + 1
        chosen = sorted(
            {
                first,
                *(first + dt.timedelta(days=d) for d in rng.sample(range(span), int(span * rate))),
            }
        )
        team = v["team_id"]
        v["first_active_at"] = _at(first, rng)
        v["last_active_on"] = chosen[-1]
        active_recruits[r] += 1
        if recruit_day[(r, first)] + pts[rules.RECRUIT] <= cap[rules.RECRUIT]:
            recruit_day[(r, first)] += pts[rules.RECRUIT]
            add(
                rules.RECRUIT,
                "p",
                r,
                pts[rules.RECRUIT],
                f"recruit:#{n}",
                f"发展志愿者 {v['name_masked']}",
                first,
            )
            prop_points[r] += pts[rules.RECRUIT]
        for day in chosen:
            active_days.add((n, day))
            if rng.random() < 0.7 and day != today:
                add(
                    rules.QUIZ,
                    "v",
                    n,
                    pts[rules.QUIZ],
                    f"quiz:{day.isoformat()}",
                    "每日反诈答题",
                    day,
                    team,
                )
                totals[n] += pts[rules.QUIZ]
            if rng.random() < 0.12:
                add(
                    rules.CHECKIN,
                    "v",
                    n,
                    pts[rules.CHECKIN],
                    f"demo-event:{day.isoformat()}",
                    "活动签到:宣讲/讲堂",
                    day,
                    team,
                )
                totals[n] += pts[rules.CHECKIN]
            if rng.random() < 0.25:
                got = min(cap[rules.SHARE_OPEN], pts[rules.SHARE_OPEN] * rng.randint(1, 6))
                add(
                    rules.SHARE_OPEN,
                    "v",
                    n,
                    got,
                    f"demo-open:{day.isoformat()}",
                    "分享被打开:反诈宣传素材",
                    day,
                    team,
                )
                totals[n] += got
            if rng.random() < 0.015:
                add(
                    rules.REPORT,
                    "v",
                    n,
                    pts[rules.REPORT],
                    f"demo-report:{day.isoformat()}",
                    "举报可疑电话/网站",
                    day,
                    team,
                )
                totals[n] += pts[rules.REPORT]
    for i, p in enumerate(prop_rows):
        p["points"], p["active_recruits"] = prop_points[i], active_recruits[i]

    # -- Redemptions (spending lowers balances, not boards) -------------------------------------------
    balance = list(totals)
    redemptions = []
    stock = [s for _n, _d, _p, s in REWARDS]
    rich = [n for n, t in enumerate(totals) if t >= 200]
    for n in rng.sample(rich, min(len(rich), 400)):
        g = rng.randrange(len(REWARDS))
        name, _d, price, _s = REWARDS[g]
        if balance[n] < price or stock[g] == 0:
            continue
        balance[n] -= price
        stock[g] -= 1
        day = today - dt.timedelta(days=rng.randint(0, 30))
        redemptions.append(
            (n, g, day, "handed" if day < today - dt.timedelta(days=3) else "requested")
        )
    for n, v in enumerate(vol_rows):
        v["points"], v["balance"] = totals[n], balance[n]

    # -- Rank arrows: the ranks before today's entries, per scope, in the current buckets --------------
    meta = {
        ("v", n): (v["name_masked"], v["district_code"], v["town_code"])
        for n, v in enumerate(vol_rows)
    }
    meta |= {
        ("p", i): (p["name_masked"], p["district_code"], p["town_code"])
        for i, p in enumerate(prop_rows)
    }
    current = set(rules.buckets(today))
    groups: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    for key, points in boards.items():
        board, bucket, who = key
        before = points - today_points.get(key, 0)
        if bucket not in current or before <= 0:
            continue
        _m, district, town = meta.get((board, who), ("", "", ""))
        for scope, code in (("city", ""), ("district", district), ("town", town)):
            groups[(board, bucket, scope, code)].append((before, key))
    prev: dict[tuple, dict[str, int]] = defaultdict(dict)
    for (_b, _k, scope, _c), items in groups.items():
        items.sort(key=lambda item: -item[0])
        rank, last = 0, None
        for position, (value, key) in enumerate(items, start=1):
            if value != last:
                rank, last = position, value
            prev[key][scope] = rank

    # -- People first (the database gives the ids), then everything else in one transaction ----------
    async with write_transaction() as transaction:
        await insert_many(
            "propagandist",
            tuple(prop_rows[0]),
            [tuple(r.values()) for r in prop_rows],
            connection=transaction.connection,
        )
    pid_of = {
        r["user_id"]: r["id"]
        for r in await Propagandist.select(Propagandist.id, Propagandist.user_id)
    }
    prop_ids = [pid_of[r["user_id"]] for r in prop_rows]
    for v in vol_rows:
        v["recruiter_id"] = prop_ids[v["recruiter_id"]]
    async with write_transaction() as transaction:
        await insert_many(
            "volunteer",
            tuple(vol_rows[0]),
            [tuple(r.values()) for r in vol_rows],
            connection=transaction.connection,
            rebuild_indexes=True,
        )
    vid_of = {
        r["phone_hash"]: r["id"] for r in await Volunteer.select(Volunteer.id, Volunteer.phone_hash)
    }
    vol_ids = [vid_of[v["phone_hash"]] for v in vol_rows]

    def real(kind: str, who: int) -> int:
        return prop_ids[who] if kind == "p" else vol_ids[who] if kind == "v" else who

    ledger = [
        (
            k,
            real(k, who),
            kind,
            p,
            reason.replace("#", ""),
            ref.replace(f"#{ref[9:]}", str(vol_ids[int(ref[9:])]))
            if ref.startswith("recruit:#")
            else ref,
            day,
            at,
            demo,
        )
        for (k, who, kind, p, reason, ref, day, at, demo) in entries
    ]
    board_rows = []
    for key, points in boards.items():
        board, bucket, who = key
        name_m, district, town = meta.get((board, who), ("", "", ""))
        ranks = prev.get(key, {})
        board_rows.append(
            (
                board,
                bucket,
                real(board, who),
                name_m,
                district,
                town,
                points,
                ranks.get("city"),
                ranks.get("district"),
                ranks.get("town"),
            )
        )
    dau: dict[dt.date, int] = defaultdict(int)
    for _n, day in active_days:
        dau[day] += 1
    async with write_transaction() as transaction:
        c = transaction.connection
        await Reward.insert(
            *(
                Reward(name=n, description=d, price=p, stock=stock[i], sort_order=i)
                for i, (n, d, p, _s) in enumerate(REWARDS)
            )
        )
        gift_ids = [g["id"] for g in await Reward.select(Reward.id).order_by(Reward.id)]
        await insert_many("point_entry", LEDGER_COLUMNS, ledger, connection=c, rebuild_indexes=True)
        await insert_many(
            "board_row",
            (
                "board",
                "bucket",
                "person_id",
                "name_masked",
                "district_code",
                "town_code",
                "points",
                "prev_city",
                "prev_district",
                "prev_town",
            ),
            board_rows,
            connection=c,
            rebuild_indexes=True,
        )
        scores = rules.score_counts((b, k, d, t, p) for b, k, _i, _n, d, t, p, *_r in board_rows)
        await insert_many(
            "board_score",
            ("board", "bucket", "area", "points", "n"),
            [(*key, n) for key, n in scores.items()],
            connection=c,
        )
        await insert_many(
            "active_day",
            ("volunteer_id", "day"),
            sorted((vol_ids[n], day) for n, day in active_days),
            connection=c,
            rebuild_indexes=True,
        )
        days_seen = sorted(set(dau) | set(signups))
        await insert_many(
            "daily_active",
            ("day", "users", "signups"),
            [(d, dau.get(d, 0), signups.get(d, 0)) for d in days_seen],
            connection=c,
        )
        redemption_rows = []
        for n, g, day, status in redemptions:
            v = vol_rows[n]
            at = _at(day, rng)
            redemption_rows.append(
                (
                    vol_ids[n],
                    gift_ids[g],
                    REWARDS[g][0],
                    REWARDS[g][2],
                    f"PS{v['town_code']}",
                    v["district_code"],
                    v["town_code"],
                    rules.pickup_code(rng),
                    status,
                    at,
                    at if status == "handed" else None,
                    "演示发放" if status == "handed" else None,
                )
            )
        await insert_many(
            "redemption",
            (
                "volunteer_id",
                "reward_id",
                "reward_name",
                "price",
                "station_code",
                "district_code",
                "town_code",
                "pickup_code",
                "status",
                "requested_at",
                "handed_at",
                "handed_by",
            ),
            redemption_rows,
            connection=c,
        )
        stored = await Redemption.select(
            Redemption.id, Redemption.volunteer_id, Redemption.price, Redemption.reward_name
        ).order_by(Redemption.id)
        spent = [
            (
                "v",
                r["volunteer_id"],
                rules.REDEEM,
                -r["price"],
                f"兑换 {r['reward_name']}",
                f"redemption:{r['id']}",
                day,
                _at(day, rng),
                True,
            )
            for r, (_n, _g, day, _s) in zip(stored, redemptions, strict=True)
        ]
        await insert_many("point_entry", LEDGER_COLUMNS, spent, connection=c)
        reports = []
        for _ in range(600):
            n = rng.randrange(len(vol_rows))
            v = vol_rows[n]
            kind = rng.choice(("call", "sms", "site"))
            content = (
                f"1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
                if kind != "site"
                else f"http://{rng.choice(('licai', 'fanli', 'kefu', 'daikuan'))}-{rng.randint(100, 999)}.top"
            )
            day = today - dt.timedelta(days=rng.randint(0, 60))
            reports.append(
                (
                    vol_ids[n],
                    kind,
                    content,
                    "",
                    v["district_code"],
                    v["town_code"],
                    "new",
                    day,
                    _at(day, rng),
                )
            )
        await insert_many(
            "suspicious_report",
            (
                "volunteer_id",
                "kind",
                "content",
                "note",
                "district_code",
                "town_code",
                "status",
                "day",
                "at",
            ),
            reports,
            connection=c,
        )
        members = Counter(v["team_id"] for v in vol_rows if v["team_id"])
        for tid in team_ids:
            await Team.update({Team.members: members[tid]}).where(Team.id == tid)
    return {
        "propagandists": len(prop_rows),
        "volunteers": len(vol_rows),
        "ledger": len(ledger) + len(spent),
        "board_rows": len(board_rows),
        "active_days": len(active_days),
    }


LEDGER_COLUMNS = (
    "person_kind",
    "person_id",
    "kind",
    "points",
    "reason",
    "ref",
    "day",
    "at",
    "is_demo",
)
