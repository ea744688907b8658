"""What a case means: reference lists, canonical names, money. Pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from operator import itemgetter
from typing import cast

from campaign.accounts.rules import Scope
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import Column, RowError, TupleRow, optional_int, text
from campaign.parsing import parse_int
from campaign.phones import keep_phone
from campaign.timeutil import LOCAL

#: Defaults a freshly migrated database holds (`campaign migrate`); admins edit them afterwards.
DEFAULT_FRAUD_TYPES: tuple[tuple[str, str], ...] = (
    ("投资理财", "投资理财诈骗;虚假投资;虚假理财;荐股"),
    ("兼职刷单", "刷单返利;兼职刷单诈骗;刷单"),
    ("冒充客服", "冒充电商物流客服;冒充客服诈骗;虚假退款"),
    ("贷款", "虚假贷款;贷款诈骗;网络贷款"),
    ("冒充亲友", "冒充熟人;冒充领导;冒充亲友诈骗"),
    ("网络游戏", "游戏产品虚假交易;网络游戏诈骗;游戏装备"),
    ("网络婚恋", "网络婚恋交友;杀猪盘;婚恋交友"),
    ("冒充公检法", "冒充公检法及政府机关;冒充公检法诈骗"),
    ("虚假征信", "注销校园贷;消除不良征信"),
    ("其他", ""),
)
DEFAULT_OCCUPATION_GROUPS: tuple[tuple[str, str], ...] = (
    ("学生", "在校学生;大学生;中学生;研究生;学生"),
    ("医务人员", "医生;护士;医院工作人员;医务人员"),
    ("教师", "老师;教师;教职工"),
    ("企业职员", "公司职员;企业员工;职员;白领"),
    ("个体经营", "个体户;个体工商户;商户"),
    ("务工人员", "工人;务工;外来务工人员"),
    ("退休人员", "退休;离退休"),
    ("农民", "农民;务农"),
    ("无业", "无业;待业"),
    ("公职人员", "公务员;事业单位;公职人员"),
)
OTHER = "其他"
#: 1,000 亿元: far above any case, far below what a BIGINT of fen holds.
MAX_LOSS_YUAN = 10**11


def alias_index(entries: list[tuple[str, str]]) -> dict[str, str]:
    """{any spelling: canonical name} from (name, 'alias;alias') pairs, case- and space-insensitive."""
    index: dict[str, str] = {}
    for name, aliases in entries:
        for spelling in [name, *aliases.replace("\uff1b", ";").split(";")]:
            if spelling.strip():
                index[_key(spelling)] = name
    return index


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def canonical(raw: str, index: Mapping[str, str]) -> str | None:
    """The canonical name for a spelling, or None when it is unknown."""
    return index.get(_key(raw)) if raw and raw.strip() else None


def occupation_group(occupation: str | None, index: Mapping[str, str]) -> str:
    """The reporting group of an occupation as written: exact alias first, then the longest alias
    contained in it (在校大学生 → 学生), else 其他."""
    if not occupation or not occupation.strip():
        return OTHER
    key = _key(occupation)
    if key in index:
        return index[key]
    matches = [alias for alias in index if alias in key]
    return index[max(matches, key=len)] if matches else OTHER


def yuan_to_fen(raw: str) -> int:
    """'1,234.5' 元 → 123450 fen. ValueError for negatives, non-numbers, more than 2 decimals or
    more than MAX_LOSS_YUAN."""
    text = str(raw).strip().replace(",", "").replace("\uff0c", "").removesuffix("元")
    if not text:
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(raw) from None
    if not value.is_finite() or not 0 <= value <= MAX_LOSS_YUAN:
        raise ValueError(raw)
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(raw)
    return int(value * 100)


def loss_to_fen(value: object) -> int:
    """A loss cell in 元 as fen: text goes through yuan_to_fen; a spreadsheet number is first
    rounded to cents when it only differs from them by binary noise (1234.1 stored as 1234.0999…)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return yuan_to_fen(str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(value)
        cents = round(value * 100)
        if abs(value * 100 - cents) > 1e-6 * max(1.0, abs(value)):
            raise ValueError(value)
        return yuan_to_fen(f"{cents / 100:.2f}")
    return yuan_to_fen("" if value is None else str(value))


# -- When a case occurred ------------------------------------------------------------------------

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
#: Excel serial days that can be a case date (1954 … 2119): a 5-digit number in that range.
EXCEL_SERIALS = (20_000, 80_000)
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M")


def parse_occurred(value: object) -> tuple[dt.date, dt.datetime | None]:
    """The local day and, when a time is given, the local time of a case (docs/definitions.md: times
    without a zone are Asia/Shanghai). Accepts dates, datetimes, ISO or Chinese date text, with
    or without a time, and Excel serial days (46000, 46000.5). ValueError otherwise."""
    if isinstance(value, dt.datetime):
        moment = value.astimezone(LOCAL) if value.tzinfo else value.replace(tzinfo=LOCAL)
        return moment.date(), (moment if moment.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value))
    raw = ("" if value is None else str(value)).strip()
    if not raw:
        raise ValueError(raw)
    try:
        return _from_serial(float(raw)) if len(raw.split(".")[0]) == 5 else _from_text(raw)
    except (ValueError, OverflowError):
        raise ValueError(raw) from None


