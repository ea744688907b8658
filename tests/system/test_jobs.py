"""Jobs run in-process without Redis and in an arq worker with it; cron times are Shanghai time."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from arq.cron import next_cron

from campaign import jobs
from campaign.accounts import jobs as accounts_jobs
from campaign.accounts.tables import LoginFailure
from campaign.timeutil import LOCAL
from campaign.worker import CRON_JOBS, FUNCTIONS, WorkerSettings
from tests.helpers.services import REDIS_URL, need_redis


async def _stale_failure() -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    await LoginFailure.insert(LoginFailure(key="ip:10.0.0.1", failures=7, last_failed_at=long_ago))
    await LoginFailure.insert(
        LoginFailure(key="ip:10.0.0.2", failures=1, last_failed_at=dt.datetime.now(dt.UTC))
    )


def test_worker_evaluates_cron_in_shanghai_time():
    assert WorkerSettings.timezone.key == "Asia/Shanghai"
    sunday_night_utc = dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)  # Monday 07:30 in Shanghai
    monday_8am = next_cron(sunday_night_utc.astimezone(LOCAL), weekday=0, hour=8, minute=0)
    assert monday_8am.replace(microsecond=0) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=LOCAL)
    assert monday_8am.astimezone(dt.UTC).hour == 0


def test_every_cron_job_is_a_registered_function():
    assert {job.coroutine for job in CRON_JOBS} <= set(FUNCTIONS)


async def test_without_redis_a_job_runs_in_process(db):
    await _stale_failure()
    job_id = await jobs.enqueue(accounts_jobs.purge_login_failures)
    assert job_id
    for _ in range(50):
        if not jobs._running:
            break
        await asyncio.sleep(0.02)
    keys = {row["key"] for row in await LoginFailure.select(LoginFailure.key)}
    assert keys == {"ip:10.0.0.2"}


async def test_in_process_cron_stops_when_asked(db):
    stop = asyncio.Event()
    task = asyncio.create_task(jobs.run_cron_in_process(CRON_JOBS, stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(task, timeout=2)


async def test_with_redis_the_arq_worker_runs_the_job(db, monkeypatch):
    await need_redis()
    from arq import Worker
    from arq.connections import RedisSettings, create_pool

    from campaign import settings as settings_module

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    settings_module.get_settings.cache_clear()
    monkeypatch.setattr(jobs, "_pool", None)
    try:
        await _stale_failure()
        queue = f"campaign-test-{uuid.uuid4().hex}"
        pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=queue)
        monkeypatch.setattr(jobs, "_pool", pool)
        job_id = await jobs.enqueue(accounts_jobs.purge_login_failures, job_id="purge-test")
        assert job_id == "purge-test"
        # a named job is queued once; one without a name (its id drawn at random, queued in one
        # round trip without arq's check) each time
        assert await jobs.enqueue(accounts_jobs.purge_login_failures, job_id="purge-test") is None
        drawn = await jobs.enqueue(accounts_jobs.purge_login_failures)
        assert drawn not in (None, "purge-test")
        assert await pool.zcard(queue) == 2
        worker = Worker(
            functions=FUNCTIONS,
            redis_pool=pool,
            queue_name=queue,
            burst=True,
            poll_delay=0,
            handle_signals=False,
        )
        await worker.main()
        await worker.close()
        assert (worker.jobs_complete, worker.jobs_failed, await pool.zcard(queue)) == (2, 0, 0)
        assert {row["key"] for row in await LoginFailure.select(LoginFailure.key)} == {
            "ip:10.0.0.2"
        }
        await pool.flushdb()
        await pool.aclose()
    finally:
        settings_module.get_settings.cache_clear()
