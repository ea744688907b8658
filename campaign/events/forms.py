"""The event form read back into the values that rules.check_event checks and the form shows
again. Pure: the photos are read by the controller and kept by queries.keep_pending_photos."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from campaign.events import rules

FIELDS = (
    "type_id",
    "place_code",
    "place_name",
    "place_text",
    "day",
    "start",
    "end",
    "team",
    "notes",
    "token",
    *rules.FIGURES,
)


def event_values(
    form: Mapping[str, Any], audiences: Iterable[Any], extension_fields: Iterable[str]
) -> dict[str, Any]:
    """The submitted values, stripped, with the ticked audiences as a list. The upload token keys
    the photos kept between attempts; a missing or malformed one is replaced by a fresh token."""
    values: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in FIELDS}
    values["audiences"] = [str(a) for a in audiences]
    for field in extension_fields:
        values[field] = str(form.get(field, "")).strip()
    values["confirm_duplicate"] = bool(form.get("confirm_duplicate"))
    if len(values["token"]) != 32 or not values["token"].isalnum():
        values["token"] = uuid.uuid4().hex
    return values