def _from_serial(serial: float) -> tuple[dt.date, dt.datetime | None]:
    if not EXCEL_SERIALS[0] <= serial < EXCEL_SERIALS[1]:
        raise ValueError(serial)
    moment = EXCEL_EPOCH + dt.timedelta(days=serial)
    moment = moment.replace(microsecond=0) + dt.timedelta(
        seconds=round(moment.microsecond / 1_000_000)
    )
    local_moment = moment.replace(tzinfo=LOCAL)
    return moment.date(), (local_moment if moment.time() != dt.time() else None)


def _from_text(raw: str) -> tuple[dt.date, dt.datetime | None]:
    try:  # the common ISO shapes first: fromisoformat is C and an import may hold 10^6 rows
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        return _from_other_text(raw)
    moment = moment.astimezone(LOCAL) if moment.tzinfo else moment.replace(tzinfo=LOCAL)
    return moment.date(), (moment if moment.time() != dt.time() else None)


def _from_other_text(raw: str) -> tuple[dt.date, dt.datetime | None]:
    day_part, _sep, time_part = raw.replace("T", " ", 1).partition(" ")
    day = None
    for fmt in _DATE_FORMATS:
        try:
            day = dt.datetime.strptime(day_part, fmt).date()
            break
        except ValueError:
            continue
    if day is None:
        raise ValueError(raw)
    time_part = time_part.strip()
    if not time_part:
        return day, None
    for fmt in _TIME_FORMATS:
        try:
            clock = dt.datetime.strptime(time_part.split(".")[0], fmt).time()
        except ValueError:
            continue
        moment = dt.datetime.combine(day, clock, tzinfo=LOCAL)
        return day, (moment if clock != dt.time() else None)
    raise ValueError(raw)


# -- Where a case happened -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KnownRegion:
    """What validation needs to know about a stored town or village."""

    level: str
    town_code: str
    district_code: str
    station_code: str | None = None


@dataclass(frozen=True)
class Reference:
    """Everything stored that a case file is checked against, as plain data."""

    regions: Mapping[str, KnownRegion]
    #: station code → the towns of its jurisdiction
    stations: Mapping[str, frozenset[str]]
    fraud_types: Mapping[str, str]
    occupations: Mapping[str, str]
    tracked_since: dt.date | None
    today: dt.date

    @cached_property  # worked out once per Reference: a warning push dispatches with it per row
    def town_stations(self) -> dict[str, list[str]]:
        by_town: dict[str, list[str]] = {}
        for station, towns in self.stations.items():
            for town in towns:
                by_town.setdefault(town, []).append(station)
        return by_town


def region_of(code: str, regions: Mapping[str, KnownRegion]) -> tuple[str, KnownRegion] | None:
    """The stored village or town a region code names: a 12-digit village code, a 9-digit town
    code, or a town written with 12 digits (330282005000)."""
    code = code.strip()
    known = regions.get(code)
    if known and known.level in ("village", "town"):
        return code, known
    if len(code) == 12 and code.endswith("000"):
        known = regions.get(code[:9])
        if known and known.level == "town":
            return code[:9], known
    return None


