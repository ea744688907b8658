"""Verification by the unit above, and what verified events change: totals, coverage, points,
the calendar, the API and the home cards."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from campaign.accounts.tables import AuditEntry
from campaign.cases.tables import Case
from campaign.events import queries
from campaign.events.tables import Event
from campaign.timeutil import today
from tests.helpers.events import (
    BAISHA,
    CIXI,
    SHUGUANG,
    event_id_of,
    form,
    log_in_as,
    people,
    submit,
)
from tests.helpers.web import post_form


async def logged_event(client, **changes) -> int:
    await log_in_as(client, "coord_town")
    response = await submit(client, await form(**changes))
    assert response.status_code == 302, response.text
    return event_id_of(response)


async def review(client, event_id: int, decision: str, reason: str = ""):
    return await post_form(
        client, f"/events/{event_id}/review", {"decision": decision, "reason": reason}
    )


async def test_district_coordinator_verifies_a_town_event_and_it_is_audited(client, make_user):
    await people(make_user)
    event_id = await logged_event(client)
    await log_in_as(client, "coord_district")
    page = await client.get(f"/events/{event_id}")
    assert "data-verify" in page.text
    response = await review(client, event_id, "verify")
    assert response.status_code == 302
    row = await Event.select().where(Event.id == event_id).first()
    assert row["status"] == "verified" and row["reviewed_by"] == "coord_district"
    actions = [
        a["action"]
        for a in await AuditEntry.select().where(AuditEntry.target == f"event:{event_id}")
    ]
    assert actions == ["event.create", "event.verify"]


async def test_submitter_and_same_level_coordinators_cannot_verify(client, make_user):
    await people(make_user)
    await make_user("coord_town2", "coordinator", unit=("town", BAISHA))
    event_id = await logged_event(client)
    assert "data-verify" not in (await client.get(f"/events/{event_id}")).text
    assert (await review(client, event_id, "verify")).status_code == 403
    await log_in_as(client, "coord_town2")
    assert (await review(client, event_id, "verify")).status_code == 403
    await make_user("leader_beilun", "leader", unit=("district", "330206"))
    await log_in_as(client, "leader_beilun")
    assert (await client.get(f"/events/{event_id}")).status_code == 403
    assert (await review(client, event_id, "verify")).status_code == 403
    assert (await Event.select(Event.status).first())["status"] == "submitted"


async def test_leaders_verify_events_of_units_below_them_and_see_their_true_queue(
    client, make_user
):
    """Who verifies what is jurisdiction-based: a 慈溪 leader verifies a town's event there. The
    queue counts every event waiting for them, also those nobody logged in the app (imports,
    demo data), and flags a likely duplicate to the verifier."""
    await people(make_user)
    await make_user("leader_cixi", "leader", unit=("district", CIXI))
    event_id = await logged_event(client)
    twin = await logged_event(client, confirm_duplicate="1")
    await Event.update({Event.created_by: None}).where(Event.id == twin)
    await log_in_as(client, "leader_cixi")
    home = await client.get("/")
    assert 'data-home="waiting"><span class="value">2<' in home.text.replace(' class="alert"', "")
    queue = await client.get("/events?queue=1")
    assert queue.text.count('data-event="') == 2
    page = (await client.get(f"/events/{event_id}")).text
    assert "data-verify" in page and f'data-duplicate-of="{twin}"' in page
    assert (await review(client, event_id, "verify")).status_code == 302
    assert (await Event.select(Event.status).where(Event.id == event_id).first())[
        "status"
    ] == "verified"


async def test_returned_event_carries_the_reason_and_can_be_fixed_and_resubmitted(
    client, make_user
):
    await people(make_user)
    event_id = await logged_event(client)
    await log_in_as(client, "admin")
    assert (await review(client, event_id, "return")).status_code == 302
    assert (await Event.select(Event.status).first())["status"] == "submitted"  # reason required
    await review(client, event_id, "return", "人数偏高,请核对")
    await log_in_as(client, "coord_town")
    home = await client.get("/")
    assert 'data-home="returned"' in home.text
    edit = await client.get(f"/events/{event_id}/edit")
    assert "人数偏高,请核对" in edit.text
    values = await form(attendees="80")
    resubmitted = await submit(client, values, url=f"/events/{event_id}/edit")
    assert resubmitted.status_code == 302
    row = await Event.select().where(Event.id == event_id).first()
    assert (row["status"], row["attendees"]) == ("submitted", 80)


async def test_the_edit_button_shows_exactly_where_the_edit_page_opens(client, make_user):
    """One rule (events.rules.may_edit) decides both: the person who logged it and an
    administrator may edit an unverified event, nobody else, nobody after verification."""
    await people(make_user)
    event_id = await logged_event(client)
    for who in ("coord_town", "admin", "coord_district", "leader"):
        await log_in_as(client, who)
        button = f'href="/events/{event_id}/edit"' in (await client.get(f"/events/{event_id}")).text
        opens = (await client.get(f"/events/{event_id}/edit")).status_code == 200
        assert button == opens == (who in ("coord_town", "admin")), who
    await log_in_as(client, "coord_district")
    assert (await review(client, event_id, "verify")).status_code == 302
    await log_in_as(client, "coord_town")
    assert f'href="/events/{event_id}/edit"' not in (await client.get(f"/events/{event_id}")).text
    assert (await client.get(f"/events/{event_id}/edit")).status_code == 403


async def test_only_verified_events_count_in_totals_coverage_and_points(client, make_user):
    await people(make_user)
    event_id = await logged_event(client)
    start, end = today().replace(day=1) - dt.timedelta(days=40), today()
    assert await queries.outreach_points("town", start, end) == {}
    await log_in_as(client, "admin")
    totals = await client.get("/events/totals", params={"level": "town", "from": str(start)})
    assert f'data-unit="{BAISHA}"' not in totals.text
    coverage = await client.get("/events/coverage")
    assert f'data-town="{BAISHA}"' in coverage.text
    await review(client, event_id, "verify")
    totals = await client.get("/events/totals", params={"level": "town", "from": str(start)})
    assert f'data-unit="{BAISHA}"' in totals.text
    assert 'data-total="lectures">1<' in totals.text
    assert 'data-total="attendees">120<' in totals.text
    points = await queries.outreach_points("town", start, end)
    assert points == {BAISHA: round(5 + 120 * 0.01 + 35 * 0.05 + 50 * 0 + 300 * 0, 4)}
    assert await queries.outreach_points("village", start, end, codes=[SHUGUANG]) == {
        SHUGUANG: points[BAISHA]
    }
    towns = {
        t["code"]: t
        for t in await queries.coverage_by_town((await _scope("coord_district")), today())
    }
    assert towns[BAISHA]["gap30"] == 1 and towns[BAISHA]["c30"] == 1
    export = await client.get(
        "/events/totals", params={"level": "district", "from": str(start), "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [c.value for c in sheet[2]][:3] == [CIXI, "慈溪市", 1]


async def _scope(username: str):
    from campaign.accounts import queries as accounts
    from campaign.accounts.tables import Profile

    profile = await Profile.select().where(Profile.display_name == username).first()
    return await accounts.scope_for(profile["unit_kind"], profile["unit_code"])


async def test_list_filters_export_and_scope(client, make_user, monkeypatch):
    from campaign.events import queries

    await people(make_user)
    await logged_event(client)
    await logged_event(client, place_code=BAISHA, audiences=["学生"])
    listing = await client.get("/events", params={"audience": "学生"})
    assert listing.text.count("data-event=") == 1 and "共 1 条" in listing.text
    monkeypatch.setattr(queries, "COUNT_CAP", 1)  # counted no further: the pager says so
    assert "超过 1 条" in (await client.get("/events")).text
    monkeypatch.undo()
    await log_in_as(client, "coord_station")
    assert "data-event=" not in (await client.get("/events")).text
    await log_in_as(client, "leader")  # the city: districts to filter by, searched
    page = (await client.get("/events", params={"unit": CIXI})).text
    assert 'data-picker="/pick/district"' in page and f'value="{CIXI}" data-picker-code' in page
    await log_in_as(client, "coord_district")  # a district: its towns
    assert 'data-picker="/pick/town"' in (await client.get("/events")).text
    await log_in_as(client, "leader")
    export = await client.get("/events", params={"format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert len(rows) == 3 and rows[0][0] == "编号"


async def test_api_lists_events_in_scope_with_their_figures(client, make_user):
    await people(make_user)
    event_id = await logged_event(client)
    from campaign.accounts import queries as accounts

    token = await accounts.create_token(await accounts.user_id_by_name("coord_district"), "t")
    client.cookies.clear()
    response = await client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert (item["id"], item["status"], item["attendees"], item["place_code"]) == (
        event_id,
        "submitted",
        120,
        SHUGUANG,
    )
    token = await accounts.create_token(await accounts.user_id_by_name("coord_station"), "t")
    response = await client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert response.json()["items"] == []


async def test_calendar_shows_the_days_events_and_home_card_shows_waiting(client, make_user):
    await people(make_user)
    event_id = await logged_event(client)
    page = await client.get("/events/calendar")
    day = (await Event.select(Event.day).first())["day"]
    if day.month == today().month:
        assert f'data-day="{day}" data-count="1"' in page.text
        assert f'/events/{event_id}"' in page.text
    await log_in_as(client, "coord_district")
    home = await client.get("/")
    assert 'data-card="events"' in home.text
    assert 'data-home="waiting"><span class="value">1<' in home.text.replace(' class="alert"', "")


async def test_rising_cases_without_outreach_make_the_sharp_list(client, make_user):
    await people(make_user)
    (this_start, this_end), (prev_start, _) = __import__(
        "campaign.events.rules", fromlist=["x"]
    ).month_to_date_pair(today())
    for n, day in enumerate([this_start, this_end]):
        await Case.insert(
            Case(
                case_no=f"C{n}",
                occurred_on=day,
                village_code=SHUGUANG,
                town_code=BAISHA,
                district_code=CIXI,
                fraud_type="投资理财",
            )
        )
    await log_in_as(client, "leader")
    page = await client.get("/events/coverage")
    assert f'data-sharp-town="{BAISHA}"' in page.text
    assert f'data-sharp-village="{SHUGUANG}"' in page.text


async def test_coverage_is_scoped_for_stations_and_town_details_check_jurisdiction(
    client, make_user
):
    await people(make_user)
    await log_in_as(client, "coord_station")
    page = await client.get("/events/coverage")
    assert page.status_code == 200
    assert 'data-town="330282108"' in page.text and f'data-town="{BAISHA}"' not in page.text
    assert (await client.get(f"/events/coverage?town={BAISHA}")).status_code == 403
    detail = await client.get("/events/coverage?town=330282108&days=7")
    assert 'data-village="330282108201"' in detail.text
