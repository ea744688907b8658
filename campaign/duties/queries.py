"""Responsibility data: organisations, measures and tasks with their evidence, the stored
assessment runs and the accountability reviews. One function per intent; every write use case
opens its own write transaction and records the audit entry."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from piccolo.columns import Column
from piccolo.query.functions.aggregate import Count, Max, Min

from campaign.accounts import queries as accounts
from campaign.accounts.audit import audited
from campaign.accounts.rules import ADMIN, LEADER, CurrentUser, Scope
from campaign.cases import queries as cases
from campaign.cases.tables import Case
from campaign.contests import queries as contests
from campaign.db import (
    chunks,
    contains,
    existing_row,
    insert_many,
    read_transaction,
    select_in,
    write_transaction,
)
from campaign.duties import rules
from campaign.duties.tables import (
    AssessmentResult,
    AssessmentRun,
    AssessmentScheme,
    CorrectiveAction,
    EventOrganisation,
    Evidence,
    Measure,
    Organisation,
    Review,
    SweepMark,
    Task,
    TaskReminder,
)
from campaign.events import queries as events
from campaign.i18n import _
from campaign.materials import queries as materials
from campaign.regions import queries as regions
from campaign.regions.tables import Region
from campaign.rows import Row
from campaign.system import queries as system
from campaign.system.rules import REVIEW_LOSS_KEY
from campaign.timeutil import today
from campaign.warnings import queries as warnings

REVIEW_SETTING = REVIEW_LOSS_KEY
SWEEP_OVERLAP = dt.timedelta(minutes=10)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def snapshot():
    """One connection for a page's reads (on SQLite a new connection per query costs more than
    the small indexed queries themselves)."""
    return read_transaction()


def _scope_where(table, scope: Scope) -> list:
    """accounts.rules.covers as SQL on a row's copied codes (organisations, tasks, reviews); a
    review follows the cases' rule (its case's station, else the stations over its town)."""
    if scope.is_city:
        return []
    if scope.kind == "district":
        return [table.district_code == scope.code]
    if scope.kind == "town":
        return [table.town_code == scope.code]
    if table is Review:
        return [
            (Review.station_code == scope.code)
            | (Review.station_code.is_null() & Review.town_code.is_in(list(scope.towns) or [""]))
        ]
    own = table.village_station_code == scope.code
    if table is Task:
        own = own | (Task.station_code == scope.code)
    if not scope.towns:
        return [own]
    return [own | (table.village_station_code.is_null() & table.town_code.is_in(list(scope.towns)))]


# -- Places -------------------------------------------------------------------------------------


async def known_places(codes: Collection[str]) -> dict[str, rules.KnownPlace]:
    """The villages and towns among the codes (an unknown code is simply absent)."""
    found: dict[str, rules.KnownPlace] = {}
    for chunk in chunks(sorted({c for c in codes if c})):
        for row in await regions.regions_by_code(chunk):
            if row["level"] in ("village", "town"):
                town = row["code"] if row["level"] == "town" else row["town_code"]
                found[row["code"]] = rules.KnownPlace(
                    row["level"], row["code"], town, row["district_code"], row["station_code"]
                )
    return found


# -- Organisations ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganisationRow:
    id: int
    code: str
    name: str
    sector: str
    village_code: str | None
    town_code: str
    district_code: str
    village_station_code: str | None
    address: str
    responsible_person: str
    contact_phone_masked: str | None
    alliance_member: bool
    alliance_joined_on: dt.date | None
    place_name: str = ""
    town_name: str = ""

    @property
    def sector_label(self) -> str:
        return str(rules.SECTORS.get(self.sector, self.sector))

    @property
    def region_code(self) -> str:
        return self.village_code or self.town_code

    def place_row(self) -> dict:
        return {
            "district_code": self.district_code,
            "town_code": self.town_code,
            "village_code": self.village_code,
            "village_station_code": self.village_station_code,
        }


ORG_COLUMNS = (
    "id",
    "code",
    "name",
    "sector",
    "village_code",
    "town_code",
    "district_code",
    "village_station_code",
    "address",
    "responsible_person",
    "contact_phone_masked",
    "alliance_member",
    "alliance_joined_on",
)
ORG_FILTERS = ("q", "sector", "town", "alliance")


def _organisation_where(scope: Scope, filters: dict[str, str]) -> list:
    where = _scope_where(Organisation, scope)
    if q := filters.get("q", "").strip():
        where.append(contains(Organisation.name, q) | (Organisation.code == q))
    if filters.get("sector") in rules.SECTORS:
        where.append(Organisation.sector == filters["sector"])
    if town := filters.get("town", "").strip():
        where.append(Organisation.town_code == town)
    if filters.get("alliance") in ("1", "0"):
        where.append(Organisation.alliance_member == (filters["alliance"] == "1"))
    return where


async def _organisation_rows(rows: list[dict]) -> list[OrganisationRow]:
    names = await regions.names_of(
        {c for r in rows for c in (r["village_code"], r["town_code"]) if c}
    )
    return [
        OrganisationRow(
            **{k: r[k] for k in ORG_COLUMNS},
            place_name=names.get(r["village_code"] or r["town_code"], ""),
            town_name=names.get(r["town_code"], r["town_code"]),
        )
        for r in rows
    ]


async def organisation_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Organisation.count().where(*_organisation_where(scope, filters))


async def organisations(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[OrganisationRow]:
    query = (
        Organisation.select(*(getattr(Organisation, c) for c in ORG_COLUMNS))
        .where(*_organisation_where(scope, filters))
        .order_by(Organisation.town_code)
        .order_by(Organisation.name)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return await _organisation_rows(await query)


async def organisation(org_id: int) -> OrganisationRow | None:
    row = (
        await Organisation.select(*(getattr(Organisation, c) for c in ORG_COLUMNS))
        .where(Organisation.id == org_id)
        .first()
    )
    return (await _organisation_rows([row]))[0] if row else None


async def organisation_by_code(code: str) -> OrganisationRow | None:
    row = await Organisation.select(Organisation.id).where(Organisation.code == code).first()
    return await organisation(row["id"]) if row else None


@dataclass(frozen=True, slots=True)
class StoredOrganisation(Row):
    """An organisation's stored columns, as an import compares them (the phone's hash too)."""

    id: int
    code: str
    name: str
    sector: str
    village_code: str | None
    town_code: str
    district_code: str
    village_station_code: str | None
    address: str
    responsible_person: str
    contact_phone_hash: str | None
    alliance_member: bool
    alliance_joined_on: dt.date | None


async def organisations_by_code(codes: Collection[str]) -> dict[str, StoredOrganisation]:
    columns = [getattr(Organisation, f.name) for f in fields(StoredOrganisation)]
    rows = await select_in(
        lambda *where: Organisation.select(*columns).where(*where), Organisation.code, codes
    )
    return {row["code"]: StoredOrganisation(**row) for row in rows}


async def organisation_choices(scope: Scope, text: str, limit: int = 12) -> list[OrganisationRow]:
    text = text.strip()
    if not text:
        return []
    return await organisations(scope, {"q": text}, limit=limit)


async def sector_counts(scope: Scope) -> dict[str, int]:
    rows = await (
        Organisation.select(Organisation.sector, Count(alias="n"))
        .where(*_scope_where(Organisation, scope))
        .group_by(Organisation.sector)
    )
    return {r["sector"]: r["n"] for r in rows}


def stored_organisation(record: dict, phone: tuple[str, str] | tuple[None, None] | None) -> dict:
    """The columns of an organisation from a checked record and its kept phone (hash, mask;
    (None, None) clears it, None keeps it)."""
    values = {
        k: record[k]
        for k in (
            "code",
            "name",
            "sector",
            "village_code",
            "town_code",
            "district_code",
            "village_station_code",
            "address",
            "responsible_person",
            "alliance_member",
            "alliance_joined_on",
        )
    }
    if phone is not None:
        values["contact_phone_hash"], values["contact_phone_masked"] = phone
    return values


async def save_organisation(
    org_id: int | None, values: dict, actor: CurrentUser, ip: str | None
) -> int:
    """Create or change one organisation (values as stored_organisation gives them)."""
    async with audited(actor, ip) as audit:
        if org_id is None:
            inserted = await Organisation.insert(Organisation(**values))
            org_id = inserted[0]["id"]
            action, summary = "organisation.create", _("登记机构 %(n)s", n=values["name"])
        else:
            await Organisation.update(
                {getattr(Organisation, k): v for k, v in {**values, "updated_at": now()}.items()}
            ).where(Organisation.id == org_id)
            action, summary = "organisation.update", _("修改机构 %(n)s", n=values["name"])
        await audit.record(
            action,
            f"organisation:{org_id}",
            summary,
            {k: str(v) for k, v in values.items() if k != "contact_phone_hash"},
        )
    return org_id


async def write_organisation_import(
    new: list[dict], changed: list[tuple[int, dict]], actor, filename: str, summary, ip
) -> None:
    async with audited(actor) as audit:
        for start in range(0, len(new), 500):
            await Organisation.insert(*[Organisation(**v) for v in new[start : start + 500]])
        stamp = now()
        for org_id, values in changed:
            await Organisation.update(
                {getattr(Organisation, k): v for k, v in {**values, "updated_at": stamp}.items()}
            ).where(Organisation.id == org_id)
        await audit.record(
            "organisations.import",
            f"file:{filename}"[:120],
            _("导入机构 %(file)s:%(s)s", file=filename, s=summary.describe()),
            {"added": len(new), "changed": len(changed), "unchanged": summary.unchanged},
        )


# -- Events held at an organisation (the event form's extra field) -------------------------------


async def organisation_of_event(event_id: int) -> OrganisationRow | None:
    link = (
        await EventOrganisation.select(EventOrganisation.organisation_id)
        .where(EventOrganisation.event_id == event_id)
        .first()
    )
    return await organisation(link["organisation_id"]) if link else None


async def link_event(event_id: int, organisation_id: int | None) -> None:
    """Name (or clear) the organisation an event was held at; call inside the event's write."""
    await EventOrganisation.delete().where(EventOrganisation.event_id == event_id)
    if organisation_id is not None:
        await EventOrganisation.insert(
            EventOrganisation(event_id=event_id, organisation_id=organisation_id)
        )


