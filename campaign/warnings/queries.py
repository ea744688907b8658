"""Reading and writing warnings: intake (file and API), the boards, the response clock, results,
figures, and the interfaces other domains call (contests, bulletins, the home dashboard).

Every write use case is one function: one write transaction, its board events and its audit
entry inside it; the live boards are told after the commit (campaign.warnings.live)."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from piccolo.columns import Column
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from campaign.accounts.audit import Audit, audited
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases import queries as cases
from campaign.cases.rules import Reference
from campaign.db import (
    chunks,
    count_upto,
    insert_many,
    insert_returning,
    read_transaction,
    select_in,
    write_transaction,
)
from campaign.generations import WARNINGS
from campaign.i18n import _
from campaign.regions import queries as regions
from campaign.rows import Row
from campaign.system import queries as system
from campaign.timeutil import local, today
from campaign.warnings import live, rules
from campaign.warnings.rules import WarningFacts, WarningFigures
from campaign.warnings.tables import BoardEvent, ContactAttempt, Warning

IN_CHUNK = 500
LEVEL_COLUMNS = {
    "station": Warning.station_code,
    "town": Warning.town_code,
    "district": Warning.district_code,
    "village": Warning.village_code,
}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@overload
def _aware(value: dt.datetime) -> dt.datetime: ...
@overload
def _aware(value: None) -> None: ...
def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp with its zone (SQLite may hand it back naive, meaning UTC)."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# -- Rows at the seams ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WarningSummary:
    """A warning as other domains see it (NOTICE interface)."""

    id: int
    warning_no: str
    issued_at: dt.datetime
    risk_level: str
    station_code: str | None
    status: str
    outcome: str | None
    amount_stopped_fen: int
    closed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class WarningRow:
    """A warning as a board, a detail page or the API shows it: the phone only masked."""

    id: int
    warning_no: str
    issued_at: dt.datetime
    risk_level: str
    phone_masked: str
    region_code: str | None
    village_code: str | None
    town_code: str | None
    district_code: str | None
    address: str
    station_code: str | None
    fraud_type: str
    amount_fen: int | None
    channel: str
    status: str
    acknowledged_at: dt.datetime | None
    acknowledged_by: str
    first_contact_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str
    officer_name: str
    auxiliary_name: str
    grid_worker_name: str
    contact_method: str
    outcome: str | None
    amount_stopped_fen: int
    notes: str
    failed_case_no: str | None
    ack_overdue: bool
    contact_overdue: bool
    is_demo: bool
    place_name: str = ""
    station_name: str = ""

    @property
    def is_open(self) -> bool:
        return self.status != rules.CLOSED

    @property
    def overdue(self) -> bool:
        return self.ack_overdue or self.contact_overdue

    @classmethod
    def just_stored(cls, warning_id: int, record: rules.WarningRecord) -> WarningRow:
        """A warning as store_warnings has just inserted it (no response yet), without reading
        it back: a push answers hundreds of these a second."""
        return cls(
            id=warning_id,
            **{name: getattr(record, name) for name in _RECORD_FIELDS},
            issued_at=_aware(record.issued_at),
            status=rules.NEW,
            acknowledged_at=None,
            acknowledged_by="",
            first_contact_at=None,
            closed_at=None,
            closed_by="",
            officer_name="",
            auxiliary_name="",
            grid_worker_name="",
            contact_method="",
            outcome=None,
            amount_stopped_fen=0,
            notes="",
            failed_case_no=None,
            ack_overdue=False,
            contact_overdue=False,
            is_demo=False,
        )

    def as_mapping(self) -> dict:
        return {
            "station_code": self.station_code,
            "town_code": self.town_code,
            "district_code": self.district_code,
        }

    def api(self) -> dict:
        """The API's view: the same fields a page shows, never the phone number itself."""
        return {
            "id": self.id,
            "warning_id": self.warning_no,
            "issued_at": local(self.issued_at).isoformat(),
            "risk_level": self.risk_level,
            "phone_masked": self.phone_masked,
            "region_code": self.region_code,
            "town_code": self.town_code,
            "district_code": self.district_code,
            "address": self.address,
            "station_code": self.station_code,
            "queue": "station" if self.station_code else "unassigned",
            "fraud_type": self.fraud_type,
            "amount_yuan": None if self.amount_fen is None else self.amount_fen / 100,
            "channel": self.channel,
            "status": self.status,
            "outcome": self.outcome,
            "amount_stopped_yuan": self.amount_stopped_fen / 100,
        }


_ROW_FIELDS = [name for name in WarningRow.__slots__ if name not in ("place_name", "station_name")]
#: The row's fields a WarningRecord sets (issued_at is normalised separately).
_RECORD_FIELDS = (
    "warning_no",
    "risk_level",
    "phone_masked",
    "region_code",
    "village_code",
    "town_code",
    "district_code",
    "address",
    "station_code",
    "fraud_type",
    "amount_fen",
    "channel",
)
_ROW_COLUMNS = [getattr(Warning, name) for name in _ROW_FIELDS]


def _row(data: dict, names: dict[str, str] | None = None) -> WarningRow:
    values = {name: data[name] for name in _ROW_FIELDS}
    for name in ("issued_at", "acknowledged_at", "first_contact_at", "closed_at"):
        values[name] = _aware(values[name])
    names = names or {}
    place = names.get(data["village_code"] or "") or names.get(data["town_code"] or "") or ""
    return WarningRow(
        **values, place_name=place, station_name=names.get(data["station_code"] or "", "")
    )


