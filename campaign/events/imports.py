"""`campaign import events FILE`: outreach events from a spreadsheet, taken whole or not at all,
idempotent on the external id column (docs/import-formats.md)."""

from __future__ import annotations

import datetime as dt

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.events import queries, rules
from campaign.events.tables import Event
from campaign.generations import EVENTS
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, read_table
from campaign.regions.tables import Region, Station
from campaign.timeutil import LOCAL

CHUNK = 500
COMPARED = (
    "type_id",
    "place_code",
    "starts_at",
    "ends_at",
    "unit_code",
    "team",
    "place_text",
    *rules.FIGURES,
    "audiences",
    "notes",
    "status",
)


async def _known() -> tuple[dict, dict]:
    places, units = {}, {}
    for r in await Region.select(Region.code, Region.level, Region.town_code, Region.district_code):
        if r["level"] == "district":
            units[r["code"]] = "district"
        else:
            town = r["code"] if r["level"] == "town" else r["town_code"]
            places[r["code"]] = rules.KnownPlace(r["level"], town, r["district_code"])
            if r["level"] == "town":
                units[r["code"]] = "town"
    units |= {s["code"]: "station" for s in await Station.select(Station.code)}
    return places, units


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
) -> ImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports."""
    rows = read_table(filename, data, rules.IMPORT_COLUMNS)
    places, units = await _known()
    specs = {spec.name: spec for spec in (await queries.type_specs()).values()}
    audiences = [a["name"] for a in await queries.audience_groups()]
    records, errors = rules.validate_import(
        rows, specs, places, units, audiences, dt.datetime.now(LOCAL)
    )
    if errors:
        raise ImportRejected(errors)
    existing = {
        row["external_id"]: row
        for start in range(0, len(records), CHUNK)
        for row in await Event.select().where(
            Event.external_id.is_in([r["external_id"] for r in records[start : start + CHUNK]])
        )
    }
    summary = ImportSummary(kind)
    new, changed = [], []
    for record in records:
        before = existing.get(record["external_id"])
        if before is None:
            new.append(record)
            summary.added.append(record["external_id"])
        elif any(_differs(before[k], record[k]) for k in COMPARED):
            changed.append((before["id"], record))
            summary.changed.append(record["external_id"])
        else:
            summary.unchanged += 1
    if dry_run or not (new or changed):
        return summary
    who = actor.display_name if actor else _("导入")
    now = dt.datetime.now(dt.UTC)
    async with audited(actor, ip, EVENTS) as audit:
        for record in new:
            await queries.insert_event(await _full(record, actor, who, now))
        for event_id, record in changed:
            await queries.update_event(
                event_id, {**await _codes(record), **record, "updated_at": now}
            )
        if changed:
            await queries.rebuild_outreach()
        await audit.record(
            "events.import",
            f"file:{filename}"[:120],
            _("导入 %(file)s:%(s)s", file=filename, s=summary.describe()),
            {"added": len(new), "changed": len(changed), "unchanged": summary.unchanged},
        )
    return summary


def _differs(stored, new) -> bool:
    if isinstance(new, dt.datetime) and isinstance(stored, dt.datetime):
        return stored.astimezone(dt.UTC) != new.astimezone(dt.UTC)
    return str(stored or "") != str(new or "")


async def _codes(record: dict) -> dict:
    place = await queries.resolve_place(record["place_code"])
    assert place is not None
    return place.stored()


async def _full(record: dict, actor, who: str, now: dt.datetime) -> dict:
    verified = record["status"] == rules.VERIFIED
    return {
        **await _codes(record),
        **record,
        "reviewed_by": who if verified else None,
        "reviewed_at": now if verified else None,
        "created_by": actor.id if actor else None,
        "created_by_name": who,
        "created_at": now,
        "updated_at": now,
    }