async def outreach_at(
    organisation_id: int, start: dt.date | None = None, end: dt.date | None = None
) -> list[events.EventRow]:
    """The events held at an organisation (newest first), optionally within [start, end]."""
    links = await EventOrganisation.select(EventOrganisation.event_id).where(
        EventOrganisation.organisation_id == organisation_id
    )
    rows = await events.events_with_ids([link["event_id"] for link in links])
    return [r for r in rows if (start is None or r.day >= start) and (end is None or r.day <= end)]


# -- Measures ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureRow(Row):
    id: int
    number: int
    title: str
    body: str
    red_line: bool
    active: bool
    created_at: dt.datetime


async def measures(active_only: bool = False) -> list[MeasureRow]:
    query = Measure.select().order_by(Measure.number)
    if active_only:
        query = query.where(Measure.active == True)  # noqa: E712
    return [MeasureRow(**row) for row in await query]


async def measure(measure_id: int) -> MeasureRow | None:
    row = await Measure.select().where(Measure.id == measure_id).first()
    return MeasureRow(**row) if row else None


async def measure_number_taken(number: int, except_id: int | None) -> bool:
    where = [Measure.number == number]
    if except_id is not None:
        where.append(Measure.id != except_id)
    return await Measure.exists().where(*where)


async def save_measure(
    measure_id: int | None, values: dict, actor: CurrentUser, ip: str | None
) -> int:
    async with audited(actor, ip) as audit:
        if measure_id is None:
            measure_id = (await Measure.insert(Measure(**values)))[0]["id"]
        else:
            await Measure.update({getattr(Measure, k): v for k, v in values.items()}).where(
                Measure.id == measure_id
            )
        await audit.record(
            "measure.save",
            f"measure:{measure_id}",
            _("保存措施 第%(n)s条 %(t)s", n=values["number"], t=values["title"]),
            {k: str(v) for k, v in values.items()},
        )
    return measure_id


# -- Tasks --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit a task can be assigned to, with where it is."""

    kind: str
    code: str
    name: str
    district_code: str
    town_code: str | None = None
    village_code: str | None = None
    village_station_code: str | None = None
    station_code: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}"

    def place_row(self) -> dict:
        return {
            "unit_kind": self.kind,
            "unit_code": self.code,
            "district_code": self.district_code,
            "town_code": self.town_code,
            "village_code": self.village_code,
            "village_station_code": self.village_station_code,
        }


