"""Reading and writing cases; every write keeps the units' last case days in the same transaction.

The functions under "For other modules" are the cases domain's public answers (streaks, contests,
bulletins and materials call them); they take plain arguments and return plain data.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count, Max, Min, Sum

from campaign import generations, jobs
from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases import day_index, rules
from campaign.cases.bulk import (  # noqa: F401  (the domain's public bulk writes)
    BulkWrite,
    ImportPlan,
    ImportSpill,
    Written,
    case_numbers,
    has_cases,
    plan_import,
    rebuilds_indexes,
    write_import,
    write_spill,
)
from campaign.cases.tables import Case, CaseDay, CaseUnit, FraudType, ImportJob, OccupationGroup
from campaign.db import chunks, contains, count_upto, existing_row, is_sqlite, select_in
from campaign.generations import CASES
from campaign.i18n import _
from campaign.regions import queries as regions
from campaign.regions.tables import Region, Station, StationTown
from campaign.rows import Row
from campaign.system import queries as system
from campaign.timeutil import today

LEVEL_COLUMNS = {"village": Case.village_code, "town": Case.town_code, "station": Case.station_code}
#: Announced through campaign.jobs with the (level, code) units whose cases changed (None: all of
#: them); the streaks domain refreshes its longest runs (subscribed in campaign/worker.py).
CASES_CHANGED = "cases.changed"
#: Past this many touched units the follow-ups cover every unit.
ANNOUNCE_ALL_ABOVE = 5_000


@dataclass(frozen=True, slots=True)
class CaseRow(Row):
    """A stored case; the names of its places where the query adds them (with_names)."""

    id: int
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
    victim_phone_hash: str | None
    victim_phone_masked: str | None
    is_demo: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    district_name: str | None = None
    town_name: str | None = None
    village_name: str | None = None
    station_name: str | None = None


@dataclass(frozen=True, slots=True)
class ListEntry(Row):
    """A fraud type or an occupation group, with how many cases use it where listed."""

    id: int
    name: str
    aliases: str
    sort_order: int
    active: bool = True
    cases: int = 0


@dataclass(frozen=True, slots=True)
class ImportJobRow(Row):
    id: int
    kind: str
    filename: str
    dry_run: bool
    status: str
    stage: str
    total: int
    done: int
    summary: dict
    errors: list
    upload_token: str | None
    created_by: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class QueuedImport(Row):
    id: int
    upload_token: str | None


@dataclass(frozen=True, slots=True)
class VictimPhone(Row):
    case_no: str
    occurred_on: dt.date
    victim_phone_hash: str


async def announce_changed_units(units: set[tuple[str, str]]) -> None:
    """After cases were written: tell the domains above which units changed (boards recompute
    from the cases until their follow-up job has run)."""
    if units:
        chosen = None if len(units) > ANNOUNCE_ALL_ABOVE else sorted(units)
        await jobs.announce(CASES_CHANGED, chosen)


async def seed_reference_lists() -> None:
    """The default fraud types and occupation groups, added once (admins may edit them later)."""
    if not await FraudType.exists():
        await FraudType.insert(
            *(
                FraudType(name=n, aliases=a, sort_order=i)
                for i, (n, a) in enumerate(rules.DEFAULT_FRAUD_TYPES)
            )
        )
    if not await OccupationGroup.exists():
        await OccupationGroup.insert(
            *(
                OccupationGroup(name=n, aliases=a, sort_order=i)
                for i, (n, a) in enumerate(rules.DEFAULT_OCCUPATION_GROUPS)
            )
        )


async def fraud_type_index() -> dict[str, str]:
    rows = await FraudType.select(FraudType.name, FraudType.aliases).where(FraudType.active == True)  # noqa: E712
    return rules.alias_index([(r["name"], r["aliases"]) for r in rows])


async def occupation_index() -> dict[str, str]:
    rows = await OccupationGroup.select(OccupationGroup.name, OccupationGroup.aliases)
    return rules.alias_index([(r["name"], r["aliases"]) for r in rows])


async def tracked_since() -> dt.date | None:
    """The administrator's tracking start, or None while it is not set."""
    value = await system.get_setting("tracked_since")
    return dt.date.fromisoformat(value) if value else None


# -- Single writes -------------------------------------------------------------------------------


def units_of(case: Mapping[str, Any]) -> set[tuple[str, str]]:
    units = {("town", case["town_code"])}
    if case.get("village_code"):
        units.add(("village", case["village_code"]))
    if case.get("station_code"):
        units.add(("station", case["station_code"]))
    return units


def _day_changes(case: Mapping[str, Any], delta: int) -> list[day_index.Change]:
    return [(level, code, case["occurred_on"], delta) for level, code in units_of(case)]


async def insert_case(values: dict) -> int:
    """Store a new case and move its units' case days, longest gaps and last case days in place,
    all with raw statements (day_index.add_case; on PostgreSQL one statement). Call inside
    write_transaction()."""
    found = await day_index.add_case(_day_changes(values, 1), day_index.insert_row(Case, values))
    return found[0]["id"]