def station_of(
    region: KnownRegion, code: str, town_stations: Mapping[str, Sequence[str]]
) -> str | None:
    """The station a case at this place belongs to when the file names none: the village's own
    station, else the one station over its town (None when several or none cover it) — the pure
    twin of regions.queries.derive_station."""
    if region.level == "village" and region.station_code:
        return region.station_code
    covering = town_stations.get(region.town_code if region.level == "village" else code, ())
    return covering[0] if len(covering) == 1 else None


def station_covers(
    station: str, region: KnownRegion, code: str, stations: Mapping[str, frozenset[str]]
) -> bool:
    """Is the place in the station's jurisdiction? A village assigned to a station belongs to that
    station only; otherwise its town must be one of the station's towns."""
    if region.level == "village" and region.station_code:
        return region.station_code == station
    town = region.town_code if region.level == "village" else code
    return town in stations.get(station, frozenset())


# -- A case file (docs/import-formats.md) -------------------------------------------------------

CASE_COLUMNS = (
    Column("case_no", ("案件编号", "case_no")),
    Column("occurred_at", ("发案时间", "occurred_at")),
    Column("region_code", ("区划代码", "region_code")),
    Column("station_code", ("派出所编码", "station_code"), required=False),
    Column("fraud_type", ("诈骗类型", "fraud_type")),
    Column("loss_yuan", ("损失金额", "loss_yuan")),
    Column("victim_occupation", ("受害人职业", "victim_occupation"), required=False),
    Column("victim_age", ("受害人年龄", "victim_age"), required=False),
    Column("victim_phone", ("受害人电话", "victim_phone"), required=False),
)
MAX_CASE_NO = 64
MAX_OCCUPATION = 50
MAX_AGE = 120
#: The stored fields a file row sets, in the order of CaseRecord.values().
CASE_FIELDS = (
    "case_no",
    "occurred_on",
    "occurred_at",
    "village_code",
    "town_code",
    "district_code",
    "station_code",
    "fraud_type",
    "loss_fen",
    "victim_occupation",
    "occupation_group",
    "victim_age",
)


FIELD_LABELS = {
    "case_no": _l("案件编号"),
    "occurred_on": _l("发案日期"),
    "occurred_at": _l("发案时间"),
    "village_code": _l("村社"),
    "town_code": _l("镇街"),
    "district_code": _l("区县"),
    "station_code": _l("派出所"),
    "fraud_type": _l("诈骗类型"),
    "loss_fen": _l("损失(元)"),
    "victim_occupation": _l("受害人职业"),
    "occupation_group": _l("职业分组"),
    "victim_age": _l("受害人年龄"),
    "victim_phone_masked": _l("受害人电话"),
}


@dataclass(slots=True)
class CaseRecord:
    row: int
    case_no: str
    occurred_on: dt.date
    occurred_at: dt.datetime | None
    village_code: str | None
    town_code: str
    district_code: str
    station_code: str | None
    fraud_type: str
    loss_fen: int
    victim_occupation: str | None
    occupation_group: str
    victim_age: int | None
    #: kept apart from CASE_FIELDS: a file without phones leaves stored phones alone
    victim_phone_hash: str | None = None
    victim_phone_masked: str | None = None

    def values(self) -> tuple:
        return (
            self.case_no,
            self.occurred_on,
            self.occurred_at,
            self.village_code,
            self.town_code,
            self.district_code,
            self.station_code,
            self.fraud_type,
            self.loss_fen,
            self.victim_occupation,
            self.occupation_group,
            self.victim_age,
        )


def _cell(value: object) -> str:
    return value.strip() if type(value) is str else text(value)


def _fen_fast(raw: object) -> int:
    """loss_to_fen with a fast path for plain '1234' and '1234.5' text (most rows of a file)."""
    if type(raw) is str:
        whole, dot, cents = raw.strip().partition(".")
        if (
            whole.isascii()
            and whole.isdigit()
            and len(whole) <= 11
            and (not dot or (cents.isascii() and cents.isdigit() and len(cents) <= 2))
        ):
            return int(whole) * 100 + (int(cents.ljust(2, "0")) if dot else 0)
    return loss_to_fen(raw)


