"""Each test builds its own regions: forget the cached number of units per level."""

from __future__ import annotations

import pytest

from campaign.streaks import queries


@pytest.fixture(autouse=True)
def _fresh_level_sizes():
    queries._sizes.clear()
    yield
    queries._sizes.clear()
