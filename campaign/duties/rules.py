"""What responsibility means here: which organisations there are, how a measure becomes a task
and what evidence counts, how the 平安考核 score is made, and when a case calls for an
accountability review (倒查). Pure functions over plain data, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from campaign.accounts.rules import Place, Scope, covers
from campaign.contests.rules import MINMAX, normalise
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import Column, Row, RowError, text
from campaign.rules import competition_ranks

# -- Organisations -------------------------------------------------------------------------------

SECTORS = {
    "government": _l("机关单位"),
    "enterprise": _l("企业"),
    "school": _l("学校"),
    "hospital": _l("医院"),
    "bank": _l("银行"),
    "operator": _l("通信运营商"),
    "media": _l("网络自媒体"),
    "other": _l("其他"),
}
#: What people type for a sector in forms and files (Chinese or English).
SECTOR_WORDS = {
    "机关": "government",
    "机关单位": "government",
    "政府": "government",
    "企业": "enterprise",
    "学校": "school",
    "高校": "school",
    "医院": "hospital",
    "银行": "bank",
    "运营商": "operator",
    "通信运营商": "operator",
    "自媒体": "media",
    "网络自媒体": "media",
    "其他": "other",
    **{key: key for key in ("government", "enterprise", "school", "hospital", "bank")},
    **{key: key for key in ("operator", "media", "other")},
}
MAX_ORG_NAME = 100
MAX_ORG_CODE = 64
MAX_PERSON = 50
MAX_ADDRESS = 200


def sector_of(raw: str) -> str | None:
    return SECTOR_WORDS.get(raw.strip().lower()) or SECTOR_WORDS.get(raw.strip())


def yes_no(raw: str) -> bool | None:
    value = raw.strip().lower()
    if value in ("是", "y", "yes", "true", "1", "已加入"):
        return True
    if value in ("", "否", "n", "no", "false", "0", "未加入"):
        return False
    return None


@dataclass(frozen=True, slots=True)
class KnownPlace:
    """A village or town an organisation may be located in."""

    level: str
    code: str
    town_code: str
    district_code: str
    station_code: str | None = None


ORGANISATION_COLUMNS = (
    Column("code", ("机构编码", "code")),
    Column("name", ("机构名称", "name")),
    Column("sector", ("行业", "sector")),
    Column("region_code", ("区划代码", "region_code")),
    Column("address", ("地址", "address"), required=False),
    Column("responsible_person", ("负责人", "responsible_person"), required=False),
    Column("contact_phone", ("联系电话", "contact_phone"), required=False),
    Column("alliance_member", ("反诈联盟成员", "alliance_member"), required=False),
    Column("alliance_joined_on", ("加入联盟日期", "alliance_joined_on"), required=False),
)


def check_organisation(
    values: Mapping[str, str], places: Mapping[str, KnownPlace]
) -> tuple[dict, dict[str, str]]:
    """One organisation from form or file cells; (record, errors by field). The contact phone is
    returned as written and turned into hash + mask by the caller."""
    errors: dict[str, str] = {}
    record: dict = {}
    code = values.get("code", "").strip()
    if not code or len(code) > MAX_ORG_CODE:
        errors["code"] = _("机构编码不能为空,且不超过 %(n)s 字", n=MAX_ORG_CODE)
    record["code"] = code
    name = values.get("name", "").strip()
    if not name or len(name) > MAX_ORG_NAME:
        errors["name"] = _("机构名称不能为空,且不超过 %(n)s 字", n=MAX_ORG_NAME)
    record["name"] = name
    sector = sector_of(values.get("sector", ""))
    if sector is None:
        errors["sector"] = _(
            "未知的行业「%(s)s」,可用:%(all)s",
            s=values.get("sector", ""),
            all="、".join(str(v) for v in SECTORS.values()),
        )
    record["sector"] = sector
    region = values.get("region_code", "").strip()
    place = places.get(region)
    if not region:
        errors["region_code"] = _("请填写机构所在村社或镇街的区划代码")
    elif place is None:
        errors["region_code"] = _(
            "区划代码 %(c)s 不是已知的村社(12 位)或镇街(9 位),请核对后再填", c=region
        )
    else:
        record |= {
            "village_code": place.code if place.level == "village" else None,
            "town_code": place.town_code,
            "district_code": place.district_code,
            "village_station_code": place.station_code if place.level == "village" else None,
        }
    record["region_code"] = region
    for key, limit in (("address", MAX_ADDRESS), ("responsible_person", MAX_PERSON)):
        value = values.get(key, "").strip()
        if len(value) > limit:
            errors[key] = _("不超过 %(n)s 字", n=limit)
        record[key] = value
    record["contact_phone"] = values.get("contact_phone", "").strip()
    member = yes_no(values.get("alliance_member", ""))
    if member is None:
        errors["alliance_member"] = _("请填写“是”或“否”")
    record["alliance_member"] = bool(member)
    joined_raw = values.get("alliance_joined_on", "").strip()
    joined = None
    if joined_raw:
        try:
            joined = dt.date.fromisoformat(joined_raw[:10].replace("/", "-"))
        except ValueError:
            errors["alliance_joined_on"] = _("日期格式应为 YYYY-MM-DD")
    record["alliance_joined_on"] = joined if member else None
    return record, errors


def validate_organisations(
    rows: Sequence[Row], places: Mapping[str, KnownPlace]
) -> tuple[list[dict], list[RowError]]:
    """Every row of an organisation file checked; every problem with its row and column."""
    labels = {c.key: c.label for c in ORGANISATION_COLUMNS}
    records: list[dict] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, cells in rows:
        values = {key: text(cells.get(key)) for key in labels}
        record, problems = check_organisation(values, places)
        if record["code"] and record["code"] in seen:
            problems.setdefault(
                "code", _("机构编码重复(第 %(r)s 行已出现)", r=seen[record["code"]])
            )
        seen.setdefault(record["code"], number)
        errors += [RowError(number, labels[k], v) for k, v in problems.items()]
        if not problems:
            records.append(record)
    return records, errors


def place_of_unit(row: Mapping) -> Place:
    """The place an organisation, task or review sits in, for jurisdiction checks."""
    if row.get("unit_kind") == "station":
        # a station is covered by a city or district scope, or by itself
        return Place("station", row["unit_code"], row["district_code"], None, row["unit_code"])
    if row.get("village_code"):
        return Place(
            "village",
            row["village_code"],
            row["district_code"],
            row["town_code"],
            row.get("village_station_code"),
        )
    return Place("town", row["town_code"], row["district_code"], row["town_code"])


def unit_covered(scope: Scope, place: Place) -> bool:
    """accounts.rules.covers, plus a station place: covered by its own station scope too."""
    if place.level == "station":
        if scope.is_city:
            return True
        if scope.kind == "district":
            return place.district_code == scope.code
        return scope.kind == "station" and scope.code == place.code
    return covers(scope, place)


# -- Tasks and evidence ----------------------------------------------------------------------------

OPEN, SUBMITTED, RETURNED, ACCEPTED = "open", "submitted", "returned", "accepted"
TASK_STATUSES = {
    OPEN: _l("待提交"),
    SUBMITTED: _l("待审核"),
    RETURNED: _l("已退回"),
    ACCEPTED: _l("已通过"),
}
UNIT_KINDS = {"town": _l("镇街"), "station": _l("派出所"), "organisation": _l("机关企事业单位")}
DOCUMENT, PHOTO, FIGURE = "document", "photo", "figure"
EVIDENCE_KINDS = {DOCUMENT: _l("文件"), PHOTO: _l("照片"), FIGURE: _l("数字")}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_FIGURE = 10**12
MAX_NOTE = 1000
MAX_REASON = 300
#: What a document or photo may be: extension → (content type, leading bytes it must start with).
DOCUMENT_TYPES = {
    "pdf": ("application/pdf", (b"%PDF",)),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
}
PHOTO_TYPES = {
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "webp": ("image/webp", (b"RIFF",)),
}
DUE_SOON_DAYS = 3


def is_overdue(status: str, due_on: dt.date, today: dt.date) -> bool:
    """A task not yet accepted whose due date has passed."""
    return status != ACCEPTED and due_on < today


def may_submit(status: str) -> bool:
    return status in (OPEN, RETURNED)


def may_review(status: str) -> bool:
    return status == SUBMITTED


def check_evidence_file(kind: str, filename: str, data: bytes) -> tuple[str, str | None]:
    """(content type, problem) for an uploaded document or photo: the extension must fit the kind
    the task asks for, the bytes must be what the extension says, and the size within limits."""
    allowed, limit = (
        (PHOTO_TYPES, MAX_PHOTO_BYTES) if kind == PHOTO else (DOCUMENT_TYPES, MAX_DOCUMENT_BYTES)
    )
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    names = "、".join(sorted(allowed))
    if not data:
        return "", _("请选择要上传的文件")
    if extension not in allowed:
        return "", _(
            "此任务要求上传%(kind)s,只接受 %(names)s 格式", kind=EVIDENCE_KINDS[kind], names=names
        )
    if len(data) > limit:
        return "", _(
            "文件 %(size)s MB,超过上限 %(limit)s MB",
            size=f"{len(data) / 1024 / 1024:.1f}",
            limit=limit // 1024 // 1024,
        )
    content_type, signatures = allowed[extension]
    if not data.startswith(signatures):
        return "", _(
            "文件内容与扩展名 .%(ext)s 不符,请上传真实的%(kind)s",
            ext=extension,
            kind=EVIDENCE_KINDS[kind],
        )
    return content_type, None


def parse_figure(raw: str) -> tuple[int | None, str | None]:
    value = raw.strip().replace(",", "").replace("\uff0c", "")
    if not value:
        return None, _("请填写数字")
    try:
        number = float(value)
    except ValueError:
        return None, _("请填写数字,例如 1200")
    if not number.is_integer() or number < 0 or number > MAX_FIGURE:
        return None, _("请填写不小于 0 的整数")
    return int(number), None


def due_soon(status: str, due_on: dt.date, today: dt.date) -> bool:
    return status != ACCEPTED and today <= due_on <= today + dt.timedelta(days=DUE_SOON_DAYS)


# -- Quarters ---------------------------------------------------------------------------------------


def quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """First and last local day of a quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(quarter)
    first = dt.date(year, 3 * quarter - 2, 1)
    after = dt.date(year + (quarter == 4), 1 if quarter == 4 else 3 * quarter + 1, 1)
    return first, after - dt.timedelta(days=1)


