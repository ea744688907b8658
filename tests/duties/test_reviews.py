"""Accountability reviews: a case above the loss threshold written through the case form opens a
review by itself, which gathers the outreach of the 90 days before; a leader marks a case
serious; a review is not closed without findings; leaders see open reviews and their age."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

from campaign import jobs
from campaign.accounts.tables import AuditEntry
from campaign.cases import queries as cases
from campaign.db import write_transaction
from campaign.duties import queries, rules
from campaign.duties.tables import Review
from campaign.events.tables import Event
from campaign.regions.tables import Region
from campaign.system.queries import set_setting
from campaign.timeutil import LOCAL, today
from tests.helpers.duties import BAISHA, SHUGUANG, login, warning
from tests.helpers.events import type_id
from tests.helpers.web import post_form

DAY = today() - dt.timedelta(days=3)


def case_form(no: str, loss_yuan: str) -> dict:
    return {
        "case_no": no,
        "occurred_at": f"{DAY.isoformat()}T09:30",
        "region_code": SHUGUANG,
        "station_code": "",
        "fraud_type": "投资理财",
        "loss_yuan": loss_yuan,
        "victim_occupation": "教师",
        "victim_age": "41",
    }


async def verified_event(day: dt.date) -> int:
    start = dt.datetime.combine(day, dt.time(10), LOCAL)
    rows = await Event.insert(
        Event(
            type_id=await type_id("宣讲/讲堂"),
            place_code=SHUGUANG,
            place_level="village",
            village_code=SHUGUANG,
            town_code=BAISHA,
            district_code="330282",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            day=day,
            attendees=80,
            status="verified",
        )
    )
    return rows[0]["id"]


async def settle() -> None:
    await asyncio.gather(*jobs._running, return_exceptions=True)


async def test_a_case_above_the_threshold_opens_a_review_that_gathers_by_itself(client, ningbo):
    await set_setting("duties.review_loss_yuan", "50000")
    inside = await verified_event(DAY - dt.timedelta(days=20))
    await verified_event(DAY - dt.timedelta(days=120))  # before the 90 days
    await login(client, "coord")
    assert (await post_form(client, "/cases/new", case_form("SMALL1", "49999"))).status_code == 302
    assert (await post_form(client, "/cases/new", case_form("BIG1", "80000"))).status_code == 302
    await settle()
    reviews = await Review.select()
    assert [r["case_no"] for r in reviews] == ["BIG1"]
    assert reviews[0]["trigger"] == "loss" and reviews[0]["town_code"] == BAISHA
    page = await client.get(f"/duties/reviews/{reviews[0]['id']}")
    assert page.status_code == 200
    assert re.findall(r'href="/events/(\d+)"', page.text) == [str(inside)]
    assert "data-no-phone" in page.text  # the case names no victim phone to match warnings
    assert await queries.open_reviews_for_new_cases() == 0  # the sweep is idempotent


async def test_a_review_is_not_closed_without_findings(client, ningbo):
    await login(client, "coord")
    await post_form(client, "/cases/new", case_form("BIG2", "200000"))
    await settle()
    review_id = (await Review.select().first())["id"]
    await login(client, "coord")
    page = await post_form(client, f"/duties/reviews/{review_id}/close", {})
    assert page.status_code == 403  # closure is a leader's
    await login(client, "cixi_leader")
    page = await post_form(client, f"/duties/reviews/{review_id}/close", {"closing_note": "ok"})
    assert page.status_code == 400 and "不能空白结案" in page.text
    assert (await Review.select().first())["status"] == "open"
    page = await post_form(
        client,
        f"/duties/reviews/{review_id}/actions",
        {"action": "曙光社区补一场宣讲", "owner": "王所长", "due_on": today().isoformat()},
    )
    assert page.status_code == 302
    page = await post_form(
        client, f"/duties/reviews/{review_id}/actions", {"action": "x", "owner": "", "due_on": ""}
    )
    assert page.status_code == 400 and "请填写责任人" in page.text
    page = await post_form(
        client, f"/duties/reviews/{review_id}/findings", {"findings": "案发村三个月未入户宣传"}
    )
    assert page.status_code == 302
    page = await post_form(client, f"/duties/reviews/{review_id}/close", {"closing_note": "整改"})
    assert page.status_code == 302
    closed = await Review.select().first()
    assert closed["status"] == "closed" and closed["closed_by_name"] == "cixi_leader"


async def test_a_leader_marks_a_case_serious_and_sees_open_reviews_with_their_age(client, ningbo):
    await login(client, "coord")
    await post_form(client, "/cases/new", case_form("MINOR1", "300"))
    await settle()
    assert await Review.count() == 0
    await login(client, "cixi_leader")
    page = await post_form(client, "/duties/reviews/open", {"case_no": "NOPE", "note": "x"})
    assert page.status_code == 400 and "找不到案件编号 NOPE" in page.text
    page = await post_form(
        client, "/duties/reviews/open", {"case_no": "MINOR1", "note": "受害人为在校学生"}
    )
    assert page.status_code == 302
    await Review.update({Review.opened_on: today() - dt.timedelta(days=12)}, force=True)
    listing = await client.get("/duties/reviews?status=open")
    assert "MINOR1" in listing.text and "data-age>12<" in listing.text
    await login(client, "beilun_leader")
    assert "MINOR1" not in (await client.get("/duties/reviews")).text
    await login(client, "leader")
    home = await client.get("/")
    assert "进行中的倒查 1 起" in home.text


async def test_the_warning_history_of_the_victims_phone_comes_from_the_warnings_module(ningbo):
    await warning("W-EARLY", BAISHA, DAY - dt.timedelta(days=100), "dissuaded", "a" * 64)
    await warning("W-IN", BAISHA, DAY - dt.timedelta(days=5), "unreachable", "a" * 64)
    await warning("W-OTHER", BAISHA, DAY - dt.timedelta(days=5), "dissuaded", "b" * 64)
    start, end = rules.lookback(DAY)
    history = await queries.warning_history("a" * 64, start, end)
    assert history.phone_known and [w.warning_no for w in history.items] == ["W-IN"]
    assert history.items[0].outcome == "unreachable"
    assert not (await queries.warning_history(None, start, end)).phone_known


async def test_an_imported_case_with_a_warned_victim_shows_the_warning_in_its_review(
    client, ningbo
):
    from campaign.cases.imports import import_file
    from campaign.phones import keep_phone

    phone = keep_phone("13812345678")
    await warning("W-BEFORE", BAISHA, DAY - dt.timedelta(days=10), "unreachable", phone.hash)
    await verified_event(DAY - dt.timedelta(days=30))
    csv = (
        "案件编号,发案时间,区划代码,诈骗类型,损失金额,受害人电话\n"
        f"IMP1,{DAY.isoformat()},{SHUGUANG},投资理财,150000,138 1234 5678\n"
    )
    await import_file("cases", "cases.csv", csv.encode(), dry_run=False, actor=None)
    await settle()
    review = await Review.select().first()
    assert review["case_no"] == "IMP1"
    await login(client, "cixi_leader")
    page = await client.get(f"/duties/reviews/{review['id']}")
    assert "W-BEFORE" in page.text and "data-warning-list" in page.text
    assert "无法联系" in page.text  # how it was handled
    assert len(re.findall(r'href="/events/(\d+)"', page.text)) == 1


async def test_the_sweep_opens_many_reviews_at_once_with_one_audit_entry(ningbo):
    """An import writes thousands of cases above the threshold: the sweep opens each one review,
    with the village's station, in one transaction and one audit entry (and then nothing)."""
    await set_setting("duties.review_loss_yuan", "1000")
    for n in range(40):
        values = {
            "case_no": f"SWEEP{n:03}",
            "occurred_on": DAY,
            "village_code": SHUGUANG if n % 2 else None,
            "town_code": BAISHA,
            "district_code": "330282",
            "station_code": None,
            "fraud_type": "投资理财",
            "loss_fen": (200_000 if n % 4 else 50_000),  # a quarter below the threshold
        }
        async with write_transaction():
            await cases.insert_case(values)
    before = await AuditEntry.count().where(AuditEntry.action == "review.open")
    assert await queries.open_reviews_for_new_cases() == 30
    reviews = await Review.select().order_by(Review.case_no)
    assert len(reviews) == 30 and len({r["case_id"] for r in reviews}) == 30
    station = (await Region.select(Region.station_code).where(Region.code == SHUGUANG).first())[
        "station_code"
    ]
    village = [r for r in reviews if r["village_code"] == SHUGUANG]
    assert len(village) == 20 and {r["village_station_code"] for r in village} == {station}
    assert await AuditEntry.count().where(AuditEntry.action == "review.open") == before + 1
    assert await queries.open_reviews_for_new_cases() == 0
