"""The case forms as typed values: a case typed in (checked by rules.validate_cases, like an
imported row), the delete confirmation and a reference list entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from campaign.cases import rules
from campaign.parsing import form_flag, form_values

FORM_KEYS = tuple(column.key for column in rules.CASE_COLUMNS)


def case_form(form: Mapping[str, Any]) -> dict[str, str]:
    return form_values(form, FORM_KEYS)


def confirms_delete(form: Mapping[str, Any], case_no: str) -> bool:
    """Deleting a case asks for its number typed again."""
    return form.get("confirm") == case_no


def list_entry_form(form: Mapping[str, Any], is_types: bool, editing: bool) -> dict[str, Any]:
    """A fraud type (is_types) or occupation group: name and aliases; a fraud type being edited
    may also be switched off (a new one starts active)."""
    values: dict[str, Any] = {
        "name": str(form.get("name", "")).strip(),
        "aliases": rules.clean_aliases(str(form.get("aliases", ""))),
    }
    if is_types:
        values["active"] = form_flag(form, "active") if editing else True
    return values