async def _rows(data: list[dict]) -> list[WarningRow]:
    codes = {d[k] for d in data for k in ("village_code", "town_code", "station_code") if d[k]}
    names = await regions.names_of(codes)
    return [_row(d, names) for d in data]


async def warning(warning_id: int) -> WarningRow | None:
    async with read_transaction():
        data = await Warning.select(*_ROW_COLUMNS).where(Warning.id == warning_id).first()
        return (await _rows([data]))[0] if data else None


async def warnings_by_no(numbers: Sequence[str]) -> list[WarningRow]:
    data: list[dict] = []
    for chunk in chunks(numbers, IN_CHUNK):
        data += await Warning.select(*_ROW_COLUMNS).where(Warning.warning_no.is_in(chunk))
    return await _rows(data)


async def warnings_by_ids(ids: Collection[int]) -> dict[int, WarningRow]:
    """The warnings of a batch of board events (a process's feed), by id."""
    async with read_transaction():
        data = await select_in(
            lambda *where: Warning.select(*_ROW_COLUMNS).where(*where), Warning.id, ids
        )
        return {row.id: row for row in await _rows(data)}


@dataclass(frozen=True, slots=True)
class AttemptRow(Row):
    """One call, SMS or visit made to reach the person."""

    at: dt.datetime
    method: str
    by_name: str
    reached: bool
    result: str


async def attempts_of(warning_id: int) -> list[AttemptRow]:
    rows = (
        await ContactAttempt.select(
            ContactAttempt.at,
            ContactAttempt.method,
            ContactAttempt.by_name,
            ContactAttempt.reached,
            ContactAttempt.result,
        )
        .where(ContactAttempt.warning_id == warning_id)
        .order_by(ContactAttempt.at)
    )
    return [AttemptRow(**{**r, "at": _aware(r["at"])}) for r in rows]


# -- Jurisdiction as SQL (rules.in_scope) --------------------------------------------------------


def scope_where(scope: Scope) -> list:
    if scope.is_city:
        return []
    if scope.kind == "station":
        return [Warning.station_code == scope.code]
    if scope.kind == "town":
        return [Warning.town_code == scope.code]
    if scope.kind == "district":
        return [Warning.district_code == scope.code]
    return [Warning.id == -1]


# -- Intake --------------------------------------------------------------------------------------


async def reference(region_codes: Collection[str] | None = None) -> Reference:
    """The stored places, stations and fraud types a warning is checked and dispatched against;
    `region_codes` narrows the places loaded to those a batch names (a push names a few)."""
    return await cases.reference(region_codes)


#: Pushes are checked against a copy of the places, stations and fraud types at most this old:
#: a region or station changed by an import routes new warnings within this many seconds.
REFERENCE_SECONDS = 60.0
_reference_cache: tuple[float, Reference] | None = None
_reference_lock = asyncio.Lock()


async def recent_reference() -> Reference:
    """reference(), remembered for REFERENCE_SECONDS per process: at hundreds of pushes a second
    the six queries behind it would cost more than storing the warnings."""
    global _reference_cache
    async with _reference_lock:
        if _reference_cache is None or _reference_cache[0] < time.monotonic():
            _reference_cache = (time.monotonic() + REFERENCE_SECONDS, await reference())
        return _reference_cache[1]


def forget_reference() -> None:
    global _reference_cache
    _reference_cache = None


@dataclass
class IntakePlan:
    """What storing a batch would do: new warnings, replays (already stored, same content) and
    conflicts (same id, different content — refused and reported)."""

    added: list[rules.WarningRecord] = field(default_factory=list)
    replayed: list[str] = field(default_factory=list)
    conflicts: list[rules.WarningRecord] = field(default_factory=list)


async def plan_intake(records: Sequence[rules.WarningRecord]) -> IntakePlan:
    stored: dict[str, str] = {}
    numbers = [r.warning_no for r in records]
    for chunk in chunks(numbers, IN_CHUNK):
        rows = await Warning.select(Warning.warning_no, Warning.content_digest).where(
            Warning.warning_no.is_in(chunk)
        )
        stored.update({row["warning_no"]: row["content_digest"] for row in rows})
    plan = IntakePlan()
    for record in records:
        digest = stored.get(record.warning_no)
        if digest is None:
            plan.added.append(record)
        elif digest == record.digest:
            plan.replayed.append(record.warning_no)
        else:
            plan.conflicts.append(record)
    return plan


async def store_warnings(
    plan: IntakePlan,
    actor: CurrentUser | None,
    source: str,
    ip: str | None = None,
    label: str = "",
    is_demo: bool = False,
) -> dict[str, int]:
    """Insert the plan's new warnings with their board events and one audit entry; the boards
    are told after the commit. Returns {warning_no: new id} of what this call inserted (a
    warning stored meanwhile by a concurrent request is not in it). The caller has refused
    conflicts already."""
    if not plan.added:
        return {}
    async with audited(actor, ip, WARNINGS) as audit:
        intake = await insert_warnings(plan.added, audit, source, label, is_demo)
    await live.publish_many(intake.events)
    return intake.stored


