"""A chunk of a case file checked column by column: the fast path of a large import.

rules.validate_cases walks each row through every check, ~7 µs a row of Python. A platform's
export of 10^6 rows is nearly always valid and repeats a few thousand distinct cells per column
(places, types, days, ages, occupations): here each column goes through a memo of its distinct
cells, worked out by the same functions validate_cases calls, and the row-sized work is left to
C loops (map, zip, set, one regular expression over a column of losses). It answers only for a
chunk whose rows are all valid and whose cells are all text (a CSV file): any problem, or a
spreadsheet's numbers and dates, gives None, and the caller runs validate_cases, which says
what is wrong and where. Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence

from campaign.cases.rules import (
    MAX_CASE_NO,
    MAX_OCCUPATION,
    CaseMemo,
    Reference,
    _age,
    _cell,
    _fen_fast,
    _occurred,
    _place,
    canonical,
    mapped_once,
    occupation_group,
)
from campaign.importing import TupleRow
from campaign.phones import keep_phone

#: A column of losses in 元 made uniform ("12" → "12.00", "12.5" → "12.50"), then taken as fen
#: by deleting the dots: what rules._fen_fast gives each of them.
_WHOLE_YUAN = re.compile(r"^([0-9]{1,11})$", re.MULTILINE)
_ONE_DECIMAL = re.compile(r"(\.[0-9])$", re.MULTILINE)
_TWO_DECIMALS = re.compile(r"(?:[0-9]{1,11}\.[0-9]{2}\n)*[0-9]{1,11}\.[0-9]{2}")

#: CaseRecord's fields, in its order, as the columns checked_columns returns.
Columns = tuple[Sequence, ...]


class _Refused(Exception):
    """A cell that makes its row invalid: validate_cases is to say which and why. Raised while a
    memo is filled, so a memo only ever holds valid answers."""


def _losses(cells: Sequence, memo: dict) -> Sequence:
    """The fen of each loss cell: in bulk when they are all plain amounts (a regular expression
    over the column), else cell by cell through the memo."""
    if None not in cells:
        text = _ONE_DECIMAL.sub(r"\g<1>0", _WHOLE_YUAN.sub(r"\1.00", "\n".join(cells)))
        if _TWO_DECIMALS.fullmatch(text):
            fens = text.replace(".", "").split("\n")
            if len(fens) == len(cells):  # no cell held a line break
                return list(map(int, fens))

    def fen(cell):
        try:
            return _fen_fast(cell)
        except ValueError:
            raise _Refused from None

    return mapped_once(cells, memo, fen)


def _phones(cells: Sequence) -> tuple[list, list]:
    """(keyed hashes, masks) of the victims' phones."""
    if not any(cells):
        return [None] * len(cells), [None] * len(cells)
    hashes: list[str | None] = []
    masks: list[str | None] = []
    for cell in cells:
        raw = _cell(cell)
        if not raw:
            hashes.append(None)
            masks.append(None)
            continue
        try:
            phone = keep_phone(raw)
        except ValueError:
            raise _Refused from None
        hashes.append(phone.hash)
        masks.append(phone.masked)
    return hashes, masks


def checked_columns(
    rows: Sequence[TupleRow], keys: Sequence[str], ref: Reference, memo: CaseMemo
) -> Columns | None:
    """CaseRecord's fields as columns when every row of the chunk is valid (what validate_cases
    would return, with `memo.seen` set as it sets it); None otherwise. `rows` and `keys` as
    validate_cases takes them, every cell text or None."""
    memo.next_chunk()
    try:
        return _columns(rows, keys, ref, memo)
    except _Refused:
        return None


def _columns(
    rows: Sequence[TupleRow], keys: Sequence[str], ref: Reference, memo: CaseMemo
) -> Columns:
    numbers, cells = zip(*rows, strict=True)
    absent = (None,) * len(rows)
    by_key = dict(zip(keys, zip(*cells, strict=True), strict=True))
    column = memo.columns

    raw = by_key.get("case_no", absent)
    if None in raw:
        raise _Refused
    numbers_of = dict(zip(map(str.strip, raw), numbers, strict=True))
    if len(numbers_of) < len(rows) or "" in numbers_of or max(map(len, numbers_of)) > MAX_CASE_NO:
        raise _Refused
    memo.seen = numbers_of

    def when(cell):
        found = _occurred(cell, {})
        if found is None or found[0] > ref.today:
            raise _Refused
        if ref.tracked_since and found[0] < ref.tracked_since:
            raise _Refused
        return found

    def place(cells):
        region, station = cells
        found = _place(_cell(region), _cell(station) or "", ref, ref.town_stations)
        if isinstance(found, list):
            raise _Refused
        return found

    def fraud_type(cell):
        raw = _cell(cell)
        found = canonical(raw, ref.fraud_types) if raw else None
        if found is None:
            raise _Refused
        return found

    def occupation(cell):
        raw = _cell(cell) or None
        if raw and len(raw) > MAX_OCCUPATION:
            raise _Refused
        return raw, occupation_group(raw, ref.occupations)

    def age(cell):
        found = _age(_cell(cell))
        if found == -1:
            raise _Refused
        return found

    whens = mapped_once(by_key.get("occurred_at", absent), column.setdefault("when", {}), when)
    regions, stations = by_key.get("region_code", absent), by_key.get("station_code", absent)
    if any(stations):
        pairs = list(zip(regions, stations, strict=True))
        places = mapped_once(pairs, column.setdefault("place", {}), place)
    else:  # no station named: the region alone is the key (a tuple a row costs ~1 µs more)
        places = mapped_once(regions, column.setdefault("region", {}), lambda r: place((r, None)))
    jobs = by_key.get("victim_occupation", absent)
    return (
        numbers,
        list(numbers_of),
        *zip(*whens, strict=True),
        *zip(*places, strict=True),
        mapped_once(by_key.get("fraud_type", absent), column.setdefault("type", {}), fraud_type),
        _losses(by_key.get("loss_yuan", absent), column.setdefault("loss", {})),
        *zip(*mapped_once(jobs, column.setdefault("job", {}), occupation), strict=True),
        mapped_once(by_key.get("victim_age", absent), column.setdefault("age", {}), age),
        *_phones(by_key.get("victim_phone", absent)),
    )