def parse_quarter(raw: str, today: dt.date) -> tuple[int, int]:
    """'2026Q3' (or '2026-Q3'); the current quarter for anything else."""
    value = raw.strip().upper().replace("-", "")
    if len(value) == 6 and value[:4].isdigit() and value[4] == "Q" and value[5] in "1234":
        return int(value[:4]), int(value[5])
    return quarter_of(today)


# -- The safety assessment (平安考核) ---------------------------------------------------------------
#
# A unit's score is out of 100: each ranked indicator gets 0–100 points, and
#     score = Σ weight × points / 100,   with the weights adding up to 100,
# so every indicator's contribution is visible and they add up to the score. Task completion and
# contest standing are absolute (a share, a percentile); outreach, dissuasion and case figures are
# relative to the other units ranked (contests.rules.normalise, min–max, 50 for missing data).
# Baseline indicators (达标制) are judged pass/fail and shown apart: they do not move the score.
# A red line (一票否决) zeroes the score whatever the indicators say.

INDICATORS = {
    "tasks": _l("任务完成"),
    "contest": _l("控案竞赛名次"),
    "outreach": _l("已核实宣传"),
    "dissuasion": _l("预警劝阻"),
    "cases": _l("发案情况(每万人)"),
}
INDICATOR_HIGHER_IS_BETTER = {"outreach": True, "dissuasion": True, "cases": False}
DEFAULT_WEIGHTS = {"tasks": 30, "contest": 20, "outreach": 20, "dissuasion": 15, "cases": 15}
DEFAULT_BASELINE = {"min_events": 3, "max_overdue": 0}
DEFAULT_RED_LINES = {"major_loss_yuan": 1_000_000, "red_line_tasks": True}
NO_DATA = 50.0
LATE_CREDIT = 0.5
LEVELS = {"town": _l("镇街"), "station": _l("派出所")}


