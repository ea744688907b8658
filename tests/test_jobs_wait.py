"""Commands wait for the follow-up jobs they started in-process (no Redis), so an import's streak
refresh is not dropped when the command exits."""

from __future__ import annotations

import asyncio

from campaign import jobs

ran: list[str] = []


async def follow_up(ctx) -> None:
    await asyncio.sleep(0.05)
    ran.append("follow-up")


async def first(ctx) -> None:
    await asyncio.sleep(0.05)
    ran.append("first")
    await jobs.enqueue(follow_up)


async def test_drain_waits_for_jobs_and_the_jobs_they_start():
    ran.clear()
    await jobs.enqueue(first)
    assert ran == []
    await jobs.drain()
    assert ran == ["first", "follow-up"]


async def failing(ctx, *units) -> None:
    raise RuntimeError("boom")


async def recording(ctx, *units) -> None:
    ran.append(f"recorded {units}")


async def test_an_announcement_is_one_job_and_a_failing_subscriber_stops_no_other(monkeypatch):
    """With Redis each enqueue costs a case write three round trips: one job per topic."""
    ran.clear()
    monkeypatch.setattr(jobs, "_subscribers", {})
    enqueued: list[str] = []
    real_enqueue = jobs.enqueue

    async def counted(function, *args, **kwargs):
        enqueued.append(function.__name__)
        return await real_enqueue(function, *args, **kwargs)

    monkeypatch.setattr(jobs, "enqueue", counted)
    assert await jobs.announce("test.topic", ["u1"]) is None  # nothing subscribed yet
    jobs.subscribe("test.topic", failing)
    jobs.subscribe("test.topic", recording)
    assert await jobs.announce("test.topic", ["u1"])
    await jobs.drain()
    assert enqueued == ["follow_ups"]
    assert ran == ["recorded (['u1'],)"]
    assert jobs.recent_failures[0].function == "failing"