@dataclass(frozen=True, slots=True)
class Intake:
    """What insert_warnings wrote: {warning_no: new id}, and the board events to publish once
    the transaction has committed (dicts: they travel as JSON to every process's boards)."""

    stored: dict[str, int]
    events: list[dict]


#: The columns a new warning is written with (WarningRecord.row_values(), then these four).
_INSERT_COLUMNS = (*rules.WarningRecord.STORED, "source", "is_demo", "created_at", "updated_at")


async def insert_warnings(
    records: Sequence[rules.WarningRecord],
    audit: Audit,
    source: str,
    label: str = "",
    is_demo: bool = False,
) -> Intake:
    """The records inserted inside the caller's audited transaction, each with its `new` board
    event, and the audit entry. A record whose id is stored already — a replay, a conflict, or
    a concurrent request that won the race — is skipped, never duplicated: the caller compares
    what is missing from the answer with what is stored (plan_intake)."""
    stamp = now()
    written = await insert_returning(
        Warning,
        _INSERT_COLUMNS,
        [(*r.row_values(), source, is_demo, stamp, stamp) for r in records],
        ("id", "warning_no"),
        unique="warning_no",
    )
    ids = {row["warning_no"]: row["id"] for row in written}
    inserted = [(ids[r.warning_no], r) for r in records if r.warning_no in ids]
    if not inserted:
        audit.nothing_changed()
        return Intake({}, [])
    events = await _insert_events(
        [(wid, "new", r.station_code, None, r.town_code, r.district_code) for wid, r in inserted]
    )
    unassigned = sum(1 for _wid, r in inserted if r.station_code is None)
    await audit.record(
        "warnings.intake",
        label[:120] or source,
        _(
            "接收预警 %(n)s 条(其中待分派 %(u)s 条),来源 %(s)s",
            n=len(inserted),
            u=unassigned,
            s=source,
        ),
        {"warning_ids": [r.warning_no for _w, r in inserted[:200]], "unassigned": unassigned},
    )
    return Intake({r.warning_no: wid for wid, r in inserted}, events)


_EVENT_COLUMNS = (
    "at",
    "warning_id",
    "kind",
    "station_code",
    "previous_station_code",
    "town_code",
    "district_code",
)


async def _insert_events(items: list[tuple]) -> list[dict]:
    """Board events (warning id, kind, station, previous station, town, district), at most one
    per warning, inside the caller's transaction; returns them as the payloads the live boards
    receive, in the order given."""
    stamp = now()
    written = await insert_returning(
        BoardEvent, _EVENT_COLUMNS, [(stamp, *item) for item in items], ("id", "warning_id")
    )
    ids = {row["warning_id"]: row["id"] for row in written}
    return [
        {
            "id": ids[wid],
            "warning_id": wid,
            "kind": kind,
            "station_code": station,
            "previous_station_code": previous,
            "town_code": town,
            "district_code": district,
        }
        for wid, kind, station, previous, town, district in items
    ]


async def _event_for(row: dict, kind: str, previous: str | None = None) -> list[dict]:
    return await _insert_events(
        [(row["id"], kind, row["station_code"], previous, row["town_code"], row["district_code"])]
    )


async def events_after(
    scope: Scope, last_id: int, since: dt.datetime | None = None, limit: int = 500
) -> list[dict]:
    """The board events a board of this scope may have missed (oldest first): those after
    `last_id`, and with `since` also every event written since then. Ids are taken when a
    transaction writes, not when it commits, so with concurrent writers a lower id can become
    visible after a higher one was seen; the lookback catches those (the caller skips what it
    already sent)."""
    after = BoardEvent.id > last_id
    where: list[Combinable] = [after | (BoardEvent.at >= since) if since else after]
    if not scope.is_city:
        column = {
            "station": BoardEvent.station_code,
            "town": BoardEvent.town_code,
            "district": BoardEvent.district_code,
        }.get(scope.kind or "")
        if column is None:
            return []
        mine: Combinable = column == scope.code
        if scope.kind == "station":
            mine = mine | (BoardEvent.previous_station_code == scope.code)
        where.append(mine)
    return await BoardEvent.select().where(*where).order_by(BoardEvent.id).limit(limit)


async def events_above(floor: int, limit: int = 5000) -> list[dict]:
    """Every board event after `floor`, oldest first (a process's feed, any jurisdiction)."""
    return (
        await BoardEvent.select().where(BoardEvent.id > floor).order_by(BoardEvent.id).limit(limit)
    )


async def last_event_id() -> int:
    row = await BoardEvent.select(BoardEvent.id).order_by(BoardEvent.id, ascending=False).first()
    return row["id"] if row else 0


# -- Demo data (bulk) -------------------------------------------------------------------------------

_ANSWER_COLUMNS = (
    "status",
    "acknowledged_at",
    "acknowledged_by",
    "first_contact_at",
    "closed_at",
    "closed_by",
    "officer_name",
    "auxiliary_name",
    "grid_worker_name",
    "contact_method",
    "outcome",
    "amount_stopped_fen",
    "failed_case_no",
    "failed_at",
    "ack_overdue",
    "contact_overdue",
)
_ANSWER_DEFAULTS = {
    "acknowledged_by": "",
    "closed_by": "",
    "officer_name": "",
    "auxiliary_name": "",
    "grid_worker_name": "",
    "contact_method": "",
    "amount_stopped_fen": 0,
}


