"""Running work outside a request (docs/architecture.md).

With REDIS_URL the jobs go to arq and run in `campaign worker`; without it (the embedded default)
the same functions run in this process: `enqueue` starts them as tasks and `run_cron_in_process`
keeps the cron schedule inside the app's lifespan. Job functions take arq's `ctx` dict first.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import sys
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import default_queue_name, in_progress_key_prefix, job_key_prefix
from arq.cron import CronJob
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from campaign import generations
from campaign.observability import JOB_FAILURES
from campaign.settings import get_settings
from campaign.timeutil import LOCAL

log = logging.getLogger("campaign.jobs")
#: What a Redis that does not answer raises (refused, reset, timed out, loading its data).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError)
JobFunction = Callable[..., Awaitable[Any]]

_pool: ArqRedis | None = None
_running: set[asyncio.Task] = set()


def redis_settings() -> RedisSettings:
    url = get_settings().redis_url
    return RedisSettings.from_dsn(url) if url else RedisSettings()


async def _redis_pool() -> ArqRedis:
    global _pool
    if _pool is None:
        _pool = await create_pool(redis_settings())
    return _pool


async def drain() -> None:
    """Wait for the jobs this process started (without Redis) to finish, including any they
    start in turn. A CLI command calls this before its event loop ends: `asyncio.run` would
    otherwise cancel them half way (an import's streak refresh lost, "Event loop is closed")."""
    while _running:
        await asyncio.gather(*list(_running), return_exceptions=True)


async def close() -> None:
    global _pool
    if _pool is not None:
        await _pool.aclose()
        _pool = None


async def enqueue(
    function: JobFunction, *args: Any, job_id: str | None = None, **kwargs: Any
) -> str | None:
    """Queue a job; returns its id, or None when a job with that id is already queued (arq keeps
    results an hour, so an id meant as "one at a time" should include a time bucket)."""
    named = job_id is not None
    job_id = job_id or uuid.uuid4().hex
    if get_settings().redis_url:
        try:
            pool = await _redis_pool()
            if not named:
                return await _enqueue_new(pool, function.__name__, job_id, args, kwargs)
            job = await pool.enqueue_job(function.__name__, *args, _job_id=job_id, **kwargs)
        except REDIS_DOWN as error:
            # Redis is away (restarting, full): the work is not dropped but done here, as
            # without Redis. Job bodies are idempotent, so a copy queued before does no harm.
            log.warning("Redis unavailable (%s); %s runs in this process", error, function.__name__)
        else:
            return job.job_id if job else None
    _active[job_id] = QueuedJob(job_id, function.__name__, "running", dt.datetime.now(dt.UTC))
    task = asyncio.create_task(_run_logged(function, {"job_id": job_id}, *args, **kwargs))
    task.add_done_callback(lambda _task: _active.pop(job_id, None))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return job_id


async def _enqueue_new(
    pool: ArqRedis, function: str, job_id: str, args: tuple, kwargs: dict
) -> str:
    """arq's enqueue_job for an id just drawn at random, without its check that no job holds
    the id (WATCH, EXISTS, then MULTI … EXEC: three round trips, ~0.4 ms of every case write):
    the job's key and its place in the queue in one transaction, one round trip."""
    now = timestamp_ms()
    job = serialize_job(function, args, kwargs, None, now, serializer=pool.job_serializer)
    tokens = generations.take_waiting()
    try:
        async with pool.pipeline(transaction=True) as pipe:
            if tokens:  # the commit's generation bumps (generations.sent_with_next_job)
                pipe.mset(tokens)
            pipe.psetex(job_key_prefix + job_id, pool.expires_extra_ms, job)
            pipe.zadd(pool.default_queue_name, {job_id: now})
            await pipe.execute()
    except BaseException:
        generations.give_back(tokens)
        raise
    return job_id


#: Follow-up jobs per topic. A domain announces that something changed (`announce`); the domains
#: above it that care are subscribed by campaign/worker.py, the one module that knows every domain.
#: So a lower domain never imports an upper one to start its work (docs/architecture.md).
_subscribers: dict[str, list[JobFunction]] = {}


def subscribe(topic: str, function: JobFunction) -> None:
    """Run `function(ctx, *args)` as a job whenever `topic` is announced (once per function)."""
    functions = _subscribers.setdefault(topic, [])
    if function not in functions:
        functions.append(function)


def subscribers(topic: str) -> list[JobFunction]:
    return list(_subscribers.get(topic, ()))


async def announce(topic: str, *args: Any) -> str | None:
    """Enqueue one job, `follow_ups`, that runs every function subscribed to `topic` with
    `args`; returns its id (None when nothing is subscribed). With Redis one job per subscriber
    made three enqueues in every case write's request (~1.1 ms of it on a slow box); one is a
    single round trip (_enqueue_new)."""
    if not _subscribers.get(topic):
        return None
    return await enqueue(follow_ups, topic, *args)


async def follow_ups(ctx: dict, topic: str, *args: Any) -> None:
    """The job of one announcement: each subscriber of `topic` at once, each logged on its own
    (one that fails neither stops nor fails the others)."""
    await asyncio.gather(*(_run_logged(f, ctx, *args) for f in subscribers(topic)))


async def _run_logged(function: JobFunction, ctx: dict, *args: Any, **kwargs: Any) -> Any:
    try:
        return await function(ctx, *args, **kwargs)
    except Exception:
        log.exception("job %s failed", function.__name__)
        JOB_FAILURES.inc(job=function.__name__)
        recent_failures.appendleft(
            FailedJob(function.__name__, dt.datetime.now(dt.UTC), repr(sys.exc_info()[1])[:300])
        )
        return None


def _next_run(job: CronJob) -> dt.datetime:
    assert job.next_run is not None, "calculate_next sets it"
    return job.next_run


@dataclass(frozen=True, slots=True)
class QueuedJob:
    job_id: str
    function: str
    state: str  # queued | running
    since: dt.datetime | None


@dataclass(frozen=True, slots=True)
class FailedJob:
    function: str
    at: dt.datetime
    error: str


#: The last failures seen by this process (newest first), for the admin's job page.
recent_failures: deque[FailedJob] = deque(maxlen=50)
_active: dict[str, QueuedJob] = {}


async def queue_listing(limit: int = 200) -> list[QueuedJob]:
    """What waits or runs: arq's queue and in-progress keys with Redis, this process's tasks
    without."""
    if not get_settings().redis_url:
        return sorted(_active.values(), key=lambda j: j.since or dt.datetime.min)[:limit]
    pool = await _redis_pool()
    listed = []
    for job in (await pool.queued_jobs())[:limit]:
        running = await pool.exists(in_progress_key_prefix + (job.job_id or ""))
        listed.append(
            QueuedJob(
                job.job_id or "",
                job.function,
                "running" if running else "queued",
                job.enqueue_time,
            )
        )
    return listed


async def queue_depth() -> int:
    """Jobs waiting or running: arq's queue with Redis, this process's tasks without."""
    if get_settings().redis_url:
        return int(await (await _redis_pool()).zcard(default_queue_name))
    return len(_running)


async def run_cron_in_process(cron_jobs: Sequence[CronJob], stop: asyncio.Event) -> None:
    """The embedded stand-in for arq's cron: same schedule, local (Asia/Shanghai) times."""
    jobs = [copy.copy(job) for job in cron_jobs]
    now = dt.datetime.now(LOCAL)
    for job in jobs:
        job.calculate_next(now)
    while jobs and not stop.is_set():
        job = min(jobs, key=_next_run)
        delay = (_next_run(job) - dt.datetime.now(LOCAL)).total_seconds()
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(delay, 0))
            return
        except TimeoutError:
            pass
        await _run_logged(job.coroutine, {"job_id": f"cron:{job.name}"})
        job.calculate_next(dt.datetime.now(LOCAL))
