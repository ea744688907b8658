"""Warning tests start from the small Ningbo slice (tests/helpers/ningbo.py) with the default fraud types."""

from __future__ import annotations

import asyncio

import pytest

from campaign import jobs
from campaign.cases.queries import seed_reference_lists
from tests.helpers.ningbo import load_slice


@pytest.fixture
async def ningbo(db):
    await load_slice()
    await seed_reference_lists()
    yield
    await asyncio.gather(*jobs._running, return_exceptions=True)


@pytest.fixture(autouse=True)
async def fresh_reference():
    """API pushes use a per-process copy of the places (a minute old at most); every test here
    builds its own database, so none may see the previous test's copy."""
    from campaign.warnings import controllers, feed, live
    from campaign.warnings.queries import forget_reference

    forget_reference()
    controllers._recent_html.clear()  # event ids start again in every test's database
    feed._feed = None  # and the feed belongs to the previous test's event loop
    yield
    forget_reference()
    await live.close()
