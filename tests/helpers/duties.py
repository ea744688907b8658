"""Building blocks for the responsibility tests: places of the Ningbo slice, a measure, a task,
small valid files, a warning."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image

from campaign.accounts.queries import user_id_by_name
from campaign.duties.tables import Measure, Task
from campaign.timeutil import today
from tests.helpers.web import csrf_token, login, post_form

BAISHA, FUHAI, XINQI = "330282005", "330282108", "330206002"
SHUGUANG, FUHAI_VILLAGE = "330282005002", "330282108201"


async def measure(number: int = 1, red_line: bool = False) -> int:
    rows = await Measure.insert(
        Measure(number=number, title=f"措施{number}", body="", red_line=red_line, active=True)
    )
    return rows[0]["id"]


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 180)).save(buffer, "JPEG")
    return buffer.getvalue()


async def assign(client, units: list[str], evidence: str = "photo", **changes):
    """Post the task form as the logged-in person."""
    values = {
        "measure_id": str(changes.pop("measure_id")),
        "title": "开展反诈宣讲进校园",
        "detail": "每校至少一场",
        "due_on": (today() + dt.timedelta(days=7)).isoformat(),
        "evidence_kind": evidence,
        "figure_label": "入户户数" if evidence == "figure" else "",
        "reviewer_id": str(await user_id_by_name(changes.pop("reviewer", "cixi_leader"))),
        "units": units,
        **changes,
    }
    return await post_form(client, "/duties/tasks/new", values)


async def upload(client, task_id: int, name: str, data: bytes, note: str = "") -> object:
    if not csrf_token(client):
        await client.get("/login")
    return await client.post(
        f"/duties/tasks/{task_id}/evidence",
        data={"_csrf_token": csrf_token(client), "note": note},
        files={"file": (name, data, "application/octet-stream")},
    )


async def only_task() -> dict:
    rows = await Task.select()
    assert len(rows) == 1
    return rows[0]


__all__ = ["assign", "jpeg", "login", "measure", "only_task", "upload"]


async def warning(
    no: str, town: str, day: dt.date, outcome: str | None, phone_hash: str = "h" * 64
):
    """A warning as the warnings module stores it (closed with an outcome, or still open)."""
    from campaign.timeutil import LOCAL
    from campaign.warnings.tables import Warning

    issued = dt.datetime.combine(day, dt.time(9), LOCAL)
    await Warning.insert(
        Warning(
            warning_no=no,
            issued_at=issued,
            issued_on=day,
            risk_level="high",
            phone_hash=phone_hash,
            phone_masked="138****0000",
            town_code=town,
            district_code=town[:6],
            content_digest=no,
            status="closed" if outcome else "new",
            outcome=outcome,
            closed_at=issued + dt.timedelta(hours=2) if outcome else None,
        )
    )
