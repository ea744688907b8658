"""What the weekly anti-fraud map bulletin (反诈地图) means: ISO weeks, changes, the top lists,
shares, reporting areas and the text, as pure functions over plain data.

A bulletin covers one ISO week, Monday to Sunday in local time (docs/definitions.md). Changes follow the
fixed change rule (contests.rules.change): 环比 against the week before, 同比 against the same
ISO week a year earlier, "新增" instead of a division by zero, and the Poisson signal
z = 2(√this − √previous) flagged at |z| ≥ 2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaign.i18n import _
from campaign.rules import Change, change, per_10k

TOP_N = 3
HOT_TOWNS = 3
LEADING_TYPES = 4
TREND_WEEKS = 12
#: Victim groups the text names: the first ones, in the managed order of occupation groups
#: (admins order them; by default 学生, 医务人员, 教师 …), that had victims that week.
TEXT_GROUPS = 3
#: The occupation group that is not a group: left out of the text's list of victim groups.
OTHER_GROUP = "其他"
#: Age bands: (label, lowest age, highest age); a victim without an age is "未知".
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("18岁以下", 0, 17),
    ("18-25岁", 18, 25),
    ("26-35岁", 26, 35),
    ("36-45岁", 36, 45),
    ("46-60岁", 46, 60),
    ("60岁以上", 61, 200),
)
UNKNOWN_AGE = "未知"


# -- ISO weeks -----------------------------------------------------------------------------------


class WeekError(ValueError):
    """A week that does not exist or cannot be read; the message is for people (Chinese)."""


@dataclass(frozen=True, slots=True, order=True)
class Week:
    """An ISO week: Monday to Sunday, numbered 1 to 52 or 53 within its ISO year."""

    year: int
    number: int

    @property
    def start(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def end(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 7)

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    def __str__(self) -> str:
        return self.key

    def shifted(self, weeks: int) -> Week:
        return week_of(self.start + dt.timedelta(weeks=weeks))

    @property
    def previous(self) -> Week:
        return self.shifted(-1)

    @property
    def year_earlier(self) -> Week:
        """The same ISO week number a year earlier; week 53 maps to week 52 when that year has
        no week 53."""
        return Week(self.year - 1, min(self.number, weeks_in_year(self.year - 1)))


def weeks_in_year(year: int) -> int:
    """52 or 53: 28 December always lies in the last ISO week of its year."""
    return dt.date(year, 12, 28).isocalendar().week


def week_of(day: dt.date) -> Week:
    iso = day.isocalendar()
    return Week(iso.year, iso.week)


WEEK_PATTERN = re.compile(r"^(\d{4})-?[Ww](\d{1,2})$")


def parse_week(text: str) -> Week:
    """ "2023-W27" (also 2023W27, 2023-w27) → Week; a clear Chinese error otherwise."""
    match = WEEK_PATTERN.match((text or "").strip())
    if not match:
        raise WeekError(_("周次格式应为 2023-W27 这样的“年-W周”,收到的是“%(t)s”", t=text))
    year, number = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise WeekError(_("年份 %(y)s 超出范围(2000-2100)", y=year))
    last = weeks_in_year(year)
    if not 1 <= number <= last:
        raise WeekError(_("%(y)s 年只有 %(n)s 个 ISO 周,没有第 %(w)s 周", y=year, n=last, w=number))
    return Week(year, number)


def check_not_future(week: Week, today: dt.date) -> None:
    """A bulletin reports a week that has begun; a week starting after today has no data yet."""
    if week.start > today:
        raise WeekError(
            _("%(w)s(%(d)s 起)还没有开始,不能生成通报", w=week.key, d=week.start.isoformat())
        )


def last_complete_week(today: dt.date) -> Week:
    """The week the Monday bulletin reports: the latest week that ended before today."""
    return week_of(today - dt.timedelta(days=today.weekday() + 1))


def week_label(week: Week) -> str:
    """ "7月3日至9日" in the bulletin's style; across months or years the month repeats."""
    start, end = week.start, week.end
    if start.month == end.month:
        return f"{start.month}月{start.day}日至{end.day}日"
    if start.year == end.year:
        return f"{start.month}月{start.day}日至{end.month}月{end.day}日"
    return f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日"


