"""Reading and writing outreach events, their photos, verification, totals, coverage and points."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from piccolo.query.functions.aggregate import Count, Sum

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser, Place, Scope, covers
from campaign.cases import queries as cases
from campaign.db import count_upto, engine, write_transaction
from campaign.events import photos, rules
from campaign.events.tables import (
    AudienceGroup,
    Event,
    EventPhoto,
    EventType,
    Outreach,
    TownCoverage,
)
from campaign.files import DISK_FULL_MESSAGE, disk_full
from campaign.generations import EVENTS
from campaign.i18n import _
from campaign.parsing import is_ascii_digits, parse_date, parse_id
from campaign.regions import queries as regions
from campaign.regions.tables import Region, Station
from campaign.rows import Row
from campaign.rules import poisson_z
from campaign.timeutil import today as local_today

#: Lists count at most this many rows; beyond it the page says "more than 1,000" and asks for
#: narrower filters (counting 500,000 rows exactly costs more than the page itself).
COUNT_CAP = 1_000
LEVEL_COLUMNS = {
    "village": Event.village_code,
    "town": Event.town_code,
    "station": Event.station_code,
    "district": Event.district_code,
}


# -- Reference lists -------------------------------------------------------------------------


async def seed_reference_lists() -> None:
    """The default event types and audience groups, added once (admins may edit them later)."""
    if not await EventType.exists():
        await EventType.insert(
            *(
                EventType(
                    name=name,
                    sort_order=i,
                    counts_as_lecture=lecture,
                    points=points,
                    figures=rules.default_figures(figures),
                )
                for i, (name, lecture, points, figures) in enumerate(rules.DEFAULT_EVENT_TYPES)
            )
        )
    if not await AudienceGroup.exists():
        await AudienceGroup.insert(
            *(AudienceGroup(name=n, sort_order=i) for i, n in enumerate(rules.DEFAULT_AUDIENCES))
        )


@dataclass(frozen=True, slots=True)
class EventTypeRow(Row):
    """A kind of event; `figures` maps a figure asked for to its bound and contest points."""

    id: int
    name: str
    sort_order: int
    active: bool
    counts_as_lecture: bool
    points: float
    figures: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AudienceRow(Row):
    """A managed audience group (老人, 学生 …)."""

    id: int
    name: str
    sort_order: int
    active: bool


@dataclass(frozen=True, slots=True)
class PhotoRow(Row):
    """An event's photo; `event_id` is None until the form it came with is saved."""

    id: int
    event_id: int | None
    upload_token: str
    stored_name: str
    original_bytes: int
    width: int
    height: int
    ready: bool
    uploaded_by: int | None
    created_at: dt.datetime
    is_demo: bool


@dataclass(frozen=True, slots=True)
class EventRow(Row):
    """A stored event; the names of its type, place, town and unit, and its audiences as a list,
    where the query adds them (events, events_with_ids)."""

    id: int
    type_id: int
    unit_kind: str | None
    unit_code: str | None
    team: str | None
    place_code: str
    place_level: str
    place_text: str | None
    village_code: str | None
    town_code: str
    district_code: str
    village_station_code: str | None
    station_code: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    day: dt.date
    attendees: int
    households: int
    installs: int
    materials: int
    gifts: int
    volunteers: int
    checkins: int
    audiences: str
    notes: str
    status: str
    return_reason: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    created_by: int | None
    created_by_name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    token: str | None
    external_id: str | None
    is_demo: bool
    type_name: str = ""
    place_name: str = ""
    town_name: str = ""
    unit_name: str = ""
    audience_list: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ResolvedPlace(Row):
    """The codes an event at a place is filed under (the first eight are stored on the event),
    and the place for jurisdiction checks."""

    place_code: str
    place_level: str
    place_name: str
    village_code: str | None
    town_code: str
    district_code: str
    village_station_code: str | None
    station_code: str | None
    place: Place

    def stored(self) -> dict[str, Any]:
        """The columns of an event that say where it was held."""
        return {k: v for k, v in self.items() if k not in ("place", "place_name")}


@dataclass(frozen=True, slots=True)
class PlaceChoice(Row):
    code: str
    name: str
    level: str
    #: [{code, name}] from the district down to the place itself
    path: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class EventRef(Row):
    id: int
    created_by: int | None


@dataclass(frozen=True, slots=True)
class Duplicate(Row):
    id: int
    created_by_name: str
    starts_at: dt.datetime


@dataclass(frozen=True, slots=True)
class VerifiedSum(Row):
    """Verified events of one event type at one unit, and their figures summed."""

    code: str
    type_id: int
    events: int
    attendees: int | None
    households: int | None
    installs: int | None
    materials: int | None
    gifts: int | None
    volunteers: int | None


@dataclass(frozen=True, slots=True)
class UnitTotals(Row):
    """A unit's counters in the totals report (verified events only)."""

    code: str
    name: str
    events: int
    lectures: int
    attendees: int
    households: int
    installs: int
    materials: int
    gifts: int
    volunteers: int


@dataclass(frozen=True, slots=True)
class TownCoverageRow(Row):
    """A town's villages and how many had verified outreach (c7/c30/c90) or not (gap…) in the
    last 7, 30 and 90 days (rules.WINDOWS)."""

    code: str
    name: str
    district_code: str
    district_name: str
    villages: int
    c7: int
    c30: int
    c90: int
    gap7: int
    gap30: int
    gap90: int


