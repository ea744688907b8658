"""Case tests start from the small Ningbo slice with the default reference lists."""

from __future__ import annotations

import pytest

from campaign.cases.queries import seed_reference_lists
from tests.ningbo import load_slice


@pytest.fixture
async def ningbo(db):
    """The slice of tests/ningbo.py plus the default fraud types and occupation groups."""
    await load_slice()
    await seed_reference_lists()
