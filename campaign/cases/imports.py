"""Case import (DESIGN §4): read, validate every row against what is stored, then write the whole
file in one transaction — or nothing. Idempotent on 案件编号."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser
from campaign.cases import queries, rules
from campaign.db import write_transaction
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, read_table

#: Changed cases described field by field in the preview and the audit entry.
DESCRIBED_CHANGES = 200


@dataclass
class CaseImportSummary(ImportSummary):
    #: case number → [(field, before, after)] for the first DESCRIBED_CHANGES changed cases
    changes: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    rows: int = 0


def _shown(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


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
        summary.changes[record.case_no] = [
            (name, _shown(old[name]), _shown(after[name])) for name in differ
        ]
    return summary


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
    progress: queries.Progress = None,
) -> CaseImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports.
    The parsing and checking run in a thread so a large file does not stall the web server."""
    if kind != "cases":
        raise ValueError(kind)
    if progress:
        await progress("reading", 0, 0)
    rows = await asyncio.to_thread(read_table, filename, data, rules.CASE_COLUMNS)
    if progress:
        await progress("checking", 0, len(rows))
    reference = await queries.reference()
    records, errors = await asyncio.to_thread(rules.validate_cases, rows, reference)
    if errors:
        raise ImportRejected(errors)
    plan = await queries.plan_import(records)
    summary = summarise(plan, len(rows))
    if dry_run or not (plan.added or plan.changed):
        return summary
    async with write_transaction() as transaction:
        await queries.write_import(transaction.connection, plan, progress=progress)
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
    return summary