@dataclass(frozen=True, slots=True)
class DistrictCoverageRow(Row):
    """A district's towns and villages, covered, uncovered and the covered share per window."""

    code: str
    name: str
    towns: int
    villages: int
    c7: int
    c30: int
    c90: int
    gap7: int
    gap30: int
    gap90: int
    share7: float
    share30: float
    share90: float


@dataclass(frozen=True, slots=True)
class UncoveredVillage(Row):
    code: str
    name: str
    level: str
    district_code: str
    town_code: str | None
    station_code: str | None
    last_on: dt.date | None


@dataclass(frozen=True, slots=True)
class RisingPlace(Row):
    """A town or village whose cases rise this month with no verified outreach yet."""

    code: str
    name: str
    level: str
    district_code: str
    town_code: str | None
    this: int
    previous: int
    z: float
    town_name: str = ""


@dataclass(frozen=True, slots=True)
class HomeFigures(Row):
    this_week: int
    returned: int
    waiting: int | None
    villages: int
    unvisited30: int


async def event_types(active_only: bool = False) -> list[EventTypeRow]:
    query = EventType.select().order_by(EventType.sort_order).order_by(EventType.id)
    if active_only:
        query = query.where(EventType.active == True)  # noqa: E712
    return [EventTypeRow(**row) for row in await query.output(load_json=True)]


def spec_of(row: EventTypeRow) -> rules.TypeSpec:
    return rules.TypeSpec(
        id=row["id"],
        name=row["name"],
        counts_as_lecture=row["counts_as_lecture"],
        points=row["points"],
        figures=row["figures"] or {},
    )


async def type_specs() -> dict[int, rules.TypeSpec]:
    return {row["id"]: spec_of(row) for row in await event_types()}


async def event_type(type_id: int) -> EventTypeRow | None:
    row = await EventType.select().where(EventType.id == type_id).output(load_json=True).first()
    return EventTypeRow(**row) if row else None


async def save_type(type_id: int | None, record: dict) -> int:
    """Call inside the write transaction that records the audit entry."""
    if type_id is None:
        last = (
            await EventType.select(EventType.sort_order)
            .order_by(EventType.sort_order, ascending=False)
            .first()
        )
        row = EventType(**record, sort_order=(last["sort_order"] + 1) if last else 0)
        await row.save()
        return row.id
    await EventType.update({getattr(EventType, k): v for k, v in record.items()}).where(
        EventType.id == type_id
    )
    return type_id


async def type_name_taken(name: str, except_id: int | None) -> bool:
    query = EventType.exists().where(EventType.name == name)
    if except_id is not None:
        query = query.where(EventType.id != except_id)
    return await query


async def audience_groups(active_only: bool = False) -> list[AudienceRow]:
    query = AudienceGroup.select().order_by(AudienceGroup.sort_order).order_by(AudienceGroup.id)
    if active_only:
        query = query.where(AudienceGroup.active == True)  # noqa: E712
    return [AudienceRow(**row) for row in await query]


async def add_audience(name: str) -> None:
    last = (
        await AudienceGroup.select(AudienceGroup.sort_order)
        .order_by(AudienceGroup.sort_order, ascending=False)
        .first()
    )
    await AudienceGroup.insert(
        AudienceGroup(name=name, sort_order=(last["sort_order"] + 1) if last else 0)
    )


async def set_audience_active(group_id: int, active: bool) -> AudienceRow | None:
    row = await AudienceGroup.select().where(AudienceGroup.id == group_id).first()
    if row:
        await AudienceGroup.update({AudienceGroup.active: active}).where(
            AudienceGroup.id == group_id
        )
    return AudienceRow(**row) if row else None


# -- Scope -------------------------------------------------------------------------------------


def scope_where(scope: Scope) -> list:
    """Events whose place the scope covers (accounts.rules.covers, as SQL on the event's codes)."""
    if scope.is_city:
        return []
    if scope.kind == "district":
        return [Event.district_code == scope.code]
    if scope.kind == "town":
        return [Event.town_code == scope.code]
    own = Event.village_station_code == scope.code
    if not scope.towns:
        return [own]
    return [own | (Event.village_station_code.is_null() & Event.town_code.is_in(list(scope.towns)))]


def place_of_event(row: Mapping[str, Any]) -> Place:
    return Place(
        level=row["place_level"],
        code=row["place_code"],
        district_code=row["district_code"],
        town_code=row["town_code"],
        station_code=row["village_station_code"],
    )


async def place_choices(scope: Scope, text: str, limit: int = 12) -> list[PlaceChoice]:
    """Villages and towns in scope whose name contains the text (or whose code starts with it),
    villages first, each with its path for telling namesakes apart."""
    text = text.strip()
    if not text:
        return []
    rows = (
        await Region.select()
        .where(
            Region.level.is_in(["village", "town"]),
            regions.matching(text),
            *regions.scope_where(scope),
        )
        .order_by(Region.level, ascending=False)
        .order_by(Region.code)
        .limit(limit)
    )
    return [
        PlaceChoice(r["code"], r["name"], r["level"], r["path"])
        for r in await regions.with_paths(rows)
    ]


async def resolve_place(code: str) -> ResolvedPlace | None:
    """The codes an event at this place is filed under, or None for an unknown or district code."""
    row = await regions.region(code)
    if row is None or row["level"] not in ("village", "town"):
        return None
    village = row["code"] if row["level"] == "village" else None
    town = row["town_code"] if village else row["code"]
    return ResolvedPlace(
        place_code=row["code"],
        place_level=row["level"],
        place_name=row["name"],
        village_code=village,
        town_code=town,
        district_code=row["district_code"],
        village_station_code=row["station_code"] if village else None,
        station_code=await regions.derive_station(village, town),
        place=regions.place_from_row(row),
    )


