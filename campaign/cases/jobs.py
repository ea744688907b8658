"""Case work that runs off the request: a large import (checked or applied) with its progress."""

from __future__ import annotations

import datetime as dt
import logging

from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases import queries
from campaign.cases.imports import import_file, result_of_summary
from campaign.i18n import _
from campaign.importing import (
    MAX_REPORTED_ERRORS,
    ImportRejected,
    discard_upload,
    keep_upload,
    peek_upload,
)
from campaign.jobs import enqueue

log = logging.getLogger("campaign.cases")


async def _actor(user_id: int | None) -> CurrentUser | None:
    row = await accounts.user_detail(user_id) if user_id else None
    if row is None:
        return None
    return CurrentUser(row["id"], row["username"], row["display_name"], row["role"], Scope())


#: Job states after which running the job again must change nothing.
FINISHED = ("done", "rejected", "failed")


def import_job_key(job_id: int) -> str:
    """The arq job id of an import: the same for the first run and a recovery, so arq does not
    queue a second copy while its own retry of a killed run is still pending."""
    return f"case-import-{job_id}"


async def run_case_import(ctx: dict, job_id: int) -> str:
    """Check or import the file an ImportJob names, reporting each stage on the job row; a
    checked file with changes is kept again so the person can confirm it."""
    job = await queries.import_job(job_id)
    if job is None:
        return "missing"
    if job["status"] in FINISHED:
        return job["status"]  # a retry of a job that did finish: nothing to do, nothing to undo
    staged = job["upload_token"] or ""
    data = peek_upload(staged)
    if data is None:
        await queries.update_import_job(
            job_id,
            status="failed",
            summary={"message": _("待处理的文件已过期或已被处理,请重新上传")},
            finished_at=dt.datetime.now(dt.UTC),
        )
        return "failed"
    # The staged file stays until the job ends, so a job cut short by a crash can run again.
    await queries.update_import_job(job_id, status="running")
    outcome = await _run(job_id, job, data)  # not on cancellation: a shutdown leaves it to re-run
    discard_upload(staged)
    return outcome


async def _run(job_id: int, job: queries.ImportJobRow, data: bytes) -> str:

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
            upload_token=None,
            **finished,
        )
        return "rejected"
    except Exception:
        log.exception("case import job %s failed", job_id)
        await queries.update_import_job(
            job_id,
            status="failed",
            summary={"message": _("导入时系统出错,未写入任何数据")},
            upload_token=None,
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


async def recover_interrupted_imports(embedded: bool) -> int:
    """At start-up: import jobs left `running` (or, embedded, `queued`) by a process that died.
    A job whose staged file still exists is queued again (imports are keyed by case number, so a
    re-run does not double anything); otherwise it is marked failed with what to do next.
    Returns how many jobs were found."""
    statuses = ("queued", "running") if embedded else ("running",)
    found = await queries.import_jobs_with_status(statuses)
    for job in found:
        if peek_upload(job["upload_token"] or "") is not None:
            await queries.update_import_job(job["id"], status="queued", stage="")
            queued = await enqueue(run_case_import, job["id"], job_id=import_job_key(job["id"]))
            log.warning(
                "case import job %s was interrupted; %s",
                job["id"],
                "running it again" if queued else "arq retries it when its lock expires",
            )
        else:
            await queries.update_import_job(
                job["id"],
                status="failed",
                summary={
                    "message": _(
                        "处理被中断(服务重启),暂存的文件已不在,未写入任何数据。请重新上传文件。"
                    )
                },
                finished_at=dt.datetime.now(dt.UTC),
            )
            log.warning("case import job %s was interrupted and is marked failed", job["id"])
    return len(found)


FUNCTIONS = [run_case_import]
CRON_JOBS: list = []
