"""PostgreSQL restarted under a running app (issue 15, faults): what the app sees is every
connection cut and, for a moment, new ones refused. Requests then fail cleanly (a Chinese 503
page, JSON under /api/, Retry-After) and the app recovers by itself when the database is back.
Simulated on the test's own database only: its backends are terminated with
pg_terminate_backend and connections refused with ALLOW_CONNECTIONS false; the shared server is
never restarted."""

from __future__ import annotations

import os

import asyncpg
import pytest

from campaign.accounts import queries as accounts
from campaign.db import is_sqlite
from tests.helpers.web import login


async def _cut_off(admin: asyncpg.Connection, name: str, refuse: bool) -> None:
    """What a restart does to the app: connections refused (or allowed again) and every open
    one terminated."""
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not refuse).lower()}')
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )


async def test_requests_fail_cleanly_and_recover_without_restarting_the_app(client, make_user):
    if is_sqlite():
        pytest.skip("PostgreSQL only (TEST_DATABASE_URL)")
    url = os.environ["TEST_DATABASE_URL"]
    base, _, name = url.rpartition("/")
    user_id = await make_user("boss", "admin")
    bearer = {"Authorization": f"Bearer {await accounts.create_token(user_id, 'probe')}"}
    await login(client, "boss")
    assert (await client.get("/regions")).status_code == 200

    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await _cut_off(admin, name, refuse=True)
        for path in ("/regions", "/account", "/cases", "/"):
            page = await client.get(path)
            assert page.status_code == 503, (path, page.status_code)
            assert "服务暂时不可用" in page.text and "Traceback" not in page.text
            assert page.headers["retry-after"]
        api = await client.get("/api/v1/regions", headers=bearer)
        assert api.status_code == 503 and "稍后重试" in api.json()["detail"]
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 503
    finally:
        await _cut_off(admin, name, refuse=False)
        await admin.close()

    # Back: the first request may still meet a connection the pool had not seen die (a 503
    # again, never a 500); the next ones are served, with the same session and no restart.
    first = (await client.get("/regions")).status_code
    assert first in (200, 503)
    assert (await client.get("/regions")).status_code == 200
    assert (await client.get("/account")).status_code == 200
    assert (await client.get("/api/v1/regions", headers=bearer)).status_code == 200
    assert (await client.get("/readyz")).status_code == 200
