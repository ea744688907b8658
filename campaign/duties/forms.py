"""Reading the responsibility forms: what was typed, kept as typed, and what is wrong with it, in
Chinese, by field. Pure functions; the controllers add what needs the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from litestar.datastructures import FormMultiDict, UploadFile

from campaign.duties import rules
from campaign.i18n import _
from campaign.parsing import form_text, form_values

ORGANISATION_FIELDS = (
    "code",
    "name",
    "sector",
    "region_code",
    "address",
    "responsible_person",
    "contact_phone",
    "alliance_member",
    "alliance_joined_on",
)
MEASURE_FIELDS = ("number", "title", "body", "red_line", "active")
TASK_FIELDS = (
    "measure_id",
    "title",
    "detail",
    "due_on",
    "evidence_kind",
    "figure_label",
    "reviewer_id",
)
MAX_TITLE = 150
MAX_DETAIL = 2000


def organisation_form(form: Mapping[str, Any]) -> dict[str, str]:
    """The organisation form as text; the alliance checkbox as the 是/否 an import has."""
    values = form_values(form, ORGANISATION_FIELDS)
    values["alliance_member"] = "是" if form.get("alliance_member") else "否"
    return values


def task_form(form: FormMultiDict) -> tuple[dict[str, str], list[str]]:
    """The new-task form as text, and the keys of the units chosen (the form's repeated `units`
    field; check_task checks both)."""
    units = form.getall("units", [])
    return form_values(form, TASK_FIELDS), [str(k) for k in units if str(k).strip()]


def evidence_form(
    form: FormMultiDict, kind: str
) -> tuple[dict[str, Any], UploadFile | None, dict[str, str]]:
    """Evidence for a task of this kind: the note and either the figure typed (with its error)
    or the uploaded file, which the controller reads and checks."""
    values: dict[str, Any] = {"kind": kind, "note": form_text(form, "note")[: rules.MAX_NOTE]}
    if kind == rules.FIGURE:
        values["figure"], problem = rules.parse_figure(str(form.get("figure", "")))
        return values, None, {"figure": problem} if problem else {}
    upload = form.get("file")
    return values, upload if isinstance(upload, UploadFile) else None, {}


def task_decision(form: Mapping[str, Any]) -> tuple[bool, str]:
    """A reviewer's decision on submitted evidence: accepted, and the reason for returning."""
    return form.get("decision") == "accept", form_text(form, "reason")


def closing_form(form: Mapping[str, Any], findings: str) -> tuple[str, str]:
    """Closing a review: its findings (those saved earlier unless the form sends new ones) and
    the closing note."""
    return str(form.get("findings", "") or findings).strip(), form_text(form, "closing_note")


def compute_form(form: Mapping[str, Any], day: dt.date) -> tuple[str, int, int]:
    """Which assessment to compute: level (town unless station), year and quarter."""
    level = str(form.get("level", ""))
    year, quarter = rules.parse_quarter(str(form.get("quarter", "")), day)
    return (level if level in rules.LEVELS else "town"), year, quarter


def scheme_values(form: Mapping[str, Any]) -> dict[str, str]:
    """Every field of the scheme form (weights, baselines, red lines) as text."""
    return {k: str(v).strip() for k, v in form.items() if k != "_csrf_token"}


def check_measure(values: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    number = values.get("number", "")
    if not number.isdigit() or not 1 <= int(number) <= 999:
        errors["number"] = _("请填写条目序号(1–999)")
    title = values.get("title", "")
    if not title or len(title) > 100:
        errors["title"] = _("请填写措施名称(不超过 100 字)")
    body = values.get("body", "")
    if len(body) > MAX_DETAIL:
        errors["body"] = _("不超过 %(n)s 字", n=MAX_DETAIL)
    record = {
        "number": int(number) if number.isdigit() else 0,
        "title": title,
        "body": body,
        "red_line": values.get("red_line") in ("1", "on", "true"),
        "active": values.get("active", "1") in ("1", "on", "true"),
    }
    return record, errors


def check_task(
    values: Mapping[str, str], units: list[str], today: dt.date
) -> tuple[dict, dict[str, str]]:
    """The task's fields; units (kind:code keys) and the reviewer are checked by the caller
    against the database and the assigner's jurisdiction."""
    errors: dict[str, str] = {}
    if not values.get("measure_id", "").isdigit():
        errors["measure_id"] = _("请选择所属措施")
    title = values.get("title", "")
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _("请填写任务名称(不超过 %(n)s 字)", n=MAX_TITLE)
    detail = values.get("detail", "")
    if len(detail) > MAX_DETAIL:
        errors["detail"] = _("不超过 %(n)s 字", n=MAX_DETAIL)
    due = None
    try:
        due = dt.date.fromisoformat(values.get("due_on", ""))
    except ValueError:
        errors["due_on"] = _("请选择完成期限")
    if due and due < today:
        errors["due_on"] = _("完成期限不能早于今天")
    kind = values.get("evidence_kind", "")
    if kind not in rules.EVIDENCE_KINDS:
        errors["evidence_kind"] = _("请选择需提交的材料类型")
    label = values.get("figure_label", "")
    if kind == rules.FIGURE and not label:
        errors["figure_label"] = _("要求填报数字时,请写明填报什么(如“入户户数”)")
    if len(label) > 50:
        errors["figure_label"] = _("不超过 %(n)s 字", n=50)
    if not units:
        errors["units"] = _("请至少选择一个责任单位")
    if not values.get("reviewer_id", "").isdigit():
        errors["reviewer_id"] = _("请选择审核人")
    record = {
        "measure_id": int(values["measure_id"]) if "measure_id" not in errors else 0,
        "title": title,
        "detail": detail,
        "due_on": due,
        "evidence_kind": kind,
        "figure_label": label if kind == rules.FIGURE else "",
        "reviewer_id": int(values["reviewer_id"]) if "reviewer_id" not in errors else 0,
    }
    return record, errors


def check_scheme(values: Mapping[str, str]) -> tuple[dict, dict[str, str]]:
    """Weights (adding up to 100), baseline thresholds and red lines from the scheme form."""
    weights, errors = rules.check_weights({k: values.get(f"w_{k}", "") for k in rules.INDICATORS})
    errors = {(f"w_{k}" if k in rules.INDICATORS else k): v for k, v in errors.items()}
    baseline = {}
    for key in rules.DEFAULT_BASELINE:
        raw = values.get(f"b_{key}", "")
        if not raw.isdigit() or int(raw) > 10_000:
            errors[f"b_{key}"] = _("请填写 0–10000 的整数")
        else:
            baseline[key] = int(raw)
    major = values.get("r_major_loss_yuan", "")
    if not major.isdigit() or int(major) > 10**10:
        errors["r_major_loss_yuan"] = _("请填写整数金额(元),填 0 表示不设此红线")
    red_lines = {
        "major_loss_yuan": int(major) if major.isdigit() else 0,
        "red_line_tasks": values.get("r_red_line_tasks") in ("1", "on", "true"),
    }
    return {"weights": weights, "baseline": baseline, "red_lines": red_lines}, errors
