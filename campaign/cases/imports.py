"""Case import (docs/import-formats.md): read, validate every row against what is stored, then write the whole
file in one transaction — or nothing. Idempotent on 案件编号."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import gc
import sqlite3
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AsyncExitStack, closing, contextmanager
from dataclasses import dataclass, field
from typing import Any

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries, rules
from campaign.db import is_sqlite
from campaign.generations import CASES
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
Progress = Callable[[str, int, int], Coroutine[Any, Any, None]]
#: Changed cases described field by field in the preview and the audit entry.
DESCRIBED_CHANGES = 200
#: Rows checked between two progress reports.
CHECK_CHUNK = 50_000
#: Case numbers kept in `added` and `changed` (the counts are always complete).
KEPT_NUMBERS = 1_000


@dataclass
class CaseImportSummary(ImportSummary):
    """`added` and `changed` keep the first KEPT_NUMBERS case numbers only (memory flat in the
    file's size); `added_count` and `changed_count` count them all."""

    #: case number → [(field, before, after)] for the first DESCRIBED_CHANGES changed cases
    changes: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    rows: int = 0
    added_count: int = 0
    changed_count: int = 0

    def counts(self) -> tuple[int, int, int]:
        return self.added_count, self.changed_count, self.unchanged


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
    """Run with the cyclic garbage collector paused, then freeze what exists: a large file makes
    millions of small objects that are all alive, and each full collection would walk them again
    (this halves the time to read a 10^6-row file), also one started by the event loop between
    two chunks (~1.5 s of a 10^6-row import). They hold no cycles, so nothing is left for it to
    free; import_file unfreezes at its end, so later garbage is collected as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return function(*args)
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


@contextmanager
def _frozen_until_done() -> Iterator[None]:
    """What _without_gc froze goes back to the collector when the import ends, however it ends."""
    try:
        yield
    finally:
        gc.unfreeze()


def _describe(summary: CaseImportSummary, plan: queries.ImportPlan) -> None:
    """Add a chunk's plan to the summary (the first DESCRIBED_CHANGES changes field by field)."""
    summary.added += [r.case_no for r in plan.added[: KEPT_NUMBERS - len(summary.added)]]
    summary.changed += [
        r.case_no for r, _old, _differ in plan.changed[: KEPT_NUMBERS - len(summary.changed)]
    ]
    summary.added_count += len(plan.added)
    summary.changed_count += len(plan.changed)
    summary.unchanged += plan.unchanged
    room = DESCRIBED_CHANGES - len(summary.changes)
    for record, old, differ in plan.changed[: max(room, 0)]:
        after = dict(zip(rules.CASE_FIELDS, record.values(), strict=True))
        after["victim_phone_masked"] = record.victim_phone_masked
        summary.changes[record.case_no] = [
            (name, _shown(name, old[name]), _shown(name, after[name])) for name in differ
        ]


class EarlierNumbers:
    """The case numbers of a file's chunks checked so far, in a private temporary SQLite
    database (on disk, behind a small page cache): duplicates across a 10^6-row file are found
    without holding its numbers in memory. Used from one thread at a time; close() drops it."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute("CREATE TABLE seen (case_no TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def duplicates(self, numbers: dict[str, int]) -> list[RowError]:
        """Remember a chunk's {case number: row}; the rows whose number an earlier chunk had."""
        before = self.db.total_changes
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?, ?)", numbers.items())
        if self.db.total_changes - before == len(numbers):
            return []  # the common case: nothing repeated, nothing looked up
        label = rules.CASE_COLUMNS[0].label
        found: list[RowError] = []
        items = list(numbers.items())
        for start in range(0, len(items), 500):
            part = dict(items[start : start + 500])
            marks = ", ".join("?" for _ in part)
            query = f"SELECT case_no, row FROM seen WHERE case_no IN ({marks})"
            for case_no, first in self.db.execute(query, list(part)):
                if first != part[case_no]:
                    reason = rules.duplicate_case_no(case_no, first, part[case_no])
                    found.append(RowError(part[case_no], label, reason))
        return found

    def close(self) -> None:
        self.db.close()