async def _bulk(table, columns: Sequence[str], rows: list[tuple]) -> None:
    """Demo rows in one write transaction of their own (campaign.db.insert_many: COPY or
    executemany; an ORM insert of 30,000 rows would take seconds). Times go in as UTC, as
    Piccolo writes them: SQLite compares and sorts them as text."""
    utc = [
        tuple(v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v for v in row)
        for row in rows
    ]
    async with write_transaction(WARNINGS):
        await insert_many(table, columns, utc)


async def insert_demo_warnings(records: list[tuple[rules.WarningRecord, dict]]) -> None:
    """Generated warnings with what the stations did (campaign.warnings.demo), marked is_demo."""
    if not records:
        return
    stamp = now()
    columns = (
        *rules.WarningRecord.STORED,
        *_ANSWER_COLUMNS,
        "source",
        "is_demo",
        "created_at",
        "updated_at",
        "notes",
    )
    rows = []
    for record, answer in records:
        answered = {**_ANSWER_DEFAULTS, **answer}
        rows.append(
            (
                *record.row_values(),
                *(answered.get(c) for c in _ANSWER_COLUMNS),
                "demo",
                True,
                stamp,
                stamp,
                "",
            )
        )
    await _bulk(Warning, columns, rows)


@dataclass(frozen=True, slots=True)
class ContactedRow(Row):
    """A warning whose person was reached, and by whom (the demo's contact attempts)."""

    id: int
    issued_at: dt.datetime
    first_contact_at: dt.datetime
    officer_name: str
    acknowledged_by: str


async def contacted_since(since: dt.datetime) -> list[ContactedRow]:
    rows = await Warning.select(
        Warning.id,
        Warning.issued_at,
        Warning.first_contact_at,
        Warning.officer_name,
        Warning.acknowledged_by,
    ).where(Warning.issued_at >= since, Warning.first_contact_at.is_not_null())
    return [
        ContactedRow(
            **{
                **r,
                "issued_at": _aware(r["issued_at"]),
                "first_contact_at": _aware(r["first_contact_at"]),
            }
        )
        for r in rows
    ]


async def insert_demo_attempts(attempts: list[dict]) -> None:
    columns = ("warning_id", "at", "method", "by_name", "reached", "result", "created_at")
    stamp = now()
    await _bulk(
        ContactAttempt,
        columns,
        [
            (a["warning_id"], a["at"], a["method"], a["by_name"], a["reached"], a["result"], stamp)
            for a in attempts
        ],
    )


# -- Boards --------------------------------------------------------------------------------------


def _board_where(scope: Scope, filters: dict[str, str]) -> list:
    where = scope_where(scope)
    status = filters.get("status", "")
    if status == "open":
        where.append(Warning.status.is_in(list(rules.OPEN_STATUSES)))
    elif status in rules.STATUSES:
        where.append(Warning.status == status)
    if filters.get("queue") == "unassigned":
        where.append(Warning.station_code.is_null())
    if filters.get("overdue") == "1":
        where.append((Warning.ack_overdue == True) | (Warning.contact_overdue == True))  # noqa: E712
    if (risk := filters.get("risk", "")) in rules.RISK_LEVELS:
        where.append(Warning.risk_level == risk)
    if (outcome := filters.get("outcome", "")) in rules.OUTCOMES:
        where.append(Warning.outcome == outcome)
    if station := filters.get("station", ""):
        where.append(Warning.station_code == station)
    for key, op in (("from", "ge"), ("to", "le")):
        try:
            day = dt.date.fromisoformat(filters.get(key, ""))
        except ValueError:
            continue
        where.append(Warning.issued_on >= day if op == "ge" else Warning.issued_on <= day)
    if number := filters.get("q", "").strip():
        where.append(Warning.warning_no == number)
    return where


async def board_count(scope: Scope, filters: dict[str, str], cap: int) -> int:
    """The board's warnings matching the filters, counted no further than cap + 1."""
    return await count_upto(Warning.select(Warning.id).where(*_board_where(scope, filters)), cap)


