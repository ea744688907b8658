"""Organisations: import (whole file or nothing, idempotent, unknown village refused), the form,
phones kept only as hash and mask, the list with filters and export, and outreach received
through the event form's 举办机构 field."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.duties import queries
from campaign.duties.imports import import_file
from campaign.duties.tables import EventOrganisation, Organisation
from campaign.importing import ImportRejected
from tests.helpers.duties import SHUGUANG
from tests.helpers.events import form as event_form
from tests.helpers.events import submit
from tests.helpers.web import login, post_form

CSV = """机构编码,机构名称,行业,区划代码,负责人,联系电话,反诈联盟成员
ORG-001,慈溪市第三中学,学校,330282005002,王老师,13812345678,是
ORG-002,白沙路农商银行,银行,330282005,李行长,,否
ORG-003,附海卫生院,医院,330282108201,,0574-63001234,否
"""


async def test_import_checks_every_row_and_is_idempotent(ningbo):
    summary = await import_file("organisations", "orgs.csv", CSV.encode(), False, None)
    assert len(summary.added) == 3
    again = await import_file("organisations", "orgs.csv", CSV.encode(), False, None)
    assert again.added == [] and again.changed == [] and again.unchanged == 3
    school = await Organisation.select().where(Organisation.code == "ORG-001").first()
    assert school["contact_phone_masked"] == "138****5678"
    assert "13812345678" not in str(school) and len(school["contact_phone_hash"]) == 64
    assert school["town_code"] == "330282005" and school["alliance_member"] is True


async def test_an_organisation_in_an_unknown_village_is_refused_with_its_row(ningbo):
    bad = (
        CSV + "ORG-004,某公司,企业,330282999999,,,否\nORG-005,某号,自媒体,330282005002,,12345,否\n"
    )
    try:
        await import_file("organisations", "orgs.csv", bad.encode(), False, None)
    except ImportRejected as rejected:
        reasons = {(e.row, e.column): e.reason for e in rejected.errors}
    else:
        raise AssertionError("the file was taken")
    assert "330282999999" in reasons[(5, "区划代码")]
    assert "电话" in reasons[(6, "联系电话")]
    assert await Organisation.count() == 0


async def test_the_form_refuses_an_unknown_village_and_keeps_the_input(client, ningbo):
    await login(client, "coord")
    values = {
        "code": "ORG-9",
        "name": "白沙小学",
        "sector": "school",
        "region_code": "330282005999",
        "contact_phone": "13900001111",
    }
    page = await post_form(client, "/duties/organisations/new", values)
    assert page.status_code == 400
    assert "330282005999 不是已知的村社" in page.text and "白沙小学" in page.text
    values["region_code"] = "330206002001"  # 北仑: outside the coordinator's town
    page = await post_form(client, "/duties/organisations/new", values)
    assert page.status_code == 400 and "不在你的辖区内" in page.text
    values["region_code"] = SHUGUANG
    page = await post_form(client, "/duties/organisations/new", values)
    assert page.status_code == 302
    org = await queries.organisation_by_code("ORG-9")
    assert org.contact_phone_masked == "139****1111"
    detail = await client.get(page.headers["location"])
    assert "139****1111" in detail.text and "13900001111" not in detail.text


async def test_list_filters_pages_and_exports(client, ningbo):
    await import_file("organisations", "orgs.csv", CSV.encode(), False, None)
    await login(client, "coord")
    page = await client.get("/duties/organisations")
    assert (
        'data-organisation="ORG-001"' in page.text and "ORG-003" not in page.text
    )  # 附海 elsewhere
    page = await client.get("/duties/organisations?sector=bank")
    assert "ORG-002" in page.text and "ORG-001" not in page.text
    page = await client.get("/duties/organisations?alliance=1")
    assert "ORG-001" in page.text and "ORG-002" not in page.text
    export = await client.get("/duties/organisations?format=xlsx")
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert rows[0][0] == "机构编码" and {r[0] for r in rows[1:]} == {"ORG-001", "ORG-002"}
    empty = await client.get("/duties/organisations?q=nothing-like-this")
    assert "没有符合条件的机构" in empty.text


async def test_an_event_held_at_an_organisation_shows_on_its_page(client, ningbo):
    await import_file("organisations", "orgs.csv", CSV.encode(), False, None)
    await login(client, "coord")
    page = await submit(client, await event_form(organisation="ORG-003"))
    assert page.status_code == 400 and "不在活动地点所在镇街" in page.text
    page = await submit(client, await event_form(organisation="ORG-001"))
    assert page.status_code == 302
    assert await EventOrganisation.count() == 1
    org = await queries.organisation_by_code("ORG-001")
    detail = await client.get(f"/duties/organisations/{org.id}")
    assert "data-event=" in detail.text
    choices = await client.get("/duties/organisations/choices?organisation=三中")
    assert 'value="ORG-001"' in choices.text
