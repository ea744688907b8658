"""Runtime settings, readiness and the demo flag: the bottom of the domain stack (docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
import time

from redis.asyncio import Redis

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser
from campaign.db import engine, write_transaction
from campaign.i18n import _
from campaign.settings import get_settings
from campaign.system.rules import validate_setting
from campaign.system.tables import Setting


async def readiness() -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        await engine().run_ddl("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # a probe reports, it does not raise
        checks["database"] = f"error: {exc.__class__.__name__}"
    if url := get_settings().redis_url:
        try:
            async with Redis.from_url(url) as redis:
                await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    return checks


async def get_setting(key: str) -> str | None:
    row = await Setting.select(Setting.value).where(Setting.key == key).first()
    return row["value"] if row else None


async def setting_values(keys: list[str]) -> dict[str, str]:
    """Several settings in one query; absent keys are left out."""
    rows = await Setting.select(Setting.key, Setting.value).where(Setting.key.is_in(keys))
    return {row["key"]: row["value"] for row in rows}


async def _store(key: str, value: str) -> None:
    existing = await Setting.select(Setting.id).where(Setting.key == key).first()
    now = dt.datetime.now(dt.UTC)
    if existing:
        await Setting.update({Setting.value: value, Setting.updated_at: now}).where(
            Setting.key == key
        )
    else:
        await Setting.insert(Setting(key=key, value=value, updated_at=now))


async def set_setting(key: str, value: str) -> str:
    """Validate and store (command line, demo, tests); returns the normalised value. Raises
    ValueError with a Chinese reason."""
    value = validate_setting(key, value)
    async with write_transaction():
        await _store(key, value)
    return value


async def change_setting(key: str, value: str, actor: CurrentUser, ip: str | None) -> str:
    """An administrator changes a setting: validated, stored and audited in one transaction.
    Raises ValueError with a Chinese reason."""
    value = validate_setting(key, value)
    async with audited(actor, ip) as audit:
        before = await get_setting(key)
        await _store(key, value)
        await audit.record(
            "setting.set",
            f"setting:{key}",
            _("设置 %(key)s = %(value)s", key=key, value=value),
            {"before": before, "after": value},
        )
    return value


async def all_settings() -> dict[str, str]:
    return {row["key"]: row["value"] for row in await Setting.select(Setting.key, Setting.value)}


_demo_cache: tuple[float, bool] = (0.0, False)


async def demo_mode() -> bool:
    """Whether demo data is installed (shown as a banner on every page); re-read once a minute."""
    global _demo_cache
    expires, value = _demo_cache
    if time.monotonic() < expires:
        return value
    value = await get_setting("demo_data") == "1"
    _demo_cache = (time.monotonic() + 60, value)
    return value
