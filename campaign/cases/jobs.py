"""Case work that runs off the request: a large import (checked or applied) with its progress."""

from __future__ import annotations

import datetime as dt
import logging

from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases import queries
from campaign.cases.imports import import_file, result_of_summary
from campaign.i18n import _
from campaign.importing import MAX_REPORTED_ERRORS, ImportRejected, keep_upload, take_upload

log = logging.getLogger("campaign.cases")


async def _actor(user_id: int | None) -> CurrentUser | None:
    row = await accounts.user_detail(user_id) if user_id else None
    if row is None:
        return None
    return CurrentUser(row["id"], row["username"], row["display_name"], row["role"], Scope())


async def run_case_import(ctx: dict, job_id: int) -> str:
    """Check or import the file an ImportJob names, reporting each stage on the job row; a
    checked file with changes is kept again so the person can confirm it."""
    job = await queries.import_job(job_id)
    if job is None:
        return "missing"
    data = take_upload(job["upload_token"] or "")
    if data is None:
        await queries.update_import_job(
            job_id,
            status="failed",
            summary={"message": _("待处理的文件已过期或已被处理,请重新上传")},
            finished_at=dt.datetime.now(dt.UTC),
        )
        return "failed"
    await queries.update_import_job(job_id, status="running", upload_token=None)

    async def progress(stage: str, done: int, total: int) -> None:
        await queries.update_import_job(job_id, stage=stage, done=done, total=total)

    finished = {"finished_at": dt.datetime.now(dt.UTC)}
    try:
        summary = await import_file(
            "cases",
            job["filename"],
            data,
            dry_run=job["dry_run"],
            actor=await _actor(job["created_by"]),
            progress=progress,
        )
    except ImportRejected as rejected:
        await queries.update_import_job(
            job_id,
            status="rejected",
            total=len(rejected.errors),
            errors=[
                {"row": e.row, "column": e.column, "reason": e.reason}
                for e in rejected.errors[:MAX_REPORTED_ERRORS]
            ],
            **finished,
        )
        return "rejected"
    except Exception:
        log.exception("case import job %s failed", job_id)
        await queries.update_import_job(
            job_id,
            status="failed",
            summary={"message": _("导入时系统出错,未写入任何数据")},
            **finished,
        )
        return "failed"
    pending = job["dry_run"] and bool(summary.added or summary.changed)
    await queries.update_import_job(
        job_id,
        status="done",
        stage="done",
        done=summary.rows,
        total=summary.rows,
        summary=result_of_summary(summary),
        upload_token=keep_upload(data) if pending else None,
        **finished,
    )
    return "done"


FUNCTIONS = [run_case_import]
CRON_JOBS: list = []
