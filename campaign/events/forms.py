"""The event forms read back into typed values: the event form (what rules.check_event checks
and the form shows again), verification and the audience list. Pure: an event's photos are read
by the controller and kept by queries.keep_pending_photos."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from litestar.datastructures import FormMultiDict, UploadFile

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


def event_values(form: FormMultiDict, extension_fields: Iterable[str]) -> dict[str, Any]:
    """The submitted values, stripped, with the ticked audiences as a list. The upload token keys
    the photos kept between attempts; a missing or malformed one is replaced by a fresh token."""
    values: dict[str, Any] = {key: str(form.get(key, "")).strip() for key in FIELDS}
    values["audiences"] = [str(a) for a in form.getall("audiences", [])]
    for field in extension_fields:
        values[field] = str(form.get(field, "")).strip()
    values["confirm_duplicate"] = bool(form.get("confirm_duplicate"))
    if len(values["token"]) != 32 or not values["token"].isalnum():
        values["token"] = uuid.uuid4().hex
    return values


def new_photos(form: FormMultiDict) -> list[UploadFile]:
    """The photos chosen in the event form (the controller reads their bytes)."""
    return [f for f in form.getall("photos", []) if isinstance(f, UploadFile) and f.filename]


def type_fields(form: Mapping[str, Any]) -> dict[str, str]:
    """An event type's form as text, for rules.parse_type_form and to show again."""
    return {k: str(v) for k, v in form.items()}


def review_decision(form: Mapping[str, Any]) -> tuple[str | None, str]:
    """The verification form: the decision ("verify" or "return"; None when neither was chosen)
    and the reason given (a return needs one)."""
    decision = form.get("decision")
    reason = str(form.get("reason", "")).strip()
    return (decision if decision in ("verify", "return") else None), reason


def audience_name(form: Mapping[str, Any], existing: Collection[str]) -> str | None:
    """A new audience group's name, or None when it is empty, longer than 30 characters or
    already taken."""
    name = str(form.get("name", "")).strip()
    return None if not name or len(name) > 30 or name in existing else name
