"""What warnings mean: their fields, where one is dispatched, the response clock, results and the
figures (docs/warnings.md). Pure functions over plain data; no Litestar, Piccolo or arq."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from campaign.accounts.rules import ADMIN, COORDINATOR, Scope
from campaign.cases.rules import (
    OTHER,
    KnownRegion,
    Reference,
    canonical,
    parse_occurred,
    region_of,
    station_of,
    yuan_to_fen,
)
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import Column, Row, RowError, text
from campaign.phones import keep_phone
from campaign.system.rules import WARNING_TARGETS
from campaign.timeutil import LOCAL

# -- Vocabulary ----------------------------------------------------------------------------------

HIGH, MEDIUM, LOW = "high", "medium", "low"
RISK_LEVELS = {HIGH: _l("高"), MEDIUM: _l("中"), LOW: _l("低")}
_RISK_SPELLINGS = {
    "高": HIGH,
    "高危": HIGH,
    "高风险": HIGH,
    "high": HIGH,
    "h": HIGH,
    "中": MEDIUM,
    "中危": MEDIUM,
    "中风险": MEDIUM,
    "medium": MEDIUM,
    "m": MEDIUM,
    "低": LOW,
    "低危": LOW,
    "低风险": LOW,
    "low": LOW,
    "l": LOW,
}

NEW, ACKNOWLEDGED, CONTACTED, CLOSED = "new", "acknowledged", "contacted", "closed"
STATUSES = {
    NEW: _l("待签收"),
    ACKNOWLEDGED: _l("已签收"),
    CONTACTED: _l("已联系"),
    CLOSED: _l("已办结"),
}
OPEN_STATUSES = (NEW, ACKNOWLEDGED, CONTACTED)

DISSUADED, STOPPED, DEFRAUDED, UNREACHABLE, FALSE_ALARM = (
    "dissuaded",
    "stopped",
    "defrauded",
    "unreachable",
    "false_alarm",
)
OUTCOMES = {
    DISSUADED: _l("劝阻成功"),
    STOPPED: _l("止付"),
    DEFRAUDED: _l("已被骗"),
    UNREACHABLE: _l("无法联系"),
    FALSE_ALARM: _l("误报"),
}
#: Outcomes that count as a person dissuaded (劝阻人次) for the figures and the contests.
SUCCESSFUL = (DISSUADED, STOPPED)

CONTACT_METHODS = {
    "phone": _l("电话"),
    "visit": _l("上门"),
    "video": _l("视频"),
    "several": _l("多种"),
}
ATTEMPT_METHODS = {"call": _l("电话"), "sms": _l("短信"), "visit": _l("上门"), "video": _l("视频")}

#: 1 亿元: far above any single warning; a larger figure is a typing error.
MAX_AMOUNT_YUAN = 10**8
MAX_WARNING_NO = 64
MAX_ADDRESS = 200
MAX_CHANNEL = 30
MAX_NAME = 50
MAX_NOTES = 2000
#: A case within this many days after a warning of the same phone marks it 劝阻失败.
MATCH_DAYS = 30
#: How far back the matching job looks at cases (an import of older cases is matched too).
MATCH_LOOKBACK_DAYS = 120
#: How far in the future a platform's clock may be before a warning's time is refused.
CLOCK_SKEW = dt.timedelta(hours=1)

# -- The platform's warning (file rows and API items) --------------------------------------------

WARNING_COLUMNS = (
    Column("warning_id", ("预警编号", "warning_id")),
    Column("issued_at", ("下发时间", "issued_at")),
    Column("risk_level", ("风险等级", "risk_level")),
    Column("phone", ("手机号", "phone")),
    Column("region_code", ("区划代码", "region_code"), required=False),
    Column("address", ("地址", "address"), required=False),
    Column("station_code", ("派出所编码", "station_code"), required=False),
    Column("fraud_type", ("诈骗类型", "fraud_type"), required=False),
    Column("amount_yuan", ("涉险金额", "amount_yuan"), required=False),
    Column("channel", ("预警渠道", "channel"), required=False),
)
COLUMN_LABELS = {c.key: c.label for c in WARNING_COLUMNS}


@dataclass(frozen=True, slots=True)
class WarningRecord:
    """A checked warning, placed and dispatched, ready to store."""

    row: int
    warning_no: str
    issued_at: dt.datetime
    risk_level: str
    phone_hash: str
    phone_masked: str
    region_code: str | None
    village_code: str | None
    town_code: str | None
    district_code: str | None
    address: str
    given_station_code: str | None
    station_code: str | None
    fraud_type: str
    amount_fen: int | None
    channel: str

    @property
    def issued_on(self) -> dt.date:
        return self.issued_at.date()

    @property
    def digest(self) -> str:
        return content_digest(self)

    #: The stored columns this record sets, in the order of row_values().
    STORED: ClassVar[tuple[str, ...]] = (
        "warning_no",
        "issued_at",
        "issued_on",
        "risk_level",
        "phone_hash",
        "phone_masked",
        "region_code",
        "village_code",
        "town_code",
        "district_code",
        "address",
        "given_station_code",
        "station_code",
        "fraud_type",
        "amount_fen",
        "channel",
        "content_digest",
    )

    def row_values(self) -> tuple:
        """The values of the STORED columns."""
        return (
            self.warning_no,
            self.issued_at,
            self.issued_on,
            self.risk_level,
            self.phone_hash,
            self.phone_masked,
            self.region_code,
            self.village_code,
            self.town_code,
            self.district_code,
            self.address,
            self.given_station_code,
            self.station_code,
            self.fraud_type,
            self.amount_fen,
            self.channel,
            self.digest,
        )


def content_digest(record: WarningRecord) -> str:
    """A fingerprint of what the platform said (not where we dispatched it): the same warning
    sent twice has the same one; the same id with other content has another."""
    parts = (
        record.warning_no,
        record.issued_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        record.risk_level,
        record.phone_hash,
        record.region_code or "",
        record.address,
        record.given_station_code or "",
        record.fraud_type,
        "" if record.amount_fen is None else str(record.amount_fen),
        record.channel,
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def risk_level_of(raw: str) -> str | None:
    return _RISK_SPELLINGS.get(raw.strip().lower())


def amount_to_fen(raw: object, *, required: bool = False) -> int | None:
    """元 as fen (None for blank unless required); ValueError for negatives, non-numbers, more than
    two decimals or more than MAX_AMOUNT_YUAN."""
    if isinstance(raw, bool):
        raise ValueError(raw)
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise ValueError(raw)
        raw = f"{raw:.2f}" if abs(raw * 100 - round(raw * 100)) < 1e-6 else repr(raw)
    value = text(raw)
    if not value:
        if required:
            raise ValueError(raw)
        return None
    fen = yuan_to_fen(value)
    if fen > MAX_AMOUNT_YUAN * 100:
        raise ValueError(raw)
    return fen


def dispatch(
    region_code: str, station_code: str, ref: Reference
) -> tuple[str | None, str | None, str | None, str | None]:
    """(village, town, district, station) of a warning. The station the platform named wins when
    it exists; else the village's station, else the one station over the town. An unknown place
    or a town covered by several stations leaves the station None: the 待分派 queue."""
    found = region_of(region_code, ref.regions) if region_code else None
    village = town = district = None
    if found:
        code, region = found
        village = code if region.level == "village" else None
        town = region.town_code if village else code
        district = region.district_code
    if station_code and station_code in ref.stations:
        return village, town, district, station_code
    if found:
        return village, town, district, station_of(found[1], found[0], ref.town_stations)
    return village, town, district, None


def validate_warnings(
    rows: Sequence[Row], ref: Reference, seen: dict[str, int] | None = None
) -> tuple[list[WarningRecord], list[RowError]]:
    """Every row (a file row or an API item, keyed like WARNING_COLUMNS) checked; every problem
    reported with its row and column. An unknown place is not a problem: such a warning is kept
    and waits for the centre to dispatch it."""
    first_row: dict[str, int] = {} if seen is None else seen
    records: list[WarningRecord] = []
    errors: list[RowError] = []
    for number, cells in rows:
        problems: list[tuple[str, str]] = []
        warning_no = text(cells.get("warning_id"))
        if not warning_no:
            problems.append(("warning_id", _("预警编号不能为空")))
        elif len(warning_no) > MAX_WARNING_NO:
            problems.append(("warning_id", _("预警编号不能超过 %(n)s 个字符", n=MAX_WARNING_NO)))
        elif warning_no in first_row:
            problems.append(
                ("warning_id", _("预警编号与第 %(row)s 行重复", row=first_row[warning_no]))
            )
        else:
            first_row[warning_no] = number
        issued_at = None
        try:
            day, moment = parse_occurred(cells.get("issued_at"))
            issued_at = moment or dt.datetime.combine(day, dt.time(), tzinfo=LOCAL)
        except ValueError:
            problems.append(("issued_at", _("下发时间无法识别(例:2026-07-09 14:30)")))
        if issued_at and issued_at > dt.datetime.now(LOCAL) + CLOCK_SKEW:
            problems.append(("issued_at", _("下发时间不能晚于现在")))
        risk = risk_level_of(text(cells.get("risk_level")))
        if risk is None:
            problems.append(("risk_level", _("风险等级应为 高/中/低(或 high/medium/low)")))
        kept = None
        try:
            kept = keep_phone(cells.get("phone"))
        except ValueError:
            problems.append(("phone", _("手机号格式不正确(应为 11 位手机号或带区号的座机号)")))
        region_code = text(cells.get("region_code"))
        address = text(cells.get("address"))
        if len(region_code) > 12 or (region_code and not region_code.isdigit()):
            problems.append(("region_code", _("区划代码应为 9 位或 12 位数字")))
        if len(address) > MAX_ADDRESS:
            problems.append(("address", _("地址不能超过 %(n)s 个字符", n=MAX_ADDRESS)))
        station = text(cells.get("station_code"))
        if len(station) > 32:
            problems.append(("station_code", _("派出所编码过长")))
        amount = None
        try:
            amount = amount_to_fen(cells.get("amount_yuan"))
        except ValueError:
            problems.append(
                (
                    "amount_yuan",
                    _(
                        "涉险金额应为 0 到 %(max)s 元之间、最多两位小数的数字",
                        max=f"{MAX_AMOUNT_YUAN:,}",
                    ),
                )
            )
        channel = text(cells.get("channel"))
        if len(channel) > MAX_CHANNEL:
            problems.append(("channel", _("预警渠道不能超过 %(n)s 个字符", n=MAX_CHANNEL)))
        if problems:
            errors += [RowError(number, COLUMN_LABELS[key], reason) for key, reason in problems]
            continue
        assert issued_at and risk and kept
        raw_type = text(cells.get("fraud_type"))
        village, town, district, dispatched = dispatch(region_code, station, ref)
        records.append(
            WarningRecord(
                row=number,
                warning_no=warning_no,
                issued_at=issued_at,
                risk_level=risk,
                phone_hash=kept.hash,
                phone_masked=kept.masked,
                region_code=region_code or None,
                village_code=village,
                town_code=town,
                district_code=district,
                address=address,
                given_station_code=station or None,
                station_code=dispatched,
                fraud_type=(canonical(raw_type, ref.fraud_types) or OTHER) if raw_type else "",
                amount_fen=amount,
                channel=channel,
            )
        )
    return records, errors


# -- Who sees and acts on a warning --------------------------------------------------------------


def in_scope(scope: Scope, warning: Mapping) -> bool:
    """Does the scope see this warning? A station sees what is dispatched to it; a town or a
    district what happened there; the city (and the centre) everything, 待分派 included."""
    if scope.is_city:
        return True
    if scope.kind == "station":
        return warning.get("station_code") == scope.code
    if scope.kind == "town":
        return warning.get("town_code") == scope.code
    if scope.kind == "district":
        return warning.get("district_code") == scope.code
    return False


def can_act(role: str, scope: Scope, warning: Mapping) -> bool:
    """Acknowledge, contact, close: the administrators, and coordinators over the warning."""
    return role == ADMIN or (role == COORDINATOR and in_scope(scope, warning))


def is_centre(role: str) -> bool:
    """The 反诈中心 (administrators) dispatches, re-routes and reopens."""
    return role == ADMIN


def place_in_scope(
    scope: Scope, region: KnownRegion | None, code: str, station: str | None
) -> bool:
    """May a coordinator's API token push a warning for this place? Only inside its own area."""
    if scope.is_city:
        return True
    if scope.kind == "station":
        return station == scope.code
    if region is None:
        return False
    if scope.kind == "town":
        return (region.town_code if region.level == "village" else code) == scope.code
    return region.district_code == scope.code


