"""The station board and a warning's page: jurisdiction, the response clock, closing, the
centre's re-routing and reopening, the figures page and the exports (phones always masked)."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from campaign.accounts.rules import Scope
from campaign.accounts.tables import AuditEntry
from campaign.warnings import controllers
from campaign.warnings.queries import _board_where
from campaign.warnings.tables import ContactAttempt, Warning
from tests.helpers.database import query_plan
from tests.helpers.warnings import item, push
from tests.helpers.web import login, post_form

BAISHA = ("station", "PS330282005")
FUHAI = ("station", "PS330282108")


async def setup(make_user):
    rows = await push(
        item(warning_id="A1"),
        item(warning_id="F1", region_code="330282108201", phone="13911112222"),
        item(warning_id="U1", region_code="330299999001"),
    )
    await make_user("baisha", "coordinator", BAISHA)
    await make_user("fuhai", "coordinator", FUHAI)
    await make_user("centre", "admin")
    await make_user("cixi", "leader", ("district", "330282"))
    return {r.warning_no: r for r in rows}


async def test_a_station_board_shows_its_own_warnings_only(client, ningbo, make_user):
    rows = await setup(make_user)
    await login(client, "baisha")
    page = (await client.get("/warnings")).text
    assert 'data-warning="A1"' in page and 'data-warning="F1"' not in page
    assert 'data-warning="U1"' not in page
    assert "138****5678" in page and "13812345678" not in page
    assert 'data-stream="/warnings/stream?after=' in page
    assert (await client.get(f"/warnings/{rows['F1'].id}")).status_code == 403


async def test_district_leaders_see_their_district_and_the_centre_everything(
    client, ningbo, make_user
):
    await setup(make_user)
    await login(client, "cixi")
    page = (await client.get("/warnings")).text
    assert 'data-warning="A1"' in page and 'data-warning="F1"' in page
    assert 'data-action="acknowledge"' not in page  # leaders read, they do not act
    client.cookies.clear()
    await login(client, "centre")
    page = (await client.get("/warnings")).text
    assert all(f'data-warning="{no}"' in page for no in ("A1", "F1", "U1"))


async def test_another_stations_warning_cannot_be_acted_on(client, ningbo, make_user):
    rows = await setup(make_user)
    await login(client, "fuhai")
    for action in ("acknowledge", "attempts", "team", "close"):
        response = await post_form(client, f"/warnings/{rows['A1'].id}/{action}", {})
        assert response.status_code == 403, action
    assert (await Warning.select().where(Warning.warning_no == "A1").first())["status"] == "new"


async def test_acknowledge_contact_and_close_as_stopped_run_the_clock(client, ningbo, make_user):
    rows = await setup(make_user)
    wid = rows["A1"].id
    await login(client, "baisha")
    fragment = await client.post(
        f"/warnings/{wid}/acknowledge",
        headers={"HX-Request": "true", "x-csrftoken": client.cookies.get("campaign_csrf")},
    )
    assert fragment.status_code == 200 and 'data-status="acknowledged"' in fragment.text
    missed = {"method": "call", "by_name": "张警官", "result": "未接"}
    await post_form(client, f"/warnings/{wid}/attempts", missed)
    await post_form(
        client,
        f"/warnings/{wid}/attempts",
        {**missed, "method": "visit", "reached": "1", "result": "当面劝阻"},
    )
    await post_form(
        client,
        f"/warnings/{wid}/team",
        {"officer": "张警官", "auxiliary": "李辅警", "grid_worker": "王网格"},
    )
    no_outcome = await post_form(client, f"/warnings/{wid}/close", {"method": "visit"})
    assert no_outcome.status_code == 400 and "办结前须选择劝阻结果" in no_outcome.text
    negative = await post_form(
        client, f"/warnings/{wid}/close", {"method": "visit", "outcome": "stopped", "amount": "-1"}
    )
    assert (
        negative.status_code == 400
        and "止付金额" in negative.text
        and 'value="-1"' in negative.text
    )
    done = await post_form(
        client,
        f"/warnings/{wid}/close",
        {"method": "several", "outcome": "stopped", "amount": "30000", "notes": "银行止付"},
    )
    assert done.status_code == 303
    row = await Warning.select().where(Warning.id == wid).first()
    assert row["status"] == "closed" and row["amount_stopped_fen"] == 3_000_000
    assert row["acknowledged_by"] == "baisha" and row["first_contact_at"] is not None
    assert (row["officer_name"], row["grid_worker_name"]) == ("张警官", "王网格")
    assert await ContactAttempt.count().where(ContactAttempt.warning_id == wid) == 2
    page = (await client.get(f"/warnings/{wid}")).text
    assert 'data-outcome="stopped"' in page and "30,000.00" in page
    again = await post_form(
        client, f"/warnings/{wid}/close", {"method": "phone", "outcome": "dissuaded"}
    )
    assert again.status_code == 303  # refused with a message, nothing changed
    assert (await Warning.select().where(Warning.id == wid).first())["outcome"] == "stopped"


async def test_only_the_centre_reopens_with_a_reason_and_it_is_audited(client, ningbo, make_user):
    rows = await setup(make_user)
    wid = rows["A1"].id
    await login(client, "baisha")
    await post_form(client, f"/warnings/{wid}/close", {"method": "phone", "outcome": "false_alarm"})
    assert (await post_form(client, f"/warnings/{wid}/reopen", {"reason": "x"})).status_code == 403
    client.cookies.clear()
    await login(client, "centre")
    no_reason = await post_form(client, f"/warnings/{wid}/reopen", {"reason": ""})
    assert no_reason.status_code == 400 and "原因" in no_reason.text
    await post_form(client, f"/warnings/{wid}/reopen", {"reason": "当事人次日又接到诈骗电话"})
    row = await Warning.select().where(Warning.id == wid).first()
    assert row["status"] != "closed" and row["outcome"] is None
    entry = await AuditEntry.select().where(AuditEntry.action == "warnings.reopen").first()
    detail = entry["detail"] if isinstance(entry["detail"], dict) else json.loads(entry["detail"])
    assert detail["previous_outcome"] == "false_alarm"


async def test_the_centre_reroutes_an_unassigned_warning_to_a_station(client, ningbo, make_user):
    rows = await setup(make_user)
    wid = rows["U1"].id
    await login(client, "centre")
    page = (await client.get(f"/warnings/{wid}")).text
    assert 'data-picker="/pick/station"' in page and 'id="f-station"' not in page
    bad = await post_form(
        client, f"/warnings/{wid}/reroute", {"station": "PS-NOPE", "reason": "核实地址"}
    )
    assert bad.status_code == 400 and "不存在" in bad.text
    assert 'class="field picker invalid"' in bad.text and "核实地址" in bad.text
    await post_form(
        client, f"/warnings/{wid}/reroute", {"station": "PS330282108", "reason": "核实地址在附海"}
    )
    assert (await Warning.select().where(Warning.id == wid).first())[
        "station_code"
    ] == "PS330282108"
    assert await AuditEntry.count().where(AuditEntry.action == "warnings.reroute") == 1
    client.cookies.clear()
    await login(client, "fuhai")
    assert 'data-warning="U1"' in (await client.get("/warnings")).text
    client.cookies.clear()
    await login(client, "baisha")
    refused = await post_form(
        client, f"/warnings/{wid}/reroute", {"station": "PS330282005", "reason": "x"}
    )
    assert refused.status_code == 403


async def test_exports_and_figures_keep_phones_masked(client, ningbo, make_user):
    await setup(make_user)
    await login(client, "centre")
    sheet = load_workbook(
        io.BytesIO((await client.get("/warnings?format=xlsx&status=")).content)
    ).active
    cells = [str(c) for row in sheet.values for c in row]
    assert "138****5678" in cells and not any("13812345678" in c for c in cells)
    figures = await client.get("/warnings/figures?level=station")
    assert figures.status_code == 200 and 'data-unit="PS330282005"' in figures.text
    book = load_workbook(io.BytesIO((await client.get("/warnings/figures?format=xlsx")).content))
    assert list(book.active.values)[0][0] == "单位"
    api = await client.get("/api/v1/warnings?status=all")
    assert api.status_code == 200 and "13812345678" not in api.text


async def test_a_reconnecting_board_gets_what_it_missed(client, ningbo, make_user, monkeypatch):
    rows = await setup(make_user)
    monkeypatch.setattr(controllers, "STREAM_SECONDS", 0.2)
    await login(client, "baisha")
    live = {"Accept": "text/event-stream", "Last-Event-ID": "0"}
    response = await client.get("/warnings/stream", headers=live)
    assert response.status_code == 200
    text = response.text
    assert "event: new" in text and 'data-warning="A1"' in text and 'data-warning="F1"' not in text
    assert "13812345678" not in text
    last = max(int(line[4:]) for line in text.splitlines() if line.startswith("id: "))
    await post_form(client, f"/warnings/{rows['A1'].id}/acknowledge", {})
    later = (await client.get(f"/warnings/stream?after={last}")).text
    assert "event: updated" in later and 'data-status="acknowledged"' in later
    # what came after `last` is there; what it had already (a new event a moment ago) may be
    # replayed by the 30 s lookback for commits out of id order, and the board shows it once
    assert later.index("event: updated") > later.find("event: new")


async def test_the_home_dashboard_has_a_warnings_card(client, ningbo, make_user):
    await setup(make_user)
    await login(client, "baisha")
    page = (await client.get("/")).text
    assert 'data-card="warnings"' in page and 'data-stat="warnings-new">1<' in page


async def test_every_page_is_served_as_html(client, ningbo, make_user):
    rows = await setup(make_user)
    await login(client, "centre")
    for url in ("/warnings", f"/warnings/{rows['A1'].id}", "/warnings/figures", "/warnings/import"):
        response = await client.get(url)
        assert response.headers["content-type"].startswith("text/html"), url
    bad = await post_form(client, f"/warnings/{rows['A1'].id}/close", {"method": "phone"})
    assert bad.headers["content-type"].startswith("text/html")


async def test_a_stream_not_asked_for_by_an_event_source_ends_after_the_replay(
    client, ningbo, make_user
):
    await setup(make_user)
    await login(client, "baisha")
    response = await client.get("/warnings/stream?after=0")  # no Accept: text/event-stream
    assert response.status_code == 200 and 'data-warning="A1"' in response.text


async def test_the_default_board_reads_only_open_warnings_from_their_index(db):
    """The partial indexes' predicate must stay the board query's own, or neither engine uses
    them and the default view intersects a unit's warnings with every open one again."""
    for kind, code in (FUHAI, ("town", "330282108"), ("district", "330282")):
        query = (
            Warning.select(Warning.id)
            .where(*_board_where(Scope(kind, code), {"status": "open"}))
            .order_by(Warning.issued_at, ascending=False)
            .limit(50)
        )
        plan = await query_plan(Warning, str(query))
        assert f"warning_open_{kind}" in plan, plan


async def test_a_long_filtered_board_is_counted_no_further_than_the_cap(
    client, ningbo, make_user, monkeypatch
):
    """Years of warnings are not counted for a pager: past the cap the board says "more than",
    a narrow filter keeps its exact total."""
    await setup(make_user)
    monkeypatch.setattr(controllers, "COUNT_CAP", 2)
    await login(client, "centre")
    page = (await client.get("/warnings", params={"status": ""})).text
    assert "超过 2 条" in page and 'data-warning="U1"' in page
    narrow = (await client.get("/warnings", params={"status": "", "q": "F1"})).text
    assert "共 1 条" in narrow