async def units_by_key(keys: Iterable[str]) -> dict[str, Unit]:
    """Resolve "town:330282005", "station:PS…", "organisation:ORG-1" to units; unknown absent."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for key in keys:
        kind, _sep, code = key.partition(":")
        if kind in rules.UNIT_KINDS and code:
            wanted[kind].add(code)
    found: dict[str, Unit] = {}
    for town in await regions.regions_by_code(sorted(wanted["town"])):
        if town.level == "town":
            unit = Unit("town", town.code, town.name, town.district_code, town.code)
            found[unit.key] = unit
    for code in sorted(wanted["station"]):
        station = await regions.station(code)
        if station:
            unit = Unit(
                "station", code, station["name"], station["district_code"], station_code=code
            )
            found[unit.key] = unit
    for code, org in (await organisations_by_code(wanted["organisation"])).items():
        unit = Unit(
            "organisation",
            code,
            org.name,
            org.district_code,
            org.town_code,
            org.village_code,
            org.village_station_code,
        )
        found[unit.key] = unit
    return found


async def pick_assignable(scope: Scope, text: str) -> list[regions.Unit]:
    """Towns, stations and organisations in scope matching the typed text, keyed "kind:code",
    for the task form's picker of responsible units (a province has ~2,600 towns and stations,
    too many for one select)."""
    found = [
        regions.Unit(f"{kind}:{unit.code}", _unit_label(kind, unit.name))
        for kind in ("town", "station")
        for unit in await regions.pick(kind, scope, text)
    ]
    orgs = await organisations(scope, {"q": regions.picked_word(text)}, limit=regions.PICK_LIMIT)
    found += [regions.Unit(f"organisation:{o.code}", f"{o.name}({o.town_name})") for o in orgs]
    return found[: regions.PICK_LIMIT]


async def chosen_units(keys: list[str]) -> list[tuple[str, str]]:
    """(key, label) of the units a form chose, in its order; an unknown key stays as it was
    sent (the form says it is unknown)."""
    found = await units_by_key(keys)
    return [
        (key, _unit_label(found[key].kind, found[key].name) if key in found else key)
        for key in keys
    ]


def _unit_label(kind: str, name: str) -> str:
    return f"{name}({rules.UNIT_KINDS[kind]})"


async def reviewers() -> list[tuple[int, str]]:
    """People who may review evidence: active administrators and leaders."""
    rows = [
        *await accounts.users({"role": ADMIN, "active": "1"}, limit=None),
        *await accounts.users({"role": LEADER, "active": "1"}, limit=None),
    ]
    return [
        (r["id"], f"{r['display_name']}({r['unit_name'] or _('全市')})")
        for r in sorted(rows, key=lambda r: r["id"])
    ]


async def reviewer_scope(user_id: int) -> Scope | None:
    """The jurisdiction of a would-be reviewer (None for an unknown or inactive person)."""
    row = await accounts.user_detail(user_id)
    if row is None or row["role"] not in (ADMIN, LEADER) or not row.get("active", True):
        return None
    return await accounts.scope_for(row["unit_kind"], row["unit_code"])


@dataclass(frozen=True, slots=True)
class TaskRow:
    id: int
    measure_id: int
    measure_number: int
    measure_title: str
    red_line: bool
    title: str
    detail: str
    unit_kind: str
    unit_code: str
    unit_name: str
    town_code: str | None
    village_code: str | None
    village_station_code: str | None
    station_code: str | None
    district_code: str
    due_on: dt.date
    evidence_kind: str
    figure_label: str
    reviewer_id: int
    reviewer_name: str
    status: str
    return_reason: str | None
    submitted_on: dt.date | None
    accepted_on: dt.date | None
    assigned_by_name: str
    overdue: bool = False

    @property
    def status_label(self) -> str:
        return str(rules.TASK_STATUSES[self.status])

    @property
    def evidence_label(self) -> str:
        return str(rules.EVIDENCE_KINDS[self.evidence_kind])

    @property
    def unit_kind_label(self) -> str:
        return str(rules.UNIT_KINDS[self.unit_kind])

    def place_row(self) -> dict:
        return {
            "unit_kind": self.unit_kind,
            "unit_code": self.unit_code,
            "district_code": self.district_code,
            "town_code": self.town_code,
            "village_code": self.village_code,
            "village_station_code": self.village_station_code,
        }


TASK_FILTERS = ("status", "measure", "unit", "overdue", "mine", "from", "to")


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value[:10])


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _task_where(scope: Scope, filters: dict[str, str], day: dt.date) -> list:
    where = _scope_where(Task, scope)
    if filters.get("status") in rules.TASK_STATUSES:
        where.append(Task.status == filters["status"])
    elif filters.get("status") == "pending":
        where.append(Task.status != rules.ACCEPTED)
    if filters.get("measure", "").isdigit():
        where.append(Task.measure_id == int(filters["measure"]))
    if unit := filters.get("unit", "").strip():
        where.append((Task.unit_code == unit) | (Task.town_code == unit))
    if filters.get("overdue") == "1":
        where += [Task.status != rules.ACCEPTED, Task.due_on < day]
    if filters.get("mine", "").isdigit():
        where.append(Task.reviewer_id == int(filters["mine"]))
    if start := _date(filters.get("from", "")):
        where.append(Task.due_on >= start)
    if end := _date(filters.get("to", "")):
        where.append(Task.due_on <= end)
    return where


async def _task_rows(rows: list[dict], day: dt.date) -> list[TaskRow]:
    ids = {r["measure_id"] for r in rows}
    found = (
        {m["id"]: m for m in await Measure.select().where(Measure.id.is_in(list(ids)))}
        if ids
        else {}
    )
    names = TaskRow.__dataclass_fields__
    result = []
    for r in rows:
        m = found.get(r["measure_id"], {"number": 0, "title": "?", "red_line": False})
        values = {k: r[k] for k in names if k in r}
        result.append(
            TaskRow(
                **values,
                measure_number=m["number"],
                measure_title=m["title"],
                red_line=m["red_line"],
                overdue=rules.is_overdue(r["status"], r["due_on"], day),
            )
        )
    return result


async def task_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Task.count().where(*_task_where(scope, filters, today()))


async def tasks(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[TaskRow]:
    day = today()
    query = (
        Task.select()
        .where(*_task_where(scope, filters, day))
        .order_by(Task.due_on)
        .order_by(Task.id)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return await _task_rows(await query, day)


async def task(task_id: int) -> TaskRow | None:
    row = await Task.select().where(Task.id == task_id).first()
    return (await _task_rows([row], today()))[0] if row else None


async def assign_tasks(
    measure_row: MeasureRow,
    units: list[Unit],
    values: dict,
    reviewer: tuple[int, str],
    actor: CurrentUser,
    ip: str | None,
) -> list[int]:
    """One task per unit for a measure, all or none."""
    ids = []
    async with audited(actor, ip) as audit:
        for unit in units:
            inserted = await Task.insert(
                Task(
                    measure_id=measure_row["id"],
                    title=values["title"],
                    detail=values["detail"],
                    unit_kind=unit.kind,
                    unit_code=unit.code,
                    unit_name=unit.name,
                    town_code=unit.town_code,
                    village_code=unit.village_code,
                    village_station_code=unit.village_station_code,
                    station_code=unit.station_code,
                    district_code=unit.district_code,
                    due_on=values["due_on"],
                    evidence_kind=values["evidence_kind"],
                    figure_label=values["figure_label"],
                    reviewer_id=reviewer[0],
                    reviewer_name=reviewer[1],
                    status=rules.OPEN,
                    assigned_by=actor.id,
                    assigned_by_name=actor.display_name,
                )
            )
            ids.append(inserted[0]["id"])
        await audit.record(
            "task.assign",
            f"measure:{measure_row['id']}",
            _(
                "下达任务「%(t)s」给 %(n)s 个单位,期限 %(d)s",
                t=values["title"],
                n=len(units),
                d=values["due_on"],
            ),
            {"tasks": ids, "units": [u.key for u in units]},
        )
    return ids


@dataclass(frozen=True, slots=True)
class EvidenceRow(Row):
    id: int
    task_id: int
    kind: str
    storage_key: str | None
    original_name: str
    content_type: str
    size: int
    figure: int | None
    note: str
    submitted_by: int | None
    submitted_by_name: str
    submitted_at: dt.datetime


async def evidence_of(task_id: int) -> list[EvidenceRow]:
    rows = await Evidence.select().where(Evidence.task_id == task_id).order_by(Evidence.id)
    return [EvidenceRow(**row) for row in rows]


async def evidence_item(evidence_id: int) -> EvidenceRow | None:
    row = await Evidence.select().where(Evidence.id == evidence_id).first()
    return EvidenceRow(**row) if row else None


async def submit_evidence(
    task_row: TaskRow, values: dict, actor: CurrentUser, ip: str | None
) -> int:
    """Store what the unit submitted and put the task up for review."""
    async with audited(actor, ip) as audit:
        current = await existing_row(Task.select(Task.status).where(Task.id == task_row.id).first())
        if not rules.may_submit(current["status"]):
            raise ValueError(_("此任务当前不能提交材料(已提交待审核或已通过)"))
        inserted = await Evidence.insert(
            Evidence(
                task_id=task_row.id,
                submitted_by=actor.id,
                submitted_by_name=actor.display_name,
                submitted_at=now(),
                **values,
            )
        )
        await Task.update(
            {
                Task.status: rules.SUBMITTED,
                Task.submitted_on: today(),
                Task.return_reason: None,
                Task.updated_at: now(),
            }
        ).where(Task.id == task_row.id)
        await audit.record(
            "task.submit",
            f"task:{task_row.id}",
            _("提交任务材料「%(t)s」(%(u)s)", t=task_row.title, u=task_row.unit_name),
            {"kind": values["kind"], "figure": values.get("figure")},
        )
    return inserted[0]["id"]


async def review_task(
    task_row: TaskRow, accept: bool, reason: str, actor: CurrentUser, ip: str | None
) -> None:
    async with audited(actor, ip) as audit:
        current = await existing_row(Task.select(Task.status).where(Task.id == task_row.id).first())
        if not rules.may_review(current["status"]):
            raise ValueError(_("此任务当前没有待审核的材料"))
        changes: dict[Column | str, Any] = (
            {Task.status: rules.ACCEPTED, Task.accepted_on: today(), Task.return_reason: None}
            if accept
            else {Task.status: rules.RETURNED, Task.return_reason: reason}
        )
        changes[Task.updated_at] = now()
        await Task.update(changes).where(Task.id == task_row.id)
        await audit.record(
            "task.accept" if accept else "task.return",
            f"task:{task_row.id}",
            (
                _("通过任务「%(t)s」(%(u)s)", t=task_row.title, u=task_row.unit_name)
                if accept
                else _("退回任务「%(t)s」:%(r)s", t=task_row.title, r=reason)
            ),
            {"reason": reason},
        )


@dataclass(frozen=True, slots=True)
class OverdueUnit:
    unit_kind: str
    unit_code: str
    unit_name: str
    overdue: int
    oldest_due: dt.date


async def overdue_by_unit(scope: Scope, day: dt.date, limit: int = 20) -> list[OverdueUnit]:
    """Units with overdue tasks in the scope, most overdue first: what leaders chase up."""
    rows = await (
        Task.select(
            Task.unit_kind,
            Task.unit_code,
            Max(Task.unit_name).as_alias("unit_name"),
            Count(alias="overdue"),
            Min(Task.due_on).as_alias("oldest_due"),
        )
        .where(*_scope_where(Task, scope), Task.status != rules.ACCEPTED, Task.due_on < day)
        .group_by(Task.unit_kind, Task.unit_code)
    )
    # SQLite returns an aggregated date as text
    found = [OverdueUnit(**{**r, "oldest_due": _as_date(r["oldest_due"])}) for r in rows]
    found.sort(key=lambda u: (-u.overdue, u.oldest_due, u.unit_code))
    return found[:limit]


def _own_tasks_where(user: CurrentUser) -> list:
    """Tasks a person answers for: their own unit's, and in their area the organisations'."""
    scope = user.scope
    if scope.kind in ("town", "station"):
        own = (Task.unit_kind == scope.kind) & (Task.unit_code == scope.code)
        orgs = (Task.unit_kind == "organisation") & _scope_where(Task, scope)[0]
        return [own | orgs]
    return _scope_where(Task, scope)


async def home_card(user: CurrentUser) -> dict | None:
    """Open tasks for a coordinator's unit, tasks waiting for a reviewer, overdue up the chain."""
    day = today()
    card: dict = {"template": "duties/_home_card.html", "today": day}
    if user.role in ("coordinator", "admin"):
        where = [*_own_tasks_where(user), Task.status.is_in([rules.OPEN, rules.RETURNED])]
        rows = await Task.select().where(*where).order_by(Task.due_on).limit(6)
        card["open_tasks"] = await _task_rows(rows, day)
        card["open_count"] = await Task.count().where(*where)
    if user.role in ("leader", "admin"):
        card["to_review"] = await Task.count().where(
            Task.status == rules.SUBMITTED,
            *([] if user.is_admin else [Task.reviewer_id == user.id]),
        )
        card["overdue_units"] = await overdue_by_unit(user.scope, day, limit=5)
        card["open_reviews"] = await Review.count().where(
            Review.status == rules.REVIEW_OPEN, *_scope_where(Review, user.scope)
        )
    if user.role not in ("coordinator", "admin", "leader"):
        return None
    return card


