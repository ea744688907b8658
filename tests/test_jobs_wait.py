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
