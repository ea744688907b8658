"""Live boards hear about warnings in this process (embedded default) and, with REDIS_URL, from
every process through Redis pub/sub."""

from __future__ import annotations

import asyncio
import json

import pytest

from campaign import settings as settings_module
from campaign.db import write_transaction
from campaign.warnings import feed, live, queries
from tests.helpers.services import REDIS_URL, need_redis
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


async def test_the_feed_brings_a_new_warning_with_its_row_to_every_board(ningbo):
    async with feed.attached() as one, feed.attached() as other:
        assert one is other  # one feed per process, whatever the number of boards
        cursor = one.position()
        await push(item(warning_id="F1"), item(warning_id="F2"))
        entries = await one.wait(cursor, 5)
        while entries is not None and len(entries) < 2:
            entries = await one.wait(cursor, 5)
    assert entries is not None
    assert [e.row.warning_no for e in entries if e.row] == ["F1", "F2"]
    assert {e.event["kind"] for e in entries} == {"new"}
    built = []
    for _ in range(3):  # three boards of one kind: the batch's bytes are built once
        one.chunk(("k",), entries, lambda e: built.append(e.seq) or b"x")
    assert built == [e.seq for e in entries]


async def test_a_board_is_woken_only_by_warnings_that_concern_it(ningbo):
    """A thousand open boards of other stations do not look at this station's warnings."""
    from campaign.accounts.rules import Scope

    mine = feed.audience_of(Scope("station", "PS330282005"), is_admin=False)
    theirs = feed.audience_of(Scope("station", "PS330282108"), is_admin=False)
    assert feed.audience_of(Scope("station", "PS330282108"), is_admin=True) is None
    async with feed.attached() as hub:
        cursor = hub.position()
        waiting = asyncio.create_task(hub.wait(cursor, 0.5, theirs))
        await push(item(warning_id="A1"))
        entries = await hub.wait(cursor, 5, mine)
        while entries == []:
            entries = await hub.wait(cursor, 5, mine)
        assert entries is not None and entries[0].row and entries[0].row.warning_no == "A1"
        assert await waiting == []  # slept through it, and may skip to hub.position()
        assert await hub.wait(cursor, 0, None) == entries  # the city's board sees everything


async def test_the_feed_reads_events_no_message_announced(ningbo, monkeypatch):
    """Another process without Redis, or a lost message: the feed finds the row by polling."""
    monkeypatch.setattr(feed, "POLL_SECONDS", 0.2)
    (row,) = await push(item(warning_id="P1"))
    async with feed.attached() as hub:
        cursor = hub.position()
        async with write_transaction():  # an event written but never published
            (event,) = await queries._insert_events(
                [(row.id, "updated", row.station_code, None, row.town_code, row.district_code)]
            )
        entries = await hub.wait(cursor, 5)
        while entries == []:
            entries = await hub.wait(cursor, 5)
    assert entries is not None and entries[0].event["id"] == event["id"]
    assert entries[0].row is not None and entries[0].row.warning_no == "P1"


async def test_a_board_that_fell_out_of_the_ring_is_told_to_reread(ningbo, monkeypatch):
    monkeypatch.setattr(feed, "RING", 2)
    async with feed.attached() as hub:
        hub.log = type(hub.log)(maxlen=2)
        cursor = hub.position()
        await push(item(warning_id="O1"), item(warning_id="O2"), item(warning_id="O3"))
        for _ in range(50):
            if hub.position() >= cursor + 3:
                break
            await hub.wait(hub.position(), 0.2)
        assert await hub.wait(cursor, 0) is None


@pytest.fixture
async def redis_settings(monkeypatch):
    await need_redis()
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
                live.channel(),
                json.dumps([{"id": 7, "warning_id": 1, "kind": "new"}, {"id": 8, "warning_id": 2}]),
            )
        heard = [await asyncio.wait_for(board.queue.get(), 3) for _ in range(2)]
        assert heard == [{"id": 7, "warning_id": 1, "kind": "new"}, {"id": 8, "warning_id": 2}]
        await push(item(warning_id="R1"))  # published through Redis, heard back here
        own = await asyncio.wait_for(board.queue.get(), 3)
    assert own["kind"] == "new" and own["station_code"] == "PS330282005"
    assert live.channel().endswith(":warnings:board")
