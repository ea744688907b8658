"""Reading the bulletin's forms and files: area definitions and prevention reminders (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from campaign.i18n import _
from campaign.importing import Column, Row, RowError
from campaign.parsing import MAX_ID, parse_int
from campaign.reports import rules

AREA_COLUMNS = (
    Column("area", ("片区", "area", "片区名称", "area_name")),
    Column("town_code", ("镇街代码", "town_code", "区划代码", "code")),
)
AREA_NAME_MAX = 50
TEXT_MAX = 4000


def area_form(form: Mapping[str, str], town_codes: Sequence[str]) -> list[tuple[str, str]]:
    """The areas page posts one field per town, `town-<code>` = area name."""
    return [(str(form.get(f"town-{code}", "")).strip(), code) for code in town_codes]


def area_rows(rows: Sequence[Row]) -> tuple[list[tuple[str, str]], list[RowError]]:
    """(area name, town code) pairs from an imported file, with per-row problems."""
    pairs: list[tuple[str, str]] = []
    errors: list[RowError] = []
    for number, values in rows:
        area = str(values.get("area") or "").strip()
        code = str(values.get("town_code") or "").strip()
        if code.endswith(".0"):  # a code typed into Excel as a number
            code = code[:-2]
        if not area:
            errors.append(RowError(number, _("片区"), _("片区名称不能为空")))
        elif len(area) > AREA_NAME_MAX:
            errors.append(
                RowError(number, _("片区"), _("片区名称最多 %(n)s 个字", n=AREA_NAME_MAX))
            )
        if not (code.isdigit() and len(code) == 9):
            errors.append(RowError(number, _("镇街代码"), _("“%(c)s”不是 9 位镇街代码", c=code)))
        else:
            pairs.append((area, code))
    return pairs, errors


def reminder_id(form: Mapping[str, Any]) -> int | None:
    """The reminder the form edits; None for a new one."""
    raw = str(form.get("id", ""))
    return parse_int(raw, 0, MAX_ID) if raw.isascii() and raw.isdigit() else None


def reminder_form(form: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """(values, errors) of the reminder form."""
    values: dict[str, Any] = {
        "text": str(form.get("text", "")).strip(),
        "fraud_type": str(form.get("fraud_type", "")).strip(),
        "occupation_group": str(form.get("occupation_group", "")).strip(),
        "months": str(form.get("months", "")).strip(),
        "active": form.get("active") == "1",
    }
    errors = {}
    if not values["text"]:
        errors["text"] = _("请填写提醒内容")
    elif len(values["text"]) > TEXT_MAX:
        errors["text"] = _("提醒内容最多 %(n)s 字", n=TEXT_MAX)
    try:
        rules.parse_months(values["months"])
    except ValueError:
        errors["months"] = _("月份写成 7,8 或 7-9,每个在 1 到 12 之间")
    return values, errors


def text_form(form: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """The editor's wording of a draft: narrative and reminder."""
    values = {
        "narrative": str(form.get("narrative", "")).strip(),
        "reminder": str(form.get("reminder", "")).strip(),
    }
    errors = {}
    if not values["narrative"]:
        errors["narrative"] = _("通报正文不能为空")
    for key in values:
        if len(values[key]) > TEXT_MAX:
            errors[key] = _("最多 %(n)s 字", n=TEXT_MAX)
    return values, errors
