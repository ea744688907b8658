"""A large case file checked in a process of its own: reading, validating and finding repeated
case numbers are ~7 s of pure Python for 10^6 rows, which in a thread of the importing process
would share its interpreter lock with the writes (SQLite's driver takes the lock back after
every row it steps: a busy neighbour thread slowed its inserts threefold). In a child process
the check runs on the other core while the parent compares and writes the chunks before.

The child is started with `spawn` (the parent has database threads; a forked copy could
inherit a lock one of them held) and sends each checked chunk through a bounded queue, so at
most QUEUED chunks wait: memory stays flat in the file's size."""

from __future__ import annotations

import gc
import json
import multiprocessing
import operator
import queue
import sqlite3
from collections.abc import Generator
from functools import partial
from typing import Any, Protocol

from campaign.cases import rules
from campaign.cases.column_check import Columns, checked_columns
from campaign.importing import RowError, Source, open_table

#: Checked chunks that may wait for the parent.
QUEUED = 2
#: Seconds between two looks at whether the child still lives while waiting for a chunk.
POLL = 1.0

#: A CaseRecord as a plain tuple (pickled ten times faster than the dataclass) and back.
_as_tuple = operator.attrgetter(*rules.CaseRecord.__slots__)


class EarlierNumbers:
    """The case numbers of a file's chunks checked so far, in a private temporary SQLite
    database (on disk, behind a small page cache): duplicates across a 10^6-row file are found
    without holding its numbers in memory. Used from one thread at a time; close() drops it."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute("CREATE TABLE seen (case_no TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")

    def duplicates(self, numbers: dict[str, int]) -> list[RowError]:
        """Remember a chunk's {case number: row}; the rows whose number an earlier chunk had."""
        before = self.db.total_changes
        # one statement reading the chunk as JSON: SQLite takes the pairs in C, where an
        # executemany binds each row from Python (0.86 → 0.55 s for 10^6 numbers); rows without
        # a gap (most chunks) go as a list of numbers, each row its first's plus its position
        # (a list is encoded ~3.5 times faster than a mapping: 0.3 → 0.09 s for 10^6)
        rows = list(numbers.values())
        values: tuple
        if rows and rows == list(range(rows[0], rows[0] + len(rows))):
            pairs, values = "value, key + ?", (rows[0], json.dumps(list(numbers)))
        else:
            pairs, values = "key, value", (json.dumps(numbers),)
        self.db.execute(f"INSERT OR IGNORE INTO seen SELECT {pairs} FROM json_each(?)", values)
        if self.db.total_changes - before == len(numbers):
            return []  # the common case: nothing repeated, nothing looked up
        label = rules.CASE_COLUMNS[0].label
        found: list[RowError] = []
        items = list(numbers.items())
        for start in range(0, len(items), 500):
            part = dict(items[start : start + 500])
            marks = ", ".join("?" for _ in part)
            query = f"SELECT case_no, row FROM seen WHERE case_no IN ({marks})"
            for case_no, first in self.db.execute(query, list(part)):
                if first != part[case_no]:
                    reason = rules.duplicate_case_no(case_no, first, part[case_no])
                    found.append(RowError(part[case_no], label, reason))
        return found

    def close(self) -> None:
        self.db.close()


#: (rows read, valid records — or, with `build`, their rows as the INSERT takes them —, problems
#: in row order) for a chunk of the file.
Checked = tuple[int, list, list[RowError]]


class Build(Protocol):
    """Builds the rows of new cases (cases.bulk.AddedRows) from records, or from a chunk's
    checked columns as columns (cases.bulk.AddedColumns): given when every valid record will be
    added (the case table was empty), so the parent only writes what it receives."""

    def __call__(self, records: list[rules.CaseRecord]) -> list[tuple]: ...

    def from_columns(self, columns: Columns) -> Any: ...