async def send_reminders(day: dt.date) -> int:
    """Raise today's reminders: tasks due within DUE_SOON_DAYS and tasks overdue, once per task,
    kind and day (running the job twice adds nothing)."""
    soon = day + dt.timedelta(days=rules.DUE_SOON_DAYS)
    rows = await Task.select(Task.id, Task.due_on, Task.status).where(
        Task.status != rules.ACCEPTED, Task.due_on <= soon
    )
    if not rows:
        return 0
    already = {
        (r["task_id"], r["kind"])
        for r in await TaskReminder.select(TaskReminder.task_id, TaskReminder.kind).where(
            TaskReminder.day == day
        )
    }
    new = [
        TaskReminder(task_id=r["id"], kind=kind, day=day)
        for r in rows
        for kind in ["overdue" if r["due_on"] < day else "due_soon"]
        if (r["id"], kind) not in already
    ]
    if new:
        async with write_transaction():
            for start in range(0, len(new), 500):
                await TaskReminder.insert(*new[start : start + 500])
    return len(new)


async def reminders_for(task_ids: list[int], day: dt.date) -> dict[int, str]:
    if not task_ids:
        return {}
    rows = await TaskReminder.select(TaskReminder.task_id, TaskReminder.kind).where(
        TaskReminder.day == day, TaskReminder.task_id.is_in(task_ids)
    )
    return {r["task_id"]: r["kind"] for r in rows}


