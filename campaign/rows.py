"""Typed rows at the seams: what a domain returns to templates or to other domains is a frozen,
slotted dataclass (docs/architecture.md). `Row` makes such a dataclass a read-only Mapping of its
fields as well, so callers written against the earlier dict rows keep reading row["field"],
row.get("field") and {**row} while they move to attributes, and functions that take any
`Mapping[str, Any]` accept both."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, fields
from typing import Any


class Row(Mapping[str, Any]):
    """Mixin for frozen dataclasses: read-only mapping access to the fields."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return (f.name for f in fields(self))  # type: ignore[arg-type]

    def __len__(self) -> int:
        return len(fields(self))  # type: ignore[arg-type]

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]