# -- The response clock --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """Minutes allowed from issue to 签收 and from issue to 首次联系."""

    acknowledge: int
    contact: int


#: high 5 / 30 minutes, medium 30 / 240, low 240 / 1440 (the admin settings' defaults).
DEFAULT_TARGETS = {
    level: Target(*(int(part) for part in minutes.split(",")))
    for level, minutes in WARNING_TARGETS.items()
}


def setting_key(level: str) -> str:
    return f"warnings.targets.{level}"


def parse_target(value: str | None, level: str) -> Target:
    """'5,30' → Target(5, 30); a missing or broken value falls back to the default."""
    try:
        ack, contact = (int(part) for part in (value or "").replace("\uff0c", ",").split(","))
    except ValueError:
        return DEFAULT_TARGETS[level]
    if ack <= 0 or contact < ack:
        return DEFAULT_TARGETS[level]
    return Target(ack, contact)


def targets_from(settings: Mapping[str, str]) -> dict[str, Target]:
    return {level: parse_target(settings.get(setting_key(level)), level) for level in RISK_LEVELS}


def overdue(
    issued_at: dt.datetime,
    done_at: dt.datetime | None,
    minutes: int,
    now: dt.datetime,
) -> bool:
    """A step is overdue when it was not done within its target: done late, or not done and the
    deadline has passed."""
    deadline = issued_at + dt.timedelta(minutes=minutes)
    return (done_at or now) > deadline