# -- Writing events ----------------------------------------------------------------------------


async def event_by_token(token: str) -> EventRef | None:
    row = await Event.select(Event.id, Event.created_by).where(Event.token == token).first()
    return EventRef(**row) if row else None


async def likely_duplicates(
    unit_code: str | None, type_id: int, place_code: str, day: dt.date
) -> list[Duplicate]:
    """Events not sent back with the same unit, type, place and day (rules.duplicate_key)."""
    where = [
        Event.type_id == type_id,
        Event.place_code == place_code,
        Event.day == day,
        Event.status != rules.RETURNED,
    ]
    where.append(Event.unit_code.is_null() if unit_code is None else Event.unit_code == unit_code)
    rows = await Event.select(Event.id, Event.created_by_name, Event.starts_at).where(*where)
    return [Duplicate(**row) for row in rows]


async def duplicates_of(row: EventRow) -> list[Duplicate]:
    """Other events that look like the same one (same unit, type, place and day), for the
    person verifying it: the logger may have confirmed a likely duplicate."""
    found = await likely_duplicates(row["unit_code"], row["type_id"], row["place_code"], row["day"])
    return [d for d in found if d["id"] != row["id"]]


async def insert_event(values: dict) -> int:
    """Call inside a write transaction; photos uploaded with the same token are attached."""
    rows = await Event.insert(Event(**values)).returning(Event.id)
    event_id = rows[0]["id"]
    if values.get("token"):
        await attach_photos(values["token"], event_id)
    if values.get("status") == rules.VERIFIED:
        await advance_outreach(values, values["day"])
    return event_id


async def attach_photos(token: str, event_id: int) -> None:
    """Photos uploaded with a form (under its token) belong to the event it saved."""
    await EventPhoto.update({EventPhoto.event_id: event_id}).where(
        (EventPhoto.upload_token == token) & EventPhoto.event_id.is_null()
    )


async def update_event(event_id: int, changes: dict) -> None:
    await Event.update({getattr(Event, k): v for k, v in changes.items()}).where(
        Event.id == event_id
    )


async def review(event_id: int, status: str, reviewer: str, reason: str | None, at) -> EventRow:
    """Mark verified or returned; a verification moves the place's last outreach day forward.
    Call inside the write transaction that records the audit entry."""
    await update_event(
        event_id,
        {
            "status": status,
            "return_reason": reason,
            "reviewed_by": reviewer,
            "reviewed_at": at,
            "updated_at": at,
        },
    )
    row = await event(event_id)
    assert row is not None
    if status == rules.VERIFIED:
        await advance_outreach(row, row["day"])
    return row


async def keep_pending_photos(
    token: str, files: list[tuple[str, bytes]], user_id: int
) -> list[str]:
    """Check and store a form's new photos as pending uploads under its token (attached to the
    event when it is saved); returns a problem per photo refused."""
    already = len(await pending_photos(token))
    problems = []
    for filename, data in files:
        if not data:
            continue
        if already >= rules.MAX_PHOTOS:
            problems.append(_("每个活动最多 %(n)s 张照片", n=rules.MAX_PHOTOS))
            break
        checked, problem = photos.check(data)
        if problem:
            problems.append(f"{filename}:{problem}")
            continue
        assert checked is not None
        try:
            name = photos.store(data, checked, local_today())
        except OSError as error:
            if not disk_full(error):
                raise
            problems.append(f"{filename}:{DISK_FULL_MESSAGE}")
            break
        await add_photo(token, name, len(data), checked.width, checked.height, user_id)
        already += 1
    return problems


# -- Write use cases: each one transaction with its audit entry --------------------------------


async def log_event(
    record: dict,
    detail: dict,
    summary: str,
    actor: CurrentUser,
    ip: str | None,
    also: Callable[[int], Awaitable[None]] | None = None,
) -> int:
    """A coordinator logs an event; sending the same form twice (same token) stores it once.
    `also(event_id)` runs in the same transaction (the form's extension fields, events.hooks).
    Returns the event id."""
    async with audited(actor, ip, EVENTS) as audit:
        if existing := await event_by_token(record["token"]):
            audit.nothing_changed()
            return existing["id"]
        event_id = await insert_event(record)
        if also:
            await also(event_id)
        await audit.record("event.create", f"event:{event_id}", summary, detail)
    return event_id


async def resubmit_event(
    row: EventRow,
    changes: dict,
    token: str,
    actor: CurrentUser,
    ip: str | None,
    also: Callable[[int], Awaitable[None]] | None = None,
) -> None:
    """The person who logged a returned event corrects it and submits it again; `also` as in
    log_event."""
    async with audited(actor, ip, EVENTS) as audit:
        await update_event(row["id"], changes)
        await attach_photos(token, row["id"])
        if also:
            await also(row["id"])
        await audit.record(
            "event.update",
            f"event:{row['id']}",
            _("修改并重新提交宣传活动 #%(id)s", id=row["id"]),
            {
                "before": {k: str(row[k]) for k in changes if str(row[k]) != str(changes[k])},
                "after": {k: str(v) for k, v in changes.items() if str(row[k]) != str(v)},
            },
        )


async def review_event(
    event_id: int, decision: str, status: str, reason: str, actor: CurrentUser, ip: str | None
) -> None:
    """The unit above verifies an event or returns it with a reason."""
    async with audited(actor, ip, EVENTS) as audit:
        await review(
            event_id,
            status,
            actor.display_name,
            reason[:300] if status == rules.RETURNED else None,
            dt.datetime.now(dt.UTC),
        )
        await audit.record(
            f"event.{decision}",
            f"event:{event_id}",
            (
                _("核实宣传活动 #%(id)s", id=event_id)
                if status == rules.VERIFIED
                else _("退回宣传活动 #%(id)s:%(r)s", id=event_id, r=reason)
            ),
            {"status": status, "reason": reason},
        )