async def update_case(case_id: int, values: dict) -> None:
    """Correct a case (its day or place may change): the old units lose a case on the old day,
    the new ones gain one on the new day; the UPDATE goes with the index's writes (alone when
    neither day nor place changed). Call inside write_transaction()."""
    old = await existing_row(_stored_for_write(case_id))
    changed = {**values, "updated_at": dt.datetime.now(dt.UTC)}
    await day_index.shift_days(
        _day_changes(old, -1) + _day_changes({**old, **values}, 1),
        also=day_index.update_row(Case, case_id, changed),
    )


async def delete_case(case_id: int) -> CaseRow | None:
    """Remove a case; its units lose a case on its day. Call inside write_transaction()."""
    old = await _stored_for_write(case_id)
    if old:
        await day_index.shift_days(_day_changes(old, -1), also=day_index.delete_row(Case, case_id))
    return CaseRow(**old) if old else None


async def _stored_for_write(case_id: int) -> dict | None:
    """The stored case about to change, locked on PostgreSQL until the transaction ends (two
    corrections of one case then move its case days one after the other, each from the row the
    other left); SQLite's writers are serialised already."""
    query = Case.select().where(Case.id == case_id)
    return await (query if is_sqlite() else query.lock_rows()).first()


# -- Write use cases: one transaction with its audit entry, then the follow-ups ------------------


def _audit_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


async def create_case(values: dict, actor: CurrentUser, ip: str | None) -> int:
    """Record a new case (values as stored) for `actor`; returns its id. The audit entry first:
    on PostgreSQL it then rides along with the case's one statement (campaign.db.ride), sent
    without a transaction around it (write_transaction's one_statement). With Redis the commit's
    generation bumps go with the follow-up job (generations.sent_with_next_job)."""
    async with generations.sent_with_next_job():
        async with audited(actor, ip, CASES, one_statement=True) as audit:
            await audit.record(
                "case.create",
                f"case:{values['case_no']}",
                _("登记案件 %(no)s", no=values["case_no"]),
                {"after": {k: _audit_value(v) for k, v in values.items()}},
            )
            case_id = await insert_case(values)
        await announce_changed_units(units_of(values))
    return case_id


async def correct_case(case: CaseRow, changes: dict, actor: CurrentUser, ip: str | None) -> None:
    """Change the fields `changes` of the stored `case` (its bumps go as create_case's do)."""
    case_no = changes.get("case_no", case["case_no"])
    async with generations.sent_with_next_job():
        async with audited(actor, ip, CASES) as audit:
            await audit.record(
                "case.update",
                f"case:{case_no}",
                _("修改案件 %(no)s", no=case_no),
                {
                    "before": {k: _audit_value(case[k]) for k in changes},
                    "after": {k: _audit_value(v) for k, v in changes.items()},
                },
            )
            await update_case(case["id"], changes)
        await announce_changed_units(units_of(case) | units_of({**case, **changes}))


async def remove_case(case: CaseRow, actor: CurrentUser, ip: str | None) -> None:
    """Delete the stored `case`."""
    async with generations.sent_with_next_job():
        async with audited(actor, ip, CASES) as audit:
            await audit.record(
                "case.delete",
                f"case:{case['case_no']}",
                _("删除案件 %(no)s", no=case["case_no"]),
                {"before": {k: _audit_value(case[k]) for k in rules.CASE_FIELDS}},
            )
            await delete_case(case["id"])
        await announce_changed_units(units_of(case))


async def save_list_entry(
    is_types: bool,
    audit_key: str,
    title: str,
    old: ListEntry | None,
    values: dict,
    actor: CurrentUser,
    ip: str | None,
) -> int:
    """Add (old None) or change a fraud type (is_types) or an occupation group."""
    async with audited(actor, ip, CASES) as audit:
        save = save_fraud_type if is_types else save_occupation_group
        entry_id = await save(old["id"] if old else None, values)
        await audit.record(
            f"{audit_key}.{'update' if old else 'create'}",
            f"{audit_key}:{entry_id}",
            _("%(list)s:%(name)s", list=title, name=values["name"]),
            {"before": {k: old[k] for k in values} if old else None, "after": values},
        )
    return entry_id


async def delete_list_entry(
    is_types: bool, audit_key: str, title: str, old: ListEntry, actor: CurrentUser, ip: str | None
) -> None:
    """Remove a fraud type or an occupation group (then regroup the cases)."""
    table = FraudType if is_types else OccupationGroup
    async with audited(actor, ip, CASES) as audit:
        await table.delete().where(table.id == old["id"])
        if not is_types:
            await refresh_occupation_groups()
        await audit.record(
            f"{audit_key}.delete",
            f"{audit_key}:{old['id']}",
            _("删除%(list)s:%(name)s", list=title, name=old["name"]),
            {"before": {"name": old["name"], "aliases": old["aliases"]}},
        )


# -- Import: what the file is checked against, and the bulk write -------------------------------


async def reference(region_codes: Collection[str] | None = None) -> rules.Reference:
    """The stored towns, villages, stations and lists a case file is validated against; a form
    names one place, so `region_codes` narrows the regions loaded to those codes."""
    where = [Region.level != "district"]
    if region_codes is not None:
        codes = {c for code in region_codes for c in (code, code[:9]) if c}
        where.append(Region.code.is_in(sorted(codes) or [""]))
    rows = await Region.select(
        Region.code, Region.level, Region.town_code, Region.district_code, Region.station_code
    ).where(*where)
    known = {
        r["code"]: rules.KnownRegion(
            r["level"], r["town_code"] or r["code"], r["district_code"], r["station_code"]
        )
        for r in rows
    }
    stations: dict[str, set[str]] = {r["code"]: set() for r in await Station.select(Station.code)}
    for link in await StationTown.select(StationTown.station_code, StationTown.town_code):
        stations.setdefault(link["station_code"], set()).add(link["town_code"])
    return rules.Reference(
        regions=known,
        stations={code: frozenset(towns) for code, towns in stations.items()},
        fraud_types=await fraud_type_index(),
        occupations=await occupation_index(),
        tracked_since=await tracked_since(),
        today=today(),
    )


