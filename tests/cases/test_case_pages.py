"""The case list and form: who sees and changes which case, input kept on error, every change audited."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook

from campaign.accounts.tables import AuditEntry
from campaign.cases import queries
from campaign.cases.tables import Case
from campaign.db import write_transaction
from campaign.regions.tables import Region
from campaign.timeutil import today
from tests.helpers.web import login, post_form

DAY = today() - dt.timedelta(days=2)
FORM = {
    "case_no": "F100",
    "occurred_at": f"{DAY.isoformat()}T09:30",
    "region_code": "330282005002",
    "station_code": "",
    "fraud_type": "投资理财",
    "loss_yuan": "2500.5",
    "victim_occupation": "教师",
    "victim_age": "41",
}


async def audit_detail(action: str) -> dict:
    entry = await AuditEntry.select().where(AuditEntry.action == action).output(load_json=True)
    assert len(entry) == 1
    return entry[0]["detail"]


async def stored(no: str, village: str | None, town: str, station: str | None) -> int:
    async with write_transaction():
        return await queries.insert_case(
            dict(
                case_no=no,
                occurred_on=DAY,
                village_code=village,
                town_code=town,
                district_code=town[:6],
                station_code=station,
                fraud_type="贷款",
                loss_fen=100,
            )
        )


async def two_towns() -> tuple[int, int]:
    mine = await stored("MINE1", "330282005002", "330282005", "PS330282005")
    other = await stored("OTHER1", "330282108201", "330282108", "PS330282108")
    return mine, other


async def test_coordinator_lists_only_the_cases_of_their_town(client, ningbo, make_user):
    await two_towns()
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    page = await client.get("/cases")
    assert page.status_code == 200
    assert 'data-case="MINE1"' in page.text and 'data-case="OTHER1"' not in page.text


async def test_station_coordinator_sees_cases_of_their_station(client, ningbo, make_user):
    await two_towns()
    await make_user("fuhai", "coordinator", unit=("station", "PS330282108"))
    await login(client, "fuhai")
    page = await client.get("/cases")
    assert 'data-case="OTHER1"' in page.text and 'data-case="MINE1"' not in page.text


async def test_coordinator_gets_403_on_another_towns_case(client, ningbo, make_user):
    _mine, other = await two_towns()
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    assert (await client.get(f"/cases/{other}")).status_code == 403
    response = await post_form(client, f"/cases/{other}", {**FORM, "case_no": "OTHER1"})
    assert response.status_code == 403


async def test_coordinator_moving_a_case_to_another_town_gets_403_and_nothing_changes(
    client, ningbo, make_user
):
    mine, _other = await two_towns()
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    moved = {**FORM, "case_no": "MINE1", "region_code": "330282108201"}
    response = await post_form(client, f"/cases/{mine}", moved)
    assert response.status_code == 403
    assert_form_kept_with_place_error(response.text, moved)
    row = await Case.select(Case.town_code).where(Case.id == mine).first()
    assert row["town_code"] == "330282005"
    assert not await AuditEntry.exists().where(AuditEntry.action == "case.update")


def assert_form_kept_with_place_error(html: str, typed: dict) -> None:
    """An out-of-jurisdiction place is an error beside the place field of the same form, with
    everything typed still there, not a bare 403 page that throws the work away."""
    assert 'id="e-region_code"' in html and "本辖区" in html
    assert 'id="f-region_code"' in html
    for key in ("case_no", "region_code", "loss_yuan", "victim_occupation", "victim_age"):
        assert f'value="{typed[key]}"' in html, key


async def test_coordinator_cannot_record_a_case_in_another_town(client, ningbo, make_user):
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    typed = {**FORM, "region_code": "330206002001"}
    response = await post_form(client, "/cases/new", typed)
    assert response.status_code == 403 and await Case.count() == 0
    assert_form_kept_with_place_error(response.text, typed)


async def test_coordinator_records_a_case_and_the_village_streak_resets(client, ningbo, make_user):
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    response = await post_form(client, "/cases/new", FORM)
    assert response.status_code == 302
    case = await Case.select().where(Case.case_no == "F100").first()
    assert case["loss_fen"] == 250050 and case["station_code"] == "PS330282005"
    assert case["occupation_group"] == "教师"
    village = await Region.select(Region.last_case_on).where(Region.code == "330282005002")
    assert village[0]["last_case_on"] == DAY
    assert (await audit_detail("case.create"))["after"]["loss_fen"] == 250050


async def test_form_keeps_the_input_and_says_what_is_wrong_beside_each_field(
    client, ningbo, make_user
):
    await make_user("admin")
    await login(client, "admin")
    bad = {**FORM, "loss_yuan": "-3", "victim_age": "130", "region_code": "330282005999"}
    response = await post_form(client, "/cases/new", bad)
    assert response.status_code == 400
    text = response.text
    assert 'id="e-loss_yuan"' in text and "不小于 0" in text
    assert 'id="e-victim_age"' in text and 'id="e-region_code"' in text
    assert 'value="330282005999"' in text and 'value="教师"' in text and 'value="F100"' in text
    assert await Case.count() == 0


async def test_a_case_number_already_stored_is_refused(client, ningbo, make_user):
    await two_towns()
    await make_user("admin")
    await login(client, "admin")
    response = await post_form(client, "/cases/new", {**FORM, "case_no": "MINE1"})
    assert response.status_code == 400 and "已存在" in response.text


async def test_correction_is_audited_with_before_and_after(client, ningbo, make_user):
    mine, _other = await two_towns()
    await make_user("admin")
    await login(client, "admin")
    corrected = {**FORM, "case_no": "MINE1", "region_code": "330282005206"}
    assert (await post_form(client, f"/cases/{mine}", corrected)).status_code == 302
    detail = await audit_detail("case.update")
    assert detail["before"]["village_code"] == "330282005002"
    assert detail["after"]["village_code"] == "330282005206"
    old_village = await Region.select(Region.last_case_on).where(Region.code == "330282005002")
    assert old_village[0]["last_case_on"] is None


async def test_delete_needs_the_case_number_typed_and_is_audited(client, ningbo, make_user):
    mine, _other = await two_towns()
    await make_user("admin")
    await login(client, "admin")
    refused = await post_form(client, f"/cases/{mine}/delete", {"confirm": "nope"})
    assert refused.status_code == 400 and await Case.exists().where(Case.id == mine)
    done = await post_form(client, f"/cases/{mine}/delete", {"confirm": "MINE1"})
    assert done.status_code == 302 and not await Case.exists().where(Case.id == mine)
    assert (await audit_detail("case.delete"))["before"]["case_no"] == "MINE1"


async def test_leader_reads_their_district_but_cannot_change(client, ningbo, make_user):
    mine, _other = await two_towns()
    await stored("BEILUN1", "330206002001", "330206002", None)
    await make_user("boss", "leader", unit=("district", "330282"))
    await login(client, "boss")
    page = await client.get("/cases")
    assert 'data-case="MINE1"' in page.text and 'data-case="BEILUN1"' not in page.text
    detail = await client.get(f"/cases/{mine}")
    assert detail.status_code == 200 and "<fieldset disabled>" in detail.text
    assert (await post_form(client, f"/cases/{mine}", FORM)).status_code == 403
    assert (await client.get("/cases/new")).status_code == 403


async def test_team_members_do_not_see_cases(client, ningbo, make_user):
    await make_user("team1", "team", team="达叔讲堂")
    await login(client, "team1")
    assert (await client.get("/cases")).status_code == 403


async def test_filters_and_excel_export(client, ningbo, make_user):
    await two_towns()
    await make_user("admin")
    await login(client, "admin")
    page = await client.get("/cases", params={"town": "330282108"})
    assert 'data-case="OTHER1"' in page.text and 'data-case="MINE1"' not in page.text
    empty = await client.get("/cases", params={"q": "zzz"})
    assert "没有符合条件的案件" in empty.text
    export = await client.get("/cases", params={"format": "xlsx", "fraud_type": "贷款"})
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "案件编号"


async def test_a_long_list_is_counted_no_further_than_the_cap(
    client, ningbo, make_user, monkeypatch
):
    """10^6 cases are not counted for a pager (60–75 ms): past the cap the list says "more than",
    while a narrow filter still gets its exact total; the API keeps exact totals."""
    from campaign.cases import controllers
    from campaign.db import count_upto

    monkeypatch.setattr(controllers, "COUNT_CAP", 2)
    for n in range(3):
        await stored(f"CAP{n}", "330282005002", "330282005", "PS330282005")
    await make_user("admin")
    await login(client, "admin")
    page = (await client.get("/cases")).text
    assert "超过 2 条" in page and 'data-case="CAP2"' in page
    narrow = (await client.get("/cases", params={"q": "CAP1"})).text
    assert "共 1 条" in narrow
    everything = Case.select(Case.id)
    assert [await count_upto(everything, cap) for cap in (1, 2, 3, 10)] == [2, 3, 3, 3]


async def test_village_search_offers_only_places_in_the_jurisdiction(client, ningbo, make_user):
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    mine = await client.get("/cases/places", params={"region_code": "白沙"})
    assert 'data-place="330282005206"' in mine.text
    other = await client.get("/cases/places", params={"region_code": "附海"})
    assert "data-place" not in other.text


# -- Reference lists -------------------------------------------------------------------------


async def test_fraud_types_page_lists_types_with_their_case_counts(client, ningbo, make_user):
    await two_towns()
    await make_user("admin")
    await login(client, "admin")
    page = await client.get("/cases/fraud-types")
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-entry="贷款"' in page.text and 'data-entry="投资理财"' in page.text


async def test_an_alias_that_belongs_to_another_type_is_refused_with_input_kept(
    client, ningbo, make_user
):
    await make_user("admin")
    await login(client, "admin")
    response = await post_form(
        client, "/cases/fraud-types", {"name": "养老诈骗", "aliases": "以房养老\n刷单"}
    )
    assert response.status_code == 400 and "已属于“兼职刷单”" in response.text
    assert 'value="养老诈骗"' in response.text


async def test_renaming_a_type_carries_its_cases_along(client, ningbo, make_user):
    from campaign.cases.tables import FraudType

    await two_towns()
    await make_user("admin")
    await login(client, "admin")
    loan = await FraudType.select().where(FraudType.name == "贷款").first()
    response = await post_form(
        client,
        f"/cases/fraud-types/{loan['id']}",
        {"name": "虚假贷款类", "aliases": "虚假贷款;贷款诈骗;贷款", "active": "1"},
    )
    assert response.status_code == 302
    assert await Case.count().where(Case.fraud_type == "虚假贷款类") == 2
    assert (await audit_detail("fraud_type.update"))["before"]["name"] == "贷款"


async def test_a_type_in_use_cannot_be_deleted_but_can_be_deactivated(client, ningbo, make_user):
    from campaign.cases.tables import FraudType

    await two_towns()
    await make_user("admin")
    await login(client, "admin")
    loan = await FraudType.select().where(FraudType.name == "贷款").first()
    refused = await post_form(client, f"/cases/fraud-types/{loan['id']}/delete")
    assert refused.status_code == 302 and await FraudType.exists().where(FraudType.id == loan["id"])
    await post_form(
        client, f"/cases/fraud-types/{loan['id']}", {"name": "贷款", "aliases": loan["aliases"]}
    )
    assert not (await FraudType.select().where(FraudType.id == loan["id"]).first())["active"]
    assert "贷款" not in await queries.fraud_type_index()


async def test_editing_occupation_aliases_regroups_the_cases(client, ningbo, make_user):
    from campaign.cases.tables import OccupationGroup

    async with write_transaction():
        await queries.insert_case(
            dict(
                case_no="OCC1",
                occurred_on=DAY,
                village_code=None,
                town_code="330282005",
                district_code="330282",
                station_code="PS330282005",
                fraud_type="贷款",
                loss_fen=1,
                victim_occupation="外卖骑手",
                occupation_group="其他",
            )
        )
    await make_user("admin")
    await login(client, "admin")
    workers = await OccupationGroup.select().where(OccupationGroup.name == "务工人员").first()
    await post_form(
        client,
        f"/cases/occupations/{workers['id']}",
        {"name": "务工人员", "aliases": workers["aliases"] + ";骑手"},
    )
    case = await Case.select(Case.occupation_group).where(Case.case_no == "OCC1").first()
    assert case["occupation_group"] == "务工人员"
    assert (await audit_detail("occupation_group.update"))["after"]["aliases"].endswith("骑手")


async def test_coordinators_cannot_edit_reference_lists(client, ningbo, make_user):
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    assert (await client.get("/cases/fraud-types")).status_code == 403
    assert (await post_form(client, "/cases/occupations", {"name": "x"})).status_code == 403


async def test_a_late_case_from_the_form_corrects_the_streak_feed(client, ningbo, make_user):
    """The milestone announced for 白沙路 on day -10 is taken back once a case on day -15 is
    recorded through the form, and the broken streak appears instead."""
    from campaign import jobs
    from campaign.streaks import jobs as streak_jobs
    from campaign.streaks import queries as streaks
    from campaign.streaks.tables import StreakEvent

    def ago(n: int) -> dt.date:
        return today() - dt.timedelta(days=n)

    async with write_transaction():
        for no, day in (("OLD1", ago(60)), ("OLD2", ago(40))):
            await queries.insert_case(
                dict(
                    case_no=no,
                    occurred_on=day,
                    village_code="330282005002",
                    town_code="330282005",
                    district_code="330282",
                    station_code="PS330282005",
                    fraud_type="贷款",
                    loss_fen=100,
                )
            )
    await streak_jobs.refresh_streaks_after_cases({})
    await streaks.write_snapshot(ago(10))
    milestone = StreakEvent.select(StreakEvent.id).where(
        StreakEvent.kind == "milestone", StreakEvent.code == "PS330282005"
    )
    assert await milestone
    await make_user("coord", "coordinator", unit=("town", "330282005"))
    await login(client, "coord")
    late = {**FORM, "occurred_at": f"{ago(15).isoformat()}T09:30"}
    assert (await post_form(client, "/cases/new", late)).status_code == 302
    await jobs.drain()
    assert not await milestone
    broken = await StreakEvent.select(StreakEvent.day).where(
        StreakEvent.kind == "broken", StreakEvent.code == "PS330282005"
    )
    assert broken == [{"day": ago(15)}]


async def test_the_city_is_offered_towns_once_it_chooses_a_district(client, ningbo, make_user):
    """Every town of a province in one select was most of the list's time: the city's readers
    choose a district first; a district's reader gets its own towns at once."""
    await make_user("admin")
    await make_user("cixi", "leader", unit=("district", "330282"))
    await login(client, "admin")
    assert 'id="town"' not in (await client.get("/cases")).text
    page = (await client.get("/cases", params={"district": "330282"})).text
    assert 'value="330282005"' in page and 'value="330282108"' in page
    alone = (await client.get("/cases", params={"town": "330282108"})).text  # its district too
    assert 'value="330282108" selected' in alone and 'name="district" value="330282"' in alone
    client.cookies.clear()
    await login(client, "cixi")
    page = (await client.get("/cases")).text
    assert 'id="town"' in page and 'value="330282108"' in page


def test_a_capped_pager_offers_only_full_pages():
    """ "More than 1,000" in pages of 30: a 34th page would show ten rows as if the list ended."""
    from dataclasses import replace

    from campaign.web import Pager

    capped = Pager(page=1, per_page=30, total=1_000, capped=True)
    assert capped.pages == 33 and replace(capped, page=33).last_item == 990
    exact = Pager(page=1, per_page=30, total=1_000)
    assert exact.pages == 34 and replace(exact, page=34).last_item == 1_000