# -- Changes and series --------------------------------------------------------------------------


def change_json(c: Change) -> dict:
    """A change as data: ratio (None for "新增" or both zero), percentage rounded to one decimal,
    absolute change, Poisson z and whether it is flagged."""
    return {
        "this": c.this,
        "previous": c.previous,
        "ratio": c.ratio,
        "percent": None if c.ratio is None else round(c.ratio * 100, 1),
        "absolute": c.absolute,
        "z": round(c.z, 3),
        "flagged": c.flagged,
        "is_new": c.is_new,
        "direction": direction(c.this, c.previous),
    }


def direction(this: int, previous: int) -> str:
    """ "up", "down" or "flat"."""
    return "up" if this > previous else "down" if this < previous else "flat"


def decline_weeks(series: Sequence[int]) -> int:
    """Consecutive weeks of decline ending with the last week of `series` (oldest first): how many
    of the latest weeks each had fewer cases than the week before ("连续两周环比下降" is 2)."""
    n = 0
    for i in range(len(series) - 1, 0, -1):
        if series[i] < series[i - 1]:
            n += 1
        else:
            break
    return n


# -- Reporting areas -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Area:
    """A reporting area (分局片区): a set of towns, mostly a district, sometimes a zone."""

    code: str
    name: str
    towns: frozenset[str]
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class AreaProblem:
    kind: str  # "missing", "duplicate", "unknown", "empty", "name"
    message: str
    codes: tuple[str, ...] = ()


def default_areas(
    districts: Sequence[tuple[str, str]], town_districts: Mapping[str, str]
) -> list[Area]:
    """One area per district holding all its towns (the default until an admin defines areas)."""
    members: dict[str, set[str]] = {}
    for town, district in town_districts.items():
        members.setdefault(district, set()).add(town)
    return [
        Area(code, name, frozenset(members.get(code, ())), order)
        for order, (code, name) in enumerate(districts)
    ]


def check_areas(
    assignment: Sequence[tuple[str, str]], towns: Mapping[str, str], shown: int = 10
) -> list[AreaProblem]:
    """Problems of a whole area definition given as (area name, town code) pairs against the
    known towns ({code: name}): every town must be in exactly one area, codes must be towns,
    names must not be blank. An empty list means the definition may be saved."""
    problems: list[AreaProblem] = []
    seen: dict[str, set[str]] = {}
    for area, town in assignment:
        if not area.strip():
            problems.append(AreaProblem("name", _("镇街 %(t)s 的片区名称为空", t=town), (town,)))
            continue
        seen.setdefault(town, set()).add(area.strip())
    unknown = sorted(t for t in seen if t not in towns)
    if unknown:
        problems.append(
            AreaProblem(
                "unknown", _("这些代码不是已导入的镇街:") + _listed(unknown, shown), tuple(unknown)
            )
        )
    twice = sorted(t for t, names in seen.items() if len(names) > 1 and t in towns)
    if twice:
        detail = "、".join(f"{towns[t]}({'/'.join(sorted(seen[t]))})" for t in twice[:shown])
        problems.append(
            AreaProblem("duplicate", _("这些镇街被分到了两个及以上片区:") + detail, tuple(twice))
        )
    missing = sorted(t for t in towns if t not in seen)
    if missing:
        named = [f"{towns[t]}({t})" for t in missing]
        problems.append(
            AreaProblem(
                "missing", _("这些镇街没有分到任何片区:") + _listed(named, shown), tuple(missing)
            )
        )
    return problems


def _listed(items: Sequence[str], shown: int) -> str:
    text = "、".join(items[:shown])
    return text + (_(" 等 %(n)s 个", n=len(items)) if len(items) > shown else "")


def areas_from_assignment(assignment: Sequence[tuple[str, str]]) -> dict[str, set[str]]:
    """{area name: towns}, in order of first appearance (the order areas are listed)."""
    areas: dict[str, set[str]] = {}
    for area, town in assignment:
        areas.setdefault(area.strip(), set()).add(town)
    return areas