async def victim_phones_since(day: dt.date) -> list[VictimPhone]:
    """Cases on or after `day` that carry a victim phone: case_no, occurred_on and the phone's
    keyed hash (for the warnings domain's 劝阻失败 matching; never the number itself)."""
    rows = await Case.select(Case.case_no, Case.occurred_on, Case.victim_phone_hash).where(
        Case.occurred_on >= day, Case.victim_phone_hash.is_not_null()
    )
    return [VictimPhone(**row) for row in rows]


async def refresh_case_days(level: str, codes: Collection[str] | None = None) -> None:
    """Rebuild the case-day index and the unit summaries of some units of a level (all when
    None) from the stored cases: after a bulk load that bypassed the write functions."""
    await day_index.rebuild_units(level, codes)


async def refresh_occupation_groups() -> int:
    """Regroup every case after the groups' aliases changed; returns how many cases moved."""
    index = await occupation_index()
    moved = 0
    for row in await Case.select(Case.victim_occupation, Case.occupation_group).distinct():
        group = rules.occupation_group(row["victim_occupation"], index)
        if group != row["occupation_group"]:
            where = (
                Case.victim_occupation.is_null()
                if row["victim_occupation"] is None
                else Case.victim_occupation == row["victim_occupation"]
            )
            moved += await Case.count().where(where)
            await Case.update({Case.occupation_group: group}).where(where)
    return moved


# -- Lists and detail for pages and the API --------------------------------------------------


def case_scope_where(scope: Scope) -> list:
    """The cases a scope sees, as SQL: the same rule as rules.case_in_scope."""
    if scope.is_city:
        return []
    if scope.kind == "district":
        return [Case.district_code == scope.code]
    if scope.kind == "town":
        return [Case.town_code == scope.code]
    own = Case.station_code == scope.code
    if not scope.towns:
        return [own]
    return [own | (Case.station_code.is_null() & Case.town_code.is_in(sorted(scope.towns)))]


def _case_where(scope: Scope, filters: dict) -> list:
    where = case_scope_where(scope)
    if district := filters.get("district"):
        where.append(Case.district_code == district)
    if town := filters.get("town"):
        where.append(Case.town_code == town)
    if fraud_type := filters.get("fraud_type"):
        where.append(Case.fraud_type == fraud_type)
    if group := filters.get("group"):
        where.append(Case.occupation_group == group)
    if start := filters.get("from"):
        where.append(Case.occurred_on >= start)
    if end := filters.get("to"):
        where.append(Case.occurred_on <= end)
    if q := filters.get("q"):
        where.append(contains(Case.case_no, q))
    return where


async def case_count(scope: Scope, filters: dict, cap: int | None = None) -> int:
    """The cases in scope matching the filters; with `cap`, counted no further than cap + 1."""
    if cap is not None:
        return await count_upto(Case.select(Case.id).where(*_case_where(scope, filters)), cap)
    return await Case.count().where(*_case_where(scope, filters))


async def cases(
    scope: Scope, filters: dict, offset: int = 0, limit: int | None = 50
) -> list[CaseRow]:
    """Cases in scope matching the filters, newest first, with the names of their places.
    A page's ids are found first and its rows read after: ordered by day, then id, the ids
    come from an index alone (the bulletin's covers the unfiltered list and most filters),
    where the rows themselves would be read for the whole of the newest day to sort it —
    2,700 at 10^6 cases a year, 6.5 instead of 0.45 ms on SQLite."""

    def newest_first(query):
        return query.order_by(Case.occurred_on, ascending=False).order_by(Case.id, ascending=False)

    query = Case.select()
    if limit is not None:
        page = newest_first(Case.select(Case.id).where(*_case_where(scope, filters)))
        query = query.where(Case.id.is_in(page.offset(offset).limit(limit)))
    else:
        query = query.where(*_case_where(scope, filters))
    return await with_names(await newest_first(query))


async def with_names(rows: list[dict]) -> list[CaseRow]:
    """The stored cases with district_name, town_name, village_name and station_name."""
    names = await regions.names_of(
        {r[k] for r in rows for k in ("district_code", "town_code", "village_code", "station_code")}
    )

    def name(code: str | None) -> str | None:
        return names.get(code, code) if code else None

    return [
        CaseRow(
            **row,
            district_name=name(row["district_code"]),
            town_name=name(row["town_code"]),
            village_name=name(row["village_code"]),
            station_name=name(row["station_code"]),
        )
        for row in rows
    ]


async def case_by_id(case_id: int) -> CaseRow | None:
    row = await Case.select().where(Case.id == case_id).first()
    return (await with_names([row]))[0] if row else None


async def case_no_taken(case_no: str, except_id: int | None = None) -> bool:
    where: Combinable = Case.case_no == case_no
    if except_id is not None:
        where &= Case.id != except_id
    return await Case.exists().where(where)


