"""Writing many cases at once (an import, demo data): compare with the stored cases, spill what
will be written to a temporary file, then write it in bulk inside the caller's transaction.

Sized for 10^6 rows: rows are tuples of values already as the driver stores them (SQLite: ISO
text, so executemany runs no per-value adapter), inserted with executemany (SQLite) or COPY
(PostgreSQL); the case table's secondary indexes are dropped for a load larger than the table
and built once afterwards; the case-day index, the unit summaries and the last case days of the
touched units are then rebuilt (cases.day_index): a level with many touched units whole, from
the cases per unit and day the spill counted as the chunks went by, a few units set-based from
the stored cases."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import pickle
import tempfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from campaign.cases import day_index, rules
from campaign.cases.tables import Case, CaseDay, CaseUnit
from campaign.db import chunks, engine, is_sqlite, numbered, pragmas_until_released
from campaign.regions.tables import Region, Station
from campaign.settings import get_settings

#: Victim phones (keyed hash + mask) are written apart from CASE_FIELDS: a file without the
#: column leaves the stored phones as they are.
PHONE_FIELDS = ("victim_phone_hash", "victim_phone_masked")
#: What each added row holds. The flag and the times, the same for every row of an import, are
#: not: SQLite's INSERT writes them as constants, PostgreSQL's COPY leaves them to the table's
#: defaults (demo data adds is_demo): a tenth less to bind, pickle and encode per row.
INSERT_COLUMNS = (*rules.CASE_FIELDS, *PHONE_FIELDS)
DAY_AT = INSERT_COLUMNS.index("occurred_on")
PHONE_AT = INSERT_COLUMNS.index("victim_phone_hash")
#: Partial indexes over the cases that carry a victim phone (cases migration 2026-11-30T08:50).
#: A bulk load keeps them while the rows it writes carry none (a file without the phone column:
#: nothing to add to them, where building one after reads every case, ~1.2 s at 10^6 on a slow
#: box) and drops them, to build after, before the first row that does.
PHONE_INDEXES = ("case_phone_day",)
#: Kept through a bulk load too: every row it writes carries the load's one `updated_at` (and
#: the next row id), so each entry goes in at the index's end, in the load's first part, which
#: waits for the check anyway; built after, SQLite sorts 10^6 equal keys (0.75 s alone, 2.2 s
#: beside the case days' computation).
STAMP_INDEXES = ("case_updated_at",)
SQLITE_IMPORT_CACHE_KIB = 256 * 1024
#: SQLite's page cache while a bulk write builds indexes: the sorter keeps what fits in the
#: cache as one run, sorted at the end on the building thread; a small cache makes it sort runs
#: on its helper threads while it still reads the table (an index of 10^6 cases 1.7 → 0.9 s).
SQLITE_INDEX_BUILD_CACHE_KIB = 4 * 1024
SQLITE_SORT_THREADS = 2
#: PostgreSQL's memory for the sorts of a bulk write (index builds, shared with their parallel
#: worker): the (level, gap, day) index of 10^6 cases' 1.7 M days sorted in memory at 512 MB,
#: not at 256 (2.2 -> 1.8 s).
PG_SORT_MEMORY = "512MB"
#: An import adding more rows than this (and than the table holds) rebuilds the indexes after.
REBUILD_INDEXES_ABOVE = 50_000
#: An import writing more rows than this refreshes PostgreSQL's planner statistics.
ANALYZE_ABOVE = 10_000
LEVELS = ("village", "town", "station")
#: Where each level's unit code sits in an added row (INSERT_COLUMNS).
LEVEL_AT = {level: INSERT_COLUMNS.index(f"{level}_code") for level in LEVELS}


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: an import keeps millions of small objects without
    cycles alive at once, and each full collection would walk them all again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class ImportPlan:
    added: list[rules.CaseRecord] = field(default_factory=list)
    #: (new record, stored row, names of the fields that differ)
    changed: list[tuple[rules.CaseRecord, dict, list[str]]] = field(default_factory=list)
    unchanged: int = 0


def _comparable(value):
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


async def has_cases() -> bool:
    return await Case.exists()


async def _stored_cases(numbers: Sequence[str]) -> dict[str, dict]:
    """{case number: stored fields} for the numbers that exist. Raw driver queries on one
    connection: building a 5,000-value IN through the ORM costs more than running it."""
    table = Case._meta.tablename
    columns = ", ".join(f'"{c}"' for c in ("id", *rules.CASE_FIELDS, *PHONE_FIELDS))
    stored: dict[str, dict] = {}
    sqlite = is_sqlite()
    async with engine().transaction() as transaction:
        connection = transaction.connection
        for chunk in chunks(numbers):
            if sqlite:
                marks = ", ".join("?" for _ in chunk)
                cursor = await connection.execute(
                    f'SELECT {columns} FROM "{table}" WHERE case_no IN ({marks})', chunk
                )
                rows = await cursor.fetchall()
            else:
                rows = await connection.fetch(
                    f'SELECT {columns} FROM "{table}" WHERE case_no = ANY($1::varchar[])', chunk
                )
            for row in rows:
                stored[row["case_no"]] = dict(row)
    return stored


async def plan_import(records: Sequence[rules.CaseRecord], stored: bool = True) -> ImportPlan:
    """Which records are new, which change a stored case (and how), which are already stored.
    `stored` False: the caller knows the table is empty, so nothing is looked up."""
    if not stored:
        return ImportPlan(added=list(records))
    plan = ImportPlan()
    found = await _stored_cases([r.case_no for r in records])
    for record in records:
        old = found.get(record.case_no)
        if old is None:
            plan.added.append(record)
            continue
        differ = [
            name
            for name, value in zip(rules.CASE_FIELDS, record.values(), strict=True)
            if _comparable(old[name]) != _comparable(value)
        ]
        if record.victim_phone_hash and record.victim_phone_hash != old["victim_phone_hash"]:
            differ.append("victim_phone_masked")
        if differ:
            plan.changed.append((record, old, differ))
        else:
            plan.unchanged += 1
    return plan


@dataclass
class AddedRows:
    """New cases as the bulk INSERT takes them (`column_names`): dates and times as Piccolo's
    SQLite adapter writes them (memoised: a file has a few hundred days), unchanged for
    PostgreSQL's COPY. Picklable: a large first import's checking child builds them
    (cases.import_check), so the parent, which writes, does not build each case twice."""

    now: dt.datetime | str
    sqlite: bool
    is_demo: bool = False
    text: dict = field(default_factory=dict)

    @property
    def flagged(self) -> bool:
        """Whether each row ends with is_demo (PostgreSQL's COPY has no constants)."""
        return self.is_demo and not self.sqlite

    @property
    def column_names(self) -> tuple[str, ...]:
        return (*INSERT_COLUMNS, "is_demo") if self.flagged else INSERT_COLUMNS

    def insert_statement(self) -> str:
        """SQLite's INSERT of these rows, the flag and the times written as constants."""
        names = ", ".join(
            f'"{c}"' for c in (*INSERT_COLUMNS, "is_demo", "created_at", "updated_at")
        )
        marks = ", ".join("?" for _ in INSERT_COLUMNS)
        stamps = f"{int(self.is_demo)}, '{self.now}', '{self.now}'"
        return f'INSERT INTO "{Case._meta.tablename}" ({names}) VALUES ({marks}, {stamps})'

    def value(self, value):
        if not self.sqlite or value is None:
            return value
        found = self.text.get(value)
        if found is None:
            found = self.text[value] = (
                str(value.astimezone(dt.UTC))
                if isinstance(value, dt.datetime)
                else value.isoformat()
            )
        return found

    def __call__(self, records: Sequence[rules.CaseRecord]) -> list[tuple]:
        if len(self.text) > rules.MEMO_LIMIT:  # times of day: memory flat in the file's size
            self.text.clear()
        text = self.value
        if self.sqlite:  # the hot loop of a 10^6-row import: the day's text looked up inline
            known = self.text
            days = [known.get(r.occurred_on) or text(r.occurred_on) for r in records]
        else:
            days = [r.occurred_on for r in records]
        return [
            (
                r.case_no,
                day,
                text(r.occurred_at) if r.occurred_at else None,
                r.village_code,
                r.town_code,
                r.district_code,
                r.station_code,
                r.fraud_type,
                r.loss_fen,
                r.victim_occupation,
                r.occupation_group,
                r.victim_age,
                r.victim_phone_hash,
                r.victim_phone_masked,
                *((True,) if self.flagged else ()),
            )
            for r, day in zip(records, days, strict=True)
        ]

    def from_columns(self, columns: Sequence[Sequence]) -> AddedColumns:
        """The same rows from a chunk's checked columns (cases.column_check), left as columns
        (the writing parent zips them)."""
        _rows, *fields = columns
        fields[1], fields[2] = self._texts(fields[1]), self._texts(fields[2])
        if self.flagged:
            fields.append([True] * len(fields[0]))
        return AddedColumns(tuple(map(list, fields)))

    def _texts(self, values: Sequence) -> Sequence:
        """Dates or times as the driver stores them, each distinct one converted once."""
        if not self.sqlite:
            return values
        if len(self.text) > rules.MEMO_LIMIT:
            self.text.clear()
        return rules.mapped_once(values, self.text, self.value)


@dataclass(frozen=True, slots=True)
class AddedColumns:
    """New cases as columns of AddedRows' values: what a checking child sends, pickled without
    a tuple a row (its share of a 10^6-row check ~2.4 → ~1.3 s); the parent zips the rows."""

    columns: tuple[list, ...]

    def __len__(self) -> int:
        return len(self.columns[0])

    def rows(self) -> list[tuple]:
        return list(zip(*self.columns, strict=True))


def case_numbers(added: list[tuple] | AddedColumns) -> Iterable[str]:
    """The case numbers of a chunk of new cases, in file order."""
    return added.columns[0] if isinstance(added, AddedColumns) else (row[0] for row in added)


#: A plan's rows as the driver writes them: (added, changed, phones).
Written = tuple[list, list, list]


class ImportSpill:
    """What an import will write, chunk by chunk in a temporary file (pickled tuples of values as
    the engine's driver takes them), with the counts and the touched units kept in memory: a
    10^6-row file never stays in memory as row objects. Use as a context manager."""

    def __init__(self, is_demo: bool = False) -> None:
        self.file = tempfile.TemporaryFile()  # noqa: SIM115  (closed by __exit__)
        self.chunks = 0
        self.added = 0
        self.changed = 0
        #: per level, the cases added per unit and day; a changed case's old and new units
        #: listed without a count (a write that changes cases rebuilds from the stored ones)
        self.days: dict[str, day_index.DayCounts] = {level: {} for level in LEVELS}
        sqlite = is_sqlite()
        now = dt.datetime.now(dt.UTC)
        #: builds the added rows; `now` as Piccolo's SQLite adapter writes it
        self.build = AddedRows(str(now) if sqlite else now, sqlite, is_demo)
        self._dates: dict[str, dt.date] = {}

    def __enter__(self) -> ImportSpill:
        return self

    def __exit__(self, *_exc) -> None:
        self.file.close()

    def rows(self, plan: ImportPlan) -> Written:
        """A plan's (added, changed, phones) rows as the driver writes them; counts them and
        notes their units."""
        text, now = self.build.value, self.build.now
        changed = [
            (text(r.occurred_on), text(r.occurred_at), *r.values()[3:], now, r.case_no)
            for r, _old, _d in plan.changed
        ]
        phones = [
            (r.victim_phone_hash, r.victim_phone_masked, r.case_no)
            for r, _old, _d in plan.changed
            if r.victim_phone_hash
        ]
        added = self.take(self.build(plan.added))[0]
        self.changed += len(changed)
        for level in LEVELS:
            column = f"{level}_code"
            counts = self.days[level]
            for record, old, _d in plan.changed:
                for code in (old[column], getattr(record, column)):
                    if code is not None:
                        counts.setdefault(code, {})
        return added, changed, phones

    def take(self, added: list[tuple] | AddedColumns) -> Written:
        """Rows of new cases only (AddedRows), counted per unit and day."""
        columns: Sequence[Sequence]
        if isinstance(added, AddedColumns):
            columns, added = added.columns, added.rows()
        else:
            columns = tuple(zip(*added, strict=True))
        self.added += len(added)
        if not added:
            return added, [], []
        dates: Sequence = columns[DAY_AT]
        if self.build.sqlite:  # counted per date, not per ISO text (a few hundred days)
            dates = rules.mapped_once(dates, self._dates, dt.date.fromisoformat)
        for level, at in LEVEL_AT.items():  # the hot part
            _count(self.days[level], columns[at], dates)
        return added, [], []

    def keep(self, written: Written) -> None:
        """Rows spilled to the file, for write_spill."""
        pickle.dump(written, self.file, protocol=pickle.HIGHEST_PROTOCOL)
        self.chunks += 1

    def __iter__(self) -> Iterator[Written]:
        self.file.seek(0)
        for _ in range(self.chunks):
            yield pickle.load(self.file)

    def touched(self) -> set[tuple[str, str]]:
        return {(level, code) for level, counts in self.days.items() for code in counts}


def _count(counts: day_index.DayCounts, codes: Sequence, days: Sequence) -> None:
    """One case more for each (code, day) pair; a case without a unit of the level (no
    village, no station) counts for none."""
    for code, day in zip(codes, days, strict=True):
        if code is not None:
            per_day = counts.get(code)
            if per_day is None:
                per_day = counts[code] = {}
            per_day[day] = per_day.get(day, 0) + 1


async def write_import(connection, plan: ImportPlan, is_demo: bool = False) -> set[tuple[str, str]]:
    """Apply a plan inside the caller's write transaction (`connection` is its raw driver
    connection). Returns the (level, code) units whose cases changed."""
    with ImportSpill(is_demo) as spill:
        spill.keep(spill.rows(plan))
        return await write_spill(spill, connection)


async def write_spill(spill: ImportSpill, connection=None) -> set[tuple[str, str]]:
    """Write a spill inside the current write transaction: bulk inserts, bulk updates, then the
    touched units' case days, summaries and last case days rebuilt set-based. Returns the
    (level, code) units whose cases changed."""
    bulk = BulkWrite(spill.build, connection)
    await bulk.start(spill.added)
    for rows in spill:
        await bulk.write(*rows)
    await bulk.finish(spill)
    return spill.touched()


def rebuilds_indexes(adding: int, stored: int) -> bool:
    """Whether a bulk write of `adding` new cases beside `stored` ones drops the case table's
    indexes and builds them after: loading more rows than the table holds, building each index
    once afterwards is several times faster than maintaining it row by row (the unique key
    stays)."""
    return adding > max(REBUILD_INDEXES_ABOVE, stored)


class BulkWrite:
    """Many cases written inside the current write transaction, chunk by chunk: `start` with
    about how many rows will be added, `write` each chunk's rows (ImportSpill.rows), then
    `finish` with the spill that counted them. An import streams its chunks here while it
    checks the next ones (PostgreSQL), or replays its spill (write_spill)."""

    def __init__(self, build: AddedRows, connection=None) -> None:
        self.build = build
        if connection is None:
            transaction = engine().current_transaction.get()
            assert transaction is not None, "a bulk write runs inside a write transaction"
            connection = transaction.connection
        self.connection = connection
        self.sqlite = is_sqlite()
        self.rebuilt: list[str] = []
        #: PHONE_INDEXES kept by start(), until a row with a phone comes
        self.phone_indexes_kept = False
        fields = rules.CASE_FIELDS[1:]
        table = Case._meta.tablename
        sets = ", ".join(f'"{f}" = ?' for f in (*fields, "updated_at"))
        update = f'UPDATE "{table}" SET {sets} WHERE case_no = ?'
        phone = (
            f'UPDATE "{table}" SET victim_phone_hash = ?, victim_phone_masked = ? WHERE case_no = ?'
        )
        self.update, self.phone = (update, phone) if self.sqlite else map(numbered, (update, phone))
        self.insert = build.insert_statement()

    async def start(self, adding: int, upper_bound: bool = False) -> None:
        """`adding`: how many rows will be added; with `upper_bound`, the file's rows, some of
        which may be stored already (the stored rows are taken off first: re-importing a file
        keeps the indexes)."""
        connection = self.connection
        if self.sqlite:
            # the indexes of 10^6 rows do not fit SQLite's default 2 MB page cache; index builds
            # sort with a helper thread on the other core; the commit does not copy the log
            # (~1 GB after 10^6 rows, ~2.5 s) into the database itself: the background
            # checkpoint (campaign.db) does, while the follow-up jobs run
            await pragmas_until_released(
                connection,
                cache_size=-SQLITE_IMPORT_CACHE_KIB,
                threads=SQLITE_SORT_THREADS,
                wal_autocheckpoint=0,
            )
        else:  # sorts for index builds and the case-day grouping in memory, not in temporary
            # files; no more processes per index build than the server has cores (the leading
            # backend sorts too: two workers on two cores made 10^6 cases ~1 s slower)
            workers = get_settings().pg_index_build_workers
            await connection.execute(f"SET LOCAL maintenance_work_mem = '{PG_SORT_MEMORY}'")
            await connection.execute(f"SET LOCAL work_mem = '{PG_SORT_MEMORY}'")
            await connection.execute(f"SET LOCAL max_parallel_maintenance_workers = {workers}")
        stored = await Case.count()
        if upper_bound:
            adding -= stored
        if rebuilds_indexes(adding, stored):
            self.rebuilt = await _drop_secondary_indexes(
                connection, self.sqlite, Case, keep=(*PHONE_INDEXES, *STAMP_INDEXES)
            )
            self.phone_indexes_kept = True

    async def write(self, added: list, changed: list, phones: list) -> None:
        if self.phone_indexes_kept and any(row[PHONE_AT] is not None for row in added):
            self.rebuilt += await _drop_secondary_indexes(
                self.connection, self.sqlite, Case, only=PHONE_INDEXES
            )
            self.phone_indexes_kept = False
        if added and self.sqlite:
            await self.connection.executemany(self.insert, added)
        elif added:
            await self.connection.copy_records_to_table(
                Case._meta.tablename, records=added, columns=list(self.build.column_names)
            )
        if changed:
            await self.connection.executemany(self.update, changed)
        if phones:
            await self.connection.executemany(self.phone, phones)

    async def finish(self, spill: ImportSpill) -> None:
        """The dropped indexes built, then the touched units' case days, summaries and last
        case days rebuilt set-based (and PostgreSQL's planner statistics refreshed)."""
        connection, sqlite, rebuilt = self.connection, self.sqlite, self.rebuilt
        # a load larger than the table rebuilds every level whole, and writes ~10^6 case days:
        # their secondary indexes are built after (the unique one too: each unit-day is written
        # once). A write that only adds cases writes them from the counts the spill kept
        # (day_index.level_rows); one that changes cases groups the stored ones, since it
        # compared with them before it held the write lock (another write may have moved one
        # of those cases since).
        whole = {
            level
            for level, counts in spill.days.items()
            if counts and (rebuilt or len(counts) > day_index.REBUILD_LEVEL_ABOVE)
        }
        replaced = {} if spill.changed else {level: spill.days[level] for level in whole}
        for level, counts in replaced.items():
            await day_index.merge_stored(level, counts)
        # SQLite: the case days computed in a thread while its own threads build the case table's
        # indexes (~2 s less of a 10^6-case import). PostgreSQL's COPY takes them as they are
        # computed: its server builds an index with parallel workers on both cores, and a
        # client thread computing meanwhile slowed the builds by as much as it saved.
        computing = asyncio.create_task(asyncio.to_thread(_listed, replaced)) if sqlite else None
        if sqlite and rebuilt:  # the rows are all written: the cache now only slows the sorts
            await connection.execute(f"PRAGMA cache_size = -{SQLITE_INDEX_BUILD_CACHE_KIB}")
        for definition in rebuilt:
            await connection.execute(definition)
        written = spill.added + spill.changed
        if not sqlite and (rebuilt or written > ANALYZE_ABOVE):
            await connection.execute(f'ANALYZE "{Case._meta.tablename}"')
        days_indexes = (
            await _drop_secondary_indexes(connection, sqlite, CaseDay, unique=True) if whole else []
        )
        computed = await computing if computing else None
        # the levels in the unique index's order (station, town, village), as each level's rows
        # are in unit and day order: PostgreSQL then finds the rows it indexes already sorted
        # (its build of the (level, code, day) index of 10^6 cases' days 2.8 -> 1.1 s)
        for level, counts in sorted(spill.days.items()):
            if level in replaced:
                rows = computed[level] if computed else day_index.level_rows(level, counts, sqlite)
                await day_index.write_level(level, rows)
            elif counts:
                await day_index.rebuild_units(level, None if level in whole else counts.keys())
        for definition in days_indexes:
            await connection.execute(definition)
        for level, counts in spill.days.items():
            if counts:
                await refresh_last_cases(level, None if level in whole else counts.keys())
        if not sqlite and written > ANALYZE_ABOVE:
            # planner statistics right after a bulk load, not at autovacuum's leisure: a board
            # planned on an empty table's statistics scans instead of using its index
            for analyzed in (CaseDay, CaseUnit, Region, Station):
                await connection.execute(f'ANALYZE "{analyzed._meta.tablename}"')


def _listed(counts: dict[str, day_index.DayCounts]) -> dict[str, day_index.LevelRows]:
    """Each level's rows for SQLite, computed whole (~10^6 tuples kept at once)."""
    computed: dict[str, day_index.LevelRows] = {}
    with paused_gc():
        for level, of_level in counts.items():
            days, units = day_index.level_rows(level, of_level, sqlite=True)
            computed[level] = (list(days), units)
    return computed


#: Past this many units a refresh covers the whole level: one statement beats long IN lists.
REFRESH_LEVEL_ABOVE = day_index.REBUILD_LEVEL_ABOVE


async def refresh_last_cases(level: str, codes: Collection[str] | None = None) -> None:
    """Copy each unit's last case day from its CaseUnit row (NULL when it has none left), one
    UPDATE per level (per chunk of codes). Call after day_index.rebuild_units for those units.
    `codes` None, or more than REFRESH_LEVEL_ABOVE of them, refreshes every unit of the level."""
    table = Station if level == "station" else Region
    name = table._meta.tablename
    update = (
        f'UPDATE "{name}" SET last_case_on = (SELECT u.last_day FROM "{day_index.UNITS}" u '
        f"WHERE u.level = '{level}' AND u.code = \"{name}\".code)"
    )
    if level != "station":
        update += f" WHERE \"{name}\".level = '{level}'"
    if codes is None or len(codes) > REFRESH_LEVEL_ABOVE:
        await table.raw(update)
        return
    joiner = " AND " if level != "station" else " WHERE "
    ordered = sorted(codes)
    for start in range(0, len(ordered), 1_000):
        chunk = ordered[start : start + 1_000]
        marks = ", ".join("{}" for _ in chunk)
        await table.raw(f'{update}{joiner}"{name}".code IN ({marks})', *chunk)


async def _drop_secondary_indexes(
    connection,
    sqlite: bool,
    owner,
    unique: bool = False,
    keep: Collection[str] = (),
    only: Collection[str] | None = None,
) -> list[str]:
    """Drop a table's non-unique indexes (with `unique`, its unique ones and, on PostgreSQL,
    its primary key too), but those named in `keep` (with `only`, just those named there);
    returns the statements that recreate them. A primary key kept while COPY writes the ~1.7 M
    case days of a 10^6-case import cost ~0.9 s more than one built after (SQLite's is the
    rowid itself)."""
    table = owner._meta.tablename
    kept = "" if unique else " AND {} NOT LIKE 'CREATE UNIQUE%'"
    if sqlite:
        cursor = await connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
            "AND sql IS NOT NULL" + kept.format("sql"),
            (table,),
        )
        rows = [(r["name"], r["sql"]) for r in await cursor.fetchall()]
    else:
        rows = [
            (r["indexname"], r["indexdef"])
            for r in await connection.fetch(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 "
                "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM "
                "pg_constraint c WHERE c.conname = i.indexname)" + kept.format("i.indexdef"),
                table,
            )
        ]
    rows = [(n, d) for n, d in rows if n not in keep and (only is None or n in only)]
    for name, _definition in rows:
        await connection.execute(f'DROP INDEX "{name}"')
    recreate = [definition for _name, definition in rows]
    if unique and not sqlite and only is None:
        for key in await connection.fetch(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint "
            "WHERE conrelid = $1::regclass AND contype = 'p'",
            f'"{table}"',
        ):
            await connection.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{key["conname"]}"')
            recreate.append(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{key["conname"]}" {key["definition"]}'
            )
    return recreate
