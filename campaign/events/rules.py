"""What outreach events mean: the figures they report, what a plausible event looks like, who
verifies whom, how verified work turns into contest points, and the calendar arithmetic of
coverage. Pure functions over plain data, no I/O."""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, Place, Scope, covers
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import Column, Row, RowError, text
from campaign.parsing import MAX_COUNT, parse_date, parse_int

#: The figures an event may report, in display order.
FIGURES = ("attendees", "households", "installs", "materials", "gifts", "volunteers")
FIGURE_LABELS = {
    "attendees": _l("参与人数"),
    "households": _l("入户户数"),
    "installs": _l("指导安装国家反诈中心APP"),
    "materials": _l("发放宣传资料(份)"),
    "gifts": _l("发放小礼品(份)"),
    "volunteers": _l("参与志愿者"),
}
#: Hard ceiling for any figure of any type, whatever an administrator configures.
FIGURE_CEILING = 10_000_000

SUBMITTED, VERIFIED, RETURNED = "submitted", "verified", "returned"
STATUS_LABELS = {
    SUBMITTED: _l("待核实"),
    VERIFIED: _l("已核实"),
    RETURNED: _l("已退回"),
}

#: (name, counts as a lecture, points per event, {figure: (upper bound, points per unit)}).
DEFAULT_EVENT_TYPES: tuple[tuple[str, bool, float, dict[str, tuple[int, float]]], ...] = (
    (
        "宣讲/讲堂",
        True,
        5.0,
        {
            "attendees": (5_000, 0.01),
            "installs": (5_000, 0.05),
            "materials": (20_000, 0.0),
            "gifts": (5_000, 0.0),
            "volunteers": (300, 0.05),
        },
    ),
    (
        "敲门入户",
        False,
        2.0,
        {
            "households": (500, 0.05),
            "attendees": (1_500, 0.01),
            "installs": (1_000, 0.05),
            "materials": (3_000, 0.0),
            "gifts": (1_000, 0.0),
            "volunteers": (100, 0.05),
        },
    ),
    (
        "进村社",
        True,
        3.0,
        {
            "attendees": (3_000, 0.01),
            "households": (800, 0.05),
            "installs": (3_000, 0.05),
            "materials": (10_000, 0.0),
            "gifts": (3_000, 0.0),
            "volunteers": (200, 0.05),
        },
    ),
    (
        "进企业",
        True,
        3.0,
        {
            "attendees": (5_000, 0.01),
            "installs": (5_000, 0.05),
            "materials": (10_000, 0.0),
            "gifts": (3_000, 0.0),
            "volunteers": (100, 0.05),
        },
    ),
    (
        "进校园",
        True,
        3.0,
        {
            "attendees": (10_000, 0.01),
            "installs": (10_000, 0.05),
            "materials": (20_000, 0.0),
            "gifts": (5_000, 0.0),
            "volunteers": (200, 0.05),
        },
    ),
    (
        "摆摊宣传",
        False,
        2.0,
        {
            "attendees": (5_000, 0.01),
            "installs": (3_000, 0.05),
            "materials": (20_000, 0.0),
            "gifts": (5_000, 0.0),
            "volunteers": (100, 0.05),
        },
    ),
    (
        # 慈溪's booths at COVID vaccination points: people queue and wait 30 minutes anyway.
        "接种点/集市等候区宣传",
        False,
        2.0,
        {
            "attendees": (5_000, 0.01),
            "installs": (3_000, 0.05),
            "materials": (20_000, 0.0),
            "gifts": (5_000, 0.0),
            "volunteers": (100, 0.05),
        },
    ),
    (
        "集中宣传(警格+网格)",
        True,
        3.0,
        {
            "attendees": (10_000, 0.01),
            "households": (2_000, 0.05),
            "installs": (10_000, 0.05),
            "materials": (30_000, 0.0),
            "gifts": (5_000, 0.0),
            "volunteers": (300, 0.05),
        },
    ),
    (
        "培训",
        False,
        2.0,
        {"attendees": (2_000, 0.01), "materials": (5_000, 0.0), "volunteers": (100, 0.05)},
    ),
    ("线上推送", False, 1.0, {"attendees": (2_000_000, 0.0001), "installs": (50_000, 0.01)}),
    (
        "其他",
        False,
        1.0,
        {
            "attendees": (3_000, 0.01),
            "installs": (3_000, 0.05),
            "materials": (10_000, 0.0),
            "gifts": (3_000, 0.0),
            "volunteers": (100, 0.05),
        },
    ),
)
DEFAULT_AUDIENCES = (
    "老人",
    "学生",
    "企业员工",
    "宝妈",
    "医务人员",
    "教师",
    "外来务工人员",
    "村社居民",
)

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 15 * 1024 * 1024
#: The whole form: every photo at its limit plus the fields.
MAX_FORM_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 1024 * 1024
MAX_NOTES = 2000