async def towns_in(scope: Scope, district: str | None = None) -> list[regions.Unit]:
    """Towns to offer in a filter: those the scope covers, optionally of one district."""
    rows = await regions.regions(scope, {"level": "town", "parent": district or ""}, limit=None)
    return [regions.Unit(r["code"], r["name"]) for r in rows]


async def fraud_type_names(active_only: bool = False) -> list[str]:
    query = FraudType.select(FraudType.name).order_by(FraudType.sort_order).order_by(FraudType.id)
    if active_only:
        query = query.where(FraudType.active == True)  # noqa: E712
    return [r["name"] for r in await query]


async def occupation_group_names() -> list[str]:
    rows = await OccupationGroup.select(OccupationGroup.name).order_by(OccupationGroup.sort_order)
    names = [r["name"] for r in rows]
    return names if rules.OTHER in names else [*names, rules.OTHER]


async def recent_cases(scope: Scope, since: dt.date, limit: int = 6) -> tuple[int, list[CaseRow]]:
    """How many cases in scope since a day, and the latest few of them."""
    filters = {"from": since}
    return await case_count(scope, filters), await cases(scope, filters, 0, limit)


# -- Reference lists -----------------------------------------------------------------------------


async def fraud_types() -> list[ListEntry]:
    """Every fraud type with how many cases use it."""
    used = {
        r["fraud_type"]: r["n"]
        for r in await Case.select(Case.fraud_type, Count(alias="n")).group_by(Case.fraud_type)
    }
    rows = await FraudType.select().order_by(FraudType.sort_order).order_by(FraudType.id)
    return [ListEntry(**row, cases=used.get(row["name"], 0)) for row in rows]


async def fraud_type(type_id: int) -> ListEntry | None:
    row = await FraudType.select().where(FraudType.id == type_id).first()
    return ListEntry(**row) if row else None


async def occupation_groups() -> list[ListEntry]:
    used = {
        r["occupation_group"]: r["n"]
        for r in await Case.select(Case.occupation_group, Count(alias="n")).group_by(
            Case.occupation_group
        )
    }
    rows = (
        await OccupationGroup.select()
        .order_by(OccupationGroup.sort_order)
        .order_by(OccupationGroup.id)
    )
    return [ListEntry(**row, cases=used.get(row["name"], 0)) for row in rows]


async def occupation_group(group_id: int) -> ListEntry | None:
    row = await OccupationGroup.select().where(OccupationGroup.id == group_id).first()
    return ListEntry(**row) if row else None


async def save_fraud_type(type_id: int | None, values: dict) -> int:
    """Add or change a fraud type; a rename carries its cases along. Inside write_transaction()."""
    if type_id is None:
        last = await FraudType.select(Max(FraudType.sort_order).as_alias("n")).first()
        inserted = await FraudType.insert(
            FraudType(**values, sort_order=(last["n"] or 0) + 1 if last else 0)
        )
        return inserted[0]["id"]
    old = await fraud_type(type_id)
    await FraudType.update({getattr(FraudType, k): v for k, v in values.items()}).where(
        FraudType.id == type_id
    )
    if old and values.get("name") and values["name"] != old["name"]:
        await Case.update({Case.fraud_type: values["name"]}).where(Case.fraud_type == old["name"])
    return type_id


async def save_occupation_group(group_id: int | None, values: dict) -> int:
    """Add or change an occupation group, then regroup the cases. Inside write_transaction()."""
    if group_id is None:
        last = await OccupationGroup.select(Max(OccupationGroup.sort_order).as_alias("n")).first()
        inserted = await OccupationGroup.insert(
            OccupationGroup(**values, sort_order=(last["n"] or 0) + 1 if last else 0)
        )
        group_id = inserted[0]["id"]
    else:
        await OccupationGroup.update(
            {getattr(OccupationGroup, k): v for k, v in values.items()}
        ).where(OccupationGroup.id == group_id)
    await refresh_occupation_groups()
    return group_id


# -- Import jobs ---------------------------------------------------------------------------------


async def create_import_job(values: dict) -> int:
    return (await ImportJob.insert(ImportJob(**values)))[0]["id"]


async def import_job(job_id: int) -> ImportJobRow | None:
    row = await ImportJob.select().where(ImportJob.id == job_id).output(load_json=True).first()
    return ImportJobRow(**row) if row else None


async def import_jobs_with_status(statuses: tuple[str, ...]) -> list[QueuedImport]:
    rows = await ImportJob.select(ImportJob.id, ImportJob.upload_token).where(
        ImportJob.status.is_in(list(statuses))
    )
    return [QueuedImport(**row) for row in rows]


async def update_import_job(job_id: int, **values) -> None:
    await ImportJob.update({getattr(ImportJob, k): v for k, v in values.items()}).where(
        ImportJob.id == job_id
    )


# -- For other modules (streaks, contests, bulletins, materials) -------------------------------


def _level_column(level: str):
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"level must be village, town or station, not {level!r}")
    return LEVEL_COLUMNS[level]


def unit_case_where(level: str, code: str, town_code: str | None) -> list:
    """The conditions that select a unit's cases on an index. Villages have none of their own:
    their cases are read inside their town's (`town_code`, the village's region's) (town_code,
    occurred_on, village_code) index."""
    column = _level_column(level)
    return [Case.town_code == town_code, column == code] if level == "village" else [column == code]


