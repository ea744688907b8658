"""Shared set-up for the events tests: the Ningbo slice, people at each level, a valid form."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

from PIL import Image

from campaign.events.queries import seed_reference_lists
from campaign.events.tables import EventType
from campaign.timeutil import LOCAL
from tests.helpers.ningbo import load_slice
from tests.helpers.web import csrf_token, login

CIXI, BAISHA, FUHAI, XINQI = "330282", "330282005", "330282108", "330206002"
SHUGUANG, BAISHA_VILLAGE, FUHAI_VILLAGE, XINQI_VILLAGE = (
    "330282005002",
    "330282005206",
    "330282108201",
    "330206002001",
)


async def people(make_user) -> None:
    """The slice plus: a town coordinator of 白沙路街道, a district coordinator of 慈溪市, a
    station coordinator of 附海, a leader, an admin."""
    await load_slice()
    await seed_reference_lists()
    await make_user("coord_town", "coordinator", unit=("town", BAISHA))
    await make_user("coord_district", "coordinator", unit=("district", CIXI))
    await make_user("coord_station", "coordinator", unit=("station", "PS330282108"))
    await make_user("leader", "leader")
    await make_user("admin", "admin")


async def type_id(name: str) -> int:
    return (await EventType.select(EventType.id).where(EventType.name == name).first())["id"]


def earlier_today() -> tuple[str, str, str]:
    """A start and end that already lie in the past today (or yesterday just after midnight)."""
    now = dt.datetime.now(LOCAL)
    start = now - dt.timedelta(hours=2)
    end = now - dt.timedelta(hours=1)
    if start.date() != end.date():
        start, end = start.replace(hour=0, minute=1), start.replace(hour=0, minute=30)
    return end.date().isoformat(), start.strftime("%H:%M"), end.strftime("%H:%M")


async def form(**changes) -> dict:
    day, start, end = earlier_today()
    values = {
        "type_id": str(await type_id("宣讲/讲堂")),
        "place_code": SHUGUANG,
        "day": day,
        "start": start,
        "end": end,
        "attendees": "120",
        "installs": "35",
        "materials": "300",
        "gifts": "50",
        "audiences": ["老人", "宝妈"],
        "notes": "社区反诈讲座",
        "token": uuid.uuid4().hex,
    }
    values.update(changes)
    return values


def jpeg(width: int = 640, height: int = 480) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 180)).save(buffer, "JPEG")
    return buffer.getvalue()


async def submit(client, values: dict, files: list | None = None, url: str = "/events"):
    """Post the event form as multipart, the way the phone does."""
    if not csrf_token(client):
        await client.get("/login")
    data = {**values, "_csrf_token": csrf_token(client)}
    return await client.post(
        url, data=data, files=files or [("photos", ("", b"", "application/octet-stream"))]
    )


async def log_in_as(client, name: str) -> None:
    client.cookies.clear()
    await login(client, name)


def event_id_of(response) -> int:
    return int(re.search(r"/events/(\d+)", response.headers["location"]).group(1))
