"""Warning tests start from the small Ningbo slice (tests/ningbo.py) with the default fraud types."""

from __future__ import annotations

import asyncio

import pytest

from campaign import jobs
from campaign.cases.queries import seed_reference_lists
from tests.ningbo import load_slice


@pytest.fixture
async def ningbo(db):
    await load_slice()
    await seed_reference_lists()
    yield
    await asyncio.gather(*jobs._running, return_exceptions=True)