async def _grouped(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None, *selected, group=()
) -> list[dict]:
    column = _level_column(level)
    where = [Case.occurred_on >= start, Case.occurred_on <= end, column.is_not_null()]

    def query(*extra):
        select = Case.select(column.as_alias("code"), *selected).where(*where, *extra)
        return select.group_by(column, *group)

    return await select_in(query, column, codes)


async def case_days_by_unit(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, list[dt.date]]:
    """{unit code: the distinct days in [start, end] on which the unit had a case, ascending}.

    level is "village" (cases coded to the village), "town" (every case in the town) or "station"
    (every case whose station it is) — the counting rules of docs/definitions.md. Units without a case in the
    period are absent. `codes` limits the answer to those units (any number; queried in chunks).
    For streak history, heat maps and longest runs."""
    _level_column(level)
    where = [CaseDay.level == level, CaseDay.day >= start, CaseDay.day <= end]

    def query(*extra):
        return CaseDay.select(CaseDay.code, CaseDay.day).where(*where, *extra)

    rows = await select_in(query, CaseDay.code, codes)
    days: dict[str, list[dt.date]] = {}
    for row in rows:
        days.setdefault(row["code"], []).append(row["day"])
    for value in days.values():
        value.sort()
    return days


async def last_case_days_changed_since(level: str, as_of: dt.date) -> dict[str, dt.date | None]:
    """{unit code: its last case day on or before `as_of` (None: none)} for the units that had a
    case after `as_of` — every other unit's last case day as of then is its stored last_case_on.
    Reads the one CaseDay row per unit that spans `as_of` (its previous_day) on the
    (level, gap, day) index, one range per gap length: the rows read are the rows returned."""
    return dict(await units_hit_after(level, as_of, None, per_gap=True))


async def units_hit_after(
    level: str,
    as_of: dt.date,
    min_gap: int | None,
    limit: int | None = None,
    per_gap: bool = False,
) -> list[tuple[str, dt.date | None]]:
    """(code, last case day on or before `as_of`, None: none) of units with a case after
    `as_of`: every unit whose first case came after it, and those whose last case day then lies
    at least `min_gap` days back (None: all) — of these only the `limit` with the earliest day
    when given. Such a unit has a case-free gap of at least `min_gap` days around `as_of`, so a
    board page as of a past day reads only the long gaps: on the (level, gap, day) index, the
    rows read shrink with `min_gap`. `per_gap`: as _hits_after."""
    sql, args = _hits_after(level, as_of, min_gap, limit, counting=False, per_gap=per_gap)
    return [(row["code"], _as_date(row["previous_day"])) for row in await CaseDay.raw(sql, *args)]


async def hit_days_after(
    level: str, as_of: dt.date, min_gap: int | None
) -> dict[dt.date | None, int]:
    """How many of units_hit_after's units have each last case day as of `as_of`: what a rank
    needs, counted by the database (a town board's rank arrows would otherwise read every town
    hit since the day)."""
    sql, args = _hits_after(level, as_of, min_gap, None, counting=True)
    rows = await CaseDay.raw(
        f"SELECT previous_day, COUNT(*) AS n FROM ({sql}) hit GROUP BY previous_day", *args
    )
    return {_as_date(row["previous_day"]): row["n"] for row in rows}


def _hits_after(
    level: str,
    as_of: dt.date,
    min_gap: int | None,
    limit: int | None,
    counting: bool,
    per_gap: bool = False,
) -> tuple[str, list]:
    """units_hit_after's statement: the units whose first case came after as_of (previous_day
    NULL), then the rows that span as_of with a long enough gap. `counting`: without the code,
    and on SQLite the previous day from the index (day - gap - 1), so that no row is read.
    SQLite, and PostgreSQL with `per_gap`, read one index range per gap length."""
    _level_column(level)
    name = CaseDay._meta.tablename
    sqlite = is_sqlite()
    hint = " INDEXED BY case_day_gap" if sqlite else ""
    code, span_code = ("", "") if counting else ("code, ", "c.code AS code, ")
    previous = (
        "date(c.day, '-' || (c.gap + 1) || ' days')" if counting and sqlite else "c.previous_day"
    )
    first = (
        f'SELECT {code}NULL AS previous_day FROM "{name}"{hint} '
        "WHERE level = {} AND gap IS NULL AND day > {}"
    )
    gap = min_gap or 0
    first_days = "" if limit is None else f" ORDER BY previous_day, code LIMIT {int(limit)}"
    if sqlite or per_gap:
        # The row that spans as_of with a gap of v days ends within v + 1 - gap days after it:
        # one index range per gap length, so only the rows returned are read (SQLite's planner,
        # without statistics, would read every long gap ever, or every case day since as_of).
        until = (
            "date({}, '+' || (g.v + 1 - {}) || ' days')"
            if sqlite
            else "CAST({} AS DATE) + (g.v + 1 - {})"
        )
        return (
            "WITH RECURSIVE g(v) AS (SELECT CAST({} AS INTEGER) UNION ALL SELECT v + 1 FROM g "
            f'WHERE v < (SELECT MAX(gap) FROM "{name}" WHERE level = {{}})) '
            f"{first} UNION ALL SELECT * FROM ("
            f"SELECT {span_code}{previous} AS previous_day "
            f'FROM g {"CROSS JOIN" if sqlite else "JOIN"} "{name}" c'
            f"{hint} ON c.level = {{}} AND c.gap = g.v AND c.day > {{}} "
            f"AND c.day <= {until}"
            f"{first_days}) spanning",
            [gap, level, level, as_of, level, as_of, as_of, gap],
        )
    return (
        f'{first} UNION ALL (SELECT {code}previous_day FROM "{name}" WHERE level = {{}} '
        f"AND gap >= {{}} AND previous_day <= {{}} AND day > {{}}{first_days})",
        [level, as_of, level, gap, as_of - dt.timedelta(days=gap), as_of],
    )


