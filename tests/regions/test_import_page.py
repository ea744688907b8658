"""The administrator's import page: check a file first, then confirm the same file; a bad file
shows every bad row and writes nothing; only administrators get in."""

from __future__ import annotations

import re

from campaign.accounts.tables import AuditEntry
from campaign.regions.tables import Region
from campaign.settings import get_settings
from tests.helpers.ningbo import REGIONS_CSV
from tests.helpers.web import login, post_form, text_of

UPLOADS = get_settings().var_dir / "uploads"


async def as_admin(client, make_user):
    await make_user("boss", "admin")
    await login(client, "boss")


async def upload(client, data: bytes, filename="regions.csv", kind="regions", dry_run=True):
    form = {"kind": kind, **({"dry_run": "1"} if dry_run else {})}
    return await post_form(
        client, "/admin/import", form, files={"file": (filename, data, "text/csv")}
    )


async def test_the_form_checks_by_default_and_explains_both_formats(client, make_user):
    await as_admin(client, make_user)
    page = await client.get("/admin/import")
    assert page.status_code == 200
    assert re.search(r'<input type="checkbox" name="dry_run" value="1" checked>', page.text)
    assert 'data-format="regions"' in page.text and 'data-format="stations"' in page.text
    assert 'href="/admin/import/template/stations.csv"' in page.text


async def test_a_dry_run_shows_the_summary_and_confirming_imports_the_same_file(client, make_user):
    await as_admin(client, make_user)
    checked = await upload(client, REGIONS_CSV.encode())
    assert checked.status_code == 200 and 'data-result="dry-run"' in checked.text
    assert text_of(checked.text, 'data-summary="added"') == ["9"]
    assert "<code>330282005206</code>" in checked.text
    assert await Region.count() == 0
    token = re.search(r'name="token" value="([0-9a-f]{32})"', checked.text).group(1)
    assert (UPLOADS / token).is_file()

    confirmed = await post_form(
        client,
        "/admin/import/confirm",
        {"token": token, "kind": "regions", "filename": "regions.csv"},
    )
    assert confirmed.status_code == 200 and 'data-result="imported"' in confirmed.text
    assert await Region.count() == 9
    assert not (UPLOADS / token).exists()
    entry = await AuditEntry.select().where(AuditEntry.action == "regions.import").first()
    assert entry["actor_name"] == "boss"

    again = await post_form(
        client,
        "/admin/import/confirm",
        {"token": token, "kind": "regions", "filename": "regions.csv"},
    )
    assert again.status_code == 400 and "已过期" in again.text


async def test_checking_a_file_already_imported_finds_nothing_to_do(client, make_user):
    await as_admin(client, make_user)
    await upload(client, REGIONS_CSV.encode(), dry_run=False)
    assert await Region.count() == 9
    checked = await upload(client, REGIONS_CSV.encode())
    assert text_of(checked.text, 'data-summary="unchanged"') == ["9"]
    assert 'name="token"' not in checked.text and "无需导入" in checked.text


async def test_a_rejected_file_lists_every_bad_row_and_keeps_the_form(client, make_user):
    await as_admin(client, make_user)
    bad = REGIONS_CSV.replace(
        "330282005,白沙路街道,镇街,330282", "330282005,白沙路街道,镇街,330299"
    )
    bad += "330282108201,重复村,村社,330282108,\n"
    response = await upload(client, bad.encode())
    assert response.status_code == 400 and 'data-result="rejected"' in response.text
    assert re.findall(r'data-error-row="(\d+)"', response.text) == ["4", "11"]
    assert "330299" in response.text and "重复" in response.text
    assert re.search(r'value="regions" checked', response.text)
    assert await Region.count() == 0


async def test_a_picture_renamed_to_csv_is_refused_in_chinese(client, make_user):
    await as_admin(client, make_user)
    response = await upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "photo.csv")
    assert response.status_code == 400 and "不是 CSV 或 Excel 文件" in response.text


async def test_missing_file_or_wrong_extension_is_explained_beside_the_field(client, make_user):
    await as_admin(client, make_user)
    none = await post_form(client, "/admin/import", {"kind": "regions"}, files={})
    assert none.status_code == 400 and "请选择要上传的文件" in none.text
    pdf = await upload(client, b"%PDF-1.4", "list.pdf")
    assert pdf.status_code == 400 and "只支持 .csv 或 .xlsx 文件" in pdf.text


async def test_a_token_that_is_not_hex_is_never_used_as_a_path(client, make_user):
    await as_admin(client, make_user)
    outside = get_settings().var_dir / "not-an-upload.csv"
    outside.write_bytes(REGIONS_CSV.encode())
    response = await post_form(
        client,
        "/admin/import/confirm",
        {"token": "../not-an-upload.csv", "kind": "regions", "filename": "x.csv"},
    )
    assert response.status_code == 400 and "已过期" in response.text
    assert outside.exists() and await Region.count() == 0


async def test_templates_are_utf8_with_bom_and_have_the_chinese_headers(client, make_user):
    await as_admin(client, make_user)
    response = await client.get("/admin/import/template/regions.csv")
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert (
        response.content[3:].decode().splitlines()[0]
        == "区划代码,名称,级别,上级代码,常住人口,派出所编码"
    )
    assert (await client.get("/admin/import/template/cases.csv")).status_code == 404


async def test_non_admins_get_403(client, make_user):
    await make_user("lead", "leader")
    await login(client, "lead")
    assert (await client.get("/admin/import")).status_code == 403
    response = await upload(client, REGIONS_CSV.encode(), dry_run=False)
    assert response.status_code == 403
    assert await Region.count() == 0
