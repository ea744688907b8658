"""PostgreSQL, Redis and Chromium: skipped on a laptop without them, required in CI."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def need(available: bool, what: str) -> None:
    """Skip when a service is missing on a laptop; fail in CI."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI (REQUIRE_SERVICES=1) but not available")
    pytest.skip(f"{what} not available")


async def need_redis() -> None:
    """need() for the Redis at REDIS_URL: one that answers a PING."""
    from redis.asyncio import Redis

    try:
        async with Redis.from_url(REDIS_URL) as redis:
            answered = bool(await redis.ping())
    except Exception:
        answered = False
    need(answered, "Redis")