async def last_case_days_of(
    level: str, as_of: dt.date, codes: Collection[str]
) -> dict[str, dt.date | None]:
    """{code: last case day on or before `as_of` (None: none)} of some units that had a case
    after `as_of`: the previous day of each one's first case day after it."""
    _level_column(level)
    found: dict[str, dt.date | None] = {}
    for chunk in chunks(sorted(codes)):
        for row in await CaseDay.select(CaseDay.code, CaseDay.previous_day).where(
            CaseDay.level == level,
            CaseDay.code.is_in(chunk),
            CaseDay.day > as_of,
            CaseDay.previous_day.is_null() | (CaseDay.previous_day <= as_of),
        ):
            found[row["code"]] = row["previous_day"]
    return found


async def any_case_day_before(level: str, day: dt.date) -> bool:
    """Whether some unit of the level had a case before `day`: a probe on the unit summaries'
    (level, first_day) index, written with literals (a known level, a date) so that
    PostgreSQL's generic plan for a prepared statement cannot turn it into a scan (see
    streaks.queries._on_fast_path)."""
    _level_column(level)
    rows = await CaseUnit.raw(
        f"SELECT 1 AS hit FROM \"{CaseUnit._meta.tablename}\" WHERE level = '{level}' "
        f"AND first_day < '{day.isoformat()}' LIMIT 1"
    )
    return bool(rows)


@dataclass(frozen=True, slots=True)
class UnitGaps:
    """What a unit's longest closed run as of a day is made of (streaks.rules.closed_best_of):
    its first case day on or after tracking start, and its longest gap between two case days in
    [tracked start, as_of] (most recent among equals) with the day that ended it."""

    first_day: dt.date | None
    gap: int
    gap_end: dt.date | None


async def unit_gaps(
    level: str, since: dt.date, as_of: dt.date, codes: Collection[str]
) -> dict[str, UnitGaps]:
    """UnitGaps of some units (a board page) from the CaseDay index; units without a case day in
    [since, as_of] are absent."""
    _level_column(level)
    name = CaseDay._meta.tablename
    result: dict[str, UnitGaps] = {}
    ordered = sorted(set(codes))
    for i in range(0, len(ordered), 1_000):
        chunk = ordered[i : i + 1_000]
        marks = ", ".join("{}" for _ in chunk)
        unit = f"level = '{level}' AND code IN ({marks})"
        firsts = await CaseDay.raw(
            f'SELECT code, MIN(day) AS day FROM "{name}" WHERE {unit} '
            "AND day >= {} AND day <= {} GROUP BY code",
            *chunk,
            since,
            as_of,
        )
        gaps = await CaseDay.raw(
            longest_gaps_between(level, len(chunk)), *chunk, since, as_of, *chunk, since, as_of
        )
        best = {row["code"]: (row["gap"], _as_date(row["day"])) for row in gaps}
        for row in firsts:
            gap, end = best.get(row["code"], (0, None))
            result[row["code"]] = UnitGaps(_as_date(row["day"]), gap, end)
    return result


def longest_gaps_between(level: str, units: int) -> str:
    """unit_gaps' statement for `units` codes (Piccolo's placeholders: the codes, since and
    as_of, twice): each unit's longest gap in the window, and the latest day that ended one so
    long. SQLite is told the units' own index: without statistics its planner took the `gap > 0`
    to the (level, gap, day) index and read every gap of the level (a province's villages:
    ~850,000 rows, 1.4 s for a past day's board)."""
    name = CaseDay._meta.tablename
    hint = " INDEXED BY case_day_unit" if is_sqlite() else ""
    marks = ", ".join("{}" for _ in range(units))

    def inner(t: str) -> str:
        return (
            f"{t}level = '{level}' AND {t}code IN ({marks}) AND {t}previous_day >= {{}} "
            f"AND {t}day <= {{}} AND {t}gap > 0"
        )

    return (
        f'SELECT c.code AS code, c.gap AS gap, MAX(c.day) AS day FROM "{name}" c{hint} JOIN '
        f'(SELECT code, MAX(gap) AS gap FROM "{name}"{hint} WHERE {inner("")} '
        f"GROUP BY code) b ON c.code = b.code AND c.gap = b.gap "
        f"WHERE {inner('c.')} GROUP BY c.code, c.gap"
    )


