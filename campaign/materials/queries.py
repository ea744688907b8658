"""Reading and writing materials, versions, downloads, collections and orders."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries as cases
from campaign.cases import rules as case_rules
from campaign.db import contains, engine, existing_row, write_transaction
from campaign.generations import MATERIALS
from campaign.i18n import _
from campaign.materials import rules
from campaign.materials.storage import get_storage
from campaign.materials.tables import (
    Collection,
    CollectionItem,
    Download,
    Material,
    MaterialOrder,
    MaterialVersion,
    OrderMaterial,
)
from campaign.materials.uploads import Received
from campaign.parsing import parse_date, parse_id
from campaign.rows import Row
from campaign.settings import get_settings
from campaign.timeutil import local

CARD_COLUMNS = (
    Material.id,
    Material.kind,
    Material.title,
    Material.description,
    Material.tags,
    Material.fraud_types,
    Material.audiences,
    Material.series,
    Material.team,
    Material.body,
    Material.status,
    Material.version,
    Material.preview_key,
    Material.duration,
    Material.size,
    Material.downloads,
    Material.valid_from,
    Material.valid_until,
    Material.created_at,
    Material.is_demo,
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def content_team() -> str | None:
    """The team that answers orders beside the admins (MATERIALS_CONTENT_TEAM), if any."""
    return get_settings().materials_content_team


def answers_orders(user: CurrentUser) -> bool:
    return rules.answers_orders(user.role, team_of(user), content_team())


def team_of(user: CurrentUser) -> str:
    return user.team or (user.display_name if user.role == rules.TEAM else "")


def unit_of(user: CurrentUser) -> str:
    """Whom a download counts for in the statistics: a propaganda team, else the person's unit
    (town, station or district), else the city for city-wide staff. Stored in Download.team."""
    return rules.download_unit(team_of(user), user.unit_name)


async def fraud_type_names() -> list[str]:
    return await cases.fraud_type_names(active_only=True)


# -- Writing materials -----------------------------------------------------------------------------


async def create_material(kind: str, values: dict, user: CurrentUser, is_demo: bool = False) -> int:
    """A new material, waiting for approval unless an admin made it. Call inside write_transaction()."""
    stamp = now()
    row = await Material.insert(
        Material(
            kind=kind,
            **values,
            team=team_of(user),
            author_id=user.id,
            author_name=user.display_name,
            status="approved" if user.is_admin else "pending",
            reviewed_by=user.username if user.is_admin else None,
            reviewed_at=stamp if user.is_admin else None,
            created_at=stamp,
            updated_at=stamp,
            is_demo=is_demo,
        )
    )
    return row[0]["id"]


async def add_version(
    material_id: int,
    key: str,
    file_name: str,
    content_type: str,
    size: int,
    sha256: str,
    user: CurrentUser,
) -> int:
    """Record a new file for a material (earlier ones stay) and make it current; a replacement by
    a team goes back to review — except that an approved material stays live on its approved
    version until an administrator approves the new one (a reply or a collection may already
    link it). Returns the version id. Call inside write_transaction()."""
    current = await existing_row(
        Material.select(Material.status).where(Material.id == material_id).first()
    )
    number = await next_version_number(material_id)
    row = await MaterialVersion.insert(
        MaterialVersion(
            material_id=material_id,
            number=number,
            file_key=key,
            file_name=file_name,
            content_type=content_type,
            size=size,
            sha256=sha256,
            uploaded_by=user.username,
            uploaded_at=now(),
        )
    )
    changes: dict[Any, Any] = {
        Material.version: number,
        Material.file_key: key,
        Material.file_name: file_name,
        Material.content_type: content_type,
        Material.size: size,
        Material.preview_key: None,
        Material.duration: None,
        Material.updated_at: now(),
    }
    if not user.is_admin:
        if current["status"] == "approved":
            await Material.update({Material.updated_at: now()}).where(Material.id == material_id)
            return row[0]["id"]
        changes[Material.status] = "pending"
    await Material.update(changes).where(Material.id == material_id)
    return row[0]["id"]


async def next_version_number(material_id: int) -> int:
    """One past the newest version stored (a version awaiting review counts)."""
    rows = await (
        MaterialVersion.select(MaterialVersion.number)
        .where(MaterialVersion.material_id == material_id)
        .order_by(MaterialVersion.number, ascending=False)
        .limit(1)
    )
    return (rows[0]["number"] if rows else 0) + 1


@dataclass(frozen=True, slots=True)
class CardRow(Row):
    """A material as a card, a list or the API shows it (CARD_COLUMNS)."""

    id: int
    kind: str
    title: str
    description: str
    tags: str
    fraud_types: str
    audiences: str
    series: str
    team: str
    body: str
    status: str
    version: int
    preview_key: str | None
    duration: float | None
    size: int
    downloads: int
    valid_from: dt.date | None
    valid_until: dt.date | None
    created_at: dt.datetime
    is_demo: bool


@dataclass(frozen=True, slots=True)
class HotCard(CardRow):
    """A card of the week's most downloaded, with its downloads of the last seven days."""

    week_downloads: int