#: A memo's lookup table is emptied when it grows past this (times of day alone can take ~500,000
#: values), so validating a file needs memory flat in its size.
MEMO_LIMIT = 50_000


@dataclass
class CaseMemo:
    """What validating one file remembers across its chunks: the lookups that repeat across rows
    (places, types, occupations, date text, ages; a platform export of 10^6 rows has a few
    thousand distinct values in those columns), and the case numbers of the chunk validated last
    ({case number: first row}, duplicates inside it already reported): the caller checks them
    against the earlier chunks, which are not kept here."""

    seen: dict[str, int] = field(default_factory=dict)
    places: dict[tuple[str, str], tuple | list] = field(default_factory=dict)
    types: dict[str, str | None] = field(default_factory=dict)
    groups: dict[str | None, str] = field(default_factory=dict)
    days: dict[str, tuple[dt.date, dt.datetime | None] | None] = field(default_factory=dict)
    ages: dict[str, int | None] = field(default_factory=dict)
    #: column_check's answers per column, keyed by the raw cell
    columns: dict[str, dict] = field(default_factory=dict)

    def next_chunk(self) -> None:
        self.seen = {}
        memos: list[dict] = [self.places, self.types, self.groups, self.days, self.ages]
        for lookups in (*memos, *self.columns.values()):
            if len(lookups) > MEMO_LIMIT:
                lookups.clear()


def mapped_once(values: Sequence, memo: dict, work: Callable) -> Sequence:
    """Each value's answer from `memo`, `work` called once for each distinct value not in it yet:
    the row-sized part (hashing, looking up) is left to C, which a column of 10^6 cells needs."""
    for value in set(values).difference(memo):
        memo[value] = work(value)
    return itemgetter(*values)(memo) if len(values) > 1 else [memo[v] for v in values]


def duplicate_case_no(case_no: str, first: int, row: int) -> str:
    return _("案件编号 %(no)s 重复:第 %(a)s 行和第 %(b)s 行", no=case_no, a=first, b=row)


def _age(raw: str) -> int | None:
    """A victim's age from its cell: None when blank, -1 when not an age."""
    age = parse_int(raw, 0, MAX_AGE)
    if age is None and raw:
        try:
            age = optional_int(raw)
        except ValueError:
            return -1
        if age is None or not 0 <= age <= MAX_AGE:
            return -1
    return age