# -- The week's data and the figures -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TownWeek:
    """Cases and loss (fen) of one town in one week."""

    cases: int = 0
    loss_fen: int = 0


@dataclass(frozen=True, slots=True)
class WeekInput:
    """Everything the bulletin of one week is computed from (read by queries, plain data here).

    The areas are made of units: towns, or whole districts when the areas are the default (one
    per district), so a national week is summed by the database per district, not per town.
    units/previous_units/last_year_units: {unit code: TownWeek}; trend: {unit code: its cases in
    each of the 12 weeks ending with this one, oldest first}; hot_towns: the towns with most cases, ranked
    (code, district code, TownWeek); types/previous_types: {fraud type: cases}; occupations/
    previous_occupations: {occupation group: cases}; ages: {age or None: cases}; warned: {unit
    code: people warned} or None when the warnings module has no data; population: {unit code:
    residents}; district_of: {unit code: district code}; town_names: names of the hot towns."""

    week: Week
    units: Mapping[str, TownWeek]
    previous_units: Mapping[str, TownWeek]
    last_year_units: Mapping[str, TownWeek]
    trend: Mapping[str, Sequence[int]]
    hot_towns: Sequence[tuple[str, str, TownWeek]]
    types: Mapping[str, int]
    previous_types: Mapping[str, int]
    occupations: Mapping[str, int]
    previous_occupations: Mapping[str, int]
    ages: Mapping[int | None, int]
    warned: Mapping[str, int] | None
    population: Mapping[str, int]
    town_names: Mapping[str, str]
    district_of: Mapping[str, str]
    district_names: Mapping[str, str]
    type_order: Sequence[str] = ()
    occupation_order: Sequence[str] = ()
    has_previous_data: bool = True


def _series(trend: Mapping[str, Sequence[int]], units: Iterable[str]) -> list[int]:
    """An area's cases per week: its units' weekly counts added up."""
    series = [0] * TREND_WEEKS
    for unit in units:
        for i, n in enumerate(trend.get(unit, ())):
            series[i] += n
    return series


def _sum(towns: Mapping[str, TownWeek], codes: Iterable[str] | None = None) -> TownWeek:
    items = towns.values() if codes is None else (towns[c] for c in codes if c in towns)
    cases = loss = 0
    for item in items:
        cases += item.cases
        loss += item.loss_fen
    return TownWeek(cases, loss)


def top_by_cases(rows: Sequence[dict], n: int = TOP_N) -> list[dict]:
    """The n rows with most cases (rows with none are left out); ties by more loss, then code."""
    ranked = [r for r in rows if r["cases"] > 0]
    ranked.sort(key=lambda r: (-r["cases"], -r.get("loss_fen", 0), r["code"]))
    return ranked[:n]


def top_by_decline(rows: Sequence[dict], n: int = TOP_N) -> list[dict]:
    """The n areas with the largest percentage fall in cases among those with cases in both weeks;
    ties by the larger absolute fall, then code."""
    falling = [r for r in rows if r["previous_cases"] > 0 and 0 < r["cases"] < r["previous_cases"]]
    falling.sort(
        key=lambda r: (
            r["cases"] / r["previous_cases"],  # smaller ratio = larger percentage fall
            r["cases"] - r["previous_cases"],  # more negative = larger absolute fall
            r["code"],
        )
    )
    return falling[:n]


def shares(counts: Mapping[str, int], order: Sequence[str] = ()) -> list[dict]:
    """[{"name", "cases", "share"}] most cases first (ties in the managed order, then by name);
    share is of the total, 0 when there are no cases."""
    total = sum(counts.values())
    rank = {name: i for i, name in enumerate(order)}
    items = [(name, n) for name, n in counts.items() if n > 0]
    items.sort(key=lambda item: (-item[1], rank.get(item[0], len(rank)), item[0]))
    return [{"name": k, "cases": v, "share": (v / total if total else 0.0)} for k, v in items]


