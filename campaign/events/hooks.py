"""Extra fields other domains add to the event form, registered by the app factory so that the
events domain never imports them (dependencies point one way: they build on events).

An extension names its form field and the template that renders it (given `values` and
`errors`), checks the typed value against the event's place, saves it inside the event's write
transaction and reads it back for editing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from campaign.accounts.rules import CurrentUser, Place


@dataclass(frozen=True)
class FormExtension:
    field: str
    template: str
    #: (typed value, the event's place, who) → a Chinese error for the field, or None
    check: Callable[[str, Place, CurrentUser], Awaitable[str | None]]
    #: (event id, typed value) inside the event's write transaction
    save: Callable[[int, str], Awaitable[None]]
    #: event id → the value to show when editing
    current: Callable[[int], Awaitable[str]]


EXTENSIONS: list[FormExtension] = []


def register(extension: FormExtension) -> None:
    """Add an extension once (create_app runs once per app, tests build many apps)."""
    if all(e.field != extension.field for e in EXTENSIONS):
        EXTENSIONS.append(extension)


async def save_extensions(event_id: int, values: dict) -> None:
    """Every extension's save, inside the event's write transaction."""
    for extension in EXTENSIONS:
        await extension.save(event_id, values.get(extension.field, ""))
