"""The material forms as typed values: an edit, a review, a collection, an order and its answer.
Pure: form values in, typed values (and {field: Chinese error}) out."""

from __future__ import annotations

from collections.abc import Collection

from litestar.datastructures import FormMultiDict

from campaign.i18n import _
from campaign.materials import rules
from campaign.parsing import form_text, parse_id, parse_ids

MAX_COLLECTION_NAME = 40
MAX_COLLECTION_DESCRIPTION = 200
MAX_TOPIC = 100
MAX_ORDER_TEXT = 2000


def edit_fields(form: FormMultiDict, kind: str) -> dict[str, list[str]]:
    """Every field of an edit as rules.validate_material reads it; the kind never changes."""
    return {**{key: form.getall(key) for key in form}, "kind": [kind]}


def review_form(form: FormMultiDict) -> tuple[str | None, str]:
    """The decision (None when it is not approve or reject) and the reviewer's note."""
    status = form.get("decision", "")
    return (status if status in ("approved", "rejected") else None), form_text(form, "note")


def collection_choice(form: FormMultiDict) -> int:
    """The collection a material is added to (0 when none or malformed, which finds none)."""
    return parse_id(form.get("collection")) or 0


def collection_form(
    form: FormMultiDict, taken: Collection[str]
) -> tuple[str, str, list[int], dict[str, str]]:
    """A new collection: name, description, the material ids listed, and the name's error."""
    name = form_text(form, "name")
    errors = {}
    if not name or len(name) > MAX_COLLECTION_NAME:
        errors["name"] = _("请填写专题名称(最多 40 字)")
    elif name in taken:
        errors["name"] = _("已有同名专题")
    description = form_text(form, "description")[:MAX_COLLECTION_DESCRIPTION]
    return name, description, parse_ids([form.get("materials", "")]), errors


def order_form(
    form: FormMultiDict, fraud_types: Collection[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """An order for a material: what is needed, for whom, about which fraud type, and a note."""
    values = {
        "topic": form_text(form, "topic"),
        "audience": form_text(form, "audience"),
        "fraud_type": form_text(form, "fraud_type"),
        "note": form_text(form, "note")[:MAX_ORDER_TEXT],
    }
    errors = {}
    if not values["topic"] or len(values["topic"]) > MAX_TOPIC:
        errors["topic"] = _("请写明需要什么素材(最多 100 字)")
    if values["audience"] and values["audience"] not in rules.AUDIENCES:
        errors["audience"] = _("请选择列表中的对象")
    if values["fraud_type"] and values["fraud_type"] not in fraud_types:
        errors["fraud_type"] = _("请选择列表中的诈骗类型")
    return values, errors


def answer_form(form: FormMultiDict) -> tuple[list[int], str]:
    """The materials an answer offers (ticked or typed as ids, without repeats) and its text."""
    ids = parse_ids([*form.getall("material", []), form.get("extra", "")])
    return ids, form_text(form, "answer")[:MAX_ORDER_TEXT]