def text_groups(
    counts: Mapping[str, int], order: Sequence[str], n: int = TEXT_GROUPS
) -> list[dict]:
    """The victim groups the text names ("学生被骗33人,医院工作人员被骗5人,教师被骗1人"): the
    first n groups in the managed order with victims that week ("其他" never); without an order,
    the largest groups."""
    named = [g for g in order if g != OTHER_GROUP and counts.get(g, 0) > 0]
    if not order:
        named = [g["name"] for g in shares(counts) if g["name"] != OTHER_GROUP]
    return [{"name": g, "cases": counts[g]} for g in named[:n]]


def age_band(age: int | None) -> str:
    if age is None:
        return UNKNOWN_AGE
    for label, low, high in AGE_BANDS:
        if low <= age <= high:
            return label
    return UNKNOWN_AGE


def age_bands(ages: Mapping[int | None, int]) -> list[dict]:
    """[{"name", "cases"}] in band order, every band listed (zeros included), unknown last."""
    counts = {label: 0 for label, _, _ in AGE_BANDS} | {UNKNOWN_AGE: 0}
    for age, n in ages.items():
        counts[age_band(age)] += n
    return [{"name": k, "cases": v} for k, v in counts.items()]


def sharp_risers(
    this: Mapping[str, int], previous: Mapping[str, int], exclude: Iterable[str] = ()
) -> list[dict]:
    """Types (outside `exclude`) whose rise is flagged by the Poisson signal, largest z first:
    "冒充亲友诈骗有所上升,共发案18起"."""
    skip = set(exclude)
    risers: list[dict[str, Any]] = []
    for name, n in this.items():
        c = change(n, previous.get(name, 0))
        if name not in skip and c.absolute > 0 and c.flagged:
            risers.append({"name": name, "cases": n, "change": change_json(c)})
    risers.sort(key=lambda r: (-r["change"]["z"], r["name"]))
    return risers


def compute_figures(data: WeekInput, areas: Sequence[Area]) -> dict:
    """Every figure of one week's bulletin, as JSON-ready data (what is frozen on publishing)."""
    total = _sum(data.units)
    previous = _sum(data.previous_units)
    last_year = _sum(data.last_year_units)

    area_rows: list[dict[str, Any]] = []
    for area in sorted(areas, key=lambda a: (a.sort_order, a.code)):
        now = _sum(data.units, area.towns)
        before = _sum(data.previous_units, area.towns)
        year_ago = _sum(data.last_year_units, area.towns)
        series = _series(data.trend, area.towns)
        population = sum(data.population.get(t, 0) for t in area.towns)
        warned = None if data.warned is None else sum(data.warned.get(t, 0) for t in area.towns)
        area_rows.append(
            {
                "code": area.code,
                "name": area.name,
                "cases": now.cases,
                "loss_fen": now.loss_fen,
                "previous_cases": before.cases,
                "previous_loss_fen": before.loss_fen,
                "cases_change": change_json(change(now.cases, before.cases)),
                "loss_change": change_json(change(now.loss_fen, before.loss_fen)),
                "year_cases": year_ago.cases,
                "cases_yoy": change_json(change(now.cases, year_ago.cases)),
                "decline_weeks": decline_weeks(series),
                "trend": series,
                "population": population or None,
                "warned": warned,
                "warned_per_10k": None if warned is None else per_10k(warned, population or None),
            }
        )
    risk = [r for r in area_rows if r["warned_per_10k"] is not None and r["warned"]]
    risk.sort(key=lambda r: (-r["warned_per_10k"], r["code"]))

    town_rows = [
        {
            "code": code,
            "name": data.town_names.get(code, code),
            "district": data.district_names.get(district, ""),
            "cases": tw.cases,
            "loss_fen": tw.loss_fen,
        }
        for code, district, tw in data.hot_towns
    ]
    type_shares = shares(data.types, data.type_order)
    leading = type_shares[:LEADING_TYPES]
    leading_cases = sum(t["cases"] for t in leading)
    for t in type_shares:
        t["change"] = change_json(change(t["cases"], data.previous_types.get(t["name"], 0)))
    occupations = [
        {
            "name": o["name"],
            "cases": o["cases"],
            "share": o["share"],
            "change": change_json(change(o["cases"], data.previous_occupations.get(o["name"], 0))),
        }
        for o in shares(data.occupations)
    ]
    districts: dict[str, dict] = {}
    for code, tw in data.units.items():
        d = data.district_of.get(code)
        if d:
            row = districts.setdefault(
                d, {"code": d, "name": data.district_names.get(d, d), "cases": 0, "loss_fen": 0}
            )
            row["cases"] += tw.cases
            row["loss_fen"] += tw.loss_fen
    return {
        "week": data.week.key,
        "start": data.week.start.isoformat(),
        "end": data.week.end.isoformat(),
        "label": week_label(data.week),
        "previous_week": data.week.previous.key,
        "year_earlier_week": data.week.year_earlier.key,
        "has_previous_data": data.has_previous_data,
        "cases": total.cases,
        "loss_fen": total.loss_fen,
        "previous_cases": previous.cases,
        "previous_loss_fen": previous.loss_fen,
        "cases_change": change_json(change(total.cases, previous.cases)),
        "loss_change": change_json(change(total.loss_fen, previous.loss_fen)),
        "cases_yoy": change_json(change(total.cases, last_year.cases)),
        "loss_yoy": change_json(change(total.loss_fen, last_year.loss_fen)),
        "year_cases": last_year.cases,
        "year_loss_fen": last_year.loss_fen,
        "areas": area_rows,
        "top_cases": [r["code"] for r in top_by_cases(area_rows)],
        "top_decline": [r["code"] for r in top_by_decline(area_rows)],
        "declining_two_weeks": [r["code"] for r in area_rows if r["decline_weeks"] >= 2],
        "hot_towns": top_by_cases(town_rows, HOT_TOWNS),
        "risk_areas": [r["code"] for r in risk[:TOP_N]],
        "warnings_available": data.warned is not None,
        "districts": sorted(districts.values(), key=lambda d: d["code"]),
        "types": type_shares,
        "leading_types": [t["name"] for t in leading],
        "leading_share": (leading_cases / total.cases) if total.cases else 0.0,
        "sharp_risers": sharp_risers(
            data.types, data.previous_types, exclude=[t["name"] for t in leading]
        ),
        "occupations": occupations,
        "ages": age_bands(data.ages),
        "text_groups": text_groups(data.occupations, data.occupation_order),
        "trend_weeks": [data.week.shifted(i - TREND_WEEKS + 1).key for i in range(TREND_WEEKS)],
    }