async def board(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[WarningRow]:
    """Open warnings first (newest first), then the rest — the order a duty desk works in."""
    query = (
        Warning.select(*_ROW_COLUMNS)
        .where(*_board_where(scope, filters))
        .order_by(Warning.issued_at, ascending=False)
        .order_by(Warning.id, ascending=False)
        .offset(offset)
    )
    if limit:
        query = query.limit(limit)
    return await _rows(await query)


async def open_counts(scope: Scope) -> dict[str, int]:
    """Counts for the board's header: open, waiting to be acknowledged, overdue, 待分派 (two
    queries: the open ones grouped by status and lateness, and the unassigned)."""
    where = scope_where(scope)
    async with read_transaction():
        groups = (
            await Warning.select(
                Warning.status, Warning.ack_overdue, Warning.contact_overdue, Count()
            )
            .where(*where, Warning.status.is_in(list(rules.OPEN_STATUSES)))
            .group_by(Warning.status, Warning.ack_overdue, Warning.contact_overdue)
        )
        unassigned = await Warning.count().where(*where, Warning.station_code.is_null())
    return {
        "open": sum(g["count"] for g in groups),
        "new": sum(g["count"] for g in groups if g["status"] == rules.NEW),
        "overdue": sum(g["count"] for g in groups if g["ack_overdue"] or g["contact_overdue"]),
        "unassigned": unassigned,
    }


# -- The response clock --------------------------------------------------------------------------


class Refused(Exception):
    """A write that may not happen (wrong state, another station's warning); carries the reason."""


async def _locked(warning_id: int, actor: CurrentUser) -> dict:
    row = await Warning.select().where(Warning.id == warning_id).first()
    if row is None:
        raise Refused(_("预警不存在"))
    if not rules.can_act(actor.role, actor.scope, row):
        raise Refused(_("这条预警不在你的辖区范围内"))
    return row


async def _finish(row: dict, kind: str, previous: str | None = None) -> None:
    events = await _event_for(row, kind, previous)
    await live.publish_many(events)


async def acknowledge(warning_id: int, actor: CurrentUser, ip: str | None = None) -> None:
    """签收: who and when. Only a new warning can be acknowledged (a second click is a no-op)."""
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        if row["status"] != rules.NEW:
            audit.nothing_changed()
            return
        if row["station_code"] is None:
            raise Refused(_("待分派的预警须先由反诈中心分派到派出所"))
        stamp = now()
        await Warning.update(
            {
                Warning.status: rules.ACKNOWLEDGED,
                Warning.acknowledged_at: stamp,
                Warning.acknowledged_by: actor.display_name[: rules.MAX_NAME],
                Warning.updated_at: stamp,
            }
        ).where(Warning.id == warning_id)
        await audit.record("warnings.acknowledge", f"warning:{row['warning_no']}", _("签收预警"))
        events = await _event_for(row, "updated")
    await live.publish_many(events)


async def set_team(
    warning_id: int, team: dict[str, str], actor: CurrentUser, ip: str | None = None
) -> None:
    """The 1+1+1 team: 民警, 辅警 and 网格员 by name."""
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        values: dict[Column | str, Any] = {
            Warning.officer_name: team.get("officer", "")[: rules.MAX_NAME],
            Warning.auxiliary_name: team.get("auxiliary", "")[: rules.MAX_NAME],
            Warning.grid_worker_name: team.get("grid_worker", "")[: rules.MAX_NAME],
            Warning.updated_at: now(),
        }
        await Warning.update(values).where(Warning.id == warning_id)
        await audit.record(
            "warnings.team",
            f"warning:{row['warning_no']}",
            _("登记 1+1+1 处置力量"),
            {k: v for k, v in team.items()},
        )
        events = await _event_for(row, "updated")
    await live.publish_many(events)


async def record_attempt(
    warning_id: int,
    method: str,
    by_name: str,
    reached: bool,
    result: str,
    at: dt.datetime | None,
    actor: CurrentUser,
    ip: str | None = None,
) -> None:
    """Keep one contact attempt. The first attempt that reaches the person is 首次联系; an
    attempt also acknowledges a warning nobody had acknowledged yet."""
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        if row["status"] == rules.CLOSED:
            raise Refused(_("预警已办结,如需补充请联系反诈中心重新打开"))
        if row["station_code"] is None:
            raise Refused(_("待分派的预警须先由反诈中心分派到派出所"))
        stamp = now()
        at = at or stamp
        await ContactAttempt.insert(
            ContactAttempt(
                warning_id=warning_id,
                at=at,
                method=method,
                by_name=by_name[: rules.MAX_NAME],
                reached=reached,
                result=result[:300],
                recorded_by=actor.id,
                created_at=stamp,
            )
        )
        values: dict = {Warning.updated_at: stamp}
        if row["acknowledged_at"] is None:
            values[Warning.acknowledged_at] = at
            values[Warning.acknowledged_by] = actor.display_name[: rules.MAX_NAME]
            values[Warning.status] = rules.ACKNOWLEDGED
        if reached and row["first_contact_at"] is None:
            values[Warning.first_contact_at] = at
            values[Warning.status] = rules.CONTACTED
        await Warning.update(values).where(Warning.id == warning_id)
        await audit.record(
            "warnings.contact",
            f"warning:{row['warning_no']}",
            _("记录联系:%(m)s,%(r)s", m=method, r=_("已联系上") if reached else _("未联系上")),
            {"method": method, "by": by_name, "reached": reached},
        )
        events = await _event_for(row, "updated")
    await live.publish_many(events)


async def close(
    warning_id: int, closing: rules.Closing, actor: CurrentUser, ip: str | None = None
) -> None:
    """办结 with the contact method, the outcome (止付 with its amount) and notes."""
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        if row["status"] == rules.CLOSED:
            raise Refused(_("预警已办结"))
        if row["station_code"] is None:
            raise Refused(_("待分派的预警须先由反诈中心分派到派出所"))
        stamp = now()
        values: dict[Column | str, Any] = {
            Warning.status: rules.CLOSED,
            Warning.closed_at: stamp,
            Warning.closed_by: actor.display_name[: rules.MAX_NAME],
            Warning.contact_method: closing.method,
            Warning.outcome: closing.outcome,
            Warning.amount_stopped_fen: closing.amount_stopped_fen,
            Warning.notes: closing.notes,
            Warning.updated_at: stamp,
        }
        if row["acknowledged_at"] is None:
            values[Warning.acknowledged_at] = stamp
            values[Warning.acknowledged_by] = actor.display_name[: rules.MAX_NAME]
        await Warning.update(values).where(Warning.id == warning_id)
        await audit.record(
            "warnings.close",
            f"warning:{row['warning_no']}",
            _("办结预警:%(o)s", o=str(rules.OUTCOMES[closing.outcome])),
            {
                "outcome": closing.outcome,
                "method": closing.method,
                "amount_stopped_fen": closing.amount_stopped_fen,
            },
        )
        events = await _event_for(row, "updated")
    await live.publish_many(events)


async def reopen(warning_id: int, reason: str, actor: CurrentUser, ip: str | None = None) -> None:
    """The centre reopens a closed warning, with a reason (audited); the result is kept in the
    audit entry and cleared on the warning, which goes back to its last open step."""
    if not rules.is_centre(actor.role):
        raise Refused(_("只有反诈中心可以重新打开预警"))
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        if row["status"] != rules.CLOSED:
            raise Refused(_("只有已办结的预警可以重新打开"))
        status = rules.CONTACTED if row["first_contact_at"] else rules.ACKNOWLEDGED
        await Warning.update(
            {
                Warning.status: status,
                Warning.closed_at: None,
                Warning.closed_by: "",
                Warning.outcome: None,
                Warning.amount_stopped_fen: 0,
                Warning.updated_at: now(),
            }
        ).where(Warning.id == warning_id)
        await audit.record(
            "warnings.reopen",
            f"warning:{row['warning_no']}",
            _("重新打开预警:%(r)s", r=reason),
            {
                "reason": reason,
                "previous_outcome": row["outcome"],
                "previous_amount_stopped_fen": row["amount_stopped_fen"],
                "previous_notes": row["notes"],
            },
        )
        events = await _event_for(row, "updated")
    await live.publish_many(events)


async def reroute(
    warning_id: int, station_code: str, reason: str, actor: CurrentUser, ip: str | None = None
) -> None:
    """The centre sends a warning (待分派 or not) to another station (audited); the old station's
    board drops it and the new one's shows it at once."""
    if not rules.is_centre(actor.role):
        raise Refused(_("只有反诈中心可以改派预警"))
    station = await regions.station(station_code)
    if station is None:
        raise Refused(_("派出所编码 %(c)s 不存在", c=station_code))
    async with audited(actor, ip, WARNINGS) as audit:
        row = await _locked(warning_id, actor)
        if row["station_code"] == station_code:
            audit.nothing_changed()
            return
        values: dict[Column | str, Any] = {
            Warning.station_code: station_code,
            Warning.updated_at: now(),
        }
        if row["district_code"] is None:
            values[Warning.district_code] = station["district_code"]
        await Warning.update(values).where(Warning.id == warning_id)
        await audit.record(
            "warnings.reroute",
            f"warning:{row['warning_no']}",
            _(
                "改派预警:%(a)s → %(b)s(%(r)s)",
                a=row["station_code"] or _("待分派"),
                b=station_code,
                r=reason,
            ),
            {"from": row["station_code"], "to": station_code, "reason": reason},
        )
        moved = {**row, "station_code": station_code}
        moved["district_code"] = row["district_code"] or station["district_code"]
        events = await _event_for(moved, "rerouted", row["station_code"])
    await live.publish_many(events)


# -- Escalation (the job) ------------------------------------------------------------------------


async def targets() -> dict[str, rules.Target]:
    keys = [rules.setting_key(level) for level in rules.RISK_LEVELS]
    return rules.targets_from(await system.setting_values(keys))


async def escalate_overdue(at: dt.datetime | None = None) -> int:
    """Mark open warnings that missed the 签收 or 首次联系 target of their risk level; each newly
    overdue warning gets a board event, so district and centre boards show it at once."""
    at = at or now()
    limits = await targets()
    changed: list[dict] = []
    async with audited(None, None, WARNINGS) as audit:
        for level, target in limits.items():
            ack_deadline = at - dt.timedelta(minutes=target.acknowledge)
            contact_deadline = at - dt.timedelta(minutes=target.contact)
            base = [Warning.risk_level == level, Warning.station_code.is_not_null()]
            late_ack = await Warning.select(
                Warning.id, Warning.station_code, Warning.town_code, Warning.district_code
            ).where(
                *base,
                Warning.ack_overdue == False,  # noqa: E712
                Warning.acknowledged_at.is_null(),
                Warning.status == rules.NEW,
                Warning.issued_at < ack_deadline,
            )
            late_contact = await Warning.select(
                Warning.id, Warning.station_code, Warning.town_code, Warning.district_code
            ).where(
                *base,
                Warning.contact_overdue == False,  # noqa: E712
                Warning.first_contact_at.is_null(),
                Warning.status.is_in([rules.NEW, rules.ACKNOWLEDGED]),
                Warning.issued_at < contact_deadline,
            )
            for rows, column in (
                (late_ack, Warning.ack_overdue),
                (late_contact, Warning.contact_overdue),
            ):
                ids = [r["id"] for r in rows]
                for chunk in chunks(ids, IN_CHUNK):
                    await Warning.update({column: True, Warning.escalated_at: at}).where(
                        Warning.id.is_in(chunk)
                    )
                changed += rows
        unique = {r["id"]: r for r in changed}
        events = await _insert_events(
            [
                (r["id"], "escalated", r["station_code"], None, r["town_code"], r["district_code"])
                for r in unique.values()
            ]
        )
        if not unique:
            audit.nothing_changed()
        else:
            await audit.record(
                "warnings.escalate",
                "job:escalate",
                _("%(n)s 条预警超出响应时限,已上报区县与反诈中心", n=len(unique)),
                {"ids": sorted(unique)[:200]},
            )
    await live.publish_many(events)
    return len(unique)


async def overdue_by_station(scope: Scope, start: dt.date, end: dt.date) -> dict[str, int]:
    """{station: warnings of the period that missed a target} (escalated to district and centre)."""
    rows = (
        await Warning.select(Warning.station_code.as_alias("code"), Count(alias="n"))
        .where(
            *scope_where(scope),
            Warning.issued_on >= start,
            Warning.issued_on <= end,
            Warning.station_code.is_not_null(),
            (Warning.ack_overdue == True) | (Warning.contact_overdue == True),  # noqa: E712
        )
        .group_by(Warning.station_code)
    )
    return {row["code"]: row["n"] for row in rows}


# -- 劝阻失败: warned, then defrauded anyway -------------------------------------------------------


async def match_cases(victims: Sequence[rules.Victim]) -> int:
    """Cases with a victim phone: every warning of that phone issued in the 30 days before its
    case (and not yet linked to one) becomes 劝阻失败. Returns how many warnings were marked."""
    if not victims:
        return 0
    earliest = min(v.occurred_on for v in victims) - dt.timedelta(days=rules.MATCH_DAYS)
    hashes = sorted({v.phone_hash for v in victims})
    candidates: list[dict] = []
    for chunk in chunks(hashes, IN_CHUNK):
        candidates += await Warning.select(
            Warning.id,
            Warning.warning_no,
            Warning.phone_hash,
            Warning.issued_on,
            Warning.station_code,
            Warning.town_code,
            Warning.district_code,
        ).where(
            Warning.phone_hash.is_in(chunk),
            Warning.failed_case_no.is_null(),
            Warning.issued_on >= earliest,
        )
    links = rules.match_failures(
        [(c["id"], c["phone_hash"], c["issued_on"]) for c in candidates], victims
    )
    if not links:
        return 0
    marked = [c for c in candidates if c["id"] in links]
    async with audited(None, None, WARNINGS) as audit:
        stamp = now()
        by_case: dict[str, list[int]] = {}
        for warning_id, case_no in links.items():
            by_case.setdefault(case_no, []).append(warning_id)
        for case_no, ids in by_case.items():
            await Warning.update(
                {
                    Warning.failed_case_no: case_no,
                    Warning.failed_at: stamp,
                    Warning.updated_at: stamp,
                }
            ).where(Warning.id.is_in(ids))
        await audit.record(
            "warnings.failed",
            "job:match",
            _("%(n)s 条预警的当事人其后被骗,记为劝阻失败", n=len(links)),
            {"links": {c["warning_no"]: links[c["id"]] for c in marked[:200]}},
        )
        events = await _insert_events(
            [
                (c["id"], "updated", c["station_code"], None, c["town_code"], c["district_code"])
                for c in marked
            ]
        )
    await live.publish_many(events)
    return len(links)


async def match_recent_cases(days: int = rules.MATCH_LOOKBACK_DAYS) -> int:
    """Match the cases of the last `days` days that carry a victim phone (the job). Idempotent: a
    warning already linked to a case is left alone, so running it again only marks what is new."""
    rows = await cases.victim_phones_since(today() - dt.timedelta(days=days))
    return await match_cases(
        [rules.Victim(r["victim_phone_hash"], r["case_no"], r["occurred_on"]) for r in rows]
    )


# -- Figures and the interfaces other domains call -----------------------------------------------


def _level_column(level: str):
    if level not in LEVEL_COLUMNS:
        raise ValueError(f"level must be one of {sorted(LEVEL_COLUMNS)}, not {level!r}")
    return LEVEL_COLUMNS[level]


async def _period_rows(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None, *columns
) -> list[dict]:
    column = _level_column(level)
    where = [Warning.issued_on >= start, Warning.issued_on <= end, column.is_not_null()]

    def query(*extra):
        return Warning.select(column.as_alias("code"), *columns).where(*where, *extra)

    return await select_in(query, column, codes)


async def dissuasion_results(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, int]:
    """{unit code: people dissuaded (劝阻成功 or 止付, not later found defrauded)} over warnings
    issued in [start, end]; the contests' "dissuasion" metric (higher is better)."""
    column = _level_column(level)
    where = [
        Warning.issued_on >= start,
        Warning.issued_on <= end,
        column.is_not_null(),
        Warning.outcome.is_in(list(rules.SUCCESSFUL)),
        Warning.failed_case_no.is_null(),
    ]
    if codes is not None:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows: list[dict] = []
        for chunk in chunks(wanted, IN_CHUNK):
            rows += (
                await Warning.select(column.as_alias("code"), Count(alias="n"))
                .where(*where, column.is_in(chunk))
                .group_by(column)
            )
    else:
        rows = (
            await Warning.select(column.as_alias("code"), Count(alias="n"))
            .where(*where)
            .group_by(column)
        )
    return {row["code"]: row["n"] for row in rows}


async def warned_people_by_town(start: dt.date, end: dt.date) -> dict[str, int]:
    """{town code: distinct people (phone hashes) warned with the issue day in [start, end]}, for
    the weekly bulletin's 潜在受害人群比例."""
    rows = await Warning.raw(
        "SELECT town_code AS code, COUNT(DISTINCT phone_hash) AS n FROM warning "
        "WHERE issued_on >= {} AND issued_on <= {} AND town_code IS NOT NULL GROUP BY town_code",
        start,
        end,
    )
    return {row["code"]: int(row["n"]) for row in rows}


async def warnings_for_phone_hash(
    phone_hash: str, start: dt.date, end: dt.date
) -> list[WarningSummary]:
    """The warnings of one person (by phone hash) issued in [start, end], oldest first."""
    rows = (
        await Warning.select(
            Warning.id,
            Warning.warning_no,
            Warning.issued_at,
            Warning.risk_level,
            Warning.station_code,
            Warning.status,
            Warning.outcome,
            Warning.amount_stopped_fen,
            Warning.closed_at,
        )
        .where(
            Warning.phone_hash == phone_hash,
            Warning.issued_on >= start,
            Warning.issued_on <= end,
        )
        .order_by(Warning.issued_at)
    )
    return [
        WarningSummary(
            **{
                **r,
                "issued_at": _aware(r["issued_at"]),
                "closed_at": _aware(r["closed_at"]),
            }
        )
        for r in rows
    ]


def _seconds(later: dt.datetime | None, issued: dt.datetime) -> float | None:
    if later is None:
        return None
    return max(0.0, (_aware(later) - _aware(issued)).total_seconds())


async def warning_facts(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> list[WarningFacts]:
    rows = await _period_rows(
        level,
        start,
        end,
        codes,
        Warning.outcome,
        Warning.amount_stopped_fen,
        Warning.issued_at,
        Warning.acknowledged_at,
        Warning.first_contact_at,
        Warning.failed_case_no,
    )
    return [
        WarningFacts(
            code=r["code"],
            outcome=r["outcome"],
            amount_stopped_fen=r["amount_stopped_fen"] or 0,
            acknowledge_seconds=_seconds(r["acknowledged_at"], r["issued_at"]),
            contact_seconds=_seconds(r["first_contact_at"], r["issued_at"]),
            failed=r["failed_case_no"] is not None,
        )
        for r in rows
    ]


async def warning_figures(
    level: str, start: dt.date, end: dt.date, codes: Collection[str] | None = None
) -> dict[str, WarningFigures]:
    """{unit code: WarningFigures} for warnings issued in [start, end] at station, town, district
    or village level; units without warnings are absent."""
    return rules.figures_of(await warning_facts(level, start, end, codes))


@dataclass(frozen=True, slots=True)
class DayFigures(Row):
    """One day of the figures page's chart."""

    day: dt.date
    warnings: int
    dissuaded: int
    stopped_fen: int


async def daily_trend(scope: Scope, start: dt.date, end: dt.date) -> list[DayFigures]:
    """Per day: warnings, people dissuaded, funds stopped (fen) — the figures page's chart."""
    rows = await Warning.select(
        Warning.issued_on, Warning.outcome, Warning.amount_stopped_fen, Warning.failed_case_no
    ).where(*scope_where(scope), Warning.issued_on >= start, Warning.issued_on <= end)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    counts = {day: [0, 0, 0] for day in days}  # warnings, dissuaded, stopped_fen
    for r in rows:
        slot = counts.get(r["issued_on"])
        if slot is None:
            continue
        slot[0] += 1
        if r["outcome"] in rules.SUCCESSFUL and r["failed_case_no"] is None:
            slot[1] += 1
        if r["outcome"] == rules.STOPPED:
            slot[2] += r["amount_stopped_fen"] or 0
    return [DayFigures(day, *counts[day]) for day in days]


async def scope_facts(scope: Scope, start: dt.date, end: dt.date) -> list[WarningFacts]:
    """Every warning of a scope and period as facts, under one code (the scope's total)."""
    rows = await Warning.select(
        Warning.outcome,
        Warning.amount_stopped_fen,
        Warning.issued_at,
        Warning.acknowledged_at,
        Warning.first_contact_at,
        Warning.failed_case_no,
    ).where(*scope_where(scope), Warning.issued_on >= start, Warning.issued_on <= end)
    return [
        WarningFacts(
            code="total",
            outcome=r["outcome"],
            amount_stopped_fen=r["amount_stopped_fen"] or 0,
            acknowledge_seconds=_seconds(r["acknowledged_at"], r["issued_at"]),
            contact_seconds=_seconds(r["first_contact_at"], r["issued_at"]),
            failed=r["failed_case_no"] is not None,
        )
        for r in rows
    ]


async def units_in(scope: Scope, level: str) -> list[regions.Unit]:
    """The units of a level a scope sees (code, name), for the figures table."""
    if level == "station":
        return [regions.Unit(r.code, r.name) for r in await regions.stations(scope, {}, 0, None)]
    if level == "district":
        return await regions.districts_in(scope)
    towns = await regions.regions(scope, {"level": "town"}, 0, None)
    return [regions.Unit(r.code, r.name) for r in towns]


async def home_card(user: CurrentUser) -> dict:
    """The home card: today's and this month's warnings in the person's area."""
    day = today()
    first = day.replace(day=1)
    scope = user.scope
    facts = rules.figures_of(await scope_facts(scope, first, day)).get("total", WarningFigures())
    counts = await open_counts(scope)
    today_count = await Warning.count().where(*scope_where(scope), Warning.issued_on == day)
    return {
        "template": "warnings/_home_card.html",
        "month_start": first,
        "today": today_count,
        "figures": facts,
        "counts": counts,
    }