async def unit_bests(
    level: str, since: dt.date, as_of: dt.date, codes: Collection[str] | None
) -> dict[str, UnitGaps]:
    """unit_gaps read from the maintained CaseUnit rows (one indexed row per unit, no grouping):
    exact for every unit whose case days all lie on or after `since` and whose longest gap
    ended by `as_of` (then it is also the longest up to `as_of`, and the latest of equals) — on
    today's boards every unit unless tracking start was moved past some units' first cases, on
    a past day most; the others are answered by unit_gaps."""
    _level_column(level)

    def query(*extra):
        return CaseUnit.select(
            CaseUnit.code,
            CaseUnit.first_day,
            CaseUnit.last_day,
            CaseUnit.best_gap,
            CaseUnit.best_gap_end,
        ).where(CaseUnit.level == level, *extra)

    result: dict[str, UnitGaps] = {}
    others = []
    for row in await select_in(query, CaseUnit.code, codes):
        first, end = row["first_day"], row["best_gap_end"]
        if first < since:
            others.append(row["code"])
        elif first > as_of:
            continue  # no case day by as_of: absent, as from unit_gaps
        elif row["last_day"] <= as_of or end is None or end <= as_of:
            result[row["code"]] = UnitGaps(first, row["best_gap"], end)
        else:
            others.append(row["code"])
    if others:
        result.update(await unit_gaps(level, since, as_of, others))
    return result


def _as_date(value) -> dt.date | None:
    """Raw SQLite aggregates of date columns come back as ISO text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


async def case_counts(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, int]:
    """{unit code: number of cases in [start, end]} at village, town or station level (docs/definitions.md
    counting); units without cases are absent. For contest metrics (cases, 环比, 同比, per 10,000)."""
    rows = await _grouped(level, start, end, codes, Count(alias="n"))
    return {row["code"]: row["n"] for row in rows}


async def loss_totals(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, int]:
    """{unit code: total loss in fen of its cases in [start, end]}; units without cases absent."""
    rows = await _grouped(level, start, end, codes, Sum(Case.loss_fen, alias="fen"))
    return {row["code"]: int(row["fen"] or 0) for row in rows}


async def earliest_case_day() -> dt.date | None:
    """The day of the earliest case stored: `tracked_since` until an administrator sets it."""
    row = await Case.select(Min(Case.occurred_on).as_alias("day")).first()
    day = row["day"] if row else None
    return (
        dt.date.fromisoformat(day) if isinstance(day, str) else day
    )  # SQLite: aggregates are text


@dataclass(frozen=True, slots=True)
class CaseFigure(Row):
    """Cases and loss of one fraud type or occupation group in a period."""

    name: str
    cases: int
    loss_fen: int


@dataclass(frozen=True, slots=True)
class DistrictFigure(Row):
    code: str
    name: str
    cases: int
    loss_fen: int


@dataclass(frozen=True, slots=True)
class WeeklySummary(Row):
    """Cases in a period within a scope; each list most cases first."""

    start: dt.date
    end: dt.date
    cases: int
    loss_fen: int
    by_fraud_type: tuple[CaseFigure, ...]
    by_occupation_group: tuple[CaseFigure, ...]
    by_district: tuple[DistrictFigure, ...]


async def weekly_summary(start: dt.date, end: dt.date, scope: Scope | None = None) -> WeeklySummary:
    """Cases in [start, end] within a scope (default the city), for bulletins and materials, by
    fraud type, by victim occupation group and by district (most cases first)."""
    where = [
        Case.occurred_on >= start,
        Case.occurred_on <= end,
        *case_scope_where(scope or Scope()),
    ]

    async def by(column) -> list[dict]:
        rows = await (
            Case.select(
                column.as_alias("key"), Count(alias="cases"), Sum(Case.loss_fen, alias="fen")
            )
            .where(*where)
            .group_by(column)
        )
        items = [
            {"key": r["key"], "cases": r["cases"], "loss_fen": int(r["fen"] or 0)} for r in rows
        ]
        return sorted(items, key=lambda item: (-item["cases"], item["key"]))

    types = await by(Case.fraud_type)
    groups = await by(Case.occupation_group)
    districts = await by(Case.district_code)
    names = await regions.names_of([d["key"] for d in districts])
    return WeeklySummary(
        start=start,
        end=end,
        cases=sum(t["cases"] for t in types),
        loss_fen=sum(t["loss_fen"] for t in types),
        by_fraud_type=tuple(CaseFigure(t["key"], t["cases"], t["loss_fen"]) for t in types),
        by_occupation_group=tuple(CaseFigure(g["key"], g["cases"], g["loss_fen"]) for g in groups),
        by_district=tuple(
            DistrictFigure(d["key"], names.get(d["key"], d["key"]), d["cases"], d["loss_fen"])
            for d in districts
        ),
    )


async def home_card(user_scope: Scope, day: dt.date) -> dict:
    """The home card of a coordinator or administrator: this week's cases in their area."""
    monday = day - dt.timedelta(days=day.weekday())
    count, latest = await recent_cases(user_scope, monday, limit=5)
    loss = await Case.select(Sum(Case.loss_fen, alias="fen")).where(
        Case.occurred_on >= monday, *case_scope_where(user_scope)
    )
    return {
        "template": "cases/_home_card.html",
        "week_start": monday,
        "week_cases": count,
        "week_loss_fen": int((loss[0]["fen"] if loss else 0) or 0),
        "latest_cases": latest,
    }


@dataclass(frozen=True, slots=True)
class WeekBreakdown:
    """One week's cases for the weekly bulletin: per fraud type, per occupation group and per
    victim age (None = age not recorded)."""

    types: dict[str, int] = field(default_factory=dict)
    occupations: dict[str, int] = field(default_factory=dict)
    ages: dict[int | None, int] = field(default_factory=dict)