# -- The assessment -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scheme:
    weights: dict[str, int]
    baseline: dict[str, int]
    red_lines: dict
    updated_by: str = ""

    def as_json(self) -> dict:
        return {"weights": self.weights, "baseline": self.baseline, "red_lines": self.red_lines}


async def scheme() -> Scheme:
    row = (
        await AssessmentScheme.select().order_by(AssessmentScheme.id).output(load_json=True).first()
    )
    if row is None:
        return Scheme(
            dict(rules.DEFAULT_WEIGHTS), dict(rules.DEFAULT_BASELINE), dict(rules.DEFAULT_RED_LINES)
        )
    return Scheme(
        {**rules.DEFAULT_WEIGHTS, **row["weights"]},
        {**rules.DEFAULT_BASELINE, **row["baseline"]},
        {**rules.DEFAULT_RED_LINES, **row["red_lines"]},
        row["updated_by"],
    )


async def save_scheme(new: Scheme, actor: CurrentUser, ip: str | None) -> None:
    async with audited(actor, ip) as audit:
        values: dict[Any, Any] = {  # column: value, for update() and the insert alike
            AssessmentScheme.weights: new.weights,
            AssessmentScheme.baseline: new.baseline,
            AssessmentScheme.red_lines: new.red_lines,
            AssessmentScheme.updated_at: now(),
            AssessmentScheme.updated_by: actor.display_name,
        }
        if await AssessmentScheme.exists():
            await AssessmentScheme.update(values, force=True)
        else:
            await AssessmentScheme.insert(
                AssessmentScheme(**{column._meta.name: v for column, v in values.items()})
            )
        await audit.record("assessment.scheme", "assessment", _("修改平安考核方案"), new.as_json())


async def dissuasion_by_unit(
    level: str, start: dt.date, end: dt.date, codes: list[str]
) -> dict[str, float]:
    """People dissuaded per unit (the warnings module's dissuasion_results)."""
    return {
        code: float(v)
        for code, v in (await warnings.dissuasion_results(level, start, end, codes)).items()
    }


async def contest_percentiles(
    level: str, start: dt.date, end: dt.date, as_of: dt.date
) -> dict[str, list[float]]:
    """Each unit's standing (0–100 percentile) in every contest of the level overlapping the
    quarter, as of the quarter's end (or today)."""
    found: dict[str, list[float]] = defaultdict(list)
    for contest in await contests.contests(Scope(), {"level": level}, limit=None):
        if contest["end_on"] < start or contest["start_on"] > end:
            continue
        standings = await contests.standings_for(contest, as_of)
        n = len(standings.rows)
        for row in standings.rows:
            found[row.code].append(rules.contest_percentile(row.rank, n))
    return found


async def _task_facts(level: str, start: dt.date, end: dt.date, as_of: dt.date) -> dict:
    """Per unit: tasks due in the quarter up to as_of, on time, late, red-line tasks missed. A
    town answers for its organisations' tasks too."""
    rows = await Task.select(
        Task.unit_kind,
        Task.unit_code,
        Task.town_code,
        Task.due_on,
        Task.status,
        Task.submitted_on,
        Task.measure_id,
    ).where(Task.due_on >= start, Task.due_on <= min(end, as_of))
    red = {m["id"] for m in await Measure.select(Measure.id).where(Measure.red_line == True)}  # noqa: E712
    facts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        if r["unit_kind"] == level:
            code = r["unit_code"]
        elif level == "town" and r["unit_kind"] == "organisation" and r["town_code"]:
            code = r["town_code"]
        else:
            continue
        f = facts[code]
        f["due"] += 1
        if r["status"] == rules.ACCEPTED:
            on_time = r["submitted_on"] is not None and r["submitted_on"] <= r["due_on"]
            f["on_time" if on_time else "late"] += 1
        elif r["measure_id"] in red:
            f["red"] += 1
    return facts


async def unit_facts(
    level: str, start: dt.date, end: dt.date, as_of: dt.date
) -> tuple[list[rules.UnitFacts], dict[str, contests.ContestUnit]]:
    """The facts of every unit of the level for the quarter, and the units by code."""
    units = await contests.units_of(level, None)
    codes = [u["code"] for u in units]
    until = min(end, as_of)
    tasks_by_unit = await _task_facts(level, start, end, as_of)
    percentiles = await contest_percentiles(level, start, end, until)
    outreach = await events.outreach_points(level, start, until, codes)
    verified: dict[str, int] = defaultdict(int)
    for row in await events.verified_sums(level, start, until, codes=codes):
        verified[row["code"]] += row["events"]
    dissuasion = await dissuasion_by_unit(level, start, until, codes)
    counts = await cases.case_counts(level, start, until)
    largest = await cases.largest_losses(level, start, until)
    facts = [
        rules.UnitFacts(
            code=u["code"],
            tasks_due=tasks_by_unit.get(u["code"], {}).get("due", 0),
            tasks_on_time=tasks_by_unit.get(u["code"], {}).get("on_time", 0),
            tasks_late=tasks_by_unit.get(u["code"], {}).get("late", 0),
            red_line_missed=tasks_by_unit.get(u["code"], {}).get("red", 0),
            contest_percentiles=tuple(percentiles.get(u["code"], ())),
            outreach_points=float(outreach.get(u["code"], 0.0)),
            events_verified=verified.get(u["code"], 0),
            dissuasion=dissuasion.get(u["code"], 0.0),
            cases=counts.get(u["code"], 0),
            population=u["population"],
            max_case_loss_fen=largest.get(u["code"], 0),
        )
        for u in units
    ]
    return facts, {u["code"]: u for u in units}


