"""Building warnings for tests the way the platform sends them."""

from __future__ import annotations

import datetime as dt
import itertools

from campaign.timeutil import LOCAL
from campaign.warnings import imports

_numbers = itertools.count(1)


def item(**changes) -> dict:
    """One API item: a high-risk warning in 曙光社区 (白沙路派出所) issued ten minutes ago."""
    issued = dt.datetime.now(LOCAL).replace(microsecond=0) - dt.timedelta(minutes=10)
    base = {
        "warning_id": f"W{next(_numbers):06d}",
        "issued_at": issued.strftime("%Y-%m-%d %H:%M:%S"),
        "risk_level": "高",
        "phone": "13812345678",
        "region_code": "330282005002",
        "fraud_type": "刷单",
        "amount_yuan": "5000",
        "channel": "涉诈电话",
    }
    return {**base, **changes}


async def push(*items: dict, actor=None):
    """Store items as the centre would push them (actor None = the system)."""
    rows = imports.api_rows(list(items))
    plan = await imports.check(rows, actor)
    from campaign.warnings import queries

    await queries.store_warnings(plan, actor, "api")
    return await queries.warnings_by_no([i["warning_id"] for i in items])
