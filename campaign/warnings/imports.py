"""Warning intake from files (`campaign import warnings FILE`, the upload page) and from the API.

Both check every row first and store all or nothing. Idempotent on 预警编号: a warning already
stored with the same content is a replay (answered with what is stored, never a duplicate); the
same id with different content is a conflict, refused and reported."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.db import read_transaction
from campaign.generations import WARNINGS
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, RowError, read_table
from campaign.warnings import live, queries, rules

#: At most this many warnings in one API request.
MAX_BATCH = 1000


@dataclass
class WarningImportSummary(ImportSummary):
    unassigned: int = 0
    rows: int = 0
    ids: list[int] = field(default_factory=list)


class Conflicting(ImportRejected):
    """Warnings already stored under the same id with different content."""


class OutsideJurisdiction(ImportRejected):
    """A coordinator's token pushed warnings for places outside its unit."""


async def checked(
    rows: list, actor: CurrentUser | None, live_push: bool = False
) -> list[rules.WarningRecord]:
    """Validated rows. Raises ImportRejected listing every bad row, then OutsideJurisdiction (a
    coordinator's places outside its unit). A live push is checked against the places as of at
    most a minute ago (recent_reference); a file against the database as it is now."""
    ref = await (queries.recent_reference() if live_push else queries.reference())
    records, errors = rules.validate_warnings(rows, ref)
    if errors:
        raise ImportRejected(errors)
    if actor is not None and not actor.is_admin:
        outside = [
            RowError(
                record.row,
                rules.COLUMN_LABELS["region_code"],
                _("预警 %(no)s 不在你的辖区范围内", no=record.warning_no),
            )
            for record in records
            if not rules.place_in_scope(
                actor.scope,
                ref.regions.get(record.village_code or record.town_code or ""),
                record.village_code or record.town_code or "",
                record.station_code,
            )
        ]
        if outside:
            raise OutsideJurisdiction(outside)
    return records


def refuse_conflicts(plan: queries.IntakePlan) -> None:
    if plan.conflicts:
        raise Conflicting(
            [
                RowError(
                    record.row,
                    rules.COLUMN_LABELS["warning_id"],
                    _("预警编号 %(no)s 已存在且内容不同(冲突),未导入", no=record.warning_no),
                )
                for record in plan.conflicts
            ]
        )


async def check(rows: list, actor: CurrentUser | None) -> queries.IntakePlan:
    """checked(), then compared with what is stored: Conflicting when an id is stored with
    other content."""
    plan = await queries.plan_intake(await checked(rows, actor))
    refuse_conflicts(plan)
    return plan


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
) -> WarningImportSummary:
    """Raises ImportRejected listing every bad row; otherwise stores (unless dry_run) and reports."""
    if kind != "warnings":
        raise ValueError(kind)
    rows = await asyncio.to_thread(read_table, filename, data, rules.WARNING_COLUMNS)
    plan = await check(rows, actor)
    summary = WarningImportSummary(
        kind="warnings",
        added=[r.warning_no for r in plan.added],
        unchanged=len(plan.replayed),
        unassigned=sum(1 for r in plan.added if r.station_code is None),
        rows=len(rows),
    )
    if not dry_run:
        stored = await queries.store_warnings(plan, actor, "import", ip, label=f"file:{filename}")
        summary.ids = list(stored.values())
    return summary


API_KEYS = tuple(column.key for column in rules.WARNING_COLUMNS)


def api_rows(body: object) -> list:
    """One warning object, a list of them, or {"warnings": [...]}, as numbered rows (the item's
    position from 1). ImportRejected when the shape is wrong or the batch too large."""
    items = body.get("warnings") if isinstance(body, dict) and "warnings" in body else body
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list) or not items:
        raise ImportRejected([RowError(0, "", _("请求体应为一条预警(JSON 对象)或预警列表"))])
    if len(items) > MAX_BATCH:
        raise ImportRejected([RowError(0, "", _("一次最多提交 %(n)s 条预警", n=MAX_BATCH))])
    rows = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ImportRejected([RowError(number, "", _("每条预警应为 JSON 对象"))])
        rows.append((number, {key: item.get(key) for key in API_KEYS}))
    return rows


async def receive(
    body: object, actor: CurrentUser, ip: str | None = None
) -> tuple[list[queries.WarningRow], int]:
    """Store what the API was sent; returns every warning of the request as now stored (new and
    replayed, in request order) and how many were new."""
    rows = api_rows(body)
    # One transaction (one connection on SQLite) for the checks and the insert; a refused push
    # rolls back having written nothing. The insert comes first and skips ids stored already:
    # only those (replays, conflicts, races lost) are then compared with what is stored, so a
    # push of new warnings costs no read. The boards are told once it has committed.
    async with audited(actor, ip, WARNINGS) as audit:
        records = await checked(rows, actor, live_push=True)
        intake = await queries.insert_warnings(records, audit, "api", label="api")
        new = intake.stored
        if len(new) < len(records):
            refuse_conflicts(
                await queries.plan_intake([r for r in records if r.warning_no not in new])
            )
    await live.publish_many(intake.events)
    answer = {
        r.warning_no: queries.WarningRow.just_stored(new[r.warning_no], r)
        for r in records
        if r.warning_no in new
    }
    numbers = [str(cells["warning_id"]).strip() for _number, cells in rows]
    if missing := [no for no in numbers if no not in answer]:  # replays, and races lost
        async with read_transaction():
            answer.update({row.warning_no: row for row in await queries.warnings_by_no(missing)})
    return [answer[no] for no in numbers if no in answer], len(new)
