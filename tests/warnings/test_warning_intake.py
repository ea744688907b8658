"""Warnings arrive by file (CLI and upload page) and by POST /api/v1/warnings: every bad row or
item named, all or nothing, idempotent on 预警编号, conflicts refused, and unplaceable warnings
kept for the centre."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from campaign.accounts import queries as accounts
from campaign.accounts.tables import AuditEntry
from campaign.importing import ImportRejected
from campaign.warnings.imports import import_file
from campaign.warnings.tables import Warning
from tests.helpers.warnings import item
from tests.helpers.web import login, post_form

HEADER = "预警编号,下发时间,风险等级,手机号,区划代码,地址,派出所编码,诈骗类型,涉险金额,预警渠道\n"
GOOD = (
    "YJ1,2026-07-09 14:30,高,13812345678,330282005002,,,刷单,50000,涉诈电话\n"
    "YJ2,2026-07-09 14:31,中,139-0000-1111,330282108,附海镇某村,,投资理财,,APP\n"
    "YJ3,2026-07-09 14:32,低,13700001111,330299999999,不存在的村,,,,短信\n"
)


async def run(body: str, dry_run: bool = False, encoding: str = "utf-8", header: str = HEADER):
    return await import_file(
        "warnings", "warnings.csv", (header + body).encode(encoding), dry_run=dry_run, actor=None
    )


async def test_a_good_file_is_stored_and_dispatched_with_unknown_places_kept_unassigned(ningbo):
    summary = await run(GOOD)
    assert (len(summary.added), summary.unassigned) == (3, 1)
    rows = {r["warning_no"]: r for r in await Warning.select()}
    assert rows["YJ1"]["station_code"] == "PS330282005"
    assert rows["YJ2"]["station_code"] == "PS330282108"
    assert rows["YJ3"]["station_code"] is None and rows["YJ3"]["region_code"] == "330299999999"
    assert rows["YJ1"]["fraud_type"] == "兼职刷单" and rows["YJ1"]["amount_fen"] == 5_000_000
    assert rows["YJ2"]["phone_masked"] == "139****1111"
    assert all("13812345678" not in str(value) for value in rows["YJ1"].values())


async def test_reimporting_changes_nothing_and_dry_run_writes_nothing(ningbo):
    dry = await run(GOOD, dry_run=True)
    assert len(dry.added) == 3 and await Warning.count() == 0
    await run(GOOD)
    again = await run(GOOD)
    assert (again.added, again.unchanged) == ([], 3)
    assert await Warning.count() == 3
    assert await AuditEntry.count().where(AuditEntry.action == "warnings.intake") == 1


async def test_gbk_file_with_english_headers_and_an_xlsx_file_are_read(ningbo):
    english = "warning_id,issued_at,risk_level,phone,region_code\n"
    await run(
        "E1,2026-07-09 08:00,high,13812345678,330282005\n", header=english, encoding="gb18030"
    )
    book = Workbook()
    sheet = book.active
    sheet.append(["预警编号", "下发时间", "风险等级", "手机号"])
    sheet.append(["X1", "2026-07-09 09:00", "中", 13912345678])
    buffer = io.BytesIO()
    book.save(buffer)
    await import_file("warnings", "w.xlsx", buffer.getvalue(), dry_run=False, actor=None)
    assert {r["warning_no"] for r in await Warning.select(Warning.warning_no)} == {"E1", "X1"}


async def test_a_file_with_bad_rows_is_refused_whole_with_every_problem_named(ningbo):
    body = GOOD + "YJ4,not a date,紧急,12345,330282005,,,,-3,\n"
    with pytest.raises(ImportRejected) as caught:
        await run(body)
    where = {(e.row, e.column) for e in caught.value.errors}
    assert {(5, "下发时间"), (5, "风险等级"), (5, "手机号"), (5, "涉险金额")} <= where
    assert await Warning.count() == 0


async def test_same_id_with_different_content_is_a_conflict_and_nothing_is_written(ningbo):
    await run(GOOD)
    changed = GOOD.replace("YJ1,2026-07-09 14:30,高", "YJ1,2026-07-09 14:30,低") + (
        "YJ5,2026-07-09 15:00,高,13812345679,330282005,,,,,\n"
    )
    with pytest.raises(ImportRejected) as caught:
        await run(changed)
    assert [(e.row, e.column) for e in caught.value.errors] == [(2, "预警编号")]
    assert "冲突" in caught.value.errors[0].reason
    assert await Warning.count() == 3


def test_cli_imports_warnings_and_exits_non_zero_on_a_bad_file(tmp_path, migrated):
    good = tmp_path / "w.csv"
    good.write_text(HEADER + GOOD.splitlines()[0] + "\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "B1,,高,1,,,,,,\n", encoding="utf-8")
    campaign = str(Path(sys.executable).parent / "campaign")
    ok = subprocess.run(
        [campaign, "import", "warnings", str(good), "--dry-run"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "试运行" in ok.stdout
    refused = subprocess.run(
        [campaign, "import", "warnings", str(bad)], capture_output=True, text=True
    )
    assert refused.returncode == 1
    assert "第 2 行" in refused.stderr and "手机号" in refused.stderr and "1" not in refused.stdout


# -- The API ---------------------------------------------------------------------------------------


async def token_for(make_user, username: str, role: str = "admin", unit=None) -> dict:
    user_id = await make_user(username, role, unit)
    return {"Authorization": f"Bearer {await accounts.create_token(user_id, 'platform')}"}


async def test_push_without_a_token_is_refused(client, ningbo):
    response = await client.post("/api/v1/warnings", json=item())
    assert response.status_code == 401 and await Warning.count() == 0


async def test_a_single_push_is_stored_and_answered_masked(client, ningbo, make_user):
    headers = await token_for(make_user, "platform")
    response = await client.post("/api/v1/warnings", json=item(warning_id="API1"), headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] == 1 and body["items"][0]["station_code"] == "PS330282005"
    assert body["items"][0]["phone_masked"] == "138****5678"
    assert "13812345678" not in response.text


async def test_a_replayed_push_answers_with_what_is_stored_and_never_duplicates(
    client, ningbo, make_user
):
    headers = await token_for(make_user, "platform")
    batch = [item(warning_id="R1"), item(warning_id="R2")]
    first = await client.post("/api/v1/warnings", json={"warnings": batch}, headers=headers)
    again = await client.post("/api/v1/warnings", json=batch, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] == 2
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first.json()["items"]]
    assert await Warning.count() == 2


async def test_a_push_answers_new_warnings_exactly_as_they_are_stored(client, ningbo, make_user):
    """New warnings are answered from what was inserted, not read back: same as a later read."""
    headers = await token_for(make_user, "platform")
    batch = [
        item(warning_id="N1", amount_yuan="1234.5"),
        item(warning_id="N2", region_code="330299999999", address="某地", amount_yuan=""),
        item(warning_id="N3", risk_level="低", channel="短信"),
    ]
    await client.post("/api/v1/warnings", json=batch[2], headers=headers)  # N3 is a replay
    answer = (await client.post("/api/v1/warnings", json=batch, headers=headers)).json()
    assert (answer["created"], answer["replayed"]) == (2, 1)
    for pushed in answer["items"]:
        stored = (await client.get(f"/api/v1/warnings/{pushed['id']}", headers=headers)).json()
        assert pushed == {key: stored[key] for key in pushed}
    assert [i["queue"] for i in answer["items"]] == ["station", "unassigned", "station"]


async def test_a_conflicting_push_is_refused_and_reported(client, ningbo, make_user):
    headers = await token_for(make_user, "platform")
    await client.post("/api/v1/warnings", json=item(warning_id="C1"), headers=headers)
    response = await client.post(
        "/api/v1/warnings",
        json=[item(warning_id="C2"), item(warning_id="C1", risk_level="低")],
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["item"] == 2
    assert await Warning.count() == 1


async def test_bad_items_are_all_named_and_nothing_is_stored(client, ningbo, make_user):
    headers = await token_for(make_user, "platform")
    response = await client.post(
        "/api/v1/warnings",
        json=[item(), item(phone="1381234"), item(amount_yuan=-5), item(amount_yuan="9999999999")],
        headers=headers,
    )
    assert response.status_code == 422
    problems = {(e["item"], e["field"]) for e in response.json()["errors"]}
    assert problems == {(2, "手机号"), (3, "涉险金额"), (4, "涉险金额")}
    assert "1381234" not in response.text
    assert await Warning.count() == 0


async def test_malformed_json_too_big_a_batch_and_a_wrong_shape_are_400_or_422(
    client, ningbo, make_user
):
    headers = await token_for(make_user, "platform")
    broken = await client.post("/api/v1/warnings", content=b"{not json", headers=headers)
    assert broken.status_code == 400 and "JSON" in broken.json()["detail"]
    big = await client.post("/api/v1/warnings", json=[item() for _ in range(1001)], headers=headers)
    assert big.status_code == 422 and "1000" in json.dumps(big.json(), ensure_ascii=False)
    shape = await client.post("/api/v1/warnings", json="hello", headers=headers)
    assert shape.status_code == 422


async def test_an_unknown_village_lands_in_the_centres_queue(client, ningbo, make_user):
    headers = await token_for(make_user, "platform")
    response = await client.post(
        "/api/v1/warnings", json=item(region_code="330299999001"), headers=headers
    )
    assert response.status_code == 201
    assert response.json()["items"][0]["queue"] == "unassigned"
    await login(client, "platform")
    page = (await client.get("/warnings?queue=unassigned")).text
    assert "待分派" in page and response.json()["items"][0]["warning_id"] in page


async def test_a_coordinators_token_outside_its_jurisdiction_is_refused(client, ningbo, make_user):
    headers = await token_for(make_user, "fuhai", "coordinator", ("station", "PS330282108"))
    inside = await client.post(
        "/api/v1/warnings", json=item(region_code="330282108201"), headers=headers
    )
    assert inside.status_code == 201
    outside = await client.post("/api/v1/warnings", json=item(), headers=headers)
    assert outside.status_code == 403 and "辖区" in outside.json()["detail"]
    leader = await token_for(make_user, "boss", "leader")
    assert (await client.post("/api/v1/warnings", json=item(), headers=leader)).status_code == 403
    assert await Warning.count() == 1


async def test_the_upload_page_checks_then_imports_the_same_file(client, ningbo, make_user):
    await make_user("centre", "admin")
    await login(client, "centre")
    files = {"file": ("w.csv", (HEADER + GOOD).encode(), "text/csv")}
    checked = await post_form(client, "/warnings/import", {"dry_run": "1"}, files=files)
    assert checked.status_code == 200 and 'data-result="dry-run"' in checked.text
    token = checked.text.split('name="token" value="')[1].split('"')[0]
    done = await post_form(
        client, "/warnings/import/confirm", {"token": token, "filename": "w.csv"}
    )
    assert 'data-result="imported"' in done.text and await Warning.count() == 3
    bad = {"file": ("w.csv", (HEADER + "Z,,,,\n").encode(), "text/csv")}
    refused = await post_form(client, "/warnings/import", {}, files=bad)
    assert refused.status_code == 400 and "data-error-row" in refused.text
    template = await client.get("/warnings/import/template.csv")
    assert template.status_code == 200 and "预警编号" in template.content.decode("utf-8-sig")


async def test_the_api_is_in_the_openapi_schema(client, ningbo):
    schema = (await client.get("/schema/openapi.json")).json()
    assert {"/api/v1/warnings", "/api/v1/warnings/{warning_id}"} <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v1/warnings"]