# -- The text ------------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """ "慈溪市" → "慈溪", "北仑区" → "北仑", as the bulletin writes areas in lists; names of two
    characters or zones ("大榭") stay as they are."""
    if len(name) > 2 and name[-1] in "市区县":
        return name[:-1]
    return name


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{abs(value):.1f}%"


def _change_phrase(c: dict) -> str:
    if c["is_new"]:
        return "新增"
    if c["direction"] == "flat":
        return "持平"
    if c["percent"] is None:
        return "持平"
    return ("上升" if c["direction"] == "up" else "下降") + _pct(c["percent"])


def wan(fen: int) -> str:
    """Fen as 万元 with at most one decimal as newspapers write it: 6,606,000 元 → "660.6"."""
    text = f"{fen / 1_000_000:.2f}".rstrip("0").rstrip(".")
    return text


def _joined(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return "、".join(names[:-1]) + "和" + names[-1]


def type_label(name: str) -> str:
    return name if name.endswith("诈骗") else name + "诈骗"


#: Chinese text uses full-width , ; : ( ) (spelled as escapes: editors here may turn the typed
#: characters into ASCII).
FULL_WIDTH = str.maketrans(
    {",": "\uff0c", ";": "\uff1b", ":": "\uff1a", "(": "\uff08", ")": "\uff09"}
)
ASCII_PUNCTUATION = {ord(v): k for k, v in FULL_WIDTH.items()}


def narrative(figures: dict) -> str:
    """The bulletin's paragraphs in the newspaper's style, every number taken from `figures`,
    with full-width punctuation."""
    return _narrative(figures).translate(FULL_WIDTH)


def _narrative(figures: dict) -> str:
    if figures["cases"] == 0:
        before = figures["previous_cases"] if figures["has_previous_data"] else 0
        tail = f",上上周为{before}起。" if before else "。"
        return f"上周({figures['label']}),全市未受理电信网络诈骗案件" + tail
    areas = {a["code"]: a for a in figures["areas"]}
    paragraphs = []
    cases_c, loss_c = figures["cases_change"], figures["loss_change"]
    first = (
        f"上周({figures['label']}),全市共受理电信网络诈骗案件{figures['cases']}起,"
        f"涉案金额{wan(figures['loss_fen'])}万元"
    )
    if not figures["has_previous_data"]:
        first += ",上上周无可比数据"
    elif (
        cases_c["direction"] == loss_c["direction"]
        and cases_c["percent"] is not None
        and loss_c["percent"] is not None
        and cases_c["direction"] != "flat"
    ):
        word = "上升" if cases_c["direction"] == "up" else "下降"
        first += f",环比上上周分别{word}{_pct(cases_c['percent'])}、{_pct(loss_c['percent'])}"
    else:
        first += f",环比上上周分别{_change_phrase(cases_c)}、{_change_phrase(loss_c)}"
    top = [short_name(areas[c]["name"]) for c in figures["top_cases"]]
    if top:
        first += f";案件高发区县前{_cn(len(top))}位的是{'、'.join(top)}"
    falling = [short_name(areas[c]["name"]) for c in figures["top_decline"]]
    if falling:
        first += f",环比下降前{_cn(len(falling))}位的是{_joined(falling)}"
    streaks = [a for a in figures["areas"] if a["decline_weeks"] >= 2]
    if streaks:
        parts = [f"{short_name(a['name'])}连续{_cn(a['decline_weeks'])}周环比下降" for a in streaks]
        first += ",其中" + "、".join(parts)
    paragraphs.append(first + "。")

    second = []
    hot = figures["hot_towns"]
    if hot:
        names, district = [], None
        for t in hot:  # "北仑的新碶街道、大碶街道": the district is named once per run
            same = t["district"] == district or not t["district"]
            names.append(t["name"] if same else f"{short_name(t['district'])}的{t['name']}")
            district = t["district"]
        second.append(f"从发案地图上看,上周案件高发的乡镇街道为{'、'.join(names)}")
    risk = [areas[c]["name"] for c in figures["risk_areas"]]
    if risk:
        second.append(
            f"潜在受害人群比例较高的区县有{'、'.join(risk)},这几个区需引起高度警惕,谨防被骗"
        )
    if second:
        paragraphs.append("。".join(second) + "。")

    leading = figures["leading_types"]
    if leading:
        types = {t["name"]: t for t in figures["types"]}
        share = round(figures["leading_share"] * 100)
        count = _cn(len(leading))
        text = (
            f"上周诈骗类型占比最高的是{'、'.join(type_label(n) for n in leading)},"
            f"这{count}类诈骗共占到了案件总数的{share}%。"
        )
        up = [type_label(n) for n in leading if types[n]["change"]["direction"] == "up"]
        down = [type_label(n) for n in leading if types[n]["change"]["direction"] == "down"]
        clauses = []
        if up:
            clauses.append(f"{'、'.join(up)}环比是上升的")
        if down:
            clauses.append(f"{'、'.join(down)}环比{'则' if up else ''}是下降的")
        if clauses:
            text += "其中," + ",".join(clauses) + "。"
        for riser in figures["sharp_risers"]:
            text += f"另外,上周{type_label(riser['name'])}有所上升,共发案{riser['cases']}起。"
        paragraphs.append(text)

    groups = figures.get("text_groups") or []
    if groups:
        parts = [f"{o['name']}被骗{o['cases']}人" for o in groups]
        paragraphs.append("从受害人职业身份来看,其中" + ",".join(parts) + "。")
    return "\n\n".join(paragraphs)


_DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    """Small counts as the bulletin writes them: 2 → 两 (as in 两周), 3 → 三, 12 → 十二."""
    if n == 2:
        return "两"
    if 0 <= n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    return str(n)


# -- Prevention reminders ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reminder:
    """A prevention reminder an admin keeps; it fits a fraud type, a victim group and months."""

    id: int
    text: str
    fraud_type: str = ""
    occupation_group: str = ""
    months: frozenset[int] = field(default_factory=frozenset)


def parse_months(text: str) -> frozenset[int]:
    """ "7,8" or "7、8" or "7-9" → months; blank means every month. Raises ValueError."""
    months: set[int] = set()
    for part in re.split(r"[,,、;;\s]+", (text or "").strip()):
        if not part:
            continue
        if "-" in part:
            low, high = (int(x) for x in part.split("-", 1))
            months.update(range(low, high + 1))
        else:
            months.add(int(part))
    if any(not 1 <= m <= 12 for m in months):
        raise ValueError(_("月份应在 1 到 12 之间"))
    return frozenset(months)


def reminder_score(r: Reminder, leading_type: str, top_group: str, month: int) -> int:
    """How well a reminder fits the week: a matching type 2, group 2, season 1 (so a seasonal
    reminder for the week's main victim group, like the report's summer-holiday warning to
    students, beats a generic one for the type); a reminder tied to another type, group or season
    does not fit at all (−1)."""
    score = 0
    for wanted, actual, points in (
        (r.fraud_type, leading_type, 2),
        (r.occupation_group, top_group, 2),
    ):
        if wanted:
            if wanted != actual:
                return -1
            score += points
    if r.months:
        if month not in r.months:
            return -1
        score += 1
    return score


def choose_reminder(
    reminders: Sequence[Reminder], leading_type: str, top_group: str, month: int
) -> Reminder | None:
    """The reminder that fits the week's leading type, victim group and month best; ties go to
    the one listed first. None when none fits."""
    best, best_score = None, -1
    for r in reminders:
        score = reminder_score(r, leading_type, top_group, month)
        if score > best_score:
            best, best_score = r, score
    return best


def reminder_for(figures: dict, reminders: Sequence[Reminder]) -> Reminder | None:
    leading = figures["leading_types"][0] if figures["leading_types"] else ""
    groups = [o["name"] for o in figures["occupations"] if o["name"] != OTHER_GROUP]
    month = dt.date.fromisoformat(figures["end"]).month
    return choose_reminder(reminders, leading, groups[0] if groups else "", month)


# -- Revisions -----------------------------------------------------------------------------------

#: The figures compared between revisions: (key, label); money is shown in 万元.
HEADLINE_FIGURES = (("cases", "案件数"), ("loss_fen", "涉案金额(万元)"))


def _shown(key: str, value):
    return wan(value or 0) if key == "loss_fen" else value


def revision_changes(old: dict, new: dict) -> list[dict]:
    """What a revision changed, for the page (CompStat style: preliminary → revised): the
    headline totals, each area's cases and loss, each type's cases and the top lists (by name)."""
    changes = []

    def add(what: str, key: str, before, after) -> None:
        if before != after:
            changes.append(
                {"what": what, "before": _shown(key, before), "after": _shown(key, after)}
            )

    for key, label in HEADLINE_FIGURES:
        add(label, key, old.get(key), new.get(key))
    old_areas = {a["code"]: a for a in old.get("areas", [])}
    for area in new.get("areas", []):
        before = old_areas.get(area["code"], {})
        for key, label in HEADLINE_FIGURES:
            add(f"{area['name']} {label}", key, before.get(key, 0), area[key])
    old_types = {t["name"]: t["cases"] for t in old.get("types", [])}
    new_types = {t["name"]: t["cases"] for t in new.get("types", [])}
    for name in sorted(set(old_types) | set(new_types)):
        add(f"{type_label(name)} 案件数", "cases", old_types.get(name, 0), new_types.get(name, 0))
    names = {a["code"]: a["name"] for a in [*old.get("areas", []), *new.get("areas", [])]}
    for key, label in (
        ("top_cases", "高发前三"),
        ("top_decline", "下降前三"),
        ("leading_types", "占比最高的类型"),
    ):
        before = "、".join(names.get(c, c) for c in old.get(key) or [])
        after = "、".join(names.get(c, c) for c in new.get(key) or [])
        add(label, key, before, after)
    return changes


def figures_differ(old: dict, new: dict) -> bool:
    """Whether data behind a frozen bulletin changed (the computed time is not a figure)."""
    return _stable(old) != _stable(new)


def _stable(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in ("computed_at",)}
