"""`campaign worker` killed (kill -9) in the middle of an import or a thumbnail (issue 15,
faults): the job is retried, nothing is doubled, nothing half-written is served. The worker is
a real process on the test's own redis-server.

arq retries a job whose worker died once the job's in-progress lock expires (job timeout
+ 10 s); the test expires it at once instead of waiting five minutes."""

from __future__ import annotations

import io
import random

from arq.constants import in_progress_key_prefix
from PIL import Image

from campaign import jobs
from campaign.accounts.tables import AuditEntry
from campaign.cases import queries as cases
from campaign.cases.jobs import import_job_key, run_case_import
from campaign.cases.queries import seed_reference_lists
from campaign.cases.tables import Case
from campaign.events import photos
from campaign.events import queries as events
from campaign.events.jobs import process_photo
from campaign.importing import keep_upload, peek_upload
from campaign.timeutil import today
from tests.helpers.cases import HEADER, YESTERDAY
from tests.helpers.faults import kill, own_redis, start_worker, until
from tests.helpers.ningbo import load_slice

ROWS = 60_000
PLACES = ("330282005002", "330282108", "330206002001")


async def _in_progress(job_id: str) -> bool:
    pool = await jobs._redis_pool()
    return bool(await pool.exists(in_progress_key_prefix + job_id))


async def _expire_lock(job_id: str) -> None:
    """What the passing of job timeout + 10 s does to a dead worker's lock."""
    await (await jobs._redis_pool()).delete(in_progress_key_prefix + job_id)


async def test_an_import_cut_short_is_retried_once_and_imports_each_case_once(
    db, environment, tmp_path, make_user
):
    await load_slice()
    await seed_reference_lists()
    admin = await make_user("boss", "admin")
    body = "".join(
        f"K{i:06d},{YESTERDAY},{PLACES[i % 3]},,投资理财,{1000 + i},,\n" for i in range(ROWS)
    )
    token = keep_upload((HEADER + body).encode())
    job = await cases.create_import_job(
        {"kind": "cases", "filename": "big.csv", "dry_run": False, "upload_token": token,
         "created_by": admin}
    )  # fmt: skip
    key = import_job_key(job)
    audited_before = await AuditEntry.count()
    with own_redis(tmp_path) as redis:
        environment(REDIS_URL=redis.url)
        try:
            assert await jobs.enqueue(run_case_import, job, job_id=key) == key
            worker = start_worker(tmp_path / "worker.log")
            try:

                async def writing() -> bool:
                    row = await cases.import_job(job)
                    return row is not None and row["status"] == "running" and row["done"] > 0

                await until(writing, what="the import to start writing")
            finally:
                kill(worker)  # kill -9 half way through
            row = await cases.import_job(job)
            assert row["status"] == "running" and await Case.count() == 0  # rolled back
            assert peek_upload(token) is not None  # the staged file survived

            # A new worker: its start-up recovery does not queue a second copy (same arq id),
            # arq retries the original once its lock has expired.
            await _expire_lock(key)
            worker = start_worker(tmp_path / "worker.log")
            try:

                async def finished() -> bool:
                    row = await cases.import_job(job)
                    settled = row is not None and row["status"] not in ("queued", "running")
                    return settled and peek_upload(token) is None

                await until(finished, seconds=300, what="the retried import")
            finally:
                kill(worker)
            row = await cases.import_job(job)
            assert row["status"] == "done", row
            assert await Case.count() == ROWS  # each case once
            assert await AuditEntry.count() == audited_before + 1  # one import recorded
            assert peek_upload(token) is None
            # A late extra run (a second worker, a replay) changes nothing.
            assert await run_case_import({}, job) == "done"
            assert (await cases.import_job(job))["status"] == "done"
        finally:
            await jobs.close()


def big_photo() -> bytes:
    """A 4000×3000 photo that does not compress well: its thumbnails take a moment."""
    rng = random.Random(15)
    small = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    out = io.BytesIO()
    small.resize((4000, 3000)).save(out, "JPEG", quality=95)
    return out.getvalue()


async def test_a_thumbnail_cut_short_is_made_again_whole(db, environment, tmp_path, make_user):
    user = await make_user("boss", "admin")
    data = big_photo()
    checked, problem = photos.check(data)
    assert checked is not None, problem
    name = photos.store(data, checked, today())
    await events.add_photo("0" * 32, name, len(data), checked.width, checked.height, user)
    photo_id = (await events.pending_photos("0" * 32))[0]["id"]
    key = f"photo-{photo_id}"
    with own_redis(tmp_path) as redis:
        environment(REDIS_URL=redis.url)
        try:
            assert await jobs.enqueue(process_photo, photo_id, job_id=key) == key
            assert await jobs.enqueue(process_photo, photo_id, job_id=key) is None  # not twice
            worker = start_worker(tmp_path / "worker.log")
            try:
                await until(lambda: _in_progress(key), what="the thumbnail job to start")
            finally:
                kill(worker)
            assert not (await events.photo(photo_id))["ready"]

            await _expire_lock(key)
            worker = start_worker(tmp_path / "worker.log")
            try:

                async def ready() -> bool:
                    return bool((await events.photo(photo_id))["ready"])

                await until(ready, what="the retried thumbnail job")
            finally:
                kill(worker)
        finally:
            await jobs.close()
    for variant in ("large", "thumb"):
        with Image.open(photos.path_of(name, variant)) as image:
            image.load()  # whole JPEGs: a truncated one would raise here
            assert max(image.size) == (photos.LARGE if variant == "large" else photos.THUMB)
    # Run again (a replay): the photo is done, nothing is redone.
    assert await process_photo({}, photo_id) is False