async def _district_codes(level: str) -> dict[str, str]:
    rows = await contests.units_of(level, None)
    if level == "station":
        found = {s.code: s.district_code for s in await regions.stations(Scope(), {}, limit=None)}
        return {r["code"]: found.get(r["code"], "") for r in rows}
    return {
        r["code"]: r["district_code"]
        for r in await regions.regions(Scope(), {"level": level}, limit=None)
    }


def _line_detail(line: rules.AssessmentLine, facts: rules.UnitFacts) -> dict:
    return {
        "indicators": [
            {
                "key": p.key,
                "value": p.value,
                "points": p.points,
                "weight": p.weight,
                "contribution": round(p.contribution, 4),
            }
            for p in line.indicators
        ],
        "baseline": [
            {"key": v.key, "required": v.required, "found": v.found, "ok": v.ok}
            for v in line.baseline
        ],
        "red_lines": [
            {"key": v.key, "required": v.required, "found": v.found, "ok": v.ok}
            for v in line.red_lines
        ],
        "raw_score": line.raw_score,
        "facts": {
            "tasks_due": facts.tasks_due,
            "tasks_on_time": facts.tasks_on_time,
            "tasks_late": facts.tasks_late,
            "tasks_overdue": facts.tasks_overdue,
            "events_verified": facts.events_verified,
            "outreach_points": facts.outreach_points,
            "cases": facts.cases,
            "population": facts.population,
            "contests": len(facts.contest_percentiles),
        },
    }


async def compute_assessment(level: str, year: int, quarter: int, actor: CurrentUser | None) -> int:
    """Score every unit of the level for the quarter and store the result as a new run."""
    started = time.perf_counter()
    start, end = rules.quarter_bounds(year, quarter)
    as_of = min(end, today())
    current = await scheme()
    facts, info = await unit_facts(level, start, end, as_of)
    lines = rules.score_assessment(facts, current.weights, current.baseline, current.red_lines)
    by_code = {f.code: f for f in facts}
    districts = await _district_codes(level)
    seconds = time.perf_counter() - started
    rows = [
        {
            "code": line.code,
            "name": info[line.code]["name"],
            "district_code": districts.get(line.code, ""),
            "rank": line.rank,
            "score": line.score,
            "vetoed": line.vetoed,
            "baseline_ok": line.baseline_ok,
            **{f"c_{i.key}": round(i.contribution, 4) for i in line.indicators},
            "detail": _line_detail(line, by_code[line.code]),
        }
        for line in lines
    ]
    async with audited(actor) as audit:
        run_id = (
            await AssessmentRun.insert(
                AssessmentRun(
                    level=level,
                    year=year,
                    quarter=quarter,
                    as_of=as_of,
                    scheme=current.as_json(),
                    units=len(rows),
                    computed_by=actor.display_name if actor else "system",
                    seconds=round(seconds, 3),
                )
            )
        )[0]["id"]
        columns = ["run_id", *rows[0]] if rows else []
        await insert_many(
            AssessmentResult,
            columns,
            [(run_id, *list(r.values())[:-1], json.dumps(r["detail"])) for r in rows],
        )
        await audit.record(
            "assessment.compute",
            f"assessment:{run_id}",
            _("计算平安考核 %(y)s年第%(q)s季度(%(n)s 个单位)", y=year, q=quarter, n=len(rows)),
            {"level": level, "seconds": round(seconds, 3)},
        )
    return run_id


@dataclass(frozen=True, slots=True)
class RunRow(Row):
    """A stored assessment run; `scheme` is the weights and thresholds it used (JSON)."""

    id: int
    level: str
    year: int
    quarter: int
    as_of: dt.date
    scheme: dict
    units: int
    computed_at: dt.datetime
    computed_by: str
    seconds: float


async def latest_run(level: str, year: int, quarter: int) -> RunRow | None:
    row = (
        await AssessmentRun.select()
        .where(
            AssessmentRun.level == level,
            AssessmentRun.year == year,
            AssessmentRun.quarter == quarter,
        )
        .order_by(AssessmentRun.id, ascending=False)
        .output(load_json=True)
        .first()
    )
    return RunRow(**row) if row else None


async def run(run_id: int) -> RunRow | None:
    row = (
        await AssessmentRun.select()
        .where(AssessmentRun.id == run_id)
        .output(load_json=True)
        .first()
    )
    return RunRow(**row) if row else None


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One unit's line of a stored run; `detail` (the explanation) is loaded for the sheet only."""

    rank: int
    code: str
    name: str
    district_code: str
    score: float
    vetoed: bool
    baseline_ok: bool
    contributions: dict[str, float]
    detail: dict = field(default_factory=dict)


CONTRIBUTIONS = tuple(getattr(AssessmentResult, f"c_{key}") for key in rules.INDICATORS)
RESULT_COLUMNS = (
    AssessmentResult.rank,
    AssessmentResult.code,
    AssessmentResult.name,
    AssessmentResult.district_code,
    AssessmentResult.score,
    AssessmentResult.vetoed,
    AssessmentResult.baseline_ok,
    *CONTRIBUTIONS,
)


def _result_row(row: dict) -> ResultRow:
    contributions = {key: row.pop(f"c_{key}") for key in rules.INDICATORS}
    return ResultRow(**row, contributions=contributions)


def _result_where(run_id: int, filters: dict[str, str]) -> list:
    where = [AssessmentResult.run_id == run_id]
    if district := filters.get("district", "").strip():
        where.append(AssessmentResult.district_code == district)
    if filters.get("verdict") == "vetoed":
        where.append(AssessmentResult.vetoed == True)  # noqa: E712
    elif filters.get("verdict") == "baseline":
        where.append(AssessmentResult.baseline_ok == False)  # noqa: E712
    if q := filters.get("q", "").strip():
        where.append(contains(AssessmentResult.name, q) | (AssessmentResult.code == q))
    return where


async def result_count(run_id: int, filters: dict[str, str]) -> int:
    return await AssessmentResult.count().where(*_result_where(run_id, filters))


