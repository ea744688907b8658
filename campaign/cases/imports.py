"""Case import (docs/import-formats.md): read, validate every row against what is stored, then write the whole
file in one transaction — or nothing. Idempotent on 案件编号."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import gc
from collections.abc import Callable, Coroutine, Iterable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from typing import Any

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries, rules
from campaign.cases.bulk import paused_gc
from campaign.cases.import_check import Build, CheckProcess, InProcessCheck
from campaign.db import is_sqlite, rollback_journal_while_alone
from campaign.generations import CASES
from campaign.i18n import _
from campaign.importing import (
    ImportRejected,
    ImportSummary,
    RowError,
    Source,
    estimated_rows,
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
#: A file of more rows (estimated) is checked in a child process (cases.import_check): starting
#: one costs ~0.5 s, the check of 10^6 rows ~7 s of a single core.
CHECK_IN_PROCESS_ABOVE = 200_000


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
    """Run with the cyclic garbage collector paused (bulk.paused_gc), then freeze what exists:
    the rows of a large file are all alive, and a full collection started later — also by the
    event loop between two chunks (~1.5 s of a 10^6-row import) — would walk them again (this
    halves the time to read a 10^6-row file). They hold no cycles, so nothing is left for it to
    free; import_file unfreezes at its end, so later garbage is collected as usual."""
    with paused_gc():
        try:
            return function(*args)
        finally:
            gc.freeze()


@contextmanager
def _frozen_until_done() -> Iterator[None]:
    """What _without_gc froze goes back to the collector when the import ends, however it ends."""
    try:
        yield
    finally:
        gc.unfreeze()


def _describe_added(summary: CaseImportSummary, numbers: Iterable[str], count: int) -> None:
    summary.added += islice(numbers, max(KEPT_NUMBERS - len(summary.added), 0))
    summary.added_count += count


def _describe(summary: CaseImportSummary, plan: queries.ImportPlan) -> None:
    """Add a chunk's plan to the summary (the first DESCRIBED_CHANGES changes field by field)."""
    _describe_added(summary, (r.case_no for r in plan.added), len(plan.added))
    summary.changed += [
        r.case_no for r, _old, _differ in plan.changed[: KEPT_NUMBERS - len(summary.changed)]
    ]
    summary.changed_count += len(plan.changed)
    summary.unchanged += plan.unchanged
    room = DESCRIBED_CHANGES - len(summary.changes)
    for record, old, differ in plan.changed[: max(room, 0)]:
        after = dict(zip(rules.CASE_FIELDS, record.values(), strict=True))
        after["victim_phone_masked"] = record.victim_phone_masked
        summary.changes[record.case_no] = [
            (name, _shown(name, old[name]), _shown(name, after[name])) for name in differ
        ]


def _checking(
    filename: str, data: Source, expected: int, build: Build | None
) -> CheckProcess | InProcessCheck:
    """The file's check, in a child process when the file is large: `send` it the reference,
    then `next` gives each checked chunk (None after the last)."""
    if expected > CHECK_IN_PROCESS_ABOVE:
        return CheckProcess(filename, data, CHECK_CHUNK, build)
    return InProcessCheck(filename, data, CHECK_CHUNK, build)


def _keep(spill: queries.ImportSpill, written: Callable[[], queries.Written]) -> None:
    spill.keep(written())


async def import_file(
    kind: str,
    filename: str,
    data: Source,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
    progress: Progress | None = None,
    write_while_checking: bool = False,
) -> CaseImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports.

    The file is streamed (`data` is its bytes or its path): each chunk of CHECK_CHUNK rows is
    read and validated in a thread (the web server stays responsive), compared with the stored
    cases, and written — memory stays flat in the file's size. Only a file without a problem is
    written, in one audited transaction: on PostgreSQL each chunk goes in as soon as it is
    checked (rolled back on the first problem); on SQLite it is spilled to a temporary file and
    written after the check, unless `write_while_checking` (the CLI): then as on PostgreSQL,
    holding the database's single write lock from the first chunk, which a caller whose
    progress is written to the database (a job) would wait for; a first load large enough to
    rebuild the indexes then goes through a rollback journal if nothing else has the database
    open (db.rollback_journal_while_alone). `progress(stage, done, total)`
    hears of each chunk (never inside the write transaction, whose changes nobody else could
    see yet)."""
    if kind != "cases":
        raise ValueError(kind)
    outside = contextvars.copy_context()

    async def report(stage: str, done: int, total: int) -> None:
        """Progress, heard outside any write transaction of ours (a job writes it in its own)."""
        if progress:
            await asyncio.create_task(progress(stage, done, total), context=outside.copy())

    await report("reading", 0, 0)
    expected = await asyncio.to_thread(estimated_rows, filename, data)
    stored = await queries.has_cases()
    summary = CaseImportSummary(kind="cases")
    errors: list[RowError] = []
    # Each checked chunk is written at once, in the transaction opened here, while the
    # engine's work (PostgreSQL's server, SQLite's thread) overlaps the check of the next
    # chunk; a problem anywhere rolls it all back. SQLite otherwise writes the spill after the
    # check (one writer: a transaction held open meanwhile would block every other write).
    streamed = not dry_run and (write_while_checking or not is_sqlite())
    # a first import adds every valid record: the checker builds their rows (AddedRows), so
    # the parent, which writes, skips comparing and building (~4 s of its 10^6-row import)
    first = not stored and not dry_run
    with (
        queries.ImportSpill() as spill,
        _checking(filename, data, expected, spill.build if first else None) as check,
        _frozen_until_done(),
    ):
        check.send(await queries.reference())
        async with AsyncExitStack() as stack:
            if streamed and first and queries.rebuilds_indexes(expected, stored=0):
                await stack.enter_async_context(rollback_journal_while_alone())
            audit = await stack.enter_async_context(audited(actor, ip, CASES)) if streamed else None
            bulk = queries.BulkWrite(spill.build) if streamed else None
            if bulk:
                await bulk.start(expected, upper_bound=True)
            writing: asyncio.Task | None = None  # the previous chunk's write, still running
            while True:
                await report("checking", summary.rows, max(expected, summary.rows))
                try:
                    checked = await asyncio.to_thread(_without_gc, check.next)
                finally:  # also when the file turns out unreadable: the connection is free
                    if writing:
                        await writing
                        writing = None
                if checked is None:
                    break
                rows, found, problems = checked
                summary.rows += rows
                errors += problems
                if errors:
                    continue  # the file is refused: every problem is still reported
                if first:  # found: the rows the checker built
                    _describe_added(summary, queries.case_numbers(found), len(found))
                    written = partial(spill.take, found)
                else:
                    plan = await queries.plan_import(found, stored)
                    _describe(summary, plan)
                    written = partial(spill.rows, plan)
                if bulk:
                    writing = asyncio.create_task(bulk.write(*written()))
                elif not dry_run:
                    await asyncio.to_thread(_without_gc, _keep, spill, written)
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
                bulk = queries.BulkWrite(spill.build)
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
