"""campaign.db's transactions move the data generation after a committed write, and only then,
with the generations of the domains written (every domain when the writer names none): the kept
boards (cases) and home cards (data) of every process (campaign.generations) rely on it."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from campaign import generations
from campaign.db import read_transaction, write_transaction
from campaign.system import queries as system
from campaign.system.tables import Setting


async def data() -> tuple:
    return await generations.current(generations.DATA)


async def test_a_committed_write_moves_the_data_generation_and_a_read_does_not(db):
    before = await data()
    async with read_transaction():
        await system.setting_values(["tracked_since"])
    assert await data() == before
    async with write_transaction():
        await system.set_setting("tracked_since", "2026-05-01")
        assert await data() == before  # not before the commit
    assert await data() != before


async def test_a_write_inside_a_read_moves_it_once_the_outer_transaction_commits(db):
    before = await data()
    async with read_transaction():
        async with write_transaction():
            await system.set_setting("tracked_since", "2026-05-01")
        assert await data() == before
    assert await data() != before


async def test_a_rolled_back_write_leaves_it(db):
    before = await data()
    with pytest.raises(RuntimeError):
        async with write_transaction():
            await system.set_setting("tracked_since", "2026-05-01")
            raise RuntimeError("rolled back")
    assert await data() == before


async def domains() -> dict[str, object]:
    return dict(
        zip(generations.DOMAINS, await generations.current(*generations.DOMAINS), strict=True)
    )


def moved(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


async def write_a_row(key: str = "test.row") -> None:
    """A plain write inside the caller's transaction (set_setting would open one of its own)."""
    await Setting.insert(Setting(key=key, value="1", updated_at=dt.datetime.now(dt.UTC)))


async def test_a_write_naming_a_domain_moves_it_and_data_only(db):
    before, data_before = await domains(), await data()
    async with write_transaction(generations.VOLUNTEERS):
        await write_a_row()
    assert moved(before, await domains()) == {generations.VOLUNTEERS}
    assert await data() != data_before


async def test_a_write_naming_no_domain_moves_every_domain(db):
    before = await domains()
    async with write_transaction():
        await write_a_row()
    assert moved(before, await domains()) == set(generations.DOMAINS)


async def test_nested_writes_move_the_domains_of_all_of_them_after_the_outer_commit(db):
    before = await domains()
    async with write_transaction(generations.WARNINGS):
        async with write_transaction(generations.CASES):
            await write_a_row()
        assert await domains() == before
    assert moved(before, await domains()) == {generations.WARNINGS, generations.CASES}


async def test_a_read_moves_no_domain(db):
    before = await domains()
    async with read_transaction():
        await system.setting_values(["tracked_since"])
    assert await domains() == before


async def test_with_redis_a_write_s_bumps_go_with_its_follow_up_job(db, environment, monkeypatch):
    """create_case's shape (generations.sent_with_next_job): the commit's new tokens wait for the
    job's round trip, and are set at the end of the block when no job took them. A job run in
    this process, started inside the block, sets its own at once."""
    from arq.connections import ArqRedis, RedisSettings, create_pool
    from arq.constants import job_key_prefix

    from campaign import jobs
    from tests.helpers.services import REDIS_URL, need_redis

    await need_redis()
    environment(REDIS_URL=REDIS_URL)
    prefix = f"campaign-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(generations, "_key", lambda name: f"{prefix}:generation:{name}")
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=prefix)
    monkeypatch.setattr(jobs, "_pool", pool)
    job_id = None
    try:
        before = await data()
        async with generations.sent_with_next_job():
            async with write_transaction():
                await write_a_row()
            assert await data() == before  # waiting for the job
            job_id = await jobs.enqueue(_bumping_job)
            queued = await data()
            assert queued != before and await pool.zcard(prefix) == 1
        assert await data() == queued

        async with generations.sent_with_next_job():
            async with write_transaction():
                await write_a_row("test.other")
            assert await data() == queued  # no job: set when the block ends
        assert await data() != queued

        # Redis refuses the job, which then runs here: the bumps it took are set when the
        # block ends, and the task's own bump, after that, is not left waiting
        refusing = ArqRedis(host="127.0.0.1", port=1)  # nothing listens there
        monkeypatch.setattr(jobs, "_pool", refusing)
        ended = await data()
        async with generations.sent_with_next_job():
            async with write_transaction():
                await write_a_row("test.third")
            await jobs.enqueue(_bumping_job)
        committed = await data()
        assert committed != ended
        await jobs.drain()
        assert await data() != committed
        await refusing.aclose()
    finally:
        generation_keys = [f"{prefix}:generation:{n}" for n in generations.NAMES]
        await pool.delete(prefix, f"{job_key_prefix}{job_id}", *generation_keys)
        await pool.aclose()


async def _bumping_job(ctx: dict) -> None:
    await asyncio.sleep(0.01)  # after the block that started it has ended
    await generations.bump(generations.DATA)
