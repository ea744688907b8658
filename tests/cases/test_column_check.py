"""The column-by-column check of a case file's chunk (the fast path of a large import) against
the row-by-row validator it stands in for: same records for a valid chunk, a refusal otherwise."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.cases import rules
from campaign.cases.column_check import checked_columns

REF = rules.Reference(
    regions={
        "330282005": rules.KnownRegion("town", "330282005", "330282"),
        "330282005002": rules.KnownRegion("village", "330282005", "330282", None),
        "330282005206": rules.KnownRegion("village", "330282005", "330282", "PS330282108"),
        "330206002": rules.KnownRegion("town", "330206002", "330206"),
        "330206": rules.KnownRegion("district", "330206", "330206"),
    },
    stations={
        "PS330282005": frozenset({"330282005"}),
        "PS330282108": frozenset({"330282108"}),
        "PS330206002": frozenset({"330206002"}),
    },
    fraud_types=rules.alias_index(list(rules.DEFAULT_FRAUD_TYPES)),
    occupations=rules.alias_index(list(rules.DEFAULT_OCCUPATION_GROUPS)),
    tracked_since=dt.date(2025, 1, 1),
    today=dt.date(2026, 7, 9),
)
OPTIONAL = ("station_code", "victim_occupation", "victim_age", "victim_phone")
#: Cells per column: mostly valid, with the mistakes a platform export makes.
CELLS = {
    "occurred_at": ["2026-07-09", "2026-07-09 14:30", "2026/7/1", " 2026-05-01 ", "46000",
                    "2026-07-10", "2024-12-31", "", "昨天", "2026-07-09 25:00"],
    "region_code": ["330282005002", "330282005206", "330282005", "330282005000", "330206002",
                    "330206", "999999999", "", " 330206002 "],
    "station_code": ["", "PS330282005", "PS330282108", "PS330206002", "PS9", " PS330206002"],
    "fraud_type": ["投资理财", "刷单", " 冒充客服 ", "其他", "算命", ""],
    "loss_yuan": ["12", "12.5", "12.50", "0", "007", "1,234", "-1", "", "abc", " 7 ", "1.",
                  "99999999999.99", "100000000000", "100000000001", "1.234", "5元", "1\n2"],
    "victim_occupation": ["", "护士", "在校大学生", "某公司职员", "x" * 51, " 退休 "],
    "victim_age": ["", "30", "0", "120", "121", "-1", "abc", "30.0", " 45 "],
    "victim_phone": ["", "13812345678", "138 1234 5678", "0574-87654321", "12", "1381234567x"],
}  # fmt: skip


@st.composite
def chunks(draw):
    """A file's columns (some optional ones absent) and a few chunks of its rows."""
    keys = ["case_no", *(key for key in CELLS if key not in OPTIONAL or draw(st.booleans()))]
    numbers = st.sampled_from([f"C{n}" for n in range(12)] + [" C1 ", "", "N" * 65])
    line = 2
    drawn = []
    for _chunk in range(draw(st.integers(1, 3))):
        rows = []
        for _row in range(draw(st.integers(1, 6))):
            cells = [draw(numbers)]
            for key in keys[1:]:
                cells.append(draw(st.sampled_from([*CELLS[key], None])))
            rows.append((line, tuple(cells)))
            line += 1
        drawn.append(rows)
    return keys, drawn


def _columns(records: list[rules.CaseRecord]) -> list[tuple]:
    return list(zip(*(tuple(getattr(r, f) for f in r.__slots__) for r in records), strict=True))


@settings(max_examples=400, deadline=None)
@given(chunks())
def test_a_chunk_checked_by_columns_gives_the_rows_records_or_nothing(file):
    keys, drawn = file
    row_memo, column_memo = rules.CaseMemo(), rules.CaseMemo()
    for rows in drawn:
        records, errors = rules.validate_cases(rows, keys, REF, row_memo)
        columns = checked_columns(rows, keys, REF, column_memo)
        if errors:
            assert columns is None
            continue
        assert columns is not None
        assert [list(c) for c in columns] == [list(c) for c in _columns(records)]
        assert column_memo.seen == row_memo.seen


def test_a_column_of_losses_is_read_in_bulk_as_the_rows_read_it():
    keys = ["case_no", "occurred_at", "region_code", "fraud_type", "loss_yuan"]
    losses = ["12", "12.5", "12.50", "0", "99999999999.99", "3"]
    rows = [
        (n + 2, (f"C{n}", "2026-07-01", "330206002", "刷单", loss)) for n, loss in enumerate(losses)
    ]
    columns = checked_columns(rows, keys, REF, rules.CaseMemo())
    assert columns is not None
    assert list(columns[9]) == [1200, 1250, 1250, 0, 9999999999999, 300]