@dataclass(frozen=True, slots=True)
class MaterialRow(CardRow):
    """One material with its current file (all the columns of Material)."""

    author_id: int | None
    author_name: str
    licence: str
    review_note: str
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    file_key: str | None
    file_name: str | None
    content_type: str | None
    updated_at: dt.datetime


def _cards(rows: list[dict]) -> list[CardRow]:
    return [CardRow(**row) for row in rows]


@dataclass(frozen=True, slots=True)
class VersionRow(Row):
    """One file a material has had (the columns of MaterialVersion)."""

    id: int
    material_id: int
    number: int
    file_key: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    pages: int | None
    preview_key: str | None
    duration: float | None
    uploaded_by: str
    uploaded_at: dt.datetime


def _version_row(row: dict | None) -> VersionRow | None:
    return VersionRow(**row) if row else None


async def version_awaiting_review(material: MaterialRow) -> VersionRow | None:
    """The newest version uploaded after the live one of an approved material, if any."""
    return _version_row(
        await MaterialVersion.select()
        .where(
            (MaterialVersion.material_id == material["id"])
            & (MaterialVersion.number > material["version"])
        )
        .order_by(MaterialVersion.number, ascending=False)
        .first()
    )


async def materials_with_versions_awaiting_review() -> set[int]:
    """Approved materials that have a newer version waiting for an administrator."""
    live = {
        r["id"]: r["version"]
        for r in await Material.select(Material.id, Material.version).where(
            Material.status == "approved"
        )
    }
    newest: dict[int, int] = {}
    for r in await MaterialVersion.select(MaterialVersion.material_id, MaterialVersion.number):
        newest[r["material_id"]] = max(newest.get(r["material_id"], 0), r["number"])
    return {m for m, version in live.items() if newest.get(m, 0) > version}


async def update_material(material_id: int, values: dict) -> None:
    await Material.update(
        {getattr(Material, k): v for k, v in {**values, "updated_at": now()}.items()}
    ).where(Material.id == material_id)


async def review(material_id: int, status: str, note: str, user: CurrentUser) -> None:
    """Approve or reject. For a live material with a newer version waiting, the decision is on
    that version: approving makes it current, rejecting drops it and the live one stays."""
    material = MaterialRow(
        **await existing_row(Material.select().where(Material.id == material_id).first())
    )
    waiting = await version_awaiting_review(material) if material["status"] == "approved" else None
    changes: dict[Any, Any] = {
        Material.status: status,
        Material.review_note: note[:200],
        Material.reviewed_by: user.username,
        Material.reviewed_at: now(),
    }
    if waiting and status == "approved":
        changes.update(
            {
                Material.version: waiting["number"],
                Material.file_key: waiting["file_key"],
                Material.file_name: waiting["file_name"],
                Material.content_type: waiting["content_type"],
                Material.size: waiting["size"],
                Material.preview_key: waiting["preview_key"],
                Material.duration: waiting["duration"],
            }
        )
    elif waiting:
        changes[Material.status] = "approved"
        await MaterialVersion.delete().where(
            (MaterialVersion.material_id == material_id)
            & (MaterialVersion.number > material["version"])
        )
    await Material.update(changes).where(Material.id == material_id)


async def version_for_preview(version_id: int) -> VersionRow | None:
    return _version_row(
        await MaterialVersion.select().where(MaterialVersion.id == version_id).first()
    )