def _check(
    chunks: Iterator[list[TupleRow]],
    keys: tuple[str, ...],
    reference,
    memo: rules.CaseMemo,
    earlier: EarlierNumbers,
) -> tuple[int, list[rules.CaseRecord], list[RowError]] | None:
    """The next chunk of the file read and validated (None after the last); its problems in
    row order."""
    chunk = next(chunks, None)
    if chunk is None:
        return None
    records, problems = rules.validate_cases(chunk, keys, reference, memo)
    repeated = earlier.duplicates(memo.seen)
    if repeated:
        problems = sorted([*problems, *repeated], key=lambda error: error.row)
    return len(chunk), records, problems


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
    cases, and written — memory stays flat in the file's size. Only a file without a problem is
    written, in one audited transaction: on PostgreSQL each chunk goes in as soon as it is
    checked (rolled back on the first problem); on SQLite it is spilled to a temporary file and
    written after the check. `progress(stage, done, total)` hears of each chunk (never inside
    the write transaction, whose changes nobody else could see yet)."""
    if kind != "cases":
        raise ValueError(kind)
    outside = contextvars.copy_context()

    async def report(stage: str, done: int, total: int) -> None:
        """Progress, heard outside any write transaction of ours (a job writes it in its own)."""
        if progress:
            await asyncio.create_task(progress(stage, done, total), context=outside.copy())

    await report("reading", 0, 0)
    table = await asyncio.to_thread(open_table, filename, data, rules.CASE_COLUMNS, CHECK_CHUNK)
    expected = await asyncio.to_thread(estimated_rows, filename, data)
    reference = await queries.reference()
    stored = await queries.has_cases()
    summary = CaseImportSummary(kind="cases")
    errors: list[RowError] = []
    memo = rules.CaseMemo()
    chunks = iter(table)
    earlier = EarlierNumbers()
    # PostgreSQL: each checked chunk is written at once, in the transaction opened here, while
    # the server's work overlaps the check of the next chunk; a problem anywhere rolls it all
    # back. SQLite writes the spill after the check (one writer: a transaction held open
    # meanwhile would block every other write, the job's progress included).
    streamed = not dry_run and not is_sqlite()
    with queries.ImportSpill() as spill, closing(earlier), _frozen_until_done():
        async with AsyncExitStack() as stack:
            audit = await stack.enter_async_context(audited(actor, ip, CASES)) if streamed else None
            bulk = queries.BulkWrite() if streamed else None
            if bulk:
                await bulk.start(expected, upper_bound=True)
            writing: asyncio.Task | None = None  # the previous chunk's write, still running
            while True:
                await report("checking", summary.rows, max(expected, summary.rows))
                try:
                    checked = await asyncio.to_thread(
                        _without_gc, _check, chunks, table.keys, reference, memo, earlier
                    )
                finally:  # also when the file turns out unreadable: the connection is free
                    if writing:
                        await writing
                        writing = None
                if checked is None:
                    break
                rows, records, problems = checked
                summary.rows += rows
                errors += problems
                if errors:
                    continue  # the file is refused: every problem is still reported
                plan = await queries.plan_import(records, stored)
                _describe(summary, plan)
                if bulk:
                    writing = asyncio.create_task(bulk.write(*spill.rows(plan)))
                elif not dry_run:
                    await asyncio.to_thread(_without_gc, spill.keep, plan)
            if errors:
                raise ImportRejected(errors)
            if dry_run or not (summary.added_count or summary.changed_count):
                if audit and bulk:
                    await bulk.finish(spill)  # the indexes start() dropped
                    audit.nothing_changed()
                return summary
            await report("writing", summary.rows, summary.rows)
            if not (audit and bulk):
                audit = await stack.enter_async_context(audited(actor, ip, CASES))
                bulk = queries.BulkWrite()
                await bulk.start(spill.added)
                for chunk in spill:
                    await bulk.write(*chunk)
            await bulk.finish(spill)
            await audit.record(
                "cases.import",
                f"file:{filename}"[:120],
                _("导入案件 %(file)s:%(s)s", file=filename, s=summary.describe()),
                {
                    "added": summary.added_count,
                    "changed": summary.changed_count,
                    "unchanged": summary.unchanged,
                    "changes": {
                        no: [{"field": f, "before": b, "after": a} for f, b, a in changes]
                        for no, changes in summary.changes.items()
                    },
                },
            )
        touched = spill.touched()
    await queries.announce_changed_units(touched)
    return summary


#: Case numbers listed in a result (the counts are always complete).
SHOWN_CASES = 50


def result_of_summary(summary: CaseImportSummary) -> dict:
    """What the upload page shows of a check or an import, as JSON-ready data (a job stores it)."""
    return {
        "rows": summary.rows,
        "added": summary.added_count,
        "changed": summary.changed_count,
        "unchanged": summary.unchanged,
        "added_sample": summary.added[:SHOWN_CASES],
        "changes": [
            {"case_no": no, "fields": [list(change) for change in changes]}
            for no, changes in list(summary.changes.items())[:SHOWN_CASES]
        ],
    }