def _plain(row: Mapping[str, Any] | None) -> dict | None:
    return {k: v for k, v in row.items() if k != "id"} if row else None


async def keep_type(
    type_id: int | None,
    before: EventTypeRow | None,
    record: dict,
    actor: CurrentUser,
    ip: str | None,
) -> int:
    """An administrator adds (type_id None) or changes an event type."""
    async with audited(actor, ip, EVENTS) as audit:
        saved = await save_type(type_id, record)
        await audit.record(
            "event_type.save",
            f"event_type:{saved}",
            _("保存活动类型 %(name)s", name=record["name"]),
            {"before": _plain(before), "after": record},
        )
    return saved


async def new_audience(name: str, actor: CurrentUser, ip: str | None) -> None:
    async with audited(actor, ip, EVENTS) as audit:
        await add_audience(name)
        await audit.record("audience.add", f"audience:{name}", _("新增受众群体 %(n)s", n=name))


async def switch_audience(group_id: int, active: bool, actor: CurrentUser, ip: str | None) -> bool:
    """Enable or disable an audience group; False when there is none with that id."""
    async with audited(actor, ip, EVENTS) as audit:
        row = await set_audience_active(group_id, active)
        if row is None:
            audit.nothing_changed()
            return False
        await audit.record(
            "audience.toggle",
            f"audience:{row['name']}",
            (
                _("启用受众群体 %(n)s", n=row["name"])
                if active
                else _("停用受众群体 %(n)s", n=row["name"])
            ),
        )
    return True


async def advance_outreach(codes: Mapping[str, Any], day: dt.date) -> None:
    """The village's and the town's latest verified outreach day, moved forward (never back),
    and the town's coverage counts with them."""
    await _advance_last_days(codes, day)
    if await TownCoverage.exists().where(TownCoverage.town_code == codes["town_code"]):
        await refresh_town_coverage(local_today(), [codes["town_code"]])


async def _advance_last_days(codes: Mapping[str, Any], day: dt.date) -> None:
    units = [("town", codes["town_code"], None)]
    if codes.get("village_code"):
        units.append(("village", codes["village_code"], codes["town_code"]))
    for level, code, town in units:
        updated = (
            await Outreach.update({Outreach.last_on: day})
            .where((Outreach.code == code) & (Outreach.last_on < day))
            .returning(Outreach.id)
        )
        if updated or await Outreach.exists().where(Outreach.code == code):
            continue
        await Outreach.insert(
            Outreach(
                code=code,
                level=level,
                town_code=town,
                district_code=codes["district_code"],
                last_on=day,
            )
        )


async def rebuild_outreach() -> None:
    """Recompute every last outreach day from the verified events (after bulk loads)."""
    await Outreach.delete(force=True)
    tablename = Event._meta.tablename
    rows = await Event.raw(
        f"SELECT village_code, town_code, district_code, MAX(day) AS last_on FROM {tablename} "
        "WHERE status = {} GROUP BY village_code, town_code, district_code",
        rules.VERIFIED,
    )
    towns: dict[str, tuple[str, dt.date]] = {}
    records = []
    for row in rows:
        last_on = _as_date(row["last_on"])
        town = row["town_code"]
        if town not in towns or towns[town][1] < last_on:
            towns[town] = (row["district_code"], last_on)
        if row["village_code"]:
            records.append(
                Outreach(
                    code=row["village_code"],
                    level="village",
                    town_code=town,
                    district_code=row["district_code"],
                    last_on=last_on,
                )
            )
    records += [
        Outreach(code=t, level="town", town_code=None, district_code=d, last_on=day)
        for t, (d, day) in towns.items()
    ]
    for start in range(0, len(records), 500):
        await Outreach.insert(*records[start : start + 500])
    await TownCoverage.delete(force=True)


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# -- Photos ------------------------------------------------------------------------------------


async def add_photo(token: str, stored_name: str, size: int, width: int, height: int, user_id):
    rows = await EventPhoto.insert(
        EventPhoto(
            upload_token=token,
            stored_name=stored_name,
            original_bytes=size,
            width=width,
            height=height,
            uploaded_by=user_id,
        )
    ).returning(EventPhoto.id)
    return rows[0]["id"]


async def pending_photos(token: str) -> list[PhotoRow]:
    rows = (
        await EventPhoto.select()
        .where((EventPhoto.upload_token == token) & EventPhoto.event_id.is_null())
        .order_by(EventPhoto.id)
    )
    return [PhotoRow(**row) for row in rows]


async def photos_of(event_id: int) -> list[PhotoRow]:
    rows = await EventPhoto.select().where(EventPhoto.event_id == event_id).order_by(EventPhoto.id)
    return [PhotoRow(**row) for row in rows]


async def photo(photo_id: int) -> PhotoRow | None:
    row = await EventPhoto.select().where(EventPhoto.id == photo_id).first()
    return PhotoRow(**row) if row else None


async def mark_photo_ready(photo_id: int, width: int, height: int) -> None:
    await EventPhoto.update(
        {EventPhoto.ready: True, EventPhoto.width: width, EventPhoto.height: height}
    ).where(EventPhoto.id == photo_id)