async def set_preview(version_id: int, preview_key: str, duration: float | None) -> None:
    """Store a finished preview on its version, and on the material while that version is current;
    in a write transaction of its own (the preview job)."""
    async with write_transaction(MATERIALS):
        version = await MaterialVersion.select().where(MaterialVersion.id == version_id).first()
        if version is None:
            return
        await MaterialVersion.update(
            {MaterialVersion.preview_key: preview_key, MaterialVersion.duration: duration}
        ).where(MaterialVersion.id == version_id)
        await Material.update(
            {Material.preview_key: preview_key, Material.duration: duration}
        ).where((Material.id == version["material_id"]) & (Material.version == version["number"]))


# -- Reading materials -----------------------------------------------------------------------------


async def material(material_id: int) -> MaterialRow | None:
    row = await Material.select().where(Material.id == material_id).first()
    return MaterialRow(**row) if row else None


async def versions(material_id: int) -> list[VersionRow]:
    rows = await (
        MaterialVersion.select()
        .where(MaterialVersion.material_id == material_id)
        .order_by(MaterialVersion.number, ascending=False)
    )
    return [VersionRow(**row) for row in rows]


async def version(material_id: int, number: int) -> VersionRow | None:
    return _version_row(
        await MaterialVersion.select()
        .where((MaterialVersion.material_id == material_id) & (MaterialVersion.number == number))
        .first()
    )


def live_where(today: dt.date):
    return (
        (Material.status == "approved")
        & (Material.valid_until.is_null() | (Material.valid_until >= today))
        & (Material.valid_from.is_null() | (Material.valid_from <= today))
    )


def shop_where(filters: dict[str, str], user: CurrentUser | None, today: dt.date):
    """Who sees what: everyone the live materials; teams also their own uploads (?mine=1);
    admins everything, narrowed by ?status= (pending, approved, rejected, expired)."""
    if user is not None and filters.get("mine") == "1":
        where: Combinable = (Material.author_id == user.id) | (
            Material.team == (team_of(user) or "\x00")
        )
    elif user is not None and user.is_admin:
        status = filters.get("status", "")
        if status == "expired":
            where = Material.valid_until < today
        elif status in rules.STATUSES:
            where = Material.status == status
        else:
            where = Material.id.is_not_null()
    else:
        where = live_where(today)
    if filters.get("kind") in rules.KINDS:
        where &= Material.kind == filters["kind"]
    if fraud := filters.get("fraud_type"):
        where &= Material.fraud_types.like(f"%;{fraud.replace('%', '')};%")
    if audience := filters.get("audience"):
        where &= Material.audiences.like(f"%;{audience.replace('%', '')};%")
    if filters.get("series"):
        where &= Material.series == filters["series"]
    if q := filters.get("q", "").strip()[:50]:
        where &= (
            contains(Material.title, q)
            | contains(Material.description, q)
            | contains(Material.tags, q)
        )
    return where


async def shop_count(filters: dict[str, str], user: CurrentUser | None, today: dt.date) -> int:
    return await Material.count().where(shop_where(filters, user, today))


