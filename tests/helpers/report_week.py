"""The source report's week rebuilt from generated cases: 2023 ISO week 27 (7月3日至9日), 185
cases and ¥6,606,000, −1.6 % and +41.1 % against week 26 (188 cases, ¥4,682,000).

Areas are Ningbo's districts with 大榭 (大榭街道) as its own functional zone, as police bulletins
report it. Counts per area and week are chosen so that the report's lists come out: most cases
慈溪, 北仑, 鄞州; largest falls 宁海, 大榭, 海曙; 鄞州 falling two weeks running; hot towns 新碶街道,
大碶街道 and then 庵东镇 (慈溪's 杭州湾 town); the leading four types 88 % with 冒充亲友 up to 18;
33 students, 5 medical staff and 1 teacher among the victims."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from campaign.regions.imports import import_file as import_regions
from campaign.regions.tables import Region

NINGBO = Path(__file__).resolve().parents[2] / "campaign" / "regions" / "data" / "ningbo-2023.csv"

DAXIE = "330206001"
XINQI, DAQI, ANDONG = "330206002", "330206004", "330282118"
#: area → (district code, cases in weeks 24, 25, 26, 27)
AREAS = {
    "慈溪市": ("330282", (20, 30, 38, 40)),
    "北仑区": ("330206", (20, 25, 30, 35)),
    "鄞州区": ("330212", (30, 36, 33, 30)),
    "宁海县": ("330226", (8, 10, 12, 5)),
    "大榭": ("330206", (2, 3, 4, 2)),
    "海曙区": ("330203", (15, 18, 20, 12)),
    "江北区": ("330205", (10, 12, 14, 15)),
    "镇海区": ("330211", (8, 9, 9, 10)),
    "奉化区": ("330213", (6, 7, 8, 8)),
    "象山县": ("330225", (7, 8, 9, 10)),
    "余姚市": ("330281", (9, 10, 11, 18)),
}
WEEK_STARTS = (
    dt.date(2023, 6, 12),
    dt.date(2023, 6, 19),
    dt.date(2023, 6, 26),
    dt.date(2023, 7, 3),
)
#: week 27 types (185) and week 26 types (188)
TYPES_27 = {
    "投资理财": 60,
    "兼职刷单": 45,
    "冒充客服": 33,
    "贷款": 25,
    "冒充亲友": 18,
    "网络游戏": 2,
    "其他": 2,
}
TYPES_26 = {
    "投资理财": 50,
    "兼职刷单": 52,
    "冒充客服": 38,
    "贷款": 30,
    "冒充亲友": 8,
    "网络游戏": 5,
    "其他": 5,
}
OCCUPATIONS_27 = {"学生": 33, "医院工作人员": 5, "老师": 1}
LOSS_27_FEN = 660_600_000
LOSS_26_FEN = 468_200_000
LAST_YEAR_CASES = 150  # 2022 week 27


async def load_ningbo_with_people() -> dict[str, list[str]]:
    """All of Ningbo's districts and towns (villages left out), each town with 50,000 residents;
    returns {district code: town codes}."""
    with NINGBO.open(encoding="utf-8") as f:
        rows = [r for r in csv.reader(f)]
    header, body = rows[0], [r for r in rows[1:] if len(r[0]) <= 9]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    await import_regions(
        "regions", "regions.csv", out.getvalue().encode(), dry_run=False, actor=None
    )
    await Region.update({Region.population: 50_000}).where(Region.level == "town")
    towns: dict[str, list[str]] = {}
    for r in body:
        if len(r[0]) == 9:
            towns.setdefault(r[3], []).append(r[0])
    return towns


def area_assignment(towns: dict[str, list[str]]) -> list[tuple[str, str]]:
    pairs = []
    for name, (district, _) in AREAS.items():
        if name == "大榭":
            pairs.append((name, DAXIE))
        else:
            pairs += [(name, t) for t in towns[district] if t != DAXIE]
    return pairs


def _towns_for(name: str, n: int, towns: dict[str, list[str]], week: int) -> list[str]:
    """n town codes for an area's cases: the report's hot towns get their share in week 27."""
    district, _ = AREAS[name]
    if name == "大榭":
        return [DAXIE] * n
    pool = [t for t in towns[district] if t not in (DAXIE, XINQI, DAQI, ANDONG)]
    fixed: list[str] = []
    if week == 27 and name == "北仑区":
        fixed = [XINQI] * 14 + [DAQI] * 12
    if week == 27 and name == "慈溪市":
        fixed = [ANDONG] * 10
    rest = n - len(fixed)
    return fixed + [pool[i % len(pool)] for i in range(rest)]  # spread: at most a few per town


def cases_csv(towns: dict[str, list[str]], week27_loss_fen: int = LOSS_27_FEN) -> bytes:
    """Cases of weeks 24–27 of 2023 and 150 of 2022's week 27, as a case import file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["案件编号", "发案时间", "区划代码", "诈骗类型", "损失金额", "受害人职业", "受害人年龄"]
    )
    n = 0

    def case(day: dt.date, town: str, kind: str, fen: int, job: str = "", age: str = "") -> None:
        nonlocal n
        n += 1
        writer.writerow([f"R{n:05d}", day.isoformat(), town, kind, f"{fen / 100:.2f}", job, age])

    for index, start in enumerate(WEEK_STARTS):
        week = 24 + index
        codes = []
        for name, (_, counts) in AREAS.items():
            codes += _towns_for(name, counts[index], towns, week)
        total = len(codes)
        types = TYPES_27 if week == 27 else TYPES_26 if week == 26 else {"投资理财": total}
        kinds = [k for k, c in types.items() for _ in range(c)]
        assert len(kinds) == total, (week, len(kinds), total)
        jobs = [j for j, c in OCCUPATIONS_27.items() for _ in range(c)] if week == 27 else []
        loss = week27_loss_fen if week == 27 else LOSS_26_FEN if week == 26 else 100_000 * total
        each = loss // total // 10_000 * 10_000
        for i, (town, kind) in enumerate(zip(codes, kinds, strict=True)):
            fen = each if i < total - 1 else loss - each * (total - 1)
            job = jobs[i] if i < len(jobs) else ""
            case(start + dt.timedelta(days=i % 7), town, kind, fen, job, str(18 + i % 50))
    last_year = dt.date(2022, 7, 4)
    pool = [t for ts in towns.values() for t in ts]
    for i in range(LAST_YEAR_CASES):
        case(last_year + dt.timedelta(days=i % 7), pool[i % len(pool)], "投资理财", 1_000_000)
    return out.getvalue().encode("utf-8")
