"""Telling open warning boards about new and changed warnings, at once.

Every change writes a BoardEvent row (its id is the server-sent event id) and then publishes the
event's payload here. Without REDIS_URL (the embedded default, one process) the payload goes
straight to this process's open boards; with it, it goes through Redis pub/sub so the boards of
every `--workers` process and every machine hear it. A board that reconnects (or fell behind)
reads what it missed from the BoardEvent rows, so a lost message is never a lost warning.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from campaign.observability import SSE_CLIENTS
from campaign.settings import get_settings

log = logging.getLogger("campaign.warnings.live")
CHANNEL = "campaign:{db}:warnings:board"
#: Events a board may fall behind by before it re-reads from the database instead.
QUEUE_SIZE = 500


def channel() -> str:
    """Pub/sub is not scoped to a Redis database: the channel names the database in REDIS_URL,
    so two deployments (or test runs) sharing one Redis server do not hear each other."""
    path = urlsplit(get_settings().redis_url or "").path.strip("/")
    return CHANNEL.format(db=path or "0")


class Subscriber:
    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[dict] = asyncio.Queue(maxsize=queue_size)
        #: set when the queue overflowed: the board must re-read from the database
        self.lagging = False

    def offer(self, payload: dict) -> None:
        try:
            self.queue.put_nowait(payload)
        except asyncio.QueueFull:
            self.lagging = True


_subscribers: set[Subscriber] = set()
_listener: asyncio.Task | None = None
_redis = None
#: Tasks of this process that live off the boards' events (the feed), ended by close().
_tasks: set[asyncio.Task] = set()


def run_in_background(task: asyncio.Task) -> None:
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def _fan_out(payload: dict) -> None:
    for subscriber in list(_subscribers):
        subscriber.offer(payload)


async def _client():
    global _redis
    if _redis is None:
        from redis.asyncio import Redis

        _redis = Redis.from_url(get_settings().redis_url)
    return _redis


async def publish_many(payloads: list[dict]) -> None:
    """Tell every open board, in every process; never raises (the database row is the record)."""
    if not payloads:
        return
    if not get_settings().redis_url:
        for payload in payloads:
            _fan_out(payload)
        return
    try:  # one message for the lot: a batch of 50 is one PUBLISH and one wake-up per process
        await (await _client()).publish(channel(), json.dumps(payloads))
    except Exception:  # boards catch up from the database on their next reconnect
        log.exception("publishing %s board events failed", len(payloads))


async def _listen(url: str) -> None:
    """One Redis subscription per process, fanned out to this process's boards."""
    from redis.asyncio import Redis

    while True:
        try:
            async with Redis.from_url(url) as redis:
                pubsub = redis.pubsub()
                await pubsub.subscribe(channel())
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        data = json.loads(message["data"])  # a list; a dict from before 30 Nov
                        for payload in data if isinstance(data, list) else [data]:
                            _fan_out(payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("board subscription lost; resubscribing")
            for subscriber in list(_subscribers):
                subscriber.lagging = True
            await asyncio.sleep(1)


@contextlib.asynccontextmanager
async def subscribe(queue_size: int | None = None) -> AsyncIterator[Subscriber]:
    global _listener
    subscriber = Subscriber(queue_size or QUEUE_SIZE)
    _subscribers.add(subscriber)
    SSE_CLIENTS.inc()
    url = get_settings().redis_url
    if url and (_listener is None or _listener.done()):
        _listener = asyncio.create_task(_listen(url))
    try:
        yield subscriber
    finally:
        _subscribers.discard(subscriber)
        SSE_CLIENTS.dec()


def open_boards() -> int:
    return len(_subscribers)


async def close() -> None:
    global _listener, _redis
    for task in list(_tasks):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if _listener is not None:
        _listener.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await _listener
        _listener = None
    if _redis is not None:
        await _redis.aclose()
        _redis = None
