"""Responsibility tests start from the Ningbo slice, the default reference lists and people at
each level; jobs enqueued in-process by case writes are awaited before tear-down."""

from __future__ import annotations

import asyncio

import pytest

from campaign import jobs
from campaign.cases.queries import seed_reference_lists as seed_cases
from campaign.events.queries import seed_reference_lists as seed_events
from tests.helpers.duties import BAISHA
from tests.helpers.ningbo import load_slice


@pytest.fixture
async def ningbo(db, make_user):
    """The slice plus: admin, a city leader, a 慈溪 district leader, a 北仑 district leader, a
    白沙路 town coordinator, a 附海 station coordinator."""
    await load_slice()
    await seed_cases()
    await seed_events()
    await make_user("admin", "admin")
    await make_user("leader", "leader")
    await make_user("cixi_leader", "leader", unit=("district", "330282"))
    await make_user("beilun_leader", "leader", unit=("district", "330206"))
    await make_user("coord", "coordinator", unit=("town", BAISHA))
    await make_user("fuhai_coord", "coordinator", unit=("station", "PS330282108"))
    yield
    await asyncio.gather(*jobs._running, return_exceptions=True)
