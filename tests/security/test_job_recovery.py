"""Jobs left `running` by a process that died are found at start-up: run again while their
staged file exists, else marked failed with what to do (issue 15, item 8)."""

from __future__ import annotations

import asyncio
import contextlib

from campaign import jobs
from campaign.cases import queries
from campaign.cases.queries import seed_reference_lists
from campaign.cases.tables import Case
from campaign.importing import keep_upload, peek_upload
from campaign.worker import recover_interrupted_work
from tests.helpers.cases import GOOD, HEADER
from tests.helpers.ningbo import load_slice
from tests.helpers.web import login


async def _job(status: str, token: str | None) -> int:
    return await queries.create_import_job(
        {
            "kind": "cases",
            "filename": "cases.csv",
            "dry_run": False,
            "status": status,
            "upload_token": token,
        }
    )


async def test_an_interrupted_job_with_its_file_runs_again(db):
    await load_slice()
    await seed_reference_lists()
    token = keep_upload((HEADER + GOOD).encode())
    job_id = await _job("running", token)  # as left by kill -9 in the middle of the import
    await recover_interrupted_work(embedded=True)
    await asyncio.gather(*jobs._running, return_exceptions=True)
    job = await queries.import_job(job_id)
    assert job["status"] == "done" and await Case.count() == 3
    assert peek_upload(token) is None  # removed once the job has finished
    await asyncio.gather(*jobs._running, return_exceptions=True)


async def test_an_interrupted_job_without_its_file_fails_and_says_what_to_do(client, make_user):
    await load_slice()
    job_id = await _job("running", "0" * 32)
    queued = await _job("queued", None)
    await recover_interrupted_work(embedded=True)
    for jid in (job_id, queued):
        job = await queries.import_job(jid)
        assert job["status"] == "failed" and "请重新上传" in job["summary"]["message"]
    await make_user("boss", "admin")
    await login(client, "boss")
    page = await client.get(f"/cases/import/jobs/{job_id}")
    assert "请重新上传" in page.text


async def test_the_staged_file_survives_until_the_job_ends(db, monkeypatch):
    """kill -9 during the import: the file the job was working on is still there."""
    from campaign.cases import jobs as case_jobs

    await load_slice()
    await seed_reference_lists()
    token = keep_upload((HEADER + GOOD).encode())
    job_id = await _job("queued", token)
    seen = []

    async def crash(*args, **kwargs):
        seen.append(peek_upload(token) is not None)
        raise asyncio.CancelledError  # the process goes away mid-import

    monkeypatch.setattr(case_jobs, "import_file", crash)
    with contextlib.suppress(asyncio.CancelledError):
        await case_jobs.run_case_import({}, job_id)
    assert seen == [True] and peek_upload(token) is not None
    assert (await queries.import_job(job_id))["status"] == "running"
