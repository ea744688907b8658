"""Test set-up: a throwaway var/ folder, SQLite by default or PostgreSQL from TEST_DATABASE_URL,
migrations once per run and empty tables before every test that asks for `db`.

REQUIRE_SERVICES=1 (set by .ci/run) turns "PostgreSQL/Redis/Chromium not available" skips into
failures, so CI cannot pass by skipping.
"""

from __future__ import annotations

import asyncio
import os
import re
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
from piccolo.apps.user.tables import BaseUser  # noqa: E402

from campaign.bootstrap import migrate  # noqa: E402
from campaign.db import close_pool, engine, is_sqlite, start_pool  # noqa: E402
from campaign.worker import FUNCTIONS as _JOBS  # noqa: E402,F401  (wires follow-up jobs as the app does)

# Real PBKDF2, fewer rounds: tests create many users. test_password_kdf checks the real setting.
PRODUCTION_PBKDF2_ROUNDS = BaseUser._pbkdf2_iteration_count
BaseUser._pbkdf2_iteration_count = 1_000

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def need(available: bool, what: str) -> None:
    """Skip when a service is missing on a laptop; fail in CI."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="session")
def migrated() -> None:
    asyncio.run(migrate())


def _tables() -> list[str]:
    from piccolo.conf.apps import Finder

    return [table._meta.tablename for table in Finder().get_table_classes()]


async def truncate_all() -> None:
    tables = _tables()
    if is_sqlite():
        for name in tables:
            await engine().run_ddl(f'DELETE FROM "{name}"')
    else:
        await engine().run_ddl(
            "TRUNCATE " + ", ".join(f'"{n}"' for n in tables) + " RESTART IDENTITY CASCADE"
        )


@pytest.fixture
async def db(migrated):
    """An empty, migrated database for this test."""
    await truncate_all()
    yield


@pytest.fixture
async def app(db):
    from campaign.app import create_app

    # httpx's ASGITransport sends no lifespan events; start what the lifespan would.
    await start_pool()
    yield create_app()
    await close_pool()


@pytest.fixture
async def client(app):
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


PASSWORD = "pass1234word"


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


def csrf_token(client: httpx.AsyncClient) -> str:
    return client.cookies.get("campaign_csrf") or ""


async def post_form(
    client: httpx.AsyncClient, url: str, data: dict | None = None, **kwargs
) -> httpx.Response:
    """POST a form the way a browser would: the CSRF cookie is set by a GET first."""
    if not csrf_token(client):
        await client.get("/login")
    return await client.post(
        url, data={**(data or {}), "_csrf_token": csrf_token(client)}, **kwargs
    )


async def login(
    client: httpx.AsyncClient, username: str, password: str = PASSWORD
) -> httpx.Response:
    response = await post_form(client, "/login", {"username": username, "password": password})
    assert response.status_code == 302, f"login as {username} failed: {response.status_code}"
    return response


def text_of(html: str, selector_attr: str) -> list[str]:
    """Inner text of elements carrying an attribute, e.g. text_of(page, 'data-stat="town"')."""
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(rf"<[^>]*{selector_attr}[^>]*>(.*?)</", html, re.S)
    ]


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
