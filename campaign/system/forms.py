"""The settings form: which setting and its new text (queries.change_setting checks the value)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def setting_form(form: Mapping[str, Any]) -> tuple[str, str]:
    return str(form.get("key", "")), str(form.get("value", ""))
