"""Shared set-up for the volunteers tests: the Ningbo slice, staff, an approved propagandist,
events, and a phone client that joins by the propagandist's code."""

from __future__ import annotations

import datetime as dt
import re

from campaign.db import write_transaction
from campaign.events import queries as events
from campaign.events.queries import seed_reference_lists as seed_event_lists
from campaign.events.tables import EventType
from campaign.volunteers import queries, rules
from campaign.volunteers.queries import seed_reference_lists
from tests.helpers.ningbo import load_slice
from tests.helpers.web import post_form

CIXI, BAISHA, FUHAI, XINQI = "330282", "330282005", "330282108", "330206002"
SHUGUANG, BAISHA_VILLAGE, FUHAI_VILLAGE, XINQI_VILLAGE = (
    "330282005002",
    "330282005206",
    "330282108201",
    "330206002001",
)


async def setup(make_user) -> None:
    from campaign.cases.queries import seed_reference_lists as seed_case_lists

    await load_slice()
    await seed_case_lists()
    await seed_event_lists()
    await seed_reference_lists()
    await make_user("coord_baisha", "coordinator", unit=("station", "PS330282005"))
    await make_user("coord_fuhai", "coordinator", unit=("station", "PS330282108"))
    await make_user("admin", "admin")
    await make_user("leader", "leader")


async def approved_propagandist(user, area=(BAISHA,)) -> queries.PropagandistRow:
    """The user (a CurrentUser) applied and was approved by an admin."""
    p = await queries.apply(user, "民警", list(area), None)
    await queries.set_status(p.id, rules.APPROVED, user, None)
    found = await queries.propagandist(p.id)
    assert found is not None
    return found


def join_path(p: queries.PropagandistRow) -> str:
    return f"/v/j/{rules.recruit_token(p.id, p.area, queries.secret())}"


async def join(client, p, phone="13800138000", nickname="张晓明", village=SHUGUANG, **extra):
    await client.get(join_path(p))
    return await post_form(
        client,
        join_path(p),
        {"nickname": nickname, "phone": phone, "village": village, "team": "", **extra},
    )


async def event_now(place=SHUGUANG, hours_ago: float = 0.5, length: float = 2, status="submitted"):
    """An event that started `hours_ago` and lasts `length` hours."""
    row = await events.resolve_place(place)
    assert row is not None
    type_id = (await EventType.select(EventType.id).first())["id"]
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    end = start + dt.timedelta(hours=length)
    values = {k: v for k, v in row.items() if k not in ("place", "place_name")}
    async with write_transaction():
        return await events.insert_event(
            {
                **values,
                "type_id": type_id,
                "starts_at": start,
                "ends_at": end,
                "day": start.astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
                "status": status,
            }
        )


def checkin_path(event_id: int) -> str:
    return f"/v/checkin/{event_id}?s={rules.checkin_signature(event_id, queries.secret())}"


def demo_code(html: str) -> str:
    found = re.search(r'data-demo-code="(\d{6})"', html)
    assert found, "the demo page shows the code"
    return found.group(1)


async def staff(make_user, username: str, role="coordinator", unit=("station", "PS330282005")):
    """A new staff account and the CurrentUser it acts as."""
    from campaign.accounts import queries as accounts
    from campaign.accounts.rules import CurrentUser

    uid = await make_user(username, role, unit=unit)
    scope = await accounts.scope_for(*unit) if unit else await accounts.scope_for(None, None)
    name = await accounts.regions.unit_name(*unit) if unit else None
    return CurrentUser(uid, username, username, role, scope, unit_name=name)