async def shop_listing(
    filters: dict[str, str], user: CurrentUser, today: dt.date, page: int, per_page: int
) -> tuple[int, list[CardRow]]:
    """The total and one page (clamped like web.pager) of the shop, read in one transaction so
    SQLite opens one connection for both."""
    async with engine().transaction():
        total = await shop_count(filters, user, today)
        last = max(1, -(-total // per_page))
        offset = (min(max(page, 1), last) - 1) * per_page
        return total, await shop_page(filters, user, today, offset, per_page)


async def shop_page(
    filters: dict[str, str],
    user: CurrentUser | None,
    today: dt.date,
    offset: int = 0,
    limit: int | None = 24,
) -> list[CardRow]:
    query = Material.select(*CARD_COLUMNS).where(shop_where(filters, user, today))
    if filters.get("sort") == "popular":
        query = query.order_by(Material.downloads, ascending=False)
    query = query.order_by(Material.id, ascending=False)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return _cards(await query)


_cache: dict[str, tuple[float, Any]] = {}
CACHE_SECONDS = 30


async def _cached(key: str, compute):
    """Shop-window side panels change slowly; recomputing them per request is wasted work."""
    hit = _cache.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = await compute()
    _cache[key] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def forget_cached() -> None:
    _cache.clear()


async def cached_collections() -> list[CollectionCard]:
    return await _cached("collections", collections)


async def cached_fraud_type_names() -> list[str]:
    return await _cached("fraud_types", fraud_type_names)


async def hot_this_week(today: dt.date, limit: int = 6) -> list[HotCard]:
    """The live materials downloaded most in the last seven days."""

    async def compute() -> list[HotCard]:
        since = dt.datetime.combine(today - dt.timedelta(days=6), dt.time(), dt.UTC)
        counts = await (
            Download.select(Download.material_id, Count(Download.id).as_alias("n"))
            .where(Download.at >= since)
            .group_by(Download.material_id)
            .order_by(Count(Download.id), ascending=False)
            .limit(limit * 4)
        )
        return await _live_in_order({c["material_id"]: c["n"] for c in counts}, today, limit)

    return await _cached(f"hot:{today}", compute)


async def _live_in_order(weights: dict[int, int], today: dt.date, limit: int) -> list[HotCard]:
    if not weights:
        return []
    rows = await Material.select(*CARD_COLUMNS).where(
        Material.id.is_in(list(weights)) & live_where(today)
    )
    rows.sort(key=lambda r: (-weights[r["id"]], -r["id"]))
    return [HotCard(**row, week_downloads=weights[row["id"]]) for row in rows[:limit]]


@dataclass(frozen=True, slots=True)
class WeekThemes(Row):
    """A week's leading fraud types and victim occupation groups, as (name, cases)."""

    monday: dt.date
    sunday: dt.date
    fraud_types: list[tuple[str, int]]
    groups: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Recommendations(WeekThemes):
    """The live materials a week's themes call for, best match first."""

    materials: list[CardRow]


async def case_themes_of_week(monday: dt.date, sunday: dt.date, top: int = 3) -> WeekThemes:
    """The leading fraud types and victim occupation groups among the week's cases."""
    summary = await cases.weekly_summary(monday, sunday)
    groups = [g for g in summary.by_occupation_group if g.name != case_rules.OTHER]
    return WeekThemes(
        monday=monday,
        sunday=sunday,
        fraud_types=[(t.name, t.cases) for t in summary.by_fraud_type[:top]],
        groups=[(g.name, g.cases) for g in groups[:top]],
    )


async def recommendations(today: dt.date, limit: int = 6) -> Recommendations:
    """What last week's cases call for: live materials on its leading fraud types or for its
    leading victim groups, best match first (rules.rank_recommendations), then most downloaded."""

    async def compute() -> Recommendations:
        themes = await case_themes_of_week(*rules.latest_full_week(today))
        where: Combinable | None = None
        for name, _n in themes.fraud_types:
            clause = Material.fraud_types.like(f"%;{name};%")
            where = clause if where is None else where | clause
        for name, _n in themes.groups:
            if name in rules.AUDIENCES:
                clause = Material.audiences.like(f"%;{name};%")
                where = clause if where is None else where | clause
        items: list[CardRow] = []
        if where is not None:
            matching = await Material.select(*CARD_COLUMNS).where(live_where(today) & where)
            items = rules.rank_recommendations(
                _cards(matching), themes.fraud_types, themes.groups, limit
            )
        return Recommendations(**themes, materials=items)

    return await _cached(f"recommend:{today}", compute)


# -- Downloads ---------------------------------------------------------------------------------


async def log_downloads(taken: list[tuple[Mapping[str, Any], int]], user: CurrentUser) -> None:
    """Log (material, version) pairs a person downloads, in one transaction; the download log is
    its own record, so no audit entry."""
    async with write_transaction(MATERIALS):
        for material, version in taken:
            await record_download(material, version, user)


async def record_download(material: Mapping[str, Any], version: int, user: CurrentUser) -> None:
    """Log who took which version, and count it. Call inside write_transaction()."""
    await Download.insert(
        Download(
            material_id=material["id"],
            version=version,
            user_id=user.id,
            username=user.username,
            team=unit_of(user),
            at=now(),
        )
    )
    await Material.update({Material.downloads: Material.downloads + 1}).where(
        Material.id == material["id"]
    )


def _download_where(filters: dict[str, str]) -> Combinable:
    where: Combinable = Download.id.is_not_null()
    if filters.get("team"):
        where &= Download.team == filters["team"]
    if (material_id := parse_id(filters.get("material"))) is not None:
        where &= Download.material_id == material_id
    for key, op in (("since", "ge"), ("until", "lt")):
        day = parse_date(filters.get(key))
        if day is None:
            continue
        if key == "until":
            day += dt.timedelta(days=1)
        moment = dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(hours=8)
        where &= (Download.at >= moment) if op == "ge" else (Download.at < moment)
    return where


async def download_count(filters: dict[str, str]) -> int:
    return await Download.count().where(_download_where(filters))


async def download_log(filters: dict[str, str], offset: int = 0, limit: int | None = 50) -> list:
    query = (
        Download.select(
            Download.id,
            Download.at,
            Download.username,
            Download.team,
            Download.version,
            Download.material_id,
        )
        .where(_download_where(filters))
        .order_by(Download.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    rows = await query
    titles = await titles_of({r["material_id"] for r in rows})
    for row in rows:
        row["title"] = titles.get(row["material_id"], "—")
    return rows


async def titles_of(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await Material.select(Material.id, Material.title).where(Material.id.is_in(list(ids)))
    return {r["id"]: r["title"] for r in rows}


@dataclass(frozen=True, slots=True)
class TeamDownloads(Row):
    """How many downloads one unit made (Download.team)."""

    team: str
    n: int


async def downloads_by_team(filters: dict[str, str]) -> list[TeamDownloads]:
    rows = await (
        Download.select(Download.team, Count(Download.id).as_alias("n"))
        .where(_download_where(filters))
        .group_by(Download.team)
        .order_by(Count(Download.id), ascending=False)
    )
    return [TeamDownloads(**row) for row in rows]


async def downloads_by_week(weeks: int, today: dt.date) -> list[tuple[dt.date, int]]:
    """Downloads per local week (Monday first) for the last `weeks` weeks, oldest first."""
    first = rules.week_start(today) - dt.timedelta(weeks=weeks - 1)
    since = dt.datetime.combine(first, dt.time(), dt.UTC) - dt.timedelta(hours=8)
    rows = await Download.select(Download.at).where(Download.at >= since)
    counts = {first + dt.timedelta(weeks=i): 0 for i in range(weeks)}
    for row in rows:
        day = local(row["at"]).date()
        counts[rules.week_start(day)] = counts.get(rules.week_start(day), 0) + 1
    return sorted(counts.items())


async def usage(today: dt.date, most: bool, limit: int = 10) -> list[CardRow]:
    """The most or least downloaded live materials."""
    return _cards(
        await Material.select(*CARD_COLUMNS)
        .where(live_where(today))
        .order_by(Material.downloads, ascending=not most)
        .order_by(Material.id, ascending=most)
        .limit(limit)
    )


async def expired(today: dt.date, limit: int = 50) -> list[CardRow]:
    return _cards(
        await Material.select(*CARD_COLUMNS)
        .where(Material.valid_until < today)
        .order_by(Material.valid_until, ascending=False)
        .limit(limit)
    )


async def live_count(today: dt.date) -> int:
    return await Material.count().where(live_where(today))


async def status_counts() -> dict[str, int]:
    rows = await Material.select(Material.status, Count(Material.id).as_alias("n")).group_by(
        Material.status
    )
    return {r["status"]: r["n"] for r in rows}


# -- Collections ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CollectionRow(Row):
    """A collection (专题) of materials (the columns of Collection)."""

    id: int
    name: str
    description: str
    created_at: dt.datetime
    is_demo: bool


@dataclass(frozen=True, slots=True)
class CollectionCard(CollectionRow):
    """A collection with how many materials it holds."""

    count: int


async def collections() -> list[CollectionCard]:
    rows = await Collection.select().order_by(Collection.id)
    counts = await CollectionItem.select(
        CollectionItem.collection_id, Count(CollectionItem.id).as_alias("n")
    ).group_by(CollectionItem.collection_id)
    sizes = {c["collection_id"]: c["n"] for c in counts}
    return [CollectionCard(**row, count=sizes.get(row["id"], 0)) for row in rows]


async def collection(collection_id: int) -> CollectionRow | None:
    row = await Collection.select().where(Collection.id == collection_id).first()
    return CollectionRow(**row) if row else None


async def collection_materials(
    collection_id: int, today: dt.date, live_only: bool
) -> list[MaterialRow]:
    items = await (
        CollectionItem.select(CollectionItem.material_id)
        .where(CollectionItem.collection_id == collection_id)
        .order_by(CollectionItem.position)
    )
    ids = [i["material_id"] for i in items]
    if not ids:
        return []
    where = Material.id.is_in(ids)
    if live_only:
        where &= live_where(today)
    rows = await Material.select().where(where)
    order = {mid: i for i, mid in enumerate(ids)}
    return [MaterialRow(**row) for row in sorted(rows, key=lambda r: order[r["id"]])]


async def create_collection(name: str, description: str, material_ids: list[int]) -> int:
    """Call inside write_transaction()."""
    row = await Collection.insert(Collection(name=name, description=description, created_at=now()))
    collection_id = row[0]["id"]
    await add_to_collection(collection_id, material_ids)
    return collection_id


async def add_to_collection(collection_id: int, material_ids: list[int]) -> None:
    existing = {
        r["material_id"]
        for r in await CollectionItem.select(CollectionItem.material_id).where(
            CollectionItem.collection_id == collection_id
        )
    }
    new = [m for m in dict.fromkeys(material_ids) if m not in existing]
    if new:
        start = len(existing)
        await CollectionItem.insert(
            *(
                CollectionItem(collection_id=collection_id, material_id=m, position=start + i)
                for i, m in enumerate(new)
            )
        )


async def existing_ids(ids: list[int]) -> list[int]:
    if not ids:
        return []
    rows = await Material.select(Material.id).where(Material.id.is_in(ids))
    found = {r["id"] for r in rows}
    return [i for i in ids if i in found]


# -- Orders (点单) --------------------------------------------------------------------------------


def _order_where(filters: dict[str, str], user: CurrentUser):
    where: Combinable = MaterialOrder.id.is_not_null()
    if not answers_orders(user):
        where &= MaterialOrder.requester_id == user.id
    if filters.get("status") in ("open", "answered"):
        where &= MaterialOrder.status == filters["status"]
    if q := filters.get("q", "").strip():
        where &= contains(MaterialOrder.topic, q) | contains(MaterialOrder.team, q)
    return where


async def order_count(filters: dict[str, str], user: CurrentUser) -> int:
    return await MaterialOrder.count().where(_order_where(filters, user))


@dataclass(frozen=True, slots=True)
class OrderRow(Row):
    """A material order (点单) and its answer (the columns of MaterialOrder)."""

    id: int
    requester_id: int
    requester_name: str
    team: str
    topic: str
    audience: str
    fraud_type: str
    note: str
    status: str
    answer: str
    answered_by: str | None
    answered_at: dt.datetime | None
    seen: bool
    created_at: dt.datetime
    is_demo: bool


@dataclass(frozen=True, slots=True)
class AnsweredOrder(OrderRow):
    """An order with the materials its answer links."""

    materials: list[CardRow]


async def orders(
    filters: dict[str, str], user: CurrentUser, offset: int = 0, limit: int | None = 50
) -> list[OrderRow]:
    query = (
        MaterialOrder.select()
        .where(_order_where(filters, user))
        .order_by(MaterialOrder.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [OrderRow(**row) for row in await query]


async def order(order_id: int) -> AnsweredOrder | None:
    row = await MaterialOrder.select().where(MaterialOrder.id == order_id).first()
    if row is None:
        return None
    links = await OrderMaterial.select(OrderMaterial.material_id).where(
        OrderMaterial.order_id == order_id
    )
    ids = [link["material_id"] for link in links]
    materials = (
        _cards(await Material.select(*CARD_COLUMNS).where(Material.id.is_in(ids))) if ids else []
    )
    return AnsweredOrder(**row, materials=materials)


async def create_order(values: dict, user: CurrentUser, is_demo: bool = False) -> int:
    """Call inside write_transaction()."""
    row = await MaterialOrder.insert(
        MaterialOrder(
            requester_id=user.id,
            requester_name=user.display_name,
            team=team_of(user),
            created_at=now(),
            is_demo=is_demo,
            **values,
        )
    )
    return row[0]["id"]


async def answer_order(order_id: int, material_ids: list[int], answer: str, user: CurrentUser):
    """Call inside write_transaction()."""
    await OrderMaterial.delete().where(OrderMaterial.order_id == order_id)
    if material_ids:
        await OrderMaterial.insert(
            *(OrderMaterial(order_id=order_id, material_id=m) for m in material_ids)
        )
    await MaterialOrder.update(
        {
            MaterialOrder.status: "answered",
            MaterialOrder.answer: answer,
            MaterialOrder.answered_by: user.display_name,
            MaterialOrder.answered_at: now(),
            MaterialOrder.seen: False,
        }
    ).where(MaterialOrder.id == order_id)


async def mark_seen(order_id: int) -> None:
    """The requester has read the answer (not audited: reading is not a change of record). The
    home card's 新答复 goes at once: write_transaction tells the cached dashboards."""
    async with write_transaction(MATERIALS):
        await MaterialOrder.update({MaterialOrder.seen: True}).where(MaterialOrder.id == order_id)


async def suggestions_for(order: OrderRow, today: dt.date, limit: int = 12) -> list[CardRow]:
    """Live materials that fit an order: its fraud type or audience, else its topic words."""
    where: Combinable | None = None
    if order.fraud_type:
        where = Material.fraud_types.like(f"%;{order.fraud_type};%")
    if order.audience:
        clause = Material.audiences.like(f"%;{order.audience};%")
        where = clause if where is None else where | clause
    if where is None:
        where = contains(Material.title, order.topic[:20])
    return _cards(
        await Material.select(*CARD_COLUMNS)
        .where(live_where(today) & where)
        .order_by(Material.downloads, ascending=False)
        .limit(limit)
    )


async def home_card(user: CurrentUser, today: dt.date) -> dict:
    """What the home page shows about materials: a team's orders and new answers; an admin's
    queue of uploads to review and open orders."""
    card: dict[str, Any] = {"template": "materials/_home_card.html"}
    if user.is_admin:
        card["pending"] = await Material.count().where(Material.status == "pending") + len(
            await materials_with_versions_awaiting_review()
        )
    if answers_orders(user):
        card["open_orders"] = await MaterialOrder.count().where(MaterialOrder.status == "open")
    if not user.is_admin:
        card["orders"] = await (
            MaterialOrder.select()
            .where(MaterialOrder.requester_id == user.id)
            .order_by(MaterialOrder.id, ascending=False)
            .limit(5)
        )
        card["unseen"] = sum(
            1 for o in card["orders"] if o["status"] == "answered" and not o["seen"]
        )
    card["live"] = await live_count(today)
    return card


# -- API -----------------------------------------------------------------------------------------


async def api_items(
    filters: dict[str, str], today: dt.date, offset: int, limit: int
) -> list[CardRow]:
    return await shop_page(filters, None, today, offset, limit)


# -- Write use cases: each one transaction with its audit entry --------------------------------


async def _store_file(
    material_id: int, received: Received, sniffed: rules.Sniffed, user: CurrentUser
) -> int:
    """Move a checked upload into storage as the material's next version (inside the use case's
    transaction); returns the version id."""
    number = await next_version_number(material_id)
    key = rules.storage_key(material_id, number, secrets.token_hex(8), sniffed.extension)
    name = rules.display_filename(received.file_name, sniffed.extension)
    if received.path is None:
        raise ValueError("the upload was already stored")
    await get_storage().put_file(key, received.path)
    received.path = None
    return await add_version(
        material_id, key, name, sniffed.content_type, received.size, received.sha256, user
    )


async def upload_material(
    values: dict,
    received: Received | None,
    sniffed: rules.Sniffed | None,
    user: CurrentUser,
    ip: str | None,
) -> tuple[int, int | None]:
    """A new material from a validated form, with its file when it has one: (material id,
    version id or None). The caller queues the preview of the version."""
    async with audited(user, ip, MATERIALS) as audit:
        material_id = await create_material(values["kind"], rules.stored_values(values), user)
        version_id = None
        if received is not None and sniffed is not None:
            version_id = await _store_file(material_id, received, sniffed, user)
        await audit.record(
            "material.create",
            f"material:{material_id}",
            _("上传素材《%(title)s》", title=values["title"]),
            {"kind": values["kind"]},
        )
    return material_id, version_id


async def change_material(
    material: MaterialRow, changes: dict, user: CurrentUser, ip: str | None
) -> None:
    async with audited(user, ip, MATERIALS) as audit:
        await update_material(material["id"], changes)
        await audit.record(
            "material.update",
            f"material:{material['id']}",
            _("修改素材《%(title)s》", title=changes.get("title", material["title"])),
            {"before": {k: str(material[k]) for k in changes}},
        )


async def replace_material_file(
    material: MaterialRow,
    received: Received,
    sniffed: rules.Sniffed,
    user: CurrentUser,
    ip: str | None,
) -> int:
    """A new version of a material's file (the old ones are kept); returns the version id."""
    async with audited(user, ip, MATERIALS) as audit:
        version_id = await _store_file(material["id"], received, sniffed, user)
        await audit.record(
            "material.file",
            f"material:{material['id']}",
            _("更换素材《%(title)s》的文件", title=material["title"]),
            {"size": received.size},
        )
    return version_id


async def review_material(
    material: MaterialRow, status: str, note: str, user: CurrentUser, ip: str | None
) -> None:
    async with audited(user, ip, MATERIALS) as audit:
        await review(material["id"], status, note, user)
        await audit.record(
            f"material.{status}",
            f"material:{material['id']}",
            _(
                "审核素材《%(title)s》:%(result)s",
                title=material["title"],
                result=rules.STATUSES[status],
            ),
            {"note": note},
        )
    forget_cached()


async def collect_material(
    collection: CollectionRow, material: MaterialRow, user: CurrentUser, ip: str | None
) -> None:
    async with audited(user, ip, MATERIALS) as audit:
        await add_to_collection(collection["id"], [material["id"]])
        await audit.record(
            "collection.add",
            f"collection:{collection['id']}",
            _("把《%(t)s》加入专题「%(c)s」", t=material["title"], c=collection["name"]),
        )
    forget_cached()


async def new_collection(
    name: str, description: str, material_ids: list[int], user: CurrentUser, ip: str | None
) -> int:
    async with audited(user, ip, MATERIALS) as audit:
        collection_id = await create_collection(name, description, material_ids)
        await audit.record(
            "collection.create",
            f"collection:{collection_id}",
            _("新建素材专题「%(name)s」", name=name),
        )
    forget_cached()
    return collection_id


async def place_order(values: dict, user: CurrentUser, ip: str | None) -> int:
    async with audited(user, ip, MATERIALS) as audit:
        order_id = await create_order(values, user)
        await audit.record(
            "order.create", f"order:{order_id}", _("点单:%(topic)s", topic=values["topic"])
        )
    return order_id


async def reply_to_order(
    order: OrderRow, material_ids: list[int], answer: str, user: CurrentUser, ip: str | None
) -> None:
    async with audited(user, ip, MATERIALS) as audit:
        await answer_order(order["id"], material_ids, answer, user)
        await audit.record(
            "order.answer",
            f"order:{order['id']}",
            _("答复点单:%(topic)s", topic=order["topic"]),
            {"materials": material_ids},
        )


def _moment(day: dt.date) -> dt.datetime:
    """The start of a local day as a UTC timestamp."""
    return dt.datetime.combine(day, dt.time(), dt.UTC) - dt.timedelta(hours=8)


@dataclass(frozen=True, slots=True)
class UserDownload(Row):
    """One download by a person, with the material's title ("—" once it is gone)."""

    at: dt.datetime
    username: str
    material_id: int
    version: int
    title: str


async def downloads_by_users(
    user_ids: list[int], start: dt.date, end: dt.date, limit: int = 50
) -> list[UserDownload]:
    """Downloads by these people in [start, end] (local days), newest first, with titles: the
    materials a unit took for its area (accountability reviews)."""
    if not user_ids:
        return []
    rows = (
        await Download.select(
            Download.at, Download.username, Download.material_id, Download.version
        )
        .where(
            Download.user_id.is_in(user_ids),
            Download.at >= _moment(start),
            Download.at < _moment(end + dt.timedelta(days=1)),
        )
        .order_by(Download.id, ascending=False)
        .limit(limit)
    )
    titles = await titles_of({r["material_id"] for r in rows})
    return [UserDownload(**row, title=titles.get(row["material_id"], "—")) for row in rows]


async def orders_by_users(
    user_ids: list[int], start: dt.date, end: dt.date, limit: int = 50
) -> list[OrderRow]:
    """Material orders (点单) these people placed in [start, end] (local days), newest first."""
    if not user_ids:
        return []
    rows = await (
        MaterialOrder.select()
        .where(
            MaterialOrder.requester_id.is_in(user_ids),
            MaterialOrder.created_at >= _moment(start),
            MaterialOrder.created_at < _moment(end + dt.timedelta(days=1)),
        )
        .order_by(MaterialOrder.id, ascending=False)
        .limit(limit)
    )
    return [OrderRow(**row) for row in rows]
