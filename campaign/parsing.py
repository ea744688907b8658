"""Bounded parsers for everything typed, uploaded or sent in a URL.

Python's own parsers accept more than the database and the date arithmetic can take: `int()`
takes any size, `str.isdigit()` accepts "²" which `int()` then refuses, `date.fromisoformat`
accepts year 9999 (one day later overflows) and a 60,000-character search makes SQLite's LIKE
give up. Every input therefore goes through these functions, which answer None (or a default)
for anything out of bounds, and the caller turns None into a field error or a 400.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Largest id or offset the databases store (signed 64-bit).
MAX_ID = 2**63 - 1
#: Largest count, amount or population accepted from a form or an import.
MAX_COUNT = 2**53
#: The dates the application deals in; outside these, day arithmetic could overflow.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
#: Longest search text used; longer input is cut (SQLite's LIKE refuses patterns over 50,000).
MAX_SEARCH = 100

_INT = re.compile(r"[+-]?[0-9]{1,19}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{1,2})")


def parse_int(raw: object, lo: int = 0, hi: int = MAX_ID) -> int | None:
    """An integer written with ASCII digits (optional sign, surrounding spaces), lo ≤ n ≤ hi;
    None for anything else (Unicode digits, decimals, too many digits, out of bounds)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and _INT.fullmatch(raw.strip()):
        value = int(raw.strip())
    else:
        return None
    return value if lo <= value <= hi else None


def int_or(raw: object, default: int, lo: int = 0, hi: int = MAX_ID) -> int:
    """parse_int with a fallback: for page numbers, limits and other optional query values."""
    value = parse_int(raw, lo, hi)
    return default if value is None else value


def parse_id(raw: object) -> int | None:
    """A database id (1 … 2^63-1)."""
    return parse_int(raw, 1, MAX_ID)


def parse_ids(values: Iterable[object], limit: int = 1000) -> list[int]:
    """Valid ids from a list or a comma-separated text (ASCII or full-width commas), in order,
    without repeats, at most `limit` of them."""
    found: dict[int, None] = {}
    for value in values:
        parts = str(value).replace("\uff0c", ",").split(",")
        for part in parts:
            if (number := parse_id(part)) is not None:
                found[number] = None
    return list(found)[:limit]


def is_ascii_digits(raw: str, max_length: int = 64) -> bool:
    """Codes (region codes, phone digits): ASCII 0-9 only, which `str.isdigit` is not."""
    return 0 < len(raw) <= max_length and raw.isascii() and raw.isdigit()


def parse_date(raw: object, lo: dt.date = DATE_MIN, hi: dt.date = DATE_MAX) -> dt.date | None:
    """A YYYY-MM-DD date (a longer ISO timestamp is cut to its date) within [lo, hi]."""
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, str) and _DATE.fullmatch(raw.strip()[:10]):
        try:
            value = dt.date.fromisoformat(raw.strip()[:10])
        except ValueError:
            return None
    else:
        return None
    return value if lo <= value <= hi else None


def parse_month(raw: object) -> tuple[int, int] | None:
    """(year, month) from YYYY-MM within the application's date range."""
    if not isinstance(raw, str) or not (match := _MONTH.fullmatch(raw.strip())):
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not DATE_MIN.year <= year <= DATE_MAX.year:
        return None
    return year, month


def form_text(form: Mapping[str, Any], key: str) -> str:
    """A field of a submitted form as trimmed text ("" when missing)."""
    return str(form.get(key) or "").strip()


def form_values(form: Mapping[str, Any], keys: Iterable[str]) -> dict[str, str]:
    """The named fields of a submitted form as trimmed text."""
    return {key: form_text(form, key) for key in keys}


def form_flag(form: Mapping[str, Any], key: str) -> bool:
    """A checkbox or switch of a submitted form, which sends "1" when on."""
    return form.get(key) == "1"


def search_text(raw: object, max_length: int = MAX_SEARCH) -> str:
    """Search input, trimmed and cut to a length every engine handles quickly."""
    return str(raw or "").strip()[:max_length]


def parse_decimal(raw: object, places: int = 2, hi: int = MAX_COUNT) -> int | None:
    """A non-negative decimal in ASCII digits as an integer number of 1/10^places units, e.g.
    parse_decimal("12.5") == 1250 (yuan to fen); None when malformed or above hi units."""
    text = str(raw).strip().replace(",", "") if raw is not None else ""
    match = re.fullmatch(rf"([0-9]{{1,16}})(?:\.([0-9]{{0,{places}}}))?", text)
    if not match:
        return None
    value = int(match.group(1)) * 10**places + int((match.group(2) or "").ljust(places, "0") or 0)
    return value if value <= hi else None
