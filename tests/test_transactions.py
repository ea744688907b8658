"""campaign.db's transactions move the data generation after a committed write, and only then:
the kept boards and home cards of every process (campaign.generations) rely on it."""

from __future__ import annotations

import pytest

from campaign import generations
from campaign.db import read_transaction, write_transaction
from campaign.system import queries as system


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
