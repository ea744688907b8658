"""Redis stopped in the middle of a run (issue 15, faults): the app keeps serving what does not
need Redis, answers a clean 503 where it does, loses no queued work, and recovers by itself when
Redis is back. The test runs its own redis-server: the shared one is never touched."""

from __future__ import annotations

import asyncio
import datetime as dt

import httpx
from arq.worker import Worker

from campaign import jobs
from campaign.accounts import queries as accounts
from campaign.accounts.jobs import purge_login_failures
from campaign.accounts.tables import LoginFailure
from campaign.db import close_pool, start_pool
from tests.helpers.faults import kill, own_redis, start_worker, until
from tests.helpers.web import login


async def _old_failure(key: str) -> None:
    stale = dt.datetime.now(dt.UTC) - dt.timedelta(days=2)
    await LoginFailure.insert(LoginFailure(key=key, failures=3, last_failed_at=stale))


async def _keys() -> set[str]:
    return {row["key"] for row in await LoginFailure.select(LoginFailure.key)}


async def _run_queued_jobs() -> None:
    """What `campaign worker` does, in burst mode: run every queued job, then stop."""
    worker = Worker(
        functions=[purge_login_failures],
        redis_settings=jobs.redis_settings(),
        burst=True,
        poll_delay=0.05,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()


async def test_pages_keep_serving_and_no_queued_work_is_lost(db, environment, make_user, tmp_path):
    with own_redis(tmp_path) as redis:
        environment(REDIS_URL=redis.url)
        from campaign.app import create_app

        await start_pool()
        app = create_app()
        user_id = await make_user("boss", "admin")
        token = await accounts.create_token(user_id, "probe")
        bearer = {"Authorization": f"Bearer {token}"}
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://testserver"
            ) as client:
                await login(client, "boss")  # the session lives in Redis
                assert (await client.get("/account")).status_code == 200

                # A job queued while Redis is up and no worker runs, then Redis goes away.
                assert await jobs.enqueue(purge_login_failures, job_id="purge-before")
                redis.stop()

                assert (await client.get("/healthz")).status_code == 200
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and "error" in ready.json()["redis"]
                # No session needed: the API with a token, volunteers' pages, the login page.
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://testserver"
                ) as other:
                    assert (await other.get("/api/v1/me", headers=bearer)).status_code == 200
                    assert (await other.get("/v/login")).status_code == 200
                    assert (await other.get("/login")).status_code == 200
                # A logged-in page needs its session from Redis: a clean 503, no traceback.
                page = await client.get("/account")
                assert page.status_code == 503 and page.headers["retry-after"]
                assert "服务暂时不可用" in page.text and "Traceback" not in page.text
                api = await client.get("/api/v1/me")
                assert api.status_code == 503 and api.json()["status_code"] == 503

                # Work queued during the outage is done in this process instead of dropped.
                await _old_failure("user:during")
                assert await jobs.enqueue(purge_login_failures, job_id="purge-during")
                await jobs.drain()
                assert await _keys() == set()

                # Redis back (its append-only file kept the queue): the same session works
                # again without restarting the app, and the job queued before is still there.
                redis.start()
                assert (await client.get("/account")).status_code == 200
                assert (await client.get("/readyz")).status_code == 200
                assert [j.job_id for j in await jobs.queue_listing()] == ["purge-before"]
                await _old_failure("user:stale")
                await LoginFailure.insert(LoginFailure(key="user:fresh", failures=1))
                await _run_queued_jobs()
                assert await _keys() == {"user:fresh"}  # the job queued before the outage ran
                assert await jobs.queue_listing() == []
        finally:
            await jobs.close()
            await close_pool()
        await asyncio.sleep(0)


async def test_the_worker_waits_for_redis_and_then_runs_what_is_queued(db, environment, tmp_path):
    """arq gives up when Redis goes away under it; `campaign worker` starts it again until
    Redis answers, so no one has to restart the worker after a Redis restart."""
    log = tmp_path / "worker.log"
    with own_redis(tmp_path) as redis:
        environment(REDIS_URL=redis.url)

        async def logged(text: str) -> bool:
            return log.exists() and text in log.read_text()

        worker = start_worker(log)
        try:
            await until(lambda: logged("Starting worker"), what="the worker to start")
            redis.stop()
            await until(lambda: logged("Redis unavailable"), what="the worker to notice")
            assert worker.poll() is None  # still there, trying again
            redis.start()
            await _old_failure("user:stale")
            assert await jobs.enqueue(purge_login_failures, job_id="after-the-outage")

            async def purged() -> bool:
                return await _keys() == set()

            await until(purged, what="the job queued after Redis came back")
        finally:
            kill(worker)
            await jobs.close()
