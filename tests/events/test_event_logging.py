"""Logging an outreach event from a phone: prefilled form, validation with the input kept,
photos checked by content, duplicates flagged, a double submit saved once."""

from __future__ import annotations

import datetime as dt
import re

from campaign.accounts.tables import AuditEntry
from campaign.events.rules import MAX_PHOTO_BYTES
from campaign.events.tables import Event, EventPhoto
from campaign.timeutil import today
from tests.helpers.events import (
    BAISHA,
    SHUGUANG,
    XINQI_VILLAGE,
    event_id_of,
    form,
    jpeg,
    log_in_as,
    people,
    submit,
    type_id,
)


async def test_new_event_form_is_prefilled_with_today_the_unit_and_phone_inputs(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    page = await client.get("/events/new")
    assert page.status_code == 200
    assert f'name="day" value="{today().isoformat()}"' in page.text
    assert "data-unit>coord_town" not in page.text
    assert re.search(r"data-unit>[^<]*白沙路街道", page.text)
    assert f'name="place_code" value="{BAISHA}"' in page.text
    assert 'accept="image/*" capture="environment" multiple' in page.text
    assert page.text.count('inputmode="numeric"') == 6
    assert re.search(r'name="token" value="[0-9a-f]{32}"', page.text)


async def test_place_search_finds_villages_only_inside_the_jurisdiction(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    mine = await client.get("/events/places", params={"q": "曙光"})
    assert f'data-place-option="{SHUGUANG}"' in mine.text
    other = await client.get("/events/places", params={"q": "新碶"})
    assert "data-place-option" not in other.text
    assert "data-no-places" in other.text


async def test_coordinator_logs_an_event_with_a_photo_and_it_waits_for_verification(
    client, make_user
):
    await people(make_user)
    await log_in_as(client, "coord_town")
    response = await submit(client, await form(), [("photos", ("site.jpg", jpeg(), "image/jpeg"))])
    assert response.status_code == 302, response.text
    event_id = event_id_of(response)
    row = await Event.select().where(Event.id == event_id).first()
    assert row["status"] == "submitted"
    assert (row["unit_kind"], row["unit_code"]) == ("town", BAISHA)
    assert row["village_code"] == SHUGUANG and row["town_code"] == BAISHA
    assert row["attendees"] == 120 and row["households"] == 0
    assert row["audiences"] == ",老人,宝妈,"
    photos = await EventPhoto.select().where(EventPhoto.event_id == event_id)
    assert len(photos) == 1
    audit = await AuditEntry.select().where(AuditEntry.target == f"event:{event_id}")
    assert [a["action"] for a in audit] == ["event.create"]
    detail = await client.get(f"/events/{event_id}")
    assert 'data-status-badge="submitted"' in detail.text
    assert f"/events/photos/{photos[0]['id']}?size=thumb" in detail.text
    assert "data-clear-draft" not in detail.text
    saved = await client.get(response.headers["location"])
    assert "data-clear-draft" in saved.text


async def test_double_submit_with_the_same_token_saves_one_event(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    values = await form()
    first = await submit(client, values)
    second = await submit(client, values)
    assert second.status_code == 302
    assert event_id_of(first) == event_id_of(second)
    assert await Event.count() == 1


async def test_negative_figure_is_refused_beside_the_field_and_the_input_kept(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    response = await submit(client, await form(attendees="-5", notes="保留我"))
    assert response.status_code == 400
    assert 'data-error="attendees">不能为负数' in response.text
    assert "保留我" in response.text
    assert 'value="-5"' in response.text
    assert await Event.count() == 0


async def test_absurd_attendance_at_a_door_to_door_visit_is_refused(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    values = await form(type_id=str(await type_id("敲门入户")), attendees="20000", households="30")
    response = await submit(client, values)
    assert response.status_code == 400
    assert "超过敲门入户的合理上限 1,500" in response.text
    assert await Event.count() == 0


async def test_end_before_start_is_refused(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    response = await submit(
        client,
        await form(start="10:00", end="09:00", day=(today() - dt.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 400
    assert 'data-error="end">结束时间应晚于开始时间' in response.text


async def test_future_date_is_refused(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    response = await submit(client, await form(day=tomorrow, start="09:00", end="10:00"))
    assert response.status_code == 400
    assert 'data-error="day">不能登记未来的活动' in response.text


async def test_place_outside_the_coordinators_jurisdiction_is_refused(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    response = await submit(client, await form(place_code=XINQI_VILLAGE))
    assert response.status_code == 400
    assert 'data-error="place_code">新碶社区 不在你的辖区内' in response.text
    assert await Event.count() == 0


async def test_a_file_that_is_not_an_image_is_refused_by_its_content(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    fake = [("photos", ("photo.jpg", b"%PDF-1.4 not really a photo", "image/jpeg"))]
    response = await submit(client, await form(), fake)
    assert response.status_code == 400
    assert "这不是可识别的图片" in response.text
    assert await EventPhoto.count() == 0


async def test_a_photo_over_the_size_limit_is_refused_with_a_clear_message(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    big = jpeg() + b"\0" * (MAX_PHOTO_BYTES + 1024)
    response = await submit(client, await form(), [("photos", ("big.jpg", big, "image/jpeg"))])
    assert response.status_code == 400
    assert "照片超过 15 MB" in response.text
    assert await EventPhoto.count() == 0


async def test_good_photos_are_kept_when_the_rest_of_the_form_is_rejected(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    values = await form(attendees="-1")
    rejected = await submit(client, values, [("photos", ("a.jpg", jpeg(), "image/jpeg"))])
    assert rejected.status_code == 400
    assert 'data-pending-photos="1"' in rejected.text
    fixed = await submit(client, {**values, "attendees": "40"})
    assert fixed.status_code == 302
    assert await EventPhoto.count().where(EventPhoto.event_id == event_id_of(fixed)) == 1


async def test_likely_duplicate_is_flagged_and_saved_only_when_confirmed(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    assert (await submit(client, await form())).status_code == 302
    again = await form()
    flagged = await submit(client, again)
    assert flagged.status_code == 409
    assert "data-duplicate-warning" in flagged.text
    assert await Event.count() == 1
    confirmed = await submit(client, {**again, "confirm_duplicate": "1"})
    assert confirmed.status_code == 302
    assert await Event.count() == 2


async def test_leaders_cannot_log_events(client, make_user):
    await people(make_user)
    await log_in_as(client, "leader")
    assert (await client.get("/events/new")).status_code == 403
    assert (await submit(client, await form())).status_code == 403
