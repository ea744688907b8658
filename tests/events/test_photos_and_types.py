"""Photos are stored under generated names, resized by a job and served only inside the
jurisdiction; administrators tune event types (bounds and contest points) and audiences."""

from __future__ import annotations

import datetime as dt

from campaign.accounts.tables import AuditEntry
from campaign.events import jobs, photos, queries
from campaign.events.tables import AudienceGroup, EventPhoto, EventType
from campaign.timeutil import today
from tests.helpers.events import event_id_of, form, jpeg, log_in_as, people, submit, type_id
from tests.helpers.web import post_form


async def test_photo_is_stored_under_a_generated_name_and_thumbnailed_by_the_job(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    upload = [("photos", ("../../etc/passwd.jpg", jpeg(2400, 1800), "image/jpeg"))]
    response = await submit(client, await form(), upload)
    assert response.status_code == 302
    row = await EventPhoto.select().first()
    assert "passwd" not in row["stored_name"] and row["stored_name"].endswith(".jpg")
    assert photos.path_of(row["stored_name"]).is_file()
    assert await jobs.process_photo({}, row["id"])
    row = await EventPhoto.select().first()
    assert row["ready"] and (row["width"], row["height"]) == (1600, 1200)
    thumb = await client.get(f"/events/photos/{row['id']}?size=thumb")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert len(thumb.content) < len(photos.path_of(row["stored_name"]).read_bytes())


async def test_photos_are_served_only_to_people_who_may_read_the_event(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    response = await submit(client, await form(), [("photos", ("a.jpg", jpeg(), "image/jpeg"))])
    photo_id = (await EventPhoto.select(EventPhoto.id).first())["id"]
    await log_in_as(client, "coord_station")
    assert (await client.get(f"/events/photos/{photo_id}")).status_code == 403
    assert (await client.get(f"/events/{event_id_of(response)}")).status_code == 403
    await log_in_as(client, "leader")
    assert (await client.get(f"/events/photos/{photo_id}")).status_code == 200


async def test_admin_changes_a_types_points_and_the_contest_metric_follows(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    event_id = event_id_of(await submit(client, await form()))
    await log_in_as(client, "admin")
    await post_form(client, f"/events/{event_id}/review", {"decision": "verify"})
    lecture = await type_id("宣讲/讲堂")
    page = await client.get(f"/events/types/{lecture}")
    assert 'name="max_attendees" value="5000"' in page.text
    changes = {
        "name": "宣讲/讲堂",
        "points": "10",
        "counts_as_lecture": "1",
        "active": "1",
        "use_attendees": "1",
        "max_attendees": "5000",
        "points_attendees": "0.1",
    }
    bad = await post_form(client, f"/events/types/{lecture}", {**changes, "max_attendees": "-1"})
    assert bad.status_code == 400 and 'value="-1"' in bad.text
    assert (await post_form(client, f"/events/types/{lecture}", changes)).status_code == 302
    start = today() - dt.timedelta(days=5)
    assert await queries.outreach_points("district", start, today()) == {"330282": 22.0}
    stored = await EventType.select().where(EventType.id == lecture).output(load_json=True).first()
    assert stored["figures"] == {"attendees": {"max": 5000, "points": 0.1}}
    assert await AuditEntry.exists().where(AuditEntry.action == "event_type.save")


async def test_admin_adds_an_audience_and_coordinators_cannot_manage_types(client, make_user):
    await people(make_user)
    await log_in_as(client, "admin")
    await post_form(client, "/events/audiences", {"name": "退休干部"})
    assert await AudienceGroup.exists().where(AudienceGroup.name == "退休干部")
    await log_in_as(client, "coord_district")
    assert (await client.get("/events/types")).status_code == 403
    response = await post_form(client, "/events/audiences", {"name": "某群体"})
    assert response.status_code == 403


async def test_photos_of_a_form_never_saved_are_purged_a_day_later(client, make_user):
    await people(make_user)
    await log_in_as(client, "coord_town")
    values = await form(attendees="-1")
    await submit(client, values, [("photos", ("a.jpg", jpeg(), "image/jpeg"))])
    row = await EventPhoto.select().first()
    assert row["event_id"] is None
    assert await jobs.purge_abandoned_photos({}) == 0
    await EventPhoto.update(
        {EventPhoto.created_at: dt.datetime.now(dt.UTC) - dt.timedelta(days=2)}
    ).where(EventPhoto.id == row["id"])
    assert await jobs.purge_abandoned_photos({}) == 1
    assert not photos.path_of(row["stored_name"]).exists()
    assert await EventPhoto.count() == 0