def validate_cases(
    rows: Sequence[TupleRow],
    keys: Sequence[str],
    ref: Reference,
    memo: CaseMemo | None = None,
) -> tuple[list[CaseRecord], list[RowError]]:
    """Every row checked against the stored regions, stations and fraud types: every problem is
    reported with its row and column, so a file is taken whole or not at all.

    `memo` carries repeated lookups across the chunks of one file and hands the chunk's case
    numbers to the caller, who checks them against the earlier chunks. Each
    row's cells are a tuple in the order of `keys` (importing.Table); a column absent from the
    file reads as blank."""
    col = {c.key: c.label for c in CASE_COLUMNS}
    width = len(keys)
    at = {c.key: keys.index(c.key) if c.key in keys else width for c in CASE_COLUMNS}
    i_no, i_when, i_region, i_station = (
        at["case_no"],
        at["occurred_at"],
        at["region_code"],
        at["station_code"],
    )
    i_type, i_loss, i_job, i_age, i_phone = (
        at["fraud_type"],
        at["loss_yuan"],
        at["victim_occupation"],
        at["victim_age"],
        at["victim_phone"],
    )
    town_stations = ref.town_stations
    memo = memo or CaseMemo()
    memo.next_chunk()
    first_row, places, types = memo.seen, memo.places, memo.types
    groups, days, ages = memo.groups, memo.days, memo.ages
    records: list[CaseRecord] = []
    errors: list[RowError] = []
    for number, row in rows:
        problems: list[tuple[str, str]] = []
        cells = (*row, None)  # the last cell stands for every absent column

        case_no = _cell(cells[i_no])
        if not case_no:
            problems.append(("case_no", _("案件编号不能为空")))
        elif len(case_no) > MAX_CASE_NO:
            problems.append(("case_no", _("案件编号不能超过 %(n)s 个字符", n=MAX_CASE_NO)))
        elif case_no in first_row:
            problems.append(("case_no", duplicate_case_no(case_no, first_row[case_no], number)))
        else:
            first_row[case_no] = number

        when = _occurred(cells[i_when], days)
        if when is None and not _cell(cells[i_when]):
            problems.append(("occurred_at", _("发案时间不能为空")))
        elif when is None:
            problems.append(
                (
                    "occurred_at",
                    _(
                        "发案时间「%(v)s」无法识别,应为日期(2026-07-09)、日期时间(2026-07-09 14:30)或 Excel 日期",
                        v=_cell(cells[i_when]),
                    ),
                )
            )
        elif when[0] > ref.today:
            problems.append(("occurred_at", _("发案日期 %(d)s 晚于今天", d=when[0].isoformat())))
        elif ref.tracked_since and when[0] < ref.tracked_since:
            problems.append(
                (
                    "occurred_at",
                    _(
                        "发案日期 %(d)s 早于数据起始日 %(s)s",
                        d=when[0].isoformat(),
                        s=ref.tracked_since.isoformat(),
                    ),
                )
            )

        region_code = _cell(cells[i_region])
        station = _cell(cells[i_station]) or ""
        place = places.get((region_code, station))
        if place is None:
            place = places[(region_code, station)] = _place(
                region_code, station, ref, town_stations
            )
        if isinstance(place, list):
            problems.extend(place)

        raw_type = _cell(cells[i_type])
        if raw_type not in types:
            types[raw_type] = canonical(raw_type, ref.fraud_types)
        fraud_type = types[raw_type]
        if not raw_type:
            problems.append(("fraud_type", _("诈骗类型不能为空")))
        elif fraud_type is None:
            problems.append(
                (
                    "fraud_type",
                    _(
                        "诈骗类型「%(v)s」不在类型表中;可用:%(names)s",
                        v=raw_type,
                        names="、".join(dict.fromkeys(ref.fraud_types.values())),
                    ),
                )
            )

        loss_fen = 0
        try:
            loss_fen = _fen_fast(cells[i_loss])
        except ValueError:
            problems.append(
                (
                    "loss_yuan",
                    _(
                        "损失金额「%(v)s」应为不小于 0 的数字(元,最多两位小数)",
                        v=_cell(cells[i_loss]),
                    ),
                )
            )

        occupation = _cell(cells[i_job]) or None
        if occupation and len(occupation) > MAX_OCCUPATION:
            problems.append(
                ("victim_occupation", _("受害人职业不能超过 %(n)s 个字", n=MAX_OCCUPATION))
            )
        if occupation not in groups:
            groups[occupation] = occupation_group(occupation, ref.occupations)

        age_raw = _cell(cells[i_age])
        age = ages.get(age_raw, -2)
        if age == -2:
            age = ages[age_raw] = _age(age_raw)
        if age == -1:
            problems.append(("victim_age", _("受害人年龄应为 0–%(n)s 的整数", n=MAX_AGE)))

        phone = None
        if phone_raw := _cell(cells[i_phone]):
            try:
                phone = keep_phone(phone_raw)
            except ValueError:
                problems.append(
                    ("victim_phone", _("受害人电话格式不正确(应为 11 位手机号或带区号的座机号)"))
                )

        if problems:
            errors.extend(RowError(number, col[key], reason) for key, reason in problems)
            continue
        village, town, district, station_code = cast(_Place, place)
        records.append(
            CaseRecord(
                number,
                case_no,
                when[0],  # type: ignore[index]
                when[1],  # type: ignore[index]
                village,
                town,
                district,
                station_code,
                fraud_type,  # type: ignore[arg-type]
                loss_fen,
                occupation,
                groups[occupation],
                age,
                phone.hash if phone else None,
                phone.masked if phone else None,
            )
        )
    return records, errors


def _occurred(value: object, memo: dict) -> tuple[dt.date, dt.datetime | None] | None:
    key = value if type(value) is str else None
    if key is not None and key in memo:
        return memo[key]
    try:
        result = parse_occurred(value)
    except ValueError:
        result = None
    if key is not None:
        memo[key] = result
    return result


