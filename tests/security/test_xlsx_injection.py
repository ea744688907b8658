"""Excel exports write user text as text, never as a live formula (issue 15, item 3)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from campaign.web import xlsx_response
from tests.helpers.web import login

HOSTILE = [
    "=1+1",
    '=HYPERLINK("http://evil.example","点我")',
    "+86 138",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
]


def _cells(body: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [[(c.value, c.data_type) for c in row] for row in sheet.iter_rows()]


def test_formula_like_text_is_stored_as_text():
    response = xlsx_response("导出", ["名称", "数量"], [[text, 5] for text in HOSTILE])
    rows = _cells(response.content)
    assert rows[0] == [("名称", "s"), ("数量", "s")]
    for text, row in zip(HOSTILE, rows[1:], strict=True):
        assert row[0] == (text.replace("\r", "\n"), "s")  # XML reads CR back as LF
        assert row[1] == (5, "n")  # numbers stay numbers


async def test_user_list_export_does_not_run_a_display_name(client, make_user):
    await make_user("admin1", "admin")
    await make_user("=1+1", "leader")
    await login(client, "admin1")
    answer = await client.get("/admin/users?format=xlsx")
    assert answer.status_code == 200
    values = [cell for row in _cells(answer.content) for cell in row]
    assert ("=1+1", "s") in values
    assert not any(kind == "f" for _, kind in values)
