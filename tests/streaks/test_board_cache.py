"""The boards are kept per process (streaks.queries.kept_board) until the cases generation moves.
Every way a case is written — the form (new, correction, deletion), the import page, the import
use case and the CLI — moves it after its commit, so the next board answer shows the change;
writes of other domains (a volunteer's points, a pushed warning) leave the kept boards alone."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
from asyncio.subprocess import PIPE, STDOUT
from pathlib import Path

import pytest

from campaign import jobs
from campaign.cases.imports import import_file
from campaign.cases.queries import seed_reference_lists
from campaign.cases.tables import Case
from campaign.streaks import queries
from campaign.timeutil import today
from tests.helpers.cases import HEADER
from tests.helpers.ningbo import load_slice
from tests.helpers.web import csrf_token, login, post_form

VILLAGE = "330282005002"
DAY = today() - dt.timedelta(days=3)
LATER = today() - dt.timedelta(days=1)
ROW = f"K1,{DAY.isoformat()},{VILLAGE},,刷单返利,100,,\n"
FORM = {
    "case_no": "K1",
    "occurred_at": f"{DAY.isoformat()}T09:30",
    "region_code": VILLAGE,
    "station_code": "",
    "fraud_type": "投资理财",
    "loss_yuan": "100",
    "victim_occupation": "",
    "victim_age": "",
}


@pytest.fixture
async def admin(client, db, make_user):
    """The Ningbo slice without cases, an administrator logged in; the follow-up jobs of the
    case writes are awaited before the database goes."""
    await load_slice()
    await seed_reference_lists()
    await make_user("admin")
    await login(client, "admin")
    yield client
    await asyncio.gather(*jobs._running, return_exceptions=True)


async def last_case(client) -> str | None:
    """The village's last case day on the API's board (kept after the first call)."""
    body = (await client.get("/api/v1/streaks?level=village")).json()
    return next(item["last_case_on"] for item in body["items"] if item["code"] == VILLAGE)


async def on_page(client) -> bool:
    """Whether the village board page shows the day as the village's last case day."""
    page = (await client.get("/streaks?level=village")).text
    return DAY.isoformat() in page


async def by_form(client) -> None:
    assert (await post_form(client, "/cases/new", FORM)).status_code == 302


async def by_import_page(client) -> None:
    preview = await client.post(
        "/cases/import",
        data={"dry_run": "1", "_csrf_token": csrf_token(client)},
        files={"file": ("cases.csv", (HEADER + ROW).encode("utf-8"), "text/csv")},
    )
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    done = await post_form(client, "/cases/import/confirm", {"token": token, "filename": "x.csv"})
    assert 'data-result="imported"' in done.text


async def by_import(client) -> None:
    await import_file(
        "cases", "cases.csv", (HEADER + ROW).encode("utf-8"), dry_run=False, actor=None
    )


async def by_cli(client, tmp_path) -> None:
    """`campaign import cases` in a process of its own, as an administrator runs it: the next
    answer of this process must see the generation that process moved."""
    path = tmp_path / "cases.csv"
    path.write_text(HEADER + ROW, encoding="utf-8")
    command = Path(sys.executable).parent / "campaign"
    process = await asyncio.create_subprocess_exec(
        str(command), "import", "cases", str(path), stdout=PIPE, stderr=STDOUT
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()


@pytest.mark.parametrize("write", [by_form, by_import_page, by_import, by_cli])
async def test_a_case_written_any_way_shows_on_the_next_board_answer(admin, write, tmp_path):
    assert await last_case(admin) is None and not await on_page(admin)
    assert await last_case(admin) is None and queries._boards.entries  # kept
    if write is by_cli:
        await by_cli(admin, tmp_path)
    else:
        await write(admin)
    assert await last_case(admin) == DAY.isoformat()
    assert await on_page(admin)


async def test_a_correction_and_a_deletion_by_form_show_on_the_next_board_answer(admin):
    await by_form(admin)
    assert await last_case(admin) == DAY.isoformat()
    case_id = (await Case.select(Case.id).where(Case.case_no == "K1").first())["id"]
    moved = {**FORM, "occurred_at": f"{LATER.isoformat()}T09:30"}
    assert (await post_form(admin, f"/cases/{case_id}", moved)).status_code == 302
    assert await last_case(admin) == LATER.isoformat()
    deleted = await post_form(admin, f"/cases/{case_id}/delete", {"confirm": "K1"})
    assert deleted.status_code == 302
    assert await last_case(admin) is None


async def test_points_awarded_and_a_warning_pushed_keep_the_boards_and_a_case_drops_them(
    admin, make_user
):
    from campaign.accounts import queries as accounts
    from campaign.volunteers import queries as volunteers
    from campaign.volunteers import rules
    from tests.helpers.volunteers import approved_propagandist, staff
    from tests.helpers.warnings import item

    recruiter = await approved_propagandist(await staff(make_user, "police_wang"))
    admin_id = await accounts.user_id_by_name("admin")
    token = await accounts.create_token(admin_id, "platform")
    await last_case(admin)
    kept = dict(queries._boards.entries)
    assert kept

    person = volunteers.person_of_propagandist(recruiter)
    await volunteers.award(person, rules.SHARE_OPEN, "s:1", "测试", volunteers.now())
    pushed = await admin.post(
        "/api/v1/warnings", json=item(), headers={"Authorization": f"Bearer {token}"}
    )
    assert pushed.status_code == 201, pushed.text
    await last_case(admin)
    assert queries._boards.entries.keys() == kept.keys()
    assert all(
        queries._boards.entries[key] is board for key, board in kept.items()
    )  # not recomputed

    await by_form(admin)
    assert await last_case(admin) == DAY.isoformat()
