"""Test set-up: a throwaway var/ folder, SQLite by default or PostgreSQL from TEST_DATABASE_URL,
migrations once per run and empty tables before every test that asks for `db`.

REQUIRE_SERVICES=1 (set by .ci/run) turns "PostgreSQL/Redis/Chromium not available" skips into
failures, so CI cannot pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import pytest

_VAR = Path(tempfile.mkdtemp(prefix="campaign-test-"))
os.environ["CAMPAIGN_VAR"] = str(_VAR)
os.environ["DATABASE_URL"] = (
    os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_VAR / 'test.sqlite3'}"
)
os.environ.pop("REDIS_URL", None)  # the app under test runs jobs in-process unless a test opts in
os.environ.setdefault("SECRET_KEY", "test-secret-key")

import httpx  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402
from piccolo.apps.user.tables import BaseUser  # noqa: E402

from campaign import jobs  # noqa: E402
from campaign.bootstrap import migrate  # noqa: E402
from campaign.db import close_pool, start_pool  # noqa: E402
from campaign.worker import FUNCTIONS as _JOBS  # noqa: E402,F401  (wires follow-up jobs as the app does)
from tests.helpers.database import truncate_all  # noqa: E402
from tests.helpers.passwords import FAST_PBKDF2_ROUNDS  # noqa: E402
from tests.helpers.web import PASSWORD  # noqa: E402

# Hypothesis's per-example deadline is a timing assertion: on a loaded machine it fails right code.
hypothesis_settings.register_profile("campaign", deadline=None)
hypothesis_settings.load_profile("campaign")

# Real PBKDF2, fewer rounds: tests create many users. test_password_kdf checks the real setting.
BaseUser._pbkdf2_iteration_count = FAST_PBKDF2_ROUNDS


@pytest.fixture(scope="session")
def migrated() -> None:
    asyncio.run(migrate())


@pytest.fixture
async def db(migrated):
    """An empty, migrated database for this test. Jobs the test started in this process (a
    write's follow-ups, run without Redis) finish before its event loop closes."""
    await truncate_all()
    yield
    await jobs.drain()


@pytest.fixture
async def app(db):
    from campaign.app import create_app

    # httpx's ASGITransport sends no lifespan events; start what the lifespan would.
    await start_pool()
    yield create_app()
    await jobs.drain()
    await close_pool()


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest.fixture
def make_user(db):
    """make_user("coord", "coordinator", unit=("town", "330282005")) → user id."""
    from campaign.accounts import queries

    async def make(
        username: str,
        role: str = "admin",
        unit: tuple[str, str] | None = None,
        team: str | None = None,
    ) -> int:
        kind, code = unit or (None, None)
        return await queries.create_user(username, PASSWORD, username, role, kind, code, team)

    return make


@pytest.fixture
def environment():
    """environment(NAME="value", ...) sets variables for this test and has campaign.settings read
    them again; both are undone before the other fixtures' teardown."""
    from campaign.settings import get_settings

    with pytest.MonkeyPatch.context() as patch:

        def set_variables(**values: str) -> None:
            for name, value in values.items():
                patch.setenv(name, value)
            get_settings.cache_clear()

        yield set_variables
    get_settings.cache_clear()