#: What weekly_totals groups by: a town, or its district.
WEEK_UNITS = {"town": "town_code", "district": "district_code"}


def _weeks_sql(first: dt.date, weeks: int) -> tuple[str, str]:
    """SQL for the number of a case's week counted from `first` (0, 1 …) and for the range of
    the weeks. Literal dates on purpose: as a prepared statement PostgreSQL may switch to a
    generic plan that cannot see how narrow the range is."""
    end = first + dt.timedelta(days=7 * weeks - 1)
    if is_sqlite():
        number = f"CAST((julianday(occurred_on) - julianday('{first.isoformat()}')) / 7 AS INTEGER)"
    else:
        number = f"(occurred_on - DATE '{first.isoformat()}') / 7"
    return number, f"occurred_on >= '{first.isoformat()}' AND occurred_on <= '{end.isoformat()}'"


@dataclass(frozen=True, slots=True)
class WeeklyTotals:
    """Cases and loss (fen) per unit in consecutive weeks, oldest first: {unit code: [per week]};
    units without a case in any of the weeks are absent."""

    cases: dict[str, list[int]]
    loss_fen: dict[str, list[int]]


async def weekly_totals(unit: str, first: dt.date, weeks: int, parts: int = 1) -> WeeklyTotals:
    """Cases and loss per district or town in each of `weeks` weeks from `first`: grouped reads
    of the day-keyed index (campaign/reports' bulletin_case_week covers it: no case row is
    visited), `parts` of them at once on their own connections, each over a slice of the weeks,
    so PostgreSQL scans the slices on separate cores."""
    column = WEEK_UNITS[unit]
    size = -(-weeks // parts)
    slices = [(start, min(size, weeks - start)) for start in range(0, weeks, size)]

    async def read(offset: int, count: int) -> list[dict]:
        number, where = _weeks_sql(first + dt.timedelta(weeks=offset), count)
        return await Case.raw(
            f"SELECT {offset} + {number} AS w, {column} AS code, COUNT(*) AS n, "
            f'SUM(loss_fen) AS fen FROM "case" WHERE {where} GROUP BY {number}, {column}'
        )

    totals = WeeklyTotals({}, {})
    for rows in await asyncio.gather(*(read(offset, count) for offset, count in slices)):
        for row in rows:
            code, week = row["code"], row["w"]
            if code not in totals.cases:
                totals.cases[code], totals.loss_fen[code] = [0] * weeks, [0] * weeks
            totals.cases[code][week] = row["n"]
            totals.loss_fen[code][week] = int(row["fen"] or 0)
    return totals


async def week_breakdowns(first: dt.date, weeks: int) -> list[WeekBreakdown]:
    """For each of `weeks` consecutive weeks from `first`: cases per fraud type, occupation group
    and victim age — one grouped read of the day-keyed index by all three (a few thousand
    combinations at most), summed here."""
    number, where = _weeks_sql(first, weeks)
    rows = await Case.raw(
        f"SELECT {number} AS w, fraud_type AS t, occupation_group AS o, victim_age AS a, "
        f'COUNT(*) AS n FROM "case" WHERE {where} '
        f"GROUP BY {number}, fraud_type, occupation_group, victim_age"
    )
    result = [WeekBreakdown() for _ in range(weeks)]
    for row in rows:
        week, n = result[row["w"]], row["n"]
        week.types[row["t"]] = week.types.get(row["t"], 0) + n
        week.occupations[row["o"]] = week.occupations.get(row["o"], 0) + n
        week.ages[row["a"]] = week.ages.get(row["a"], 0) + n
    return result


async def top_towns(start: dt.date, end: dt.date, n: int) -> list[tuple[str, int, int]]:
    """The n towns with most cases in [start, end], ties by more loss then code: (code, cases,
    loss in fen)."""
    rows = await Case.raw(
        'SELECT town_code AS code, COUNT(*) AS n, SUM(loss_fen) AS fen FROM "case" '
        f"WHERE occurred_on >= '{start.isoformat()}' AND occurred_on <= '{end.isoformat()}' "
        f"GROUP BY town_code ORDER BY n DESC, fen DESC, town_code LIMIT {int(n)}"
    )
    return [(r["code"], r["n"], int(r["fen"] or 0)) for r in rows]


async def largest_losses(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, int]:
    """{unit code: the largest single-case loss in fen in [start, end]}; units without cases
    absent. For the assessment's red line on major cases."""
    rows = await _grouped(level, start, end, codes, Max(Case.loss_fen).as_alias("fen"))
    return {row["code"]: int(row["fen"] or 0) for row in rows}


async def cases_written_since(since: dt.datetime | None, min_loss_fen: int) -> list[CaseRow]:
    """Cases created or changed since the moment (all when None) with a loss of at least
    min_loss_fen: what the accountability reviews sweep picks up after every case write."""
    where = [Case.loss_fen >= max(min_loss_fen, 1)]
    if since is not None:
        where.append(Case.updated_at >= since)
    return [CaseRow(**row) for row in await Case.select().where(*where).order_by(Case.id)]


async def case_by_no(case_no: str) -> CaseRow | None:
    row = await Case.select().where(Case.case_no == case_no).first()
    return CaseRow(**row) if row else None
