"""Typed rows at the seams: what a domain returns to templates or to other domains is a frozen,
slotted dataclass (docs/architecture.md). `Row` lets callers written against the earlier dict
rows keep reading them with row["field"] and row.get("field") while they move to attributes."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any


class Row:
    """Mixin for frozen dataclasses: read-only mapping access to the fields."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def keys(self) -> list[str]:
        return [f.name for f in fields(self)]  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]