_Place = tuple[str | None, str, str, str | None]  # village, town, district, station


def _place(
    region_code: str,
    station: str,
    ref: Reference,
    town_stations: Mapping[str, Sequence[str]],
) -> _Place | list[tuple[str, str]]:
    """(village, town, district, station) for a region code and optional station, or the
    (column key, reason) problems that make them unusable."""
    problems: list[tuple[str, str]] = []
    found = region_of(region_code, ref.regions) if region_code else None
    if not region_code:
        problems.append(("region_code", _("区划代码不能为空")))
    elif found is None:
        problems.append(
            (
                "region_code",
                _("区划代码 %(c)s 不存在(应为已导入的村社 12 位或镇街 9 位代码)", c=region_code),
            )
        )
    if station and station not in ref.stations:
        problems.append(("station_code", _("派出所编码 %(c)s 不存在", c=station)))
    elif station and found and not station_covers(station, found[1], found[0], ref.stations):
        problems.append(
            ("station_code", _("区划 %(r)s 不在派出所 %(s)s 的辖区内", r=found[0], s=station))
        )
    if problems or found is None:
        return problems
    code, region = found
    village = code if region.level == "village" else None
    return (
        village,
        region.town_code if village else code,
        region.district_code,
        station or station_of(region, code, town_stations),
    )


# -- Who sees which case -------------------------------------------------------------------------


def case_in_scope(scope: Scope, case: Mapping) -> bool:
    """A case belongs to the city, its district, its town, and its station — or, when it names no
    station, to every station over its town (the same rule as queries.case_scope_where)."""
    if scope.is_city:
        return True
    if scope.kind == "district":
        return case["district_code"] == scope.code
    if scope.kind == "town":
        return case["town_code"] == scope.code
    if scope.kind == "station":
        if case.get("station_code"):
            return case["station_code"] == scope.code
        return case["town_code"] in scope.towns
    return False


# -- Editing the reference lists -----------------------------------------------------------------

MAX_LIST_NAME = 30


