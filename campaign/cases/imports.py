"""Case import (docs/import-formats.md): read, validate every row against what is stored, then write the whole
file in one transaction — or nothing. Idempotent on 案件编号."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries, rules
from campaign.db import write_transaction
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, read_table
from campaign.timeutil import local

#: progress(stage, done, total): stages reading, checking, comparing, writing.
Progress = Callable[[str, int, int], Awaitable[None]]
#: Changed cases described field by field in the preview and the audit entry.
DESCRIBED_CHANGES = 200
#: Rows checked between two progress reports.
CHECK_CHUNK = 50_000


@dataclass
class CaseImportSummary(ImportSummary):
    #: case number → [(field, before, after)] for the first DESCRIBED_CHANGES changed cases
    changes: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    rows: int = 0


def _shown(name: str, value) -> str:
    """A field as people read it: local times, money in 元."""
    if value is None:
        return ""
    if name == "loss_fen":
        return f"{value / 100:,.2f}"
    if isinstance(value, dt.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _without_gc(function, *args):
    """Run with the cyclic garbage collector paused: a large file makes millions of small
    objects that are all alive, and each full collection would walk them again (this halves the
    time to read a 10^6-row file). They hold no cycles, so nothing is left for it to free."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        if enabled:
            gc.enable()


def summarise(plan: queries.ImportPlan, rows: int) -> CaseImportSummary:
    summary = CaseImportSummary(
        kind="cases",
        added=[r.case_no for r in plan.added],
        changed=[r.case_no for r, _old, _differ in plan.changed],
        unchanged=plan.unchanged,
        rows=rows,
    )
    for record, old, differ in plan.changed[:DESCRIBED_CHANGES]:
        after = dict(zip(rules.CASE_FIELDS, record.values(), strict=True))
        after["victim_phone_masked"] = record.victim_phone_masked
        summary.changes[record.case_no] = [
            (name, _shown(name, old[name]), _shown(name, after[name])) for name in differ
        ]
    return summary


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
    progress: Progress | None = None,
) -> CaseImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports.
    The parsing and checking run in a thread so a large file does not stall the web server;
    `progress(stage, done, total)` is told about each stage (never inside the write transaction,
    whose changes nobody else could see yet)."""
    if kind != "cases":
        raise ValueError(kind)
    if progress:
        await progress("reading", 0, 0)
    rows = await asyncio.to_thread(_without_gc, read_table, filename, data, rules.CASE_COLUMNS)
    reference = await queries.reference()
    records: list[rules.CaseRecord] = []
    errors: list = []
    seen: dict[str, int] = {}
    for start in range(0, len(rows), CHECK_CHUNK):
        if progress:
            await progress("checking", start, len(rows))
        part = rows[start : start + CHECK_CHUNK]
        checked, problems = await asyncio.to_thread(
            _without_gc, rules.validate_cases, part, reference, seen
        )
        records += checked
        errors += problems
    if errors:
        raise ImportRejected(errors)
    if progress:
        await progress("comparing", len(rows), len(rows))
    plan = await queries.plan_import(records)
    summary = summarise(plan, len(rows))
    if dry_run or not (plan.added or plan.changed):
        return summary
    if progress:
        await progress("writing", len(rows), len(rows))
    async with write_transaction() as transaction:
        touched = await queries.write_import(transaction.connection, plan)
        await accounts.record_audit(
            actor,
            "cases.import",
            f"file:{filename}"[:120],
            _("导入案件 %(file)s:%(s)s", file=filename, s=summary.describe()),
            {
                "added": len(summary.added),
                "changed": len(summary.changed),
                "unchanged": summary.unchanged,
                "changes": {
                    no: [{"field": f, "before": b, "after": a} for f, b, a in changes]
                    for no, changes in summary.changes.items()
                },
            },
            ip,
        )
    await queries.announce_changed_units(touched)
    return summary


#: Case numbers listed in a result (the counts are always complete).
SHOWN_CASES = 50


def result_of_summary(summary: CaseImportSummary) -> dict:
    """What the upload page shows of a check or an import, as JSON-ready data (a job stores it)."""
    return {
        "rows": summary.rows,
        "added": len(summary.added),
        "changed": len(summary.changed),
        "unchanged": summary.unchanged,
        "added_sample": summary.added[:SHOWN_CASES],
        "changes": [
            {"case_no": no, "fields": [list(change) for change in changes]}
            for no, changes in list(summary.changes.items())[:SHOWN_CASES]
        ],
    }