# -- Results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Closing:
    method: str
    outcome: str
    amount_stopped_fen: int
    notes: str


def check_closing(
    method: str, outcome: str, amount: str, notes: str
) -> tuple[Closing | None, dict[str, str]]:
    """A close form's values, or its errors by field. Closing needs an outcome; 止付 needs the
    amount stopped (more than 0, at most MAX_AMOUNT_YUAN); other outcomes stop nothing."""
    errors: dict[str, str] = {}
    if method not in CONTACT_METHODS:
        errors["method"] = _("请选择劝阻方式")
    if outcome not in OUTCOMES:
        errors["outcome"] = _("办结前须选择劝阻结果")
    fen = 0
    if outcome == STOPPED:
        try:
            fen = amount_to_fen(amount, required=True) or 0
            if fen <= 0:
                raise ValueError(amount)
        except ValueError:
            errors["amount"] = _(
                "止付金额应为大于 0、不超过 %(max)s 元、最多两位小数的数字",
                max=f"{MAX_AMOUNT_YUAN:,}",
            )
    if len(notes) > MAX_NOTES:
        errors["notes"] = _("备注不能超过 %(n)s 个字符", n=MAX_NOTES)
    if errors:
        return None, errors
    return Closing(method, outcome, fen, notes.strip()), {}