async def results(
    run_id: int, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[ResultRow]:
    query = (
        AssessmentResult.select(*RESULT_COLUMNS)
        .where(*_result_where(run_id, filters))
        .order_by(AssessmentResult.rank)
        .order_by(AssessmentResult.code)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [_result_row(r) for r in await query]


async def result_for(run_id: int, code: str) -> ResultRow | None:
    row = (
        await AssessmentResult.select(*RESULT_COLUMNS, AssessmentResult.detail)
        .where(AssessmentResult.run_id == run_id, AssessmentResult.code == code)
        .output(load_json=True)
        .first()
    )
    return _result_row(row) if row else None


# -- Accountability reviews -------------------------------------------------------------------


async def review_threshold_fen() -> int:
    return rules.review_threshold_fen(await system.get_setting(REVIEW_SETTING))


def review_values(
    case: Mapping[str, Any], trigger: str, note: str, organisation_id: int | None
) -> dict:
    return {
        "case_id": case["id"],
        "case_no": case["case_no"],
        "occurred_on": case["occurred_on"],
        "loss_fen": case["loss_fen"],
        "fraud_type": case["fraud_type"],
        "village_code": case["village_code"],
        "town_code": case["town_code"],
        "district_code": case["district_code"],
        "station_code": case["station_code"],
        "organisation_id": organisation_id,
        "trigger": trigger,
        "trigger_note": note[:300],
        "status": rules.REVIEW_OPEN,
        "opened_at": now(),
        "opened_on": today(),
        "is_demo": bool(case.get("is_demo")),
    }


@dataclass(frozen=True, slots=True)
class ReviewRef(Row):
    id: int
    status: str


async def review_of_case(case_id: int) -> ReviewRef | None:
    row = await Review.select(Review.id, Review.status).where(Review.case_id == case_id).first()
    return ReviewRef(**row) if row else None


async def open_review(
    case: Mapping[str, Any],
    trigger: str,
    note: str,
    organisation_id: int | None,
    actor: CurrentUser | None,
    ip: str | None = None,
) -> int:
    """Open the review of a case (or return the one already open for it)."""
    village = await regions.region(case["village_code"]) if case["village_code"] else None
    values = review_values(case, trigger, note, organisation_id)
    values["village_station_code"] = village["station_code"] if village else None
    async with audited(actor, ip) as audit:
        if existing := await review_of_case(case["id"]):
            return existing["id"]
        review_id = (await Review.insert(Review(**values)))[0]["id"]
        await audit.record(
            "review.open",
            f"review:{review_id}",
            _("开启倒查:案件 %(no)s", no=case["case_no"]),
            {"trigger": trigger, "loss_fen": case["loss_fen"]},
        )
    return review_id


async def open_reviews_for_new_cases() -> int:
    """The sweep behind every case write path (form, import, API, demo): cases written since the
    last sweep with a loss at or above the threshold get a review. Idempotent. One INSERT …
    SELECT (the village's station joined in), so the tens of thousands of reviews a 10^6-case
    import calls for never pass through Python as rows; one audit entry records the sweep."""
    started = now()
    mark = await SweepMark.select().where(SweepMark.name == "reviews").first()
    # a case written in a transaction still open at the last sweep carries an earlier stamp
    since = mark["at"] - SWEEP_OVERLAP if mark else None
    async with audited(None) as audit:
        opened = await _open_loss_reviews(since, max(await review_threshold_fen(), 1), started)
        if opened:
            await audit.record(
                "review.open",
                "reviews:sweep",
                _("自动开启倒查 %(n)s 件", n=len(opened)),
                {"trigger": "loss", "cases": opened[:100]},
            )
        else:
            audit.nothing_changed()
        if mark:
            await SweepMark.update({SweepMark.at: started}).where(SweepMark.name == "reviews")
        else:
            await SweepMark.insert(SweepMark(name="reviews", at=started))
    return len(opened)


async def _open_loss_reviews(
    since: dt.datetime | None, min_loss_fen: int, at: dt.datetime
) -> list[str]:
    """Reviews opened (trigger "loss", as review_values fills them) for the cases written since
    `since` (all when None) with a loss of at least min_loss_fen and no review yet; returns their
    case numbers, sorted. No ORDER BY: SQLite would walk the whole table in id order instead of
    the few cases written since `since` on the updated_at index."""
    review, case, region = Review._meta.tablename, Case._meta.tablename, Region._meta.tablename
    written = "" if since is None else " AND c.updated_at >= {}"
    rows = await Review.raw(
        f'INSERT INTO "{review}" (case_id, case_no, occurred_on, loss_fen, fraud_type, '
        "village_code, town_code, district_code, station_code, village_station_code, "
        "organisation_id, trigger, trigger_note, status, opened_at, opened_on, findings, "
        "closing_note, closed_at, closed_by_name, is_demo) "
        "SELECT c.id, c.case_no, c.occurred_on, c.loss_fen, c.fraud_type, c.village_code, "
        "c.town_code, c.district_code, c.station_code, v.station_code, NULL, 'loss', '', {}, "
        "{}, {}, '', '', NULL, '', c.is_demo "
        f'FROM "{case}" c LEFT JOIN "{region}" v ON v.code = c.village_code '
        f"WHERE c.loss_fen >= {{}}{written} "
        f'AND NOT EXISTS (SELECT 1 FROM "{review}" r WHERE r.case_id = c.id) '
        "RETURNING case_no",
        rules.REVIEW_OPEN,
        at,
        today(),
        min_loss_fen,
        *([] if since is None else [since]),
    )
    return sorted(row["case_no"] for row in rows)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    case_id: int
    case_no: str
    occurred_on: dt.date
    loss_fen: int
    fraud_type: str
    village_code: str | None
    town_code: str
    district_code: str
    station_code: str | None
    village_station_code: str | None
    organisation_id: int | None
    trigger: str
    trigger_note: str
    status: str
    opened_on: dt.date
    findings: str
    closing_note: str
    closed_at: dt.datetime | None
    closed_by_name: str
    place_name: str = ""
    town_name: str = ""
    age_days: int = 0
    actions: int = 0

    @property
    def status_label(self) -> str:
        return str(rules.REVIEW_STATUSES[self.status])

    @property
    def trigger_label(self) -> str:
        return str(rules.TRIGGERS.get(self.trigger, self.trigger))

    def place_row(self) -> dict:
        return {
            "district_code": self.district_code,
            "town_code": self.town_code,
            "village_code": self.village_code,
            "village_station_code": self.village_station_code,
        }


REVIEW_FILTERS = ("status", "town", "from", "to", "q")


def _review_where(scope: Scope, filters: dict[str, str]) -> list:
    where = _scope_where(Review, scope)
    if filters.get("status") in rules.REVIEW_STATUSES:
        where.append(Review.status == filters["status"])
    if town := filters.get("town", "").strip():
        where.append(Review.town_code == town)
    if start := _date(filters.get("from", "")):
        where.append(Review.opened_on >= start)
    if end := _date(filters.get("to", "")):
        where.append(Review.opened_on <= end)
    if q := filters.get("q", "").strip():
        where.append(Review.case_no == q)
    return where


async def _review_rows(rows: list[dict]) -> list[ReviewRow]:
    day = today()
    names = await regions.names_of(
        {c for r in rows for c in (r["village_code"], r["town_code"]) if c}
    )
    ids = [r["id"] for r in rows]
    counts = (
        {
            r["review_id"]: r["n"]
            for r in await CorrectiveAction.select(CorrectiveAction.review_id, Count(alias="n"))
            .where(CorrectiveAction.review_id.is_in(ids))
            .group_by(CorrectiveAction.review_id)
        }
        if ids
        else {}
    )
    keep = ReviewRow.__dataclass_fields__
    return [
        ReviewRow(
            **{k: r[k] for k in keep if k in r},
            place_name=names.get(r["village_code"] or r["town_code"], ""),
            town_name=names.get(r["town_code"], r["town_code"]),
            age_days=rules.age_days(r["opened_on"], day)
            if r["status"] == rules.REVIEW_OPEN
            else rules.age_days(r["opened_on"], (r["closed_at"] or now()).date()),
            actions=counts.get(r["id"], 0),
        )
        for r in rows
    ]


async def review_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Review.count().where(*_review_where(scope, filters))


async def reviews(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[ReviewRow]:
    query = (
        Review.select()
        .where(*_review_where(scope, filters))
        .order_by(Review.status, ascending=False)
        .order_by(Review.opened_on)
        .order_by(Review.id)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return await _review_rows(await query)


async def review(review_id: int) -> ReviewRow | None:
    row = await Review.select().where(Review.id == review_id).first()
    return (await _review_rows([row]))[0] if row else None


@dataclass(frozen=True, slots=True)
class ActionRow(Row):
    id: int
    review_id: int
    action: str
    owner: str
    due_on: dt.date
    done_on: dt.date | None
    created_at: dt.datetime


async def actions_of(review_id: int) -> list[ActionRow]:
    rows = (
        await CorrectiveAction.select()
        .where(CorrectiveAction.review_id == review_id)
        .order_by(CorrectiveAction.due_on)
    )
    return [ActionRow(**row) for row in rows]


@dataclass(frozen=True, slots=True)
class WarningHistory:
    """Warnings issued for the victim's phone before the case (none when the case has no phone)."""

    phone_known: bool
    items: tuple = ()


async def warning_history(phone_hash: str | None, start: dt.date, end: dt.date) -> WarningHistory:
    """Warnings issued for the victim's phone in [start, end] (warnings.warnings_for_phone_hash);
    a case without a victim phone cannot be matched."""
    if not phone_hash:
        return WarningHistory(phone_known=False)
    found = await warnings.warnings_for_phone_hash(phone_hash, start, end)
    return WarningHistory(True, tuple(found))


@dataclass(frozen=True, slots=True)
class Gathered:
    """What a review gathers by itself about the 90 days before the case."""

    start: dt.date
    end: dt.date
    place_events: list
    town_events: int
    organisation: OrganisationRow | None
    organisation_events: list
    warnings: WarningHistory
    downloads: list
    orders: list


async def gather(review_row: ReviewRow) -> Gathered:
    start, end = rules.lookback(review_row.occurred_on)
    window = {"from": start.isoformat(), "to": end.isoformat(), "status": "verified"}
    place = review_row.village_code or review_row.town_code
    place_events = await events.events(Scope(), {**window, "place": place}, limit=50)
    town_events = await events.count_events(Scope(), {**window, "place": review_row.town_code})
    org = await organisation(review_row.organisation_id) if review_row.organisation_id else None
    org_events = await outreach_at(org.id, start, end) if org else []
    case = await cases.case_by_id(review_row.case_id)
    phone_hash = case.victim_phone_hash if case else None
    warnings = await warning_history(phone_hash, start, end)
    users = await accounts.user_ids_in_units(
        [("town", review_row.town_code)]
        + ([("station", review_row.station_code)] if review_row.station_code else [])
    )
    downloads = await materials.downloads_by_users(users, start, end, limit=50)
    orders = await materials.orders_by_users(users, start, end, limit=50)
    return Gathered(
        start, end, place_events, town_events, org, org_events, warnings, downloads, orders
    )


async def set_review_organisation(
    review_row: ReviewRow, organisation_id: int | None, actor: CurrentUser, ip: str | None
) -> None:
    async with audited(actor, ip) as audit:
        await Review.update({Review.organisation_id: organisation_id}).where(
            Review.id == review_row.id
        )
        await audit.record(
            "review.organisation",
            f"review:{review_row.id}",
            _("倒查 %(no)s:设定受害人所在单位", no=review_row.case_no),
            {"organisation_id": organisation_id},
        )


async def save_findings(
    review_row: ReviewRow, findings: str, actor: CurrentUser, ip: str | None
) -> None:
    async with audited(actor, ip) as audit:
        await Review.update({Review.findings: findings}).where(Review.id == review_row.id)
        await audit.record(
            "review.findings",
            f"review:{review_row.id}",
            _("倒查 %(no)s:填写发现", no=review_row.case_no),
            {"findings": findings[:500]},
        )


async def add_action(
    review_row: ReviewRow, values: dict, actor: CurrentUser, ip: str | None
) -> int:
    async with audited(actor, ip) as audit:
        action_id = (
            await CorrectiveAction.insert(CorrectiveAction(review_id=review_row.id, **values))
        )[0]["id"]
        await audit.record(
            "review.action",
            f"review:{review_row.id}",
            _("倒查 %(no)s:新增整改措施", no=review_row.case_no),
            {k: str(v) for k, v in values.items()},
        )
    return action_id


async def close_review(
    review_row: ReviewRow, findings: str, note: str, actor: CurrentUser, ip: str | None
) -> None:
    async with audited(actor, ip) as audit:
        current = await existing_row(
            Review.select(Review.status).where(Review.id == review_row.id).first()
        )
        if current["status"] != rules.REVIEW_OPEN:
            raise ValueError(_("该倒查已结案"))
        await Review.update(
            {
                Review.status: rules.REVIEW_CLOSED,
                Review.findings: findings,
                Review.closing_note: note,
                Review.closed_at: now(),
                Review.closed_by_name: actor.display_name,
            }
        ).where(Review.id == review_row.id)
        await audit.record(
            "review.close",
            f"review:{review_row.id}",
            _("倒查 %(no)s 结案", no=review_row.case_no),
            {"findings": findings[:500], "note": note[:500]},
        )
