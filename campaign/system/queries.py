"""Runtime settings, readiness and the home dashboard's figures."""

from __future__ import annotations

import datetime as dt
import time

from redis.asyncio import Redis

from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser
from campaign.db import engine, write_transaction
from campaign.materials import queries as materials
from campaign.regions import queries as regions
from campaign.settings import get_settings
from campaign.system.rules import validate_setting
from campaign.system.tables import Setting
from campaign.timeutil import today


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


async def set_setting(key: str, value: str) -> str:
    """Validate and store; returns the normalised value. Raises ValueError with a Chinese reason."""
    value = validate_setting(key, value)
    async with write_transaction():
        existing = await Setting.select(Setting.id).where(Setting.key == key).first()
        now = dt.datetime.now(dt.UTC)
        if existing:
            await Setting.update({Setting.value: value, Setting.updated_at: now}).where(
                Setting.key == key
            )
        else:
            await Setting.insert(Setting(key=key, value=value, updated_at=now))
    return value


async def all_settings() -> dict[str, str]:
    return {row["key"]: row["value"] for row in await Setting.select(Setting.key, Setting.value)}


async def dashboard_for(user: CurrentUser) -> dict:
    """What this person should look at today; each module adds its cards as it lands."""
    cards: list[dict] = []  # each module appends {"template": "<domain>/_home_card.html", ...}
    if user.role in ("admin", "coordinator"):
        from campaign.cases.queries import home_card as cases_card

        cards.append(await cases_card(user.scope, today()))
    if user.role in ("admin", "team"):
        cards.append(await materials.home_card(user, today()))
    from campaign.events.queries import home_card as events_card

    if card := await events_card(user):
        cards.append(card)
    if user.role in ("admin", "leader", "coordinator"):
        from campaign.streaks.queries import home_card as streaks_card

        cards.append(await streaks_card(user))
    if user.role in ("admin", "leader", "coordinator"):
        from campaign.contests.queries import home_card as contests_card

        cards.append(await contests_card(user))
    return {
        "cards": cards,
        "regions": await regions.counts_in(user.scope),
        "users": await accounts.user_counts() if user.is_admin else None,
        "recent_audit": await accounts.recent_audit(8) if user.is_admin else [],
        "settings": await all_settings() if user.is_admin else {},
    }


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
