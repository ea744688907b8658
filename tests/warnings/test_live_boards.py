"""Live boards hear about warnings in this process (embedded default) and, with REDIS_URL, from
every process through Redis pub/sub."""

from __future__ import annotations

import asyncio
import json

import pytest

from campaign import settings as settings_module
from campaign.warnings import live
from tests.helpers.services import REDIS_URL, need
from tests.helpers.warnings import item, push


async def test_boards_in_this_process_hear_a_new_warning_at_once(ningbo):
    async with live.subscribe() as board:
        await push(item(warning_id="L1"))
        payload = await asyncio.wait_for(board.queue.get(), 2)
    assert payload["kind"] == "new" and payload["station_code"] == "PS330282005"
    assert "phone" not in json.dumps(payload)


async def test_a_board_that_falls_behind_is_told_to_reread(ningbo, monkeypatch):
    monkeypatch.setattr(live, "QUEUE_SIZE", 2)
    async with live.subscribe() as board:
        await push(item(warning_id="Q1"), item(warning_id="Q2"), item(warning_id="Q3"))
    assert board.lagging


@pytest.fixture
async def redis_settings(monkeypatch):
    from redis.asyncio import Redis

    try:
        async with Redis.from_url(REDIS_URL) as redis:
            await redis.ping()
    except Exception:
        need(False, "Redis")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    settings_module.get_settings.cache_clear()
    yield
    await live.close()
    settings_module.get_settings.cache_clear()


async def test_with_redis_a_warning_stored_by_another_process_reaches_this_board(
    ningbo, redis_settings
):
    from redis.asyncio import Redis

    async with live.subscribe() as board:
        for _ in range(50):  # the subscription is made by a background task
            async with Redis.from_url(REDIS_URL) as redis:
                listeners = (await redis.pubsub_numsub(live.channel()))[0][1]
            if listeners:
                break
            await asyncio.sleep(0.05)
        async with Redis.from_url(REDIS_URL) as other_process:
            await other_process.publish(
                live.channel(), json.dumps({"id": 7, "warning_id": 1, "kind": "new"})
            )
        heard = await asyncio.wait_for(board.queue.get(), 3)
        assert heard == {"id": 7, "warning_id": 1, "kind": "new"}
        await push(item(warning_id="R1"))  # published through Redis, heard back here
        own = await asyncio.wait_for(board.queue.get(), 3)
    assert own["kind"] == "new" and own["station_code"] == "PS330282005"
    assert live.channel().endswith(":warnings:board")