def check_weights(raw: Mapping[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Weights as whole numbers ≥ 0 for every indicator, adding up to exactly 100."""
    weights: dict[str, int] = {}
    errors: dict[str, str] = {}
    for key in INDICATORS:
        value = str(raw.get(key, "")).strip()
        if not value.isdigit() or int(value) > 100:
            errors[key] = _("请填写 0–100 的整数")
        else:
            weights[key] = int(value)
    if not errors and sum(weights.values()) != 100:
        errors["weights"] = _(
            "各项权重合计须为 100,当前合计 %(n)s,请调整后再保存", n=sum(weights.values())
        )
    return weights, errors


@dataclass(frozen=True, slots=True)
class UnitFacts:
    """What the assessment of one unit for one quarter is made from."""

    code: str
    tasks_due: int = 0
    tasks_on_time: int = 0
    tasks_late: int = 0
    red_line_missed: int = 0
    contest_percentiles: tuple[float, ...] = ()
    outreach_points: float = 0.0
    events_verified: int = 0
    dissuasion: float | None = None
    cases: int = 0
    population: int | None = None
    max_case_loss_fen: int = 0

    @property
    def tasks_overdue(self) -> int:
        return self.tasks_due - self.tasks_on_time - self.tasks_late


@dataclass(frozen=True, slots=True)
class Indicator:
    key: str
    value: float | None
    points: float
    weight: int
    contribution: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """A baseline item or red line: what was required, what was found, and whether it holds."""

    key: str
    required: float
    found: float
    ok: bool


@dataclass(frozen=True, slots=True)
class AssessmentLine:
    rank: int
    code: str
    score: float
    raw_score: float
    vetoed: bool
    baseline_ok: bool
    indicators: tuple[Indicator, ...]
    baseline: tuple[Verdict, ...]
    red_lines: tuple[Verdict, ...] = field(default=())


def task_points(facts: UnitFacts) -> float | None:
    """Share of the quarter's tasks done: on time counts 1, accepted late counts half."""
    if facts.tasks_due == 0:
        return None
    return 100.0 * (facts.tasks_on_time + LATE_CREDIT * facts.tasks_late) / facts.tasks_due


def contest_percentile(rank: int, units: int) -> float:
    """Where a rank stands among the contest's units: 100 for first, 0 for last."""
    return 100.0 if units <= 1 else 100.0 * (units - rank) / (units - 1)


def cases_per_10k(cases: int, population: int | None) -> float | None:
    return None if not population else cases * 10_000 / population


def baseline_of(facts: UnitFacts, baseline: Mapping[str, int]) -> tuple[Verdict, ...]:
    return (
        Verdict(
            "min_events",
            baseline["min_events"],
            facts.events_verified,
            facts.events_verified >= baseline["min_events"],
        ),
        Verdict(
            "max_overdue",
            baseline["max_overdue"],
            facts.tasks_overdue,
            facts.tasks_overdue <= baseline["max_overdue"],
        ),
    )


def red_lines_of(facts: UnitFacts, red_lines: Mapping) -> tuple[Verdict, ...]:
    major = int(red_lines.get("major_loss_yuan") or 0) * 100
    verdicts = []
    if major:
        verdicts.append(
            Verdict(
                "major_loss",
                major / 100,
                facts.max_case_loss_fen / 100,
                facts.max_case_loss_fen < major,
            )
        )
    if red_lines.get("red_line_tasks"):
        verdicts.append(
            Verdict("red_line_tasks", 0, facts.red_line_missed, facts.red_line_missed == 0)
        )
    return tuple(verdicts)


def score_assessment(
    units: Sequence[UnitFacts],
    weights: Mapping[str, int],
    baseline: Mapping[str, int] = DEFAULT_BASELINE,
    red_lines: Mapping = DEFAULT_RED_LINES,
) -> list[AssessmentLine]:
    """The assessment of every unit of one level for one quarter, ranked by the contests' rule
    (standard competition ranking, ties share a rank, within a tie by code). Points are rounded
    to 2 decimals before weighting; the score is rounded to 2 decimals."""
    values: dict[str, dict[str, float | None]] = {
        "tasks": {u.code: task_points(u) for u in units},
        "contest": {
            u.code: (
                sum(u.contest_percentiles) / len(u.contest_percentiles)
                if u.contest_percentiles
                else None
            )
            for u in units
        },
        "outreach": {u.code: u.outreach_points for u in units},
        "dissuasion": {u.code: u.dissuasion for u in units},
        "cases": {u.code: cases_per_10k(u.cases, u.population) for u in units},
    }
    points: dict[str, dict[str, float]] = {}
    for key, per_unit in values.items():
        if key in INDICATOR_HIGHER_IS_BETTER:
            points[key] = normalise(per_unit, INDICATOR_HIGHER_IS_BETTER[key], MINMAX)
        else:
            points[key] = {c: NO_DATA if v is None else v for c, v in per_unit.items()}
    lines = {}
    for unit in units:
        parts = tuple(
            Indicator(
                key,
                values[key][unit.code],
                round(points[key][unit.code], 2),
                int(weights.get(key, 0)),
                int(weights.get(key, 0)) * round(points[key][unit.code], 2) / 100,
            )
            for key in INDICATORS
        )
        raw = round(sum(p.contribution for p in parts), 2)
        verdicts = red_lines_of(unit, red_lines)
        vetoed = not all(v.ok for v in verdicts)
        checks = baseline_of(unit, baseline)
        lines[unit.code] = (raw, vetoed, parts, checks, verdicts)
    ranked = competition_ranks(
        [(code, 0.0 if line[1] else line[0]) for code, line in lines.items()]
    )
    return [
        AssessmentLine(
            rank,
            code,
            score,
            lines[code][0],
            lines[code][1],
            all(v.ok for v in lines[code][3]),
            lines[code][2],
            lines[code][3],
            lines[code][4],
        )
        for rank, code, score in ranked
    ]


# -- Accountability reviews (倒查) -------------------------------------------------------------------

LOOKBACK_DAYS = 90
DEFAULT_REVIEW_LOSS_YUAN = 100_000
REVIEW_OPEN, REVIEW_CLOSED = "open", "closed"
REVIEW_STATUSES = {REVIEW_OPEN: _l("进行中"), REVIEW_CLOSED: _l("已结案")}
TRIGGERS = {"loss": _l("损失超过阈值"), "serious": _l("标记为严重案件")}
MAX_FINDINGS = 5000
MAX_ACTION = 300
MAX_OWNER = 50


def review_threshold_fen(setting: str | None) -> int:
    """The loss above which a case opens a review: the runtime setting in 元, else the default."""
    try:
        yuan = float(setting) if setting else DEFAULT_REVIEW_LOSS_YUAN
    except ValueError:
        yuan = DEFAULT_REVIEW_LOSS_YUAN
    return int(round(yuan * 100))


def needs_review(loss_fen: int, threshold_fen: int) -> bool:
    """A case at or above the threshold calls for a review."""
    return threshold_fen > 0 and loss_fen >= threshold_fen


def lookback(occurred_on: dt.date) -> tuple[dt.date, dt.date]:
    """The 90 days before the case (the case day included) whose prevention is reviewed."""
    return occurred_on - dt.timedelta(days=LOOKBACK_DAYS), occurred_on


def closing_errors(findings: str) -> dict[str, str]:
    """A review is closed only with written findings; an action plan is expected but not forced."""
    errors = {}
    if not findings.strip():
        errors["findings"] = _("结案前须填写倒查发现(问题与原因),不能空白结案")
    return errors


def check_action(values: Mapping[str, str], today: dt.date) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    action = values.get("action", "").strip()
    owner = values.get("owner", "").strip()
    if not action or len(action) > MAX_ACTION:
        errors["action"] = _("请填写整改措施(不超过 %(n)s 字)", n=MAX_ACTION)
    if not owner or len(owner) > MAX_OWNER:
        errors["owner"] = _("请填写责任人(不超过 %(n)s 字)", n=MAX_OWNER)
    try:
        due = dt.date.fromisoformat(values.get("due_on", "").strip())
    except ValueError:
        due = None
        errors["due_on"] = _("请选择整改期限")
    if due and due < today:
        errors["due_on"] = _("整改期限不能早于今天")
    return {"action": action, "owner": owner, "due_on": due}, errors


def age_days(opened_on: dt.date, today: dt.date) -> int:
    return max(0, (today - opened_on).days)


def may_assign(role: str, scope: Scope, place: Place) -> bool:
    """Administrators and leaders assign tasks, each inside their own jurisdiction."""
    return role in ("admin", "leader") and unit_covered(scope, place)


def answers_for(role: str, scope: Scope, place: Place) -> bool:
    """Who submits a unit's evidence: a coordinator whose jurisdiction covers the unit (or an
    administrator)."""
    return role == "admin" or (role == "coordinator" and unit_covered(scope, place))


def sees_unit(scope: Scope, level: str, code: str, district_code: str) -> bool:
    """May a person open this unit's assessment sheet? Their own unit, the units inside their
    jurisdiction, or anything for the city."""
    if scope.is_city:
        return True
    if scope.kind == "district":
        return district_code == scope.code
    if scope.kind == level and scope.code == code:
        return True
    return scope.kind == "station" and level == "town" and code in scope.towns


VERDICT_LABELS = {
    "min_events": _l("季度内已核实宣传活动不少于"),
    "max_overdue": _l("逾期未完成任务不超过"),
    "major_loss": _l("无单案损失达到(元)"),
    "red_line_tasks": _l("一票否决类任务全部按期完成(未完成数)"),
}
