"""Parsing and checking the staff forms of the volunteers module (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from litestar.datastructures import FormMultiDict

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.parsing import form_flag, form_values, parse_int
from campaign.volunteers import rules

REPORT_KINDS = {"call": _l("可疑电话"), "sms": _l("可疑短信"), "site": _l("可疑网站/APP")}


def _fields(form: Mapping[str, Any], keys: Iterable[str]) -> dict[str, str]:
    """The named fields as sent (untrimmed: the checks trim, and a failed form shows them back)."""
    return {key: str(form.get(key, "")) for key in keys}


def application_form(form: FormMultiDict) -> tuple[str, list[str]]:
    """The identity chosen on the application and the codes ticked as its propaganda area."""
    return str(form.get("kind", "")), [str(c) for c in form.getall("area", [])]


def status_form(form: Mapping[str, Any]) -> str | None:
    """The approval decision (approved or suspended), None for anything else."""
    status = str(form.get("status", ""))
    return status if status in (rules.APPROVED, rules.SUSPENDED) else None


def redemption_action(form: Mapping[str, Any]) -> str:
    """What the station does with a redemption: "hand", "cancel" (anything else does nothing)."""
    return str(form.get("action", ""))


def rule_form(form: Mapping[str, Any]) -> tuple[dict[str, str], bool]:
    """A point rule's values for check_rule and whether it is switched on."""
    return _fields(form, ("points", "daily_cap")), form_flag(form, "active")


def team_form(form: Mapping[str, Any]) -> tuple[tuple[str, str] | None, str]:
    """A new team's (name, kind: team or alliance), or None and the error."""
    name = str(form.get("name", "")).strip()
    kind = "alliance" if form.get("kind") == "alliance" else "team"
    if not name or len(name) > 50:
        return None, _("请填写团队名称(最多 50 字)")
    return (name, kind), ""


def reward_form(form: Mapping[str, Any]) -> tuple[int | None, dict[str, str]]:
    """The id of the reward edited (None for a new one) and its values for check_reward."""
    values = _fields(form, ("id", "name", "description", "price", "stock", "active"))
    return parse_int(values["id"]), values


def question_values(form: Mapping[str, Any]) -> dict[str, str]:
    """Every field of the question form, for check_question and to show back on an error."""
    return {key: str(value) for key, value in form.items()}


def signup_values(form: Mapping[str, Any]) -> dict[str, str]:
    """A volunteer's sign-up fields, trimmed, for rules.check_signup."""
    return form_values(form, ("nickname", "phone", "village", "team"))


def login_form(form: Mapping[str, Any]) -> tuple[str, str, str]:
    """(page to go to next, phone as typed, code); the code is "" when a new one is asked for."""
    code = "" if form.get("resend") else str(form.get("code", "")).strip()
    return str(form.get("next", "/v/me")), str(form.get("phone", "")).strip(), code


def chosen_interests(form: FormMultiDict, allowed: Collection[str]) -> list[str]:
    """The ticked interests that are offered (fraud types and audiences)."""
    return [str(i) for i in form.getall("interests", []) if str(i) in allowed]


def quiz_choices(form: Mapping[str, Any], question_ids: Iterable[int]) -> dict[int, int]:
    """The option picked for each question, -1 when none was."""
    chosen = {}
    for qid in question_ids:
        raw = str(form.get(f"q{qid}", ""))
        picked = parse_int(raw)
        chosen[qid] = -1 if picked is None else picked
    return chosen


def checkin_signature(form: Mapping[str, Any]) -> str:
    """The signature of the event's check-in code, carried by the check-in form."""
    return str(form.get("s", ""))


def report_values(form: Mapping[str, Any]) -> dict[str, str]:
    """A suspicious-contact report's fields for check_report and to show back on an error."""
    return _fields(form, ("kind", "content", "note"))


def check_application(
    kind: str, codes: Iterable[str], unit_towns: Iterable[str]
) -> tuple[list[str], dict[str, str]]:
    """The propaganda area chosen on the application, or errors."""
    errors: dict[str, str] = {}
    if kind not in rules.KINDS:
        errors["kind"] = _("请选择身份")
    area = sorted({c.strip() for c in codes if c.strip()})
    if not area:
        errors["area"] = _("请至少选择一个镇街或村社作为宣传范围")
    elif not rules.area_inside_unit(area, unit_towns):
        errors["area"] = _("宣传范围只能在本单位辖区内")
    return area, errors


def check_rule(values: Mapping[str, str]) -> tuple[tuple[int, int] | None, dict[str, str]]:
    points = parse_int(values.get("points", ""), 0, 10_000)
    cap = parse_int(values.get("daily_cap", ""), 0, 100_000)
    errors = {}
    if points is None:
        errors["points"] = _("分值应为 0–10000 的整数")
    if cap is None:
        errors["daily_cap"] = _("日上限应为 0–100000 的整数(0 表示不限)")
    return (None if errors else (points, cap)), errors  # type: ignore[return-value]


def check_reward(values: Mapping[str, str]) -> tuple[dict | None, dict[str, str]]:
    errors = {}
    name = (values.get("name") or "").strip()
    if not name or len(name) > 50:
        errors["name"] = _("请填写礼品名称(最多 50 字)")
    price = parse_int(values.get("price", ""), 1, 1_000_000)
    if price is None:
        errors["price"] = _("所需积分应为正整数")
    stock = parse_int(values.get("stock", ""), 0, 1_000_000)
    if stock is None:
        errors["stock"] = _("库存应为 0 或正整数")
    if errors:
        return None, errors
    return {
        "name": name,
        "description": (values.get("description") or "").strip()[:200],
        "price": price,
        "stock": stock,
        "active": values.get("active", "1") == "1",
    }, {}


def check_question(
    values: Mapping[str, str], fraud_types: Iterable[str]
) -> tuple[dict | None, dict[str, str]]:
    errors = {}
    fraud = (values.get("fraud_type") or "").strip()
    if fraud not in set(fraud_types):
        errors["fraud_type"] = _("请选择诈骗类型")
    question = (values.get("question") or "").strip()
    if not question or len(question) > 300:
        errors["question"] = _("请填写题目(最多 300 字)")
    options = [
        (values.get(f"option{i}") or "").strip() for i in range(4) if values.get(f"option{i}")
    ]
    options = [o for o in options if o]
    if len(options) < 2:
        errors["option0"] = _("至少填写两个选项")
    answer = parse_int(values.get("answer", ""), 0, max(0, len(options) - 1))
    if answer is None:
        errors["answer"] = _("请选择正确答案(须是已填写的选项)")
    if errors:
        return None, errors
    return {
        "fraud_type": fraud,
        "question": question,
        "options": options,
        "answer": answer,
        "explanation": (values.get("explanation") or "").strip()[:300],
    }, {}


def check_report(values: Mapping[str, str]) -> tuple[tuple[str, str, str] | None, dict[str, str]]:
    errors = {}
    kind = values.get("kind", "")
    if kind not in REPORT_KINDS:
        errors["kind"] = _("请选择举报类型")
    content = (values.get("content") or "").strip()
    if not content or len(content) > 300:
        errors["content"] = _("请填写可疑号码、网址或APP名称")
    if errors:
        return None, errors
    return (kind, content, (values.get("note") or "").strip()[:300]), {}


def masked_content(kind: str, content: str) -> str:
    """A reported number is someone's phone too: pages show it masked."""
    from campaign.accounts.rules import mask_phone

    digits = "".join(ch for ch in content if ch.isdigit())
    if kind in ("call", "sms") and len(digits) >= 7:
        return mask_phone(digits)
    return content