# -- Event types -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeSpec:
    """An event type as the rules see it."""

    id: int
    name: str
    counts_as_lecture: bool
    points: float
    figures: Mapping[str, Mapping[str, float]]

    def bound(self, figure: str) -> int | None:
        """The plausible upper bound of a figure for this type; None when it does not apply."""
        spec = self.figures.get(figure)
        return int(spec.get("max", FIGURE_CEILING)) if spec is not None else None


def default_figures(spec: dict[str, tuple[int, float]]) -> dict[str, dict[str, float]]:
    return {key: {"max": bound, "points": points} for key, (bound, points) in spec.items()}


def event_points(kind: TypeSpec, figures: Mapping[str, int], events: int = 1) -> float:
    """Contest points of `events` verified events of one type whose figures add up to `figures`:
    the type's points per event plus, for each figure that matters for the type, its points per
    unit times the figure."""
    total = kind.points * events
    for key, spec in kind.figures.items():
        total += float(spec.get("points", 0.0)) * int(figures.get(key) or 0)
    return round(total, 4)


def parse_type_form(form: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """An administrator's edit of a type: name, points per event, and per figure whether it
    applies, its upper bound and its points per unit."""
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = _("请填写名称")
    elif len(name) > 30:
        errors["name"] = _("名称最长 30 个字")
    points = _parse_points(form.get("points", "0"), "points", errors)
    figures: dict[str, dict[str, float]] = {}
    for key in FIGURES:
        if not form.get(f"use_{key}"):
            continue
        raw = form.get(f"max_{key}", "").strip()
        bound = _parse_whole(raw)
        if bound is None or not 0 < bound <= FIGURE_CEILING:
            errors[f"max_{key}"] = _("上限应为 1 至 %(n)s 之间的整数", n=f"{FIGURE_CEILING:,}")
            bound = 0
        figures[key] = {
            "max": bound,
            "points": _parse_points(form.get(f"points_{key}", "0"), f"points_{key}", errors),
        }
    record = {
        "name": name,
        "points": points,
        "figures": figures,
        "counts_as_lecture": bool(form.get("counts_as_lecture")),
        "active": bool(form.get("active")),
    }
    return record, errors


def _parse_points(raw: str, key: str, errors: dict[str, str]) -> float:
    try:
        value = float(raw.strip() or "0")
    except ValueError:
        value = -1
    if not (0 <= value <= 1000) or math.isnan(value):
        errors[key] = _("分值应为 0 至 1000 之间的数")
        return 0.0
    return value


def _parse_whole(raw: str) -> int | None:
    raw = raw.strip().replace(",", "").replace("\uff0c", "")
    if not raw:
        return None
    value = parse_int(raw, 0, MAX_COUNT)
    return -1 if value is None else value


# -- Logging an event ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInput:
    """A checked event form: local start and end, the figures that matter, audiences."""

    type_id: int
    place_code: str
    place_text: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    figures: dict[str, int]
    audiences: tuple[str, ...]
    team: str
    notes: str

    @property
    def day(self) -> dt.date:
        return self.starts_at.date()


def check_figures(kind: TypeSpec, raw: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Each figure that matters for the type: blank is 0, otherwise a whole number from 0 to the
    type's plausible upper bound. Figures that do not matter are stored as 0."""
    figures: dict[str, int] = {key: 0 for key in FIGURES}
    errors: dict[str, str] = {}
    for key in FIGURES:
        bound = kind.bound(key)
        if bound is None:
            continue
        text = (raw.get(key) or "").strip()
        value = _parse_whole(text.lstrip("-")) if text else 0
        if text.startswith("-"):
            errors[key] = _("不能为负数")
        elif value is None or value < 0:
            errors[key] = _("请填写整数")
        elif value > bound:
            errors[key] = _(
                "%(figure)s超过%(type)s的合理上限 %(n)s,请核对",
                figure=FIGURE_LABELS[key],
                type=kind.name,
                n=f"{bound:,}",
            )
        else:
            figures[key] = value
    return figures, errors


def _parse_time(day: dt.date | None, raw: str, tz: dt.tzinfo) -> dt.datetime | None:
    if day is None:
        return None
    try:
        clock = dt.time.fromisoformat(raw.strip())
    except ValueError:
        return None
    return dt.datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=tz)


def check_event(
    form: Mapping[str, str],
    audiences: Iterable[str],
    kind: TypeSpec | None,
    known_audiences: Iterable[str],
    now: dt.datetime,
) -> tuple[EventInput | None, dict[str, str]]:
    """Validate an event form against its type; `now` is the local time (an event cannot start
    in the future). Returns the event or the errors keyed by field name, in Chinese."""
    errors: dict[str, str] = {}
    if kind is None:
        errors["type_id"] = _("请选择活动类型")
    place_code = form.get("place_code", "").strip()
    if not place_code:
        errors["place_code"] = _("请选择活动地点(输入村社名称的一部分搜索)")
    day = parse_date(form.get("day", ""))
    if day is None:
        errors["day"] = _("请填写日期")
    starts_at = _parse_time(day, form.get("start", ""), now.tzinfo or dt.UTC)
    ends_at = _parse_time(day, form.get("end", ""), now.tzinfo or dt.UTC)
    if day is not None and starts_at is None:
        errors["start"] = _("请填写开始时间")
    if day is not None and ends_at is None:
        errors["end"] = _("请填写结束时间")
    if day is not None and day > now.date():
        errors["day"] = _("不能登记未来的活动,请在活动开始后登记")
    elif starts_at and starts_at > now:
        errors["start"] = _("开始时间晚于现在,请在活动开始后登记")
    elif day is not None and day < now.date() - dt.timedelta(days=366):
        errors["day"] = _("只能登记一年内的活动")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["end"] = _("结束时间应晚于开始时间")
    figures: dict[str, int] = {}
    if kind is not None:
        figures, figure_errors = check_figures(kind, form)
        errors.update(figure_errors)
    known = set(known_audiences)
    chosen = tuple(dict.fromkeys(a for a in audiences if a in known))
    notes = form.get("notes", "").strip()
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("备注最长 %(n)s 字", n=MAX_NOTES)
    team = form.get("team", "").strip()
    if len(team) > 50:
        errors["team"] = _("团队名称最长 50 字")
    place_text = form.get("place_text", "").strip()
    if len(place_text) > 100:
        errors["place_text"] = _("地点说明最长 100 字")
    if errors:
        return None, errors
    assert kind is not None and starts_at is not None and ends_at is not None
    return (
        EventInput(
            type_id=kind.id,
            place_code=place_code,
            place_text=place_text,
            starts_at=starts_at,
            ends_at=ends_at,
            figures=figures,
            audiences=chosen,
            team=team,
            notes=notes,
        ),
        {},
    )


def audiences_text(names: Iterable[str]) -> str:
    """Audiences stored as ",老人,学生," so that one group is a LIKE '%,老人,%' match."""
    names = [n for n in names if n]
    return f",{','.join(names)}," if names else ""


def audiences_list(stored: str | None) -> list[str]:
    return [n for n in (stored or "").split(",") if n]


def duplicate_key(unit_code: str | None, type_id: int, place_code: str, day: dt.date) -> tuple:
    """Two events are likely the same when unit, type, place and day agree."""
    return (unit_code, type_id, place_code, day)


# -- Verification ----------------------------------------------------------------------------

#: How high a unit sits: a town (or a station) is verified by the district above, a station's
#: event also by the town above; the city (administrators) verifies everything.
UNIT_RANK = {"station": 0, "town": 1, "district": 2, None: 3}
VERIFYING_ROLES = (COORDINATOR, LEADER)


def may_verify(
    role: str,
    scope: Scope,
    user_id: int,
    place: Place,
    unit_kind: str | None,
    submitter_id: int | None,
) -> bool:
    """Verifying (or sending back) is for the unit above the organising unit: an administrator,
    or a coordinator or leader whose jurisdiction covers the place and sits higher than the
    organising unit (a district leader verifies its towns' and stations' events, a city leader
    any unit's) — never the person who submitted it."""
    if submitter_id is not None and user_id == submitter_id:
        return False
    if role == ADMIN:
        return True
    if role not in VERIFYING_ROLES or not covers(scope, place):
        return False
    return UNIT_RANK.get(scope.kind, 3) > UNIT_RANK.get(unit_kind, 3)


def may_edit(
    role: str, user_id: int, creator_id: int | None, status: str, can_write_place: bool
) -> bool:
    """Changing a logged event (and resubmitting it) is for the person who logged it or an
    administrator, while it is not verified, and only where they may write. One rule for the
    edit button and for the server's check."""
    if status == VERIFIED or not can_write_place:
        return False
    return role == ADMIN or (creator_id is not None and user_id == creator_id)


# -- Periods ---------------------------------------------------------------------------------


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return first, last


def month_to_date_pair(today: dt.date) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """This month so far and the same days of last month (clamped to its length), so that the
    two periods compared for "rising cases" have equal length (docs/definitions.md)."""
    this = (today.replace(day=1), today)
    last_end_of_prev = this[0] - dt.timedelta(days=1)
    prev_first = last_end_of_prev.replace(day=1)
    prev_last = prev_first.replace(day=min(today.day, last_end_of_prev.day))
    return this, (prev_first, prev_last)


def is_rising(this: int, previous: int) -> bool:
    return this > previous


def month_grid(year: int, month: int) -> list[list[dt.date | None]]:
    """The weeks (Monday to Sunday) of a month, days outside it as None."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    return [[d if d.month == month else None for d in week] for week in weeks]


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


WINDOWS = (7, 30, 90)


def covered_since(today: dt.date, days: int) -> dt.date:
    """A village is covered for a window of N days when it had verified outreach on or after
    this day (today counts as one of the N days)."""
    return today - dt.timedelta(days=days - 1)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# -- Import ----------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    Column("external_id", ("外部编号", "external_id")),
    Column("type", ("活动类型", "type")),
    Column("place_code", ("地点代码", "place_code")),
    Column("starts_at", ("开始时间", "starts_at")),
    Column("ends_at", ("结束时间", "ends_at"), required=False),
    Column("place_text", ("具体地点", "place_text"), required=False),
    Column("unit_code", ("组织单位", "unit_code"), required=False),
    Column("team", ("宣传团队", "team"), required=False),
    Column("attendees", ("参与人数", "attendees"), required=False),
    Column("households", ("入户户数", "households"), required=False),
    Column("installs", ("安装反诈APP", "installs"), required=False),
    Column("materials", ("发放资料", "materials"), required=False),
    Column("gifts", ("发放礼品", "gifts"), required=False),
    Column("volunteers", ("志愿者", "volunteers"), required=False),
    Column("audiences", ("受众", "audiences"), required=False),
    Column("notes", ("备注", "notes"), required=False),
    Column("status", ("状态", "status"), required=False),
)
IMPORT_STATUS = {
    "": VERIFIED,
    "已核实": VERIFIED,
    "verified": VERIFIED,
    "待核实": SUBMITTED,
    "submitted": SUBMITTED,
}


@dataclass(frozen=True)
class KnownPlace:
    level: str
    town_code: str
    district_code: str


def parse_local_datetime(value: object, tz: dt.tzinfo) -> dt.datetime | None:
    """An Excel datetime or text such as 2026-05-21 14:00 (local time, docs/definitions.md)."""
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        raw = text(value).replace("/", "-").replace("T", " ")
        try:
            parsed = dt.datetime.fromisoformat(raw)
        except ValueError:
            return None
    return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed.astimezone(tz)


def validate_import(
    rows: Sequence[Row],
    types: Mapping[str, TypeSpec],
    places: Mapping[str, KnownPlace],
    units: Mapping[str, str],
    audiences: Iterable[str],
    now: dt.datetime,
) -> tuple[list[dict], list[RowError]]:
    """Every row checked like the phone form, every problem reported with its row and column.
    `units` maps organising unit codes to their kind (district, town, station)."""
    errors: list[RowError] = []
    records: list[dict] = []
    seen: dict[str, int] = {}
    col = {c.key: c.label for c in IMPORT_COLUMNS}
    known_audiences = set(audiences)
    for number, cells in rows:
        problems: list[RowError] = []

        def bad(key: str, reason: str, problems=problems, number=number) -> None:
            problems.append(RowError(number, col[key], reason))

        external = text(cells.get("external_id"))
        if not external or len(external) > 64:
            bad("external_id", _("外部编号不能为空且不超过 64 字"))
        elif external in seen:
            bad(
                "external_id", _("编号 %(c)s 重复(第 %(r)s 行已出现)", c=external, r=seen[external])
            )
        else:
            seen[external] = number
        kind = types.get(text(cells.get("type")))
        if kind is None:
            bad("type", _("未知的活动类型「%(t)s」", t=text(cells.get("type"))))
        place_code = text(cells.get("place_code"))
        place = places.get(place_code)
        if place is None:
            bad("place_code", _("地点代码 %(c)s 不是已知的村社或镇街", c=place_code))
        starts = parse_local_datetime(cells.get("starts_at"), now.tzinfo or dt.UTC)
        ends_raw = cells.get("ends_at")
        ends = (
            parse_local_datetime(ends_raw, now.tzinfo or dt.UTC)
            if text(ends_raw)
            else (starts + dt.timedelta(hours=1) if starts else None)
        )
        if starts is None:
            bad("starts_at", _("无法识别的时间,请写成 2026-05-21 14:00"))
        elif starts > now:
            bad("starts_at", _("不能导入未来的活动"))
        if starts and ends is None:
            bad("ends_at", _("无法识别的时间,请写成 2026-05-21 16:00"))
        elif starts and ends and ends <= starts:
            bad("ends_at", _("结束时间应晚于开始时间"))
        figures: dict[str, int] = {}
        if kind is not None:
            figures, figure_errors = check_figures(kind, {k: text(cells.get(k)) for k in FIGURES})
            for key, reason in figure_errors.items():
                bad(key, reason)
        chosen = [
            a.strip()
            for a in text(cells.get("audiences"))
            .replace("\uff1b", ";")
            .replace("\u3001", ";")
            .split(";")
            if a.strip()
        ]
        if unknown := [a for a in chosen if a not in known_audiences]:
            bad("audiences", _("未知的受众群体:%(a)s", a="、".join(unknown)))
        unit_code = text(cells.get("unit_code")) or (place.town_code if place else "")
        if unit_code and unit_code not in units:
            bad("unit_code", _("组织单位 %(c)s 不是已知的区县、镇街或派出所", c=unit_code))
        status = IMPORT_STATUS.get(text(cells.get("status")).lower())
        if status is None:
            bad("status", _("状态应为 已核实 或 待核实"))
        if problems:
            errors += problems
            continue
        assert kind and place and starts and ends
        records.append(
            {
                "external_id": external,
                "type_id": kind.id,
                "place_code": place_code,
                "place_level": place.level,
                "starts_at": starts,
                "ends_at": ends,
                "day": starts.date(),
                "unit_kind": units[unit_code],
                "unit_code": unit_code,
                "team": text(cells.get("team"))[:50] or None,
                "place_text": text(cells.get("place_text"))[:100] or None,
                **figures,
                "audiences": audiences_text(chosen),
                "notes": text(cells.get("notes"))[:MAX_NOTES],
                "status": status,
            }
        )
    return records, errors