def checked_chunks(
    filename: str,
    data: Source,
    reference: rules.Reference,
    chunk_rows: int,
    build: Build | None = None,
) -> Generator[Checked, None, None]:
    """Each chunk of the file checked, in this process."""
    table = open_table(filename, data, rules.CASE_COLUMNS, chunk_rows)
    memo = rules.CaseMemo()
    earlier = EarlierNumbers()
    try:
        for chunk in table:
            columns = (
                checked_columns(chunk, table.keys, reference, memo) if table.text_only else None
            )
            if columns is None:  # a problem somewhere: the rows one by one say which
                records, problems = rules.validate_cases(chunk, table.keys, reference, memo)
                found = build(records) if build else records
            else:
                problems = []
                found = build.from_columns(columns) if build else [*map(rules.CaseRecord, *columns)]
            repeated = earlier.duplicates(memo.seen)
            if repeated:
                problems = sorted([*problems, *repeated], key=lambda error: error.row)
            yield len(chunk), found, problems
    finally:
        earlier.close()


def _child(filename: str, data: Source, chunk_rows: int, build, inbox, out) -> None:
    """The child's work, once the parent has sent the reference (it reads it while this process
    starts): each chunk's records sent as plain tuples (or as built rows), then None; an
    exception (an unreadable file: ImportRejected) is sent instead and ends it. Without the
    cyclic collector: the rows make millions of small objects without cycles, which each
    collection would walk again (it nearly doubled the check's time)."""
    gc.disable()
    try:
        reference = inbox.get()
        for rows, found, problems in checked_chunks(filename, data, reference, chunk_rows, build):
            out.put((rows, found if build else list(map(_as_tuple, found)), problems))
        out.put(None)
    except BaseException as error:  # noqa: BLE001  (handed to the parent, which raises it)
        out.put(error)


class CheckProcess:
    """The check of one file in a child process, started at once: `send` it the reference
    (the child's start, ~0.4 s of imports, overlaps the parent's reading of it), then `next()`
    (blocking: call it in a thread) returns the next Checked or None after the last chunk. Use
    as a context manager: leaving it early (a refused file, a cancelled job) stops the child."""

    def __init__(self, filename: str, data: Source, chunk_rows: int, build: Build | None = None):
        self.built = build is not None
        context = multiprocessing.get_context("spawn")
        self.inbox: Any = context.SimpleQueue()
        self.results: Any = context.Queue(QUEUED)
        self.process = context.Process(
            target=_child,
            args=(filename, data, chunk_rows, build, self.inbox, self.results),
            daemon=True,
        )

    def send(self, reference: rules.Reference) -> None:
        self.inbox.put(reference)

    def __enter__(self) -> CheckProcess:
        self.process.start()
        return self

    def __exit__(self, *_exc) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()
        self.results.close()
        self.inbox.close()

    def next(self) -> Checked | None:
        while True:
            try:
                result = self.results.get(timeout=POLL)
                break
            except queue.Empty:
                if not self.process.is_alive():
                    stopped = f"the import check stopped ({self.process.exitcode})"
                    raise RuntimeError(stopped) from None
        if isinstance(result, BaseException):
            raise result
        if result is None:
            return None
        if self.built:
            return result
        rows, values, problems = result
        return rows, [rules.CaseRecord(*value) for value in values], problems


class InProcessCheck:
    """A small file's check in this process, as CheckProcess is used: `send`, then `next`."""

    def __init__(self, filename: str, data: Source, chunk_rows: int, build: Build | None = None):
        self.start = partial(checked_chunks, filename, data, chunk_rows=chunk_rows, build=build)
        self.chunks: Generator[Checked, None, None] | None = None

    def __enter__(self) -> InProcessCheck:
        return self

    def __exit__(self, *_exc) -> None:
        if self.chunks is not None:
            self.chunks.close()

    def send(self, reference: rules.Reference) -> None:
        self.chunks = self.start(reference=reference)

    def next(self) -> Checked | None:
        assert self.chunks is not None, "send the reference first"
        return next(self.chunks, None)
