"""Case tests start from the small Ningbo slice with the default reference lists."""

from __future__ import annotations

import asyncio

import pytest

from campaign import jobs
from campaign.cases.queries import seed_reference_lists
from tests.helpers.ningbo import load_slice


@pytest.fixture
async def ningbo(db):
    """The slice of tests/helpers/ningbo.py plus the default fraud types and occupation groups. Case
    writes enqueue the streak refresh in-process; it is awaited here, before the app and the
    database are torn down (request `ningbo` after `client`)."""
    await load_slice()
    await seed_reference_lists()
    yield
    await asyncio.gather(*jobs._running, return_exceptions=True)
