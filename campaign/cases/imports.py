"""Case import (docs/import-formats.md): read, validate every row against what is stored, then write the whole
file in one transaction — or nothing. Idempotent on 案件编号."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries, rules
from campaign.i18n import _
from campaign.importing import (
    ImportRejected,
    ImportSummary,
    RowError,
    Source,
    TupleRow,
    estimated_rows,
    open_table,
)
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


def _describe(summary: CaseImportSummary, plan: queries.ImportPlan) -> None:
    """Add a chunk's plan to the summary (the first DESCRIBED_CHANGES changes field by field)."""
    summary.added += [r.case_no for r in plan.added]
    summary.changed += [r.case_no for r, _old, _differ in plan.changed]
    summary.unchanged += plan.unchanged
    room = DESCRIBED_CHANGES - len(summary.changes)
    for record, old, differ in plan.changed[: max(room, 0)]:
        after = dict(zip(rules.CASE_FIELDS, record.values(), strict=True))
        after["victim_phone_masked"] = record.victim_phone_masked
        summary.changes[record.case_no] = [
            (name, _shown(name, old[name]), _shown(name, after[name])) for name in differ
        ]


def _check(
    chunks: Iterator[list[TupleRow]], keys: tuple[str, ...], reference, seen: dict[str, int]
) -> tuple[int, list[rules.CaseRecord], list[RowError]] | None:
    """The next chunk of the file read and validated (None after the last)."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    return len(chunk), *rules.validate_cases(chunk, keys, reference, seen)


async def import_file(
    kind: str,
    filename: str,
    data: Source,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
    progress: Progress | None = None,
) -> CaseImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports.

    The file is streamed (`data` is its bytes or its path): each chunk of CHECK_CHUNK rows is
    read and validated in a thread (the web server stays responsive), compared with the stored
    cases, and what it would write is spilled to a temporary file — memory stays flat in the
    file's size. Only a file without a problem is then written, from the spill, in one audited
    transaction. `progress(stage, done, total)` hears of each chunk (never inside the write
    transaction, whose changes nobody else could see yet)."""
    if kind != "cases":
        raise ValueError(kind)
    if progress:
        await progress("reading", 0, 0)
    table = await asyncio.to_thread(open_table, filename, data, rules.CASE_COLUMNS, CHECK_CHUNK)
    expected = await asyncio.to_thread(estimated_rows, filename, data)
    reference = await queries.reference()
    stored = await queries.has_cases()
    summary = CaseImportSummary(kind="cases")
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    chunks = iter(table)
    with queries.ImportSpill() as spill:
        while True:
            if progress:
                await progress("checking", summary.rows, max(expected, summary.rows))
            checked = await asyncio.to_thread(
                _without_gc, _check, chunks, table.keys, reference, seen
            )
            if checked is None:
                break
            rows, records, problems = checked
            summary.rows += rows
            errors += problems
            if errors:
                continue  # the file is refused: every problem is still reported
            plan = await queries.plan_import(records, stored)
            _describe(summary, plan)
            if not dry_run:
                await asyncio.to_thread(_without_gc, spill.keep, plan)
        if errors:
            raise ImportRejected(errors)
        if dry_run or not (summary.added or summary.changed):
            return summary
        if progress:
            await progress("writing", summary.rows, summary.rows)
        async with audited(actor, ip) as audit:
            touched = await queries.write_spill(spill)
            await audit.record(
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
