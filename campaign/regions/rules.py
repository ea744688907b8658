"""What a valid region or station file says (docs/import-formats.md). Pure validation: existing codes come in
as plain data, records and row errors go out."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from campaign.accounts.rules import Scope
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import Column, Row, RowError, optional_int, text
from campaign.parsing import is_ascii_digits, parse_int

LEVEL_DIGITS = {"district": 6, "town": 9, "village": 12}
PARENT_LEVEL = {"town": "district", "village": "town"}
LEVEL_NAMES = {
    "district": "district",
    "区县": "district",
    "区": "district",
    "县": "district",
    "县级": "district",
    "town": "town",
    "镇街": "town",
    "镇": "town",
    "街道": "town",
    "乡": "town",
    "乡镇": "town",
    "乡镇街道": "town",
    "village": "village",
    "村社": "village",
    "村": "village",
    "社区": "village",
    "村居": "village",
}

REGION_COLUMNS = (
    Column("code", ("区划代码", "code")),
    Column("name", ("名称", "name")),
    Column("level", ("级别", "level")),
    Column("parent_code", ("上级代码", "parent_code"), required=False),
    Column("population", ("常住人口", "population"), required=False),
    Column("station_code", ("派出所编码", "station_code"), required=False),
)
STATION_COLUMNS = (
    Column("code", ("派出所编码", "code")),
    Column("name", ("名称", "name")),
    Column("district_code", ("区县代码", "district_code")),
    Column("towns", ("辖区镇街", "towns"), required=False),
)


@dataclass(frozen=True)
class RegionRecord:
    code: str
    name: str
    level: str
    parent_code: str | None
    district_code: str
    town_code: str | None
    population: int | None
    station_code: str | None


@dataclass(frozen=True)
class StationRecord:
    code: str
    name: str
    district_code: str
    towns: tuple[str, ...]


def normal_code(raw: str, level: str | None = None) -> str:
    """Codes as digits; a 12-digit town code padded with 000 (330282005000) is the 9-digit one."""
    code = raw.strip()
    if level == "town" and len(code) == 12 and code.endswith("000"):
        return code[:9]
    if level == "district" and len(code) == 12 and code.endswith("000000"):
        return code[:6]
    return code


@dataclass(frozen=True)
class KnownRegion:
    level: str
    parent_code: str | None
    district_code: str


def validate_regions(
    rows: Sequence[Row], existing: Mapping[str, KnownRegion], station_codes: set[str]
) -> tuple[list[RegionRecord], list[RowError]]:
    """Every row checked: code shape and level, parent present (in the file or already stored) and
    one level up, code under its parent, no duplicates, population a whole number, station known."""
    errors: list[RowError] = []
    parsed: list[tuple[int, dict]] = []
    first_row: dict[str, int] = {}
    col = {c.key: c.label for c in REGION_COLUMNS}
    for number, cells in rows:
        level_raw = text(cells.get("level"))
        level = LEVEL_NAMES.get(level_raw.lower())
        if level is None:
            errors.append(
                RowError(
                    number,
                    col["level"],
                    _("级别「%(v)s」无效,应为 区县/镇街/村社(district/town/village)", v=level_raw),
                )
            )
            continue
        code = normal_code(text(cells.get("code")), level)
        if not is_ascii_digits(code) or len(code) != LEVEL_DIGITS[level]:
            errors.append(
                RowError(
                    number,
                    col["code"],
                    _(
                        "代码「%(c)s」应为 %(n)s 位数字(%(level)s)",
                        c=code,
                        n=LEVEL_DIGITS[level],
                        level=level_raw,
                    ),
                )
            )
            continue
        if code in first_row:
            errors.append(
                RowError(
                    number,
                    col["code"],
                    _("代码 %(c)s 重复(第 %(r)s 行已出现)", c=code, r=first_row[code]),
                )
            )
            continue
        first_row[code] = number
        if code in existing and existing[code].level != level:
            errors.append(
                RowError(number, col["level"], _("代码 %(c)s 已作为其他级别存在", c=code))
            )
            continue
        name = text(cells.get("name"))
        if not name or len(name) > 100:
            errors.append(RowError(number, col["name"], _("名称不能为空且不超过 100 字")))
            continue
        try:
            population = optional_int(cells.get("population"), MAX_POPULATION)
        except ValueError:
            errors.append(
                RowError(
                    number,
                    col["population"],
                    _("常住人口应为 0 至 %(n)s 之间的整数", n=f"{MAX_POPULATION:,}"),
                )
            )
            continue
        station_code = text(cells.get("station_code")) or None
        if station_code and level != "village":
            errors.append(RowError(number, col["station_code"], _("只有村社可以指定派出所")))
            continue
        if station_code and station_code not in station_codes:
            errors.append(
                RowError(
                    number,
                    col["station_code"],
                    _("派出所编码 %(c)s 不存在,请先导入派出所", c=station_code),
                )
            )
            continue
        parent = normal_code(text(cells.get("parent_code")), PARENT_LEVEL.get(level)) or None
        parsed.append(
            (
                number,
                dict(
                    code=code,
                    name=name,
                    level=level,
                    parent_code=parent,
                    population=population,
                    station_code=station_code,
                ),
            )
        )

    in_file = {record["code"]: record for _, record in parsed}
    records: list[RegionRecord] = []
    for number, record in parsed:
        level, parent = record["level"], record["parent_code"]
        if level == "district":
            if parent:
                errors.append(RowError(number, col["parent_code"], _("区县不应有上级代码")))
                continue
            records.append(RegionRecord(**record, district_code=record["code"], town_code=None))
            continue
        if not parent:
            errors.append(RowError(number, col["parent_code"], _("镇街和村社必须填写上级代码")))
            continue
        parent_level = (
            in_file[parent]["level"]
            if parent in in_file
            else existing[parent].level
            if parent in existing
            else None
        )
        if parent_level is None:
            errors.append(
                RowError(
                    number,
                    col["parent_code"],
                    _("上级代码 %(c)s 不存在(文件中和系统中都没有)", c=parent),
                )
            )
            continue
        if parent_level != PARENT_LEVEL[level]:
            errors.append(
                RowError(
                    number,
                    col["parent_code"],
                    _("上级 %(c)s 的级别不对:镇街的上级应为区县,村社的上级应为镇街", c=parent),
                )
            )
            continue
        if not record["code"].startswith(parent):
            errors.append(
                RowError(
                    number,
                    col["code"],
                    _("代码 %(c)s 不在上级 %(p)s 之下(前缀不符)", c=record["code"], p=parent),
                )
            )
            continue
        if level == "town":
            records.append(RegionRecord(**record, district_code=parent, town_code=None))
        else:
            district = (
                in_file[parent]["parent_code"]
                if parent in in_file
                else existing[parent].parent_code
            )
            records.append(
                RegionRecord(**record, district_code=district or parent[:6], town_code=parent)
            )
    errors.sort(key=lambda e: e.row)
    return records, errors


def validate_stations(
    rows: Sequence[Row], regions: Mapping[str, KnownRegion]
) -> tuple[list[StationRecord], list[RowError]]:
    """Each station in a known district; its towns known, town-level, in that district, not repeated."""
    errors: list[RowError] = []
    records: list[StationRecord] = []
    first_row: dict[str, int] = {}
    col = {c.key: c.label for c in STATION_COLUMNS}
    for number, cells in rows:
        code = text(cells.get("code"))
        if not code or len(code) > 32 or not all(ch.isalnum() or ch in "-_" for ch in code):
            errors.append(
                RowError(number, col["code"], _("派出所编码应为不超过 32 位的字母或数字"))
            )
            continue
        if code in first_row:
            errors.append(
                RowError(
                    number,
                    col["code"],
                    _("编码 %(c)s 重复(第 %(r)s 行已出现)", c=code, r=first_row[code]),
                )
            )
            continue
        first_row[code] = number
        name = text(cells.get("name"))
        if not name or len(name) > 100:
            errors.append(RowError(number, col["name"], _("名称不能为空且不超过 100 字")))
            continue
        district = normal_code(text(cells.get("district_code")), "district")
        if regions.get(district) is None or regions[district].level != "district":
            errors.append(
                RowError(number, col["district_code"], _("区县代码 %(c)s 不存在", c=district))
            )
            continue
        towns: list[str] = []
        problem = None
        for part in (
            text(cells.get("towns"))
            .replace("\uff1b", ";")
            .replace(",", ";")
            .replace("\uff0c", ";")
            .split(";")
        ):
            town = normal_code(part, "town")
            if not town:
                continue
            known = regions.get(town)
            if known is None or known.level != "town":
                problem = _("镇街代码 %(c)s 不存在", c=town)
            elif known.district_code != district:
                problem = _("镇街 %(c)s 不属于区县 %(d)s", c=town, d=district)
            elif town in towns:
                problem = _("镇街 %(c)s 重复", c=town)
            if problem:
                break
            towns.append(town)
        if problem:
            errors.append(RowError(number, col["towns"], problem))
            continue
        records.append(
            StationRecord(code=code, name=name, district_code=district, towns=tuple(towns))
        )
    return records, errors


# -- Editing and seeing regions and stations -----------------------------------------------------

LEVEL_LABELS = {"district": _l("区县"), "town": _l("镇街"), "village": _l("村社")}
MAX_POPULATION = 10_000_000


def parse_population(raw: str) -> tuple[int | None, str | None]:
    """A population typed into a form: blank means unknown, else a whole number 0…10,000,000.
    Returns (value, None) or (None, Chinese reason)."""
    cleaned = raw.strip().replace(",", "").replace("\uff0c", "")
    if not cleaned:
        return None, None
    value = parse_int(cleaned, 0)
    if value is None:
        return None, _("常住人口应为不小于 0 的整数")
    if value > MAX_POPULATION:
        return None, _("常住人口不能超过 %(n)s", n=f"{MAX_POPULATION:,}")
    return value, None


def station_in_scope(scope: Scope, code: str, district_code: str, towns: Collection[str]) -> bool:
    """A station is seen by the city, by its district, by a town it covers and by itself."""
    if scope.is_city:
        return True
    if scope.kind == "district":
        return district_code == scope.code
    if scope.kind == "town":
        return scope.code in towns
    return scope.kind == "station" and code == scope.code
