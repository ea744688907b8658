"""Beyond the platform: a case imported with the victim's phone marks the warnings of the 30 days
before it as 劝阻失败, and the station sees its "warned but still defrauded" rate."""

from __future__ import annotations

import datetime as dt

import pytest

from campaign.cases.imports import import_file as import_cases
from campaign.cases.tables import Case
from campaign.importing import ImportRejected
from campaign.timeutil import LOCAL, today
from campaign.warnings import jobs
from campaign.warnings.tables import Warning
from tests.helpers.warnings import item, push
from tests.helpers.web import login

HEADER = (
    "案件编号,发案时间,区划代码,派出所编码,诈骗类型,损失金额,受害人职业,受害人年龄,受害人电话\n"
)


def days_ago(n: int) -> str:
    moment = dt.datetime.now(LOCAL) - dt.timedelta(days=n, hours=1)
    return moment.strftime("%Y-%m-%d %H:%M")


async def cases_file(body: str) -> None:
    await import_cases("cases", "c.csv", (HEADER + body).encode(), dry_run=False, actor=None)


async def test_a_case_of_a_warned_phone_within_30_days_marks_the_warning_failed(ningbo):
    await push(
        item(warning_id="W-OLD", phone="13800000009", issued_at=days_ago(40)),
        item(warning_id="W-NEW", phone="13800000009", issued_at=days_ago(10)),
        item(warning_id="W-OTHER", phone="13800000010", issued_at=days_ago(5)),
    )
    await cases_file(
        f"K1,{today().isoformat()},330282005002,,刷单,1000,,,138-0000-0009\n"
        f"K2,{today().isoformat()},330282005002,,刷单,1000,,,\n"
    )
    stored = await Case.select(Case.case_no, Case.victim_phone_hash, Case.victim_phone_masked)
    by_no = {c["case_no"]: c for c in stored}
    assert by_no["K1"]["victim_phone_masked"] == "138****0009"
    assert by_no["K2"]["victim_phone_hash"] is None
    assert await jobs.match_warned_victims({}) == 1
    failed = {r["warning_no"]: r["failed_case_no"] for r in await Warning.select()}
    assert failed == {"W-OLD": None, "W-NEW": "K1", "W-OTHER": None}
    assert await jobs.match_warned_victims({}) == 0


async def test_a_malformed_victim_phone_refuses_the_case_file(ningbo):
    with pytest.raises(ImportRejected) as caught:
        await cases_file(f"K1,{today().isoformat()},330282005002,,刷单,1000,,,12345\n")
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "受害人电话")]
    assert "12345" not in caught.value.errors[0].reason


async def test_a_file_without_phones_keeps_the_stored_ones(ningbo):
    await cases_file(f"K1,{today().isoformat()},330282005002,,刷单,1000,,,13800000009\n")
    again = await import_cases(
        "cases",
        "c.csv",
        (
            "案件编号,发案时间,区划代码,派出所编码,诈骗类型,损失金额\n"
            f"K1,{today().isoformat()},330282005002,,刷单,1000\n"
        ).encode(),
        dry_run=False,
        actor=None,
    )
    assert again.unchanged == 1
    row = await Case.select(Case.victim_phone_masked).first()
    assert row["victim_phone_masked"] == "138****0009"


async def test_the_station_sees_its_warned_but_still_defrauded_rate(client, ningbo, make_user):
    rows = await push(
        item(warning_id="S1", phone="13800000011"),
        item(warning_id="S2", phone="13800000012"),
    )
    await cases_file(f"K9,{today().isoformat()},330282005002,,刷单,1000,,,13800000011\n")
    await jobs.match_warned_victims({})
    await make_user("baisha", "coordinator", ("station", "PS330282005"))
    await login(client, "baisha")
    page = (await client.get("/warnings/figures?level=station")).text
    row = page.split('data-unit="PS330282005"')[1].split("</tr>")[0]
    assert 'data-figure="failed-rate">50.0%' in row
    detail = (await client.get(f"/warnings/{rows[0].id}")).text
    assert "劝阻失败" in detail and "K9" in detail