async def orphan_photos(older_than: dt.datetime) -> list[PhotoRow]:
    """Photos of forms never saved, older than the cut-off."""
    rows = await EventPhoto.select().where(
        EventPhoto.event_id.is_null() & (EventPhoto.created_at < older_than)
    )
    return [PhotoRow(**row) for row in rows]


async def delete_photos(ids: list[int]) -> None:
    if ids:
        await EventPhoto.delete().where(EventPhoto.id.is_in(ids))


# -- Lists -------------------------------------------------------------------------------------

FILTER_KEYS = ("type", "unit", "from", "to", "status", "audience", "place", "mine", "queue")


def _date(raw: str) -> dt.date | None:
    return parse_date(raw)


def event_where(scope: Scope, filters: dict[str, str], extra: Sequence = ()) -> list:
    where = [*scope_where(scope), *extra]
    if (type_id := parse_id(filters.get("type"))) is not None:
        where.append(Event.type_id == type_id)
    if unit := filters.get("unit"):
        where.append(
            (Event.unit_code == unit) | (Event.town_code == unit) | (Event.district_code == unit)
            if is_ascii_digits(unit)
            else (Event.unit_code == unit) | (Event.station_code == unit)
        )
    if start := _date(filters.get("from", "")):
        where.append(Event.day >= start)
    if end := _date(filters.get("to", "")):
        where.append(Event.day <= end)
    if (status := filters.get("status")) in rules.STATUS_LABELS:
        where.append(Event.status == status)
    if audience := filters.get("audience"):
        where.append(Event.audiences.like(f"%,{audience.replace('%', '')},%"))
    if place := filters.get("place"):
        where.append(
            (Event.place_code == place) if len(place) == 12 else (Event.town_code == place)
        )
    if (creator := parse_id(filters.get("mine"))) is not None:
        where.append(Event.created_by == creator)
    return where


async def count_events(
    scope: Scope, filters: dict[str, str], cap: int = COUNT_CAP, extra: Sequence = ()
) -> int:
    """How many events match, counting at most cap + 1 rows."""
    return await count_upto(Event.select(Event.id).where(*event_where(scope, filters, extra)), cap)