def clean_aliases(raw: str) -> str:
    """Aliases as typed (one per line, or separated by ; , 、) → 'a;b;c', trimmed, deduplicated."""
    text = raw
    for separator in ("\n", ";", ",", ",", "、"):
        text = text.replace(separator, ";")
    return ";".join(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


def list_entry_errors(name: str, aliases: str, others: Sequence[tuple[str, str]]) -> dict[str, str]:
    """Problems with a fraud type or occupation group as edited: a name is required, short and
    unique, and no spelling (name or alias) may already belong to another entry, or importing
    would not know which one a file means."""
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("名称不能为空")
    elif len(name) > MAX_LIST_NAME:
        errors["name"] = _("名称不能超过 %(n)s 个字", n=MAX_LIST_NAME)
    taken = alias_index(list(others))
    if name and _key(name) in taken:
        errors["name"] = _("“%(v)s”已是“%(o)s”的名称或别名", v=name, o=taken[_key(name)])
    clashes = [a for a in aliases.split(";") if a and _key(a) in taken]
    if clashes:
        errors["aliases"] = _("别名“%(v)s”已属于“%(o)s”", v=clashes[0], o=taken[_key(clashes[0])])
    return errors


# -- The case-day index, kept on every single write -------------------------------------------


@dataclass(frozen=True, slots=True)
class DayRow:
    """A unit's CaseDay row: a day with cases, the unit's case day before it and the case-free
    days between (None for its first case day)."""

    day: dt.date
    cases: int
    previous_day: dt.date | None
    gap: int | None


@dataclass(frozen=True, slots=True)
class UnitDays:
    """A unit's CaseUnit row: its first and last case day, how many case days, and its longest
    gap between two case days (0 when none) with the case day that ended it — the most recent of
    equally long gaps, as the longest run rule wants (streaks.rules.longest_run)."""

    first_day: dt.date
    last_day: dt.date
    days: int
    best_gap: int
    best_gap_end: dt.date | None


@dataclass(frozen=True, slots=True)
class DayShift:
    """What one case more or less on a day does to a unit's index rows. `here` is the day's row
    afterwards (None: delete it), `after` the next case day's row when its previous day changed,
    `unit` the unit's summary (None: the unit has no case day left). `best_lost`: the longest gap
    was split or removed without a known successor, so the caller reads the longest gap again
    from the rows (one indexed query) after writing them."""

    here: DayRow | None
    after: DayRow | None
    unit: UnitDays | None
    best_lost: bool


def _gap(first: dt.date, last: dt.date) -> int:
    return (last - first).days - 1


def _better(best: tuple[int, dt.date | None], gap: int | None, end: dt.date) -> tuple:
    """The longer gap; the later one among equals; gaps of 0 days never count."""
    if gap and (gap > best[0] or (gap == best[0] and best[1] is not None and end > best[1])):
        return (gap, end)
    return best


def shift_day(
    unit: UnitDays | None, here: DayRow | None, after: DayRow | None, day: dt.date, delta: int
) -> DayShift:
    """One case added (delta 1) or removed (delta -1) on `day`, given the unit's summary, its row
    on `day` and its first row after `day` (each None when absent)."""
    if delta > 0:
        if here is not None:
            return DayShift(
                DayRow(day, here.cases + 1, here.previous_day, here.gap), None, unit, False
            )
        previous = after.previous_day if after else (unit.last_day if unit else None)
        row = DayRow(day, 1, previous, _gap(previous, day) if previous else None)
        moved = DayRow(after.day, after.cases, day, _gap(day, after.day)) if after else None
        if unit is None:
            return DayShift(row, None, UnitDays(day, day, 1, 0, None), False)
        split = (
            after is not None
            and bool(after.gap)
            and (after.gap, after.day)
            == (
                unit.best_gap,
                unit.best_gap_end,
            )
        )
        best = (unit.best_gap, unit.best_gap_end)
        best = _better(best, row.gap, day)
        if moved:
            best = _better(best, moved.gap, moved.day)
        summary = UnitDays(
            min(unit.first_day, day), max(unit.last_day, day), unit.days + 1, best[0], best[1]
        )
        return DayShift(row, moved, summary, split)
    assert here is not None and unit is not None, "a case removed from a day that has one"
    if here.cases > 1:
        return DayShift(DayRow(day, here.cases - 1, here.previous_day, here.gap), None, unit, False)
    if unit.days == 1:
        return DayShift(None, None, None, False)
    previous = here.previous_day
    removed = [(here.gap, day), (after.gap, after.day) if after else (None, day)]
    lost = any(g and (g, end) == (unit.best_gap, unit.best_gap_end) for g, end in removed)
    moved = None
    best = (0, None) if lost else (unit.best_gap, unit.best_gap_end)
    if after is not None:
        moved = DayRow(
            after.day, after.cases, previous, _gap(previous, after.day) if previous else None
        )
        if previous is not None:
            # the merged gap is longer than both it replaces: it wins whenever they held the best
            best = _better(best, moved.gap, after.day)
            lost = lost and not moved.gap
    summary = UnitDays(
        after.day if unit.first_day == day and after else unit.first_day,
        previous if unit.last_day == day and previous else unit.last_day,
        unit.days - 1,
        best[0],
        best[1],
    )
    return DayShift(None, moved, summary, lost)


def unit_rows(per_day: Mapping[dt.date, int]) -> tuple[list[tuple], UnitDays | None]:
    """A unit's case-day rows as (day, cases, previous case day, gap) in day order, and its
    summary (None when no day has a case), from its number of cases per day — days counted 0 or
    less are left out. What a bulk write stores for each unit of a level it rebuilds whole."""
    rows: list[tuple] = []
    previous: dt.date | None = None
    best_gap, best_end = 0, None
    for day in sorted(per_day):
        cases = per_day[day]
        if cases <= 0:
            continue
        gap = None if previous is None else (day - previous).days - 1
        if gap and gap >= best_gap:  # the later of equally long gaps
            best_gap, best_end = gap, day
        rows.append((day, cases, previous, gap))
        previous = day
    if previous is None:
        return rows, None
    return rows, UnitDays(rows[0][0], previous, len(rows), best_gap, best_end)
