"""With REDIS_URL, sessions live in Redis so that many app processes share them."""

from __future__ import annotations

import httpx
from redis.asyncio import Redis

from campaign import settings as settings_module
from tests.helpers.services import REDIS_URL, need_redis
from tests.helpers.web import PASSWORD, post_form


async def test_login_session_is_kept_in_redis(db, make_user, monkeypatch):
    await need_redis()
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    settings_module.get_settings.cache_clear()
    try:
        from campaign.app import create_app

        await make_user("redisuser", "leader")
        app = create_app()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client:
            response = await post_form(
                client, "/login", {"username": "redisuser", "password": PASSWORD}
            )
            assert response.status_code == 302
            session_id = client.cookies.get("campaign_session")
            async with Redis.from_url(REDIS_URL) as redis:
                keys = [key.decode() async for key in redis.scan_iter("campaign-sessions*")]
            assert any(session_id in key for key in keys)
            assert (await client.get("/")).status_code == 200
    finally:
        settings_module.get_settings.cache_clear()