async def events(
    scope: Scope,
    filters: dict[str, str],
    offset: int = 0,
    limit: int | None = 50,
    extra: Sequence = (),
) -> list[EventRow]:
    query = (
        Event.select()
        .where(*event_where(scope, filters, extra))
        .order_by(Event.day, ascending=False)
        .order_by(Event.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return await named_events(await query)


async def event(event_id: int) -> EventRow | None:
    row = await Event.select().where(Event.id == event_id).first()
    return EventRow(**row) if row else None


async def add_checkins(event_id: int, n: int) -> None:
    """Volunteers who checked in by the event's QR code count as its participants (called by
    the volunteers module inside its own write transaction)."""
    await Event.update({Event.checkins: Event.checkins + n}).where(Event.id == event_id)


async def names_of(codes: Iterable[str | None]) -> dict[str, str]:
    """Display names of region and station codes."""
    codes = [c for c in set(codes) if c]
    if not codes:
        return {}
    names = {
        r["code"]: r["name"]
        for r in await Region.select(Region.code, Region.name).where(Region.code.is_in(codes))
    }
    stations = [c for c in codes if c not in names]
    if stations:
        names |= {
            s["code"]: s["name"]
            for s in await Station.select(Station.code, Station.name).where(
                Station.code.is_in(stations)
            )
        }
    return names


async def with_names(rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    """The rows (whole events, or the calendar's columns) with type_name, place_name,
    town_name, unit_name and audience_list added."""
    types = {t["id"]: t["name"] for t in await EventType.select(EventType.id, EventType.name)}
    names = await names_of(
        c for row in rows for c in (row["place_code"], row["town_code"], row["unit_code"])
    )
    return [
        {
            **row,
            "type_name": types.get(row["type_id"], "?"),
            "place_name": names.get(row["place_code"], row["place_code"]),
            "town_name": names.get(row["town_code"], row["town_code"]),
            "unit_name": names.get(row["unit_code"] or "", "") or _("全市"),
            "audience_list": rules.audiences_list(row["audiences"]),
        }
        for row in rows
    ]


async def named_events(rows: Sequence[Mapping[str, Any]]) -> list[EventRow]:
    """Whole events with their names (with_names)."""
    return [EventRow(**row) for row in await with_names(rows)]


async def month_events(scope: Scope, filters: dict[str, str], first: dt.date, last: dt.date):
    """A month's events for the calendar: per day, the first few and how many in all."""
    where = event_where(scope, {**filters, "from": first.isoformat(), "to": last.isoformat()})
    rows = await with_names(
        await Event.select(
            Event.id,
            Event.day,
            Event.type_id,
            Event.place_code,
            Event.town_code,
            Event.unit_code,
            Event.status,
            Event.audiences,
            Event.attendees,
        )
        .where(*where)
        .order_by(Event.day)
        .order_by(Event.starts_at)
        .limit(5000)
    )
    by_day: dict[dt.date, list[dict]] = defaultdict(list)
    for row in rows:
        by_day[_as_date(row["day"])].append(row)
    return by_day


# -- Totals, coverage, points ------------------------------------------------------------------

FIGURE_SUMS = [Sum(getattr(Event, key)).as_alias(key) for key in rules.FIGURES]


async def verified_sums(
    level: str, start: dt.date, end: dt.date, scope: Scope | None = None, codes=None
) -> list[VerifiedSum]:
    """Per unit code at the level and per event type: verified events and figure sums."""
    column = LEVEL_COLUMNS[level]
    where = [
        Event.status == rules.VERIFIED,
        Event.day >= start,
        Event.day <= end,
        column.is_not_null(),
    ]
    if scope is not None:
        where += scope_where(scope)
    if codes is not None:
        where.append(column.is_in(list(codes) or [""]))
    rows = (
        await Event.select(
            column.as_alias("code"), Event.type_id, Count(alias="events"), *FIGURE_SUMS
        )
        .where(*where)
        .group_by(column, Event.type_id)
    )
    return [VerifiedSum(**row) for row in rows]


async def totals(level: str, start: dt.date, end: dt.date, scope: Scope) -> list[UnitTotals]:
    """The source report's counters per unit: lectures held, events, people reached, households,
    app installs guided, materials and gifts distributed, volunteers — verified events only."""
    specs = await type_specs()
    per_unit: dict[str, dict] = {}
    for row in await verified_sums(level, start, end, scope):
        unit = per_unit.setdefault(
            row["code"],
            {"code": row["code"], "events": 0, "lectures": 0, **{k: 0 for k in rules.FIGURES}},
        )
        unit["events"] += row["events"]
        spec = specs.get(row["type_id"])
        if spec and spec.counts_as_lecture:
            unit["lectures"] += row["events"]
        for key in rules.FIGURES:
            unit[key] += row[key] or 0
    names = await names_of(per_unit)
    rows = sorted(per_unit.values(), key=lambda r: (-r["events"], r["code"]))
    return [UnitTotals(**row, name=names.get(row["code"], row["code"])) for row in rows]


async def outreach_points(
    level: str, start: dt.date, end: dt.date, codes: Iterable[str] | None = None
) -> dict[str, float]:
    """Contest points of verified outreach per unit (level village, town, station or district)
    over [start, end]: each event type's points per event plus its points per figure, as the
    administrators configured them on the event types page (rules.event_points)."""
    specs = await type_specs()
    points: dict[str, float] = defaultdict(float)
    for row in await verified_sums(level, start, end, codes=codes):
        spec = specs.get(row["type_id"])
        if spec is not None:
            points[row["code"]] += rules.event_points(spec, row, row["events"])
    return {code: round(value, 4) for code, value in points.items()}


def _region_scope_sql(scope: Scope, alias: str) -> tuple[str, list]:
    """accounts.rules.covers for villages as a raw SQL condition (for the coverage aggregate)."""
    if scope.is_city:
        return "1 = 1", []
    if scope.kind == "district":
        return f"{alias}.district_code = {{}}", [scope.code]
    if scope.kind == "town":
        return f"{alias}.town_code = {{}}", [scope.code]
    towns = sorted(scope.towns)
    own = f"{alias}.station_code = {{}}"
    if not towns:
        return own, [scope.code]
    marks = ", ".join("{}" for _ in towns)
    return (
        f"({own} OR ({alias}.station_code IS NULL AND {alias}.town_code IN ({marks})))",
        [scope.code, *towns],
    )


async def _coverage_rows(scope: Scope, today: dt.date, towns: list[str] | None = None) -> list:
    """The live aggregate: per town, villages and those covered in each window."""
    condition, args = _region_scope_sql(scope, "r")
    if towns is not None:
        condition += f" AND r.town_code IN ({', '.join('{}' for _ in towns)})"
        args = [*args, *towns]
    since = [rules.covered_since(today, days) for days in rules.WINDOWS]
    sums = ", ".join(
        f"SUM(CASE WHEN o.last_on >= {{}} THEN 1 ELSE 0 END) AS c{days}" for days in rules.WINDOWS
    )
    return await Region.raw(
        f"SELECT r.town_code AS code, r.district_code AS district_code, COUNT(*) AS villages, "
        f"{sums} FROM {Region._meta.tablename} r LEFT JOIN {Outreach._meta.tablename} o "
        f"ON o.code = r.code WHERE r.level = 'village' AND {condition} "
        "GROUP BY r.town_code, r.district_code ORDER BY r.town_code",
        *since,
        *args,
    )


def _window_counts(row: dict) -> dict[str, Any]:
    return {f"c{n}": int(row[f"c{n}"] or 0) for n in rules.WINDOWS}


async def refresh_town_coverage(today: dt.date, towns: list[str] | None = None) -> None:
    """Recompute TownCoverage for some towns (after a verification) or all (once a day)."""
    rows = await _coverage_rows(Scope(), today, towns)
    records = [
        TownCoverage(
            town_code=r["code"],
            district_code=r["district_code"],
            villages=r["villages"],
            **_window_counts(r),
            as_of=today,
        )
        for r in rows
    ]
    columns = [TownCoverage.villages, TownCoverage.as_of]
    columns += [getattr(TownCoverage, f"c{n}") for n in rules.WINDOWS]
    for start in range(0, len(records), 500):
        await TownCoverage.insert(*records[start : start + 500]).on_conflict(
            target=TownCoverage.town_code, action="DO UPDATE", values=columns
        )


def _coverage_scope_sql(scope: Scope) -> tuple[str, list]:
    if scope.kind == "district":
        return "tc.district_code = {}", [scope.code]
    if scope.kind == "town":
        return "tc.town_code = {}", [scope.code]
    return "1 = 1", []


async def refresh_every_town(today: dt.date) -> None:
    """Every town's coverage as of a day, in a write transaction of its own (the cron job)."""
    async with write_transaction(EVENTS):
        await refresh_town_coverage(today)


async def fresh_coverage(today: dt.date) -> None:
    """TownCoverage as of today: recomputed for every town when a new day has begun (the cron
    job usually has done it). Call before a read-only snapshot: it may write."""
    if not await TownCoverage.exists() or await TownCoverage.exists().where(
        TownCoverage.as_of != today
    ):
        await refresh_every_town(today)


async def _live_towns(scope: Scope, today: dt.date) -> list[dict]:
    """A station's towns, aggregated live (its jurisdiction is refined per village, and small)."""
    rows = await _coverage_rows(scope, today)
    names = await names_of({r["code"] for r in rows} | {r["district_code"] for r in rows})
    for row in rows:
        row["name"] = names.get(row["code"], row["code"])
        row["district_name"] = names.get(row["district_code"], row["district_code"])
        for n in rules.WINDOWS:
            row[f"c{n}"] = int(row[f"c{n}"] or 0)
            row[f"gap{n}"] = row["villages"] - row[f"c{n}"]
    return rows


async def coverage_town_count(scope: Scope, today: dt.date) -> int:
    if scope.kind == "station":
        return len(await _live_towns(scope, today))
    await fresh_coverage(today)
    condition, args = _coverage_scope_sql(scope)
    rows = await TownCoverage.raw(
        f"SELECT COUNT(*) AS n FROM {TownCoverage._meta.tablename} tc WHERE {condition}", *args
    )
    return rows[0]["n"]


async def coverage_towns(
    scope: Scope,
    today: dt.date,
    window: int = 30,
    offset: int = 0,
    limit: int | None = None,
) -> list[TownCoverageRow]:
    """Per town in scope, the largest gap in the window first: villages, how many had verified
    outreach in the last 7, 30 and 90 days (rules.covered_since, as c7/c30/c90) and how many did
    not (gap7/gap30/gap90). Read from TownCoverage, kept per verification and per day."""
    if window not in rules.WINDOWS:
        raise ValueError(window)
    if scope.kind == "station":
        rows = sorted(
            await _live_towns(scope, today), key=lambda r: (-r[f"gap{window}"], r["code"])
        )
        return [
            TownCoverageRow(**r) for r in rows[offset : None if limit is None else offset + limit]
        ]
    await fresh_coverage(today)
    condition, args = _coverage_scope_sql(scope)
    counts = ", ".join(f"tc.c{n} AS c{n}, tc.villages - tc.c{n} AS gap{n}" for n in rules.WINDOWS)
    page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
    # Page first, then look up the names of that page only.
    rows = await TownCoverage.raw(
        "SELECT p.*, COALESCE(t.name, p.code) AS name, "
        "COALESCE(d.name, p.district_code) AS district_name FROM ("
        "SELECT tc.town_code AS code, tc.district_code AS district_code, "
        f"tc.villages AS villages, {counts} FROM {TownCoverage._meta.tablename} tc "
        f"WHERE {condition} ORDER BY tc.villages - tc.c{window} DESC, tc.town_code{page}) p "
        f"LEFT JOIN {Region._meta.tablename} t ON t.code = p.code "
        f"LEFT JOIN {Region._meta.tablename} d ON d.code = p.district_code "
        f"ORDER BY p.gap{window} DESC, p.code",
        *args,
    )
    return [TownCoverageRow(**row) for row in rows]


async def coverage_by_town(scope: Scope, today: dt.date) -> list[TownCoverageRow]:
    """Every town in scope in code order (exports, tests)."""
    return sorted(await coverage_towns(scope, today), key=lambda r: r["code"])


async def coverage_districts(scope: Scope, today: dt.date) -> list[DistrictCoverageRow]:
    """Per district in scope: towns, villages, covered and uncovered villages per window and
    the covered share."""
    if scope.kind == "station":
        return roll_up_districts(await _live_towns(scope, today))
    await fresh_coverage(today)
    condition, args = _coverage_scope_sql(scope)
    sums = ", ".join(f"SUM(tc.c{n}) AS c{n}" for n in rules.WINDOWS)
    rows = await TownCoverage.raw(
        "SELECT p.*, COALESCE(d.name, p.code) AS name FROM ("
        f"SELECT tc.district_code AS code, COUNT(*) AS towns, SUM(tc.villages) AS villages, {sums} "
        f"FROM {TownCoverage._meta.tablename} tc WHERE {condition} "
        f"GROUP BY tc.district_code) p LEFT JOIN {Region._meta.tablename} d ON d.code = p.code "
        "ORDER BY p.code",
        *args,
    )
    for row in rows:
        row["villages"] = int(row["villages"] or 0)
        for n in rules.WINDOWS:
            row[f"c{n}"] = int(row[f"c{n}"] or 0)
            row[f"gap{n}"] = row["villages"] - row[f"c{n}"]
            row[f"share{n}"] = rules.share(row[f"c{n}"], row["villages"])
    return [DistrictCoverageRow(**row) for row in rows]


def roll_up_districts(towns: Sequence[Mapping[str, Any]]) -> list[DistrictCoverageRow]:
    """Town rows summed per district (for a station's live aggregate)."""
    districts: dict[str, dict] = {}
    for town in towns:
        d = districts.setdefault(
            town["district_code"],
            {
                "code": town["district_code"],
                "name": town["district_name"],
                "towns": 0,
                "villages": 0,
                **{f"c{n}": 0 for n in rules.WINDOWS},
            },
        )
        d["towns"] += 1
        d["villages"] += town["villages"]
        for n in rules.WINDOWS:
            d[f"c{n}"] += town[f"c{n}"]
    for d in districts.values():
        for n in rules.WINDOWS:
            d[f"gap{n}"] = d["villages"] - d[f"c{n}"]
            d[f"share{n}"] = rules.share(d[f"c{n}"], d["villages"])
    return [DistrictCoverageRow(**d) for d in sorted(districts.values(), key=lambda d: d["code"])]


async def uncovered_villages(scope: Scope, town: str, since: dt.date) -> list[UncoveredVillage]:
    """Villages of a town (within scope) without verified outreach on or after `since`."""
    villages = await Region.select(
        Region.code,
        Region.name,
        Region.level,
        Region.district_code,
        Region.town_code,
        Region.station_code,
    ).where(Region.level == "village", Region.town_code == town, *regions.scope_where(scope))
    last = {
        r["code"]: r["last_on"]
        for r in await Outreach.select(Outreach.code, Outreach.last_on).where(
            Outreach.town_code == town
        )
    }
    rows = []
    for village in villages:
        day = last.get(village["code"])
        if day is None or _as_date(day) < since:
            rows.append(UncoveredVillage(**village, last_on=_as_date(day) if day else None))
    return sorted(rows, key=lambda r: (r.last_on or dt.date.min, r.code))


async def rising_without_outreach(scope: Scope, today: dt.date) -> dict[str, list[RisingPlace]]:
    """The leaders' sharpest list: villages and towns whose cases this month so far exceed those
    of the same days last month, and that have had no verified outreach this month."""
    (this_start, this_end), (prev_start, prev_end) = rules.month_to_date_pair(today)
    result: dict[str, list[RisingPlace]] = {}
    for level in ("town", "village"):
        now = await cases.case_counts(level, this_start, this_end)
        before = await cases.case_counts(level, prev_start, prev_end)
        rising = [c for c, n in now.items() if rules.is_rising(n, before.get(c, 0))]
        if not rising:
            result[level] = []
            continue
        reached = {
            r["code"]
            for r in await Outreach.select(Outreach.code).where(
                Outreach.code.is_in(rising), Outreach.last_on >= this_start
            )
        }
        found = [
            row
            for row in await regions.regions_by_code([c for c in rising if c not in reached])
            if row["level"] == level and covers(scope, regions.place_from_row(row))
        ]
        names = await names_of(r["town_code"] for r in found) if level == "village" else {}
        rows = [
            RisingPlace(
                code=row["code"],
                name=row["name"],
                level=row["level"],
                district_code=row["district_code"],
                town_code=row["town_code"],
                this=(this := now[row["code"]]),
                previous=(prev := before.get(row["code"], 0)),
                z=poisson_z(this, prev),
                town_name=names.get(row["town_code"], ""),
            )
            for row in found
        ]
        result[level] = sorted(rows, key=lambda r: (-(r.this - r.previous), r.code))
    return result


# -- Home cards --------------------------------------------------------------------------------


async def home_figures(
    user_id: int, scope: Scope, today: dt.date, verifies: list | None
) -> HomeFigures:
    """A coordinator's outreach at a glance; `verifies` (see verifiable_clause) also counts the
    events waiting for this person's verification."""
    week_start = today - dt.timedelta(days=today.weekday())
    mine = scope_where(scope)
    this_week = await Event.count().where(*mine, Event.day >= week_start)
    returned = await Event.count().where(
        Event.created_by == user_id, Event.status == rules.RETURNED
    )
    waiting = None
    if verifies is not None:
        waiting = await Event.count().where(*mine, *queue_where(user_id, verifies))
    districts = await coverage_districts(scope, today)
    return HomeFigures(
        this_week=this_week,
        returned=returned,
        waiting=waiting,
        villages=sum(d.villages for d in districts),
        unvisited30=sum(d.gap30 for d in districts),
    )


def verifiable_clause(role: str, kind: str | None) -> list | None:
    """Events organised by units below this person's (rules.may_verify), as clauses for a query
    already limited to their scope; None when they verify nothing."""
    if role == "admin":
        return []
    if role not in rules.VERIFYING_ROLES:
        return None
    rank = rules.UNIT_RANK.get(kind, 3)
    lower = [k for k, r in rules.UNIT_RANK.items() if k is not None and r < rank]
    if not lower:
        return None
    return [Event.unit_kind.is_in(lower)]


def queue_where(user_id: int, verifies: list | None) -> list:
    """The events waiting for this person's verification (with verifiable_clause), to add to a
    query limited to their scope: submitted, organised below them, and not logged by them —
    events without a creator (imported, demo) included."""
    if verifies is None:
        return [Event.id.is_null()]  # verifies nothing
    return [
        *verifies,
        Event.status == rules.SUBMITTED,
        Event.created_by.is_null() | (Event.created_by != user_id),
    ]


async def home_card(user) -> dict | None:
    """The outreach card on the home page for coordinators, administrators and leaders."""
    if user.role not in ("admin", "leader", "coordinator"):
        return None
    now = local_today()
    figures = await home_figures(
        user.id, user.scope, now, verifiable_clause(user.role, user.scope.kind)
    )
    return {
        "template": "events/_home_card.html",
        "role": user.role,
        "user_id": user.id,
        "week_start": (now - dt.timedelta(days=now.weekday())).isoformat(),
        **figures,
    }


def snapshot():
    """One connection for all of a request's reads. Outside a transaction Piccolo opens a new
    connection per query (on SQLite a new thread each), so pages read inside one deferred,
    read-only transaction: a consistent view, and a third of the cost on SQLite."""
    return engine().transaction()


async def events_with_ids(ids: Iterable[int]) -> list[EventRow]:
    """The events with these ids, newest first, with names (for modules that link events)."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = (
        await Event.select()
        .where(Event.id.is_in(wanted))
        .order_by(Event.day, ascending=False)
        .order_by(Event.id, ascending=False)
    )
    return await named_events(rows)
