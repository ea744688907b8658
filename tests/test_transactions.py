"""campaign.db's transactions move the data generation after a committed write, and only then,
with the generations of the domains written (every domain when the writer names none): the kept
boards (cases) and home cards (data) of every process (campaign.generations) rely on it."""

from __future__ import annotations

import datetime as dt

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