# -- Figures -------------------------------------------------------------------------------------


def percentile(values: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value such that at least p % of the values are at or
    below it (so the median and p90 are always durations that actually happened). None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class WarningFacts:
    """One stored warning as the figures need it (seconds from issue; None when not yet)."""

    code: str
    outcome: str | None
    amount_stopped_fen: int
    acknowledge_seconds: float | None
    contact_seconds: float | None
    failed: bool = False


@dataclass(frozen=True, slots=True)
class WarningFigures:
    """A unit's figures over a period, as the report counts them (累计预警劝阻 … 人次, 止付 … 元)."""

    warnings: int = 0
    dissuaded: int = 0
    stopped_fen: int = 0
    defrauded: int = 0
    unreachable: int = 0
    closed: int = 0
    failed: int = 0
    acknowledge_median: float | None = None
    acknowledge_p90: float | None = None
    contact_median: float | None = None
    contact_p90: float | None = None

    @property
    def failed_rate(self) -> float | None:
        """Warned but still defrauded: the share of warnings later matched to a case or closed
        as 已被骗 — the measure of whether dissuasion works."""
        return (self.failed / self.warnings) if self.warnings else None


def figures_of(facts: Iterable[WarningFacts]) -> dict[str, WarningFigures]:
    """{unit code: WarningFigures} from the warnings of a period."""
    groups: dict[str, list[WarningFacts]] = {}
    for fact in facts:
        groups.setdefault(fact.code, []).append(fact)
    return {code: _figures(items) for code, items in groups.items()}


def _figures(items: Sequence[WarningFacts]) -> WarningFigures:
    acks = [f.acknowledge_seconds for f in items if f.acknowledge_seconds is not None]
    contacts = [f.contact_seconds for f in items if f.contact_seconds is not None]
    return WarningFigures(
        warnings=len(items),
        dissuaded=sum(1 for f in items if f.outcome in SUCCESSFUL and not f.failed),
        stopped_fen=sum(f.amount_stopped_fen for f in items if f.outcome == STOPPED),
        defrauded=sum(1 for f in items if f.outcome == DEFRAUDED),
        unreachable=sum(1 for f in items if f.outcome == UNREACHABLE),
        closed=sum(1 for f in items if f.outcome is not None),
        failed=sum(1 for f in items if f.failed or f.outcome == DEFRAUDED),
        acknowledge_median=percentile(acks, 50),
        acknowledge_p90=percentile(acks, 90),
        contact_median=percentile(contacts, 50),
        contact_p90=percentile(contacts, 90),
    )


def total_figures(figures: Iterable[WarningFigures]) -> WarningFigures:
    """Counts added up (percentiles cannot be: the caller recomputes them from the facts)."""
    items = list(figures)
    return WarningFigures(
        warnings=sum(f.warnings for f in items),
        dissuaded=sum(f.dissuaded for f in items),
        stopped_fen=sum(f.stopped_fen for f in items),
        defrauded=sum(f.defrauded for f in items),
        unreachable=sum(f.unreachable for f in items),
        closed=sum(f.closed for f in items),
        failed=sum(f.failed for f in items),
    )


def fmt_minutes(seconds: float | None) -> str:
    """A duration as people read it on a board: 45 秒, 12 分, 3.5 小时."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(n)s 秒", n=int(seconds))
    if seconds < 3600:
        return _("%(n)s 分", n=int(seconds // 60))
    return _("%(n)s 小时", n=f"{seconds / 3600:.1f}")


def match_window(case_day: dt.date) -> tuple[dt.date, dt.date]:
    """The issue days of the warnings a case on this day can reveal as 劝阻失败."""
    return case_day - dt.timedelta(days=MATCH_DAYS), case_day


@dataclass(frozen=True, slots=True)
class Victim:
    """A case's victim as matching needs it: the phone's keyed hash, the case and its day."""

    phone_hash: str
    case_no: str
    occurred_on: dt.date


def match_failures(
    warnings: Iterable[tuple[int, str, dt.date]], victims: Iterable[Victim]
) -> dict[int, str]:
    """{warning id: case number} for each warning (id, phone hash, issue day) followed by a case
    of the same phone within MATCH_DAYS days (issue day ≤ case day ≤ issue day + 30): the
    warning was 劝阻失败. With several such cases the earliest (then the lowest number) wins."""
    by_phone: dict[str, list[Victim]] = {}
    for victim in victims:
        by_phone.setdefault(victim.phone_hash, []).append(victim)
    for items in by_phone.values():
        items.sort(key=lambda v: (v.occurred_on, v.case_no))
    links: dict[int, str] = {}
    for warning_id, phone, issued_on in warnings:
        for victim in by_phone.get(phone, ()):
            first, last = match_window(victim.occurred_on)
            if first <= issued_on <= last:
                links[warning_id] = victim.case_no
                break
    return links
