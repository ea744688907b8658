"""Local days (docs/definitions.md): every day, week and month is a date in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from campaign.settings import TIMEZONE

LOCAL = ZoneInfo(TIMEZONE)


def local(value: dt.datetime) -> dt.datetime:
    """A stored timestamp in local time; naive values are taken as UTC, as Piccolo returns them."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LOCAL)


def today() -> dt.date:
    return dt.datetime.now(LOCAL).date()
