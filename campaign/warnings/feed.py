"""This process's feed of board events, shared by every open warning board.

One task per process (while boards are open) takes the events `live` delivers, and every
POLL_SECONDS also reads the BoardEvent rows no message announced (another process without Redis,
a lost pub/sub message, a commit out of id order). It reads the warnings of a batch of events in
one query and appends them to a ring of recent entries. Boards keep a cursor into the ring and are
woken at most every WAKE_SECONDS, so a board's cost is per batch, not per event, and the bytes of
a batch are built once per kind of board (role, jurisdiction, language) however many are open:
a thousand boards of one station cost one render, not a thousand.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from campaign.accounts.rules import Scope
from campaign.warnings import live, queries
from campaign.warnings.queries import WarningRow

#: Entries kept; a board further behind re-reads from the database.
RING = 20_000
#: Events are handed to boards in batches gathered for at most this long.
WAKE_SECONDS = 0.1
#: The database is read this often for events that no message announced.
POLL_SECONDS = 1.0
#: An id missing below later ones (a transaction still committing) is waited for this long.
GAP_SECONDS = 5.0
#: The feed stops this long after its last board closed.
IDLE_SECONDS = 30.0
#: Events one subscriber may be behind before the feed re-reads the database.
QUEUE_SIZE = 50_000
CHUNKS = 64


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    event: dict
    row: WarningRow | None


class Feed:
    def __init__(self) -> None:
        self.log: deque[Entry] = deque(maxlen=RING)
        self.seq = 0  # the seq the next entry gets
        self.boards = 0
        self.ready = asyncio.Event()
        self._tick = asyncio.Event()
        self._known: OrderedDict[int, None] = OrderedDict()  # event ids in the ring
        self._floor = 0  # every event id up to here was seen (or waited for long enough)
        self._above: set[int] = set()  # ids seen above the floor
        self._stuck_since = time.monotonic()
        self._chunks: OrderedDict[tuple, bytes] = OrderedDict()
        self._top: tuple[tuple[int, int], int] = ((-1, -1), 0)
        #: per audience (audience_of): the seq of the last entry that concerns it, and the
        #: event its boards wait on
        self._last: dict[tuple, int] = {}
        self._ticks: dict[tuple, asyncio.Event] = {}
        self._task: asyncio.Task | None = None

    # -- boards -----------------------------------------------------------------------------

    def position(self) -> int:
        return self.seq

    def _pending(self, cursor: int, audience: tuple | None) -> bool:
        """Is there an entry from `cursor` on that a board of this audience must look at?"""
        if cursor >= self.seq:
            return False
        return audience is None or self._last.get(audience, -1) >= cursor

    async def wait(
        self, cursor: int, seconds: float, audience: tuple | None = None
    ) -> list[Entry] | None:
        """Entries from `cursor` on, waiting up to `seconds` for some that concern `audience`
        (a board's `audience_of`; None: every entry); [] when none came, and then none since
        `cursor` concerns it (the board moves its cursor to position()); None when the cursor
        fell out of the ring (the board must re-read from the database). A board is woken only
        by the batches that concern it: most of a thousand open boards hear nothing of most
        warnings."""
        if not self._pending(cursor, audience):
            tick = (
                self._tick
                if audience is None
                else self._ticks.setdefault(audience, asyncio.Event())
            )
            # asyncio.timeout, not wait_for: wait_for makes a task for every wait
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await tick.wait()
            if not self._pending(cursor, audience):
                return []
        if cursor < self.seq - len(self.log):
            return None
        # from the right: the ring holds 20,000 entries and a board wants the last few
        entries = list(itertools.islice(reversed(self.log), self.seq - cursor))
        entries.reverse()
        return entries

    def top(self, entries: list[Entry]) -> int:
        """The highest event id among these entries, worked out once for all the boards woken
        with the same batch."""
        key = (entries[0].seq, entries[-1].seq)
        if self._top[0] != key:
            self._top = (key, max(entry.event["id"] for entry in entries))
        return self._top[1]

    def chunk(self, key: tuple, entries: list[Entry], encode: Callable[[Entry], bytes]) -> bytes:
        """The bytes of these entries for one kind of board, built once per kind and batch."""
        cache_key = (key, entries[0].seq, entries[-1].seq)
        data = self._chunks.get(cache_key)
        if data is None:
            data = self._chunks[cache_key] = b"".join(encode(entry) for entry in entries)
            while len(self._chunks) > CHUNKS:
                self._chunks.popitem(last=False)
        return data

    # -- filling the ring --------------------------------------------------------------------

    def _start(self) -> None:
        if self._task is None or self._task.done():
            self.ready = asyncio.Event()
            self._task = asyncio.create_task(self._run())
            live.run_in_background(self._task)

    async def _run(self) -> None:
        async with live.subscribe(QUEUE_SIZE) as subscriber:
            self._floor = await queries.last_event_id()
            self._above.clear()
            self.ready.set()
            idle_since = time.monotonic()
            next_poll = time.monotonic() + POLL_SECONDS
            while self.boards or time.monotonic() - idle_since < IDLE_SECONDS:
                if self.boards:
                    idle_since = time.monotonic()
                payloads: list[dict] = []
                try:
                    wait = max(0.0, next_poll - time.monotonic())
                    payloads.append(await asyncio.wait_for(subscriber.queue.get(), wait))
                    await asyncio.sleep(WAKE_SECONDS)  # gather a batch
                except TimeoutError:
                    pass
                while not subscriber.queue.empty():
                    payloads.append(subscriber.queue.get_nowait())
                if subscriber.lagging or time.monotonic() >= next_poll:
                    subscriber.lagging = False
                    next_poll = time.monotonic() + POLL_SECONDS
                    payloads += await queries.events_above(self._floor)
                await self._add(payloads)

    async def _add(self, payloads: list[dict]) -> None:
        fresh: dict[int, dict] = {}
        for payload in payloads:
            if payload["id"] not in self._known and payload["id"] not in fresh:
                fresh[payload["id"]] = payload
        self._advance_floor(fresh)
        if not fresh:
            return
        rows = await queries.warnings_by_ids({p["warning_id"] for p in fresh.values()})
        touched: set[tuple] = set()
        for event_id, payload in fresh.items():
            self.log.append(Entry(self.seq, payload, rows.get(payload["warning_id"])))
            for audience in audiences(payload):
                self._last[audience] = self.seq
                touched.add(audience)
            self.seq += 1
            self._known[event_id] = None
        while len(self._known) > RING:
            self._known.popitem(last=False)
        for audience in touched:
            if tick := self._ticks.pop(audience, None):
                tick.set()
        self._tick.set()
        self._tick = asyncio.Event()

    def _advance_floor(self, fresh: dict[int, dict]) -> None:
        self._above.update(i for i in fresh if i > self._floor)
        moved = False
        while self._floor + 1 in self._above:
            self._floor += 1
            self._above.discard(self._floor)
            moved = True
        if moved or not self._above:
            self._stuck_since = time.monotonic()
        elif time.monotonic() - self._stuck_since > GAP_SECONDS:  # give the gap up
            self._floor = min(self._above) - 1
            self._advance_floor({})


def audience_of(scope: Scope, is_admin: bool) -> tuple | None:
    """What a board waits for: None (every event) for the centre and the city, else its unit."""
    return None if is_admin or scope.is_city else (scope.kind, scope.code)


def audiences(event: dict) -> list[tuple]:
    """The units whose boards an event concerns (rules.in_scope; a station also hears of a
    warning re-routed away from it)."""
    return [(kind, event[key]) for kind, key in AUDIENCE_KEYS if event.get(key)]


AUDIENCE_KEYS = (
    ("station", "station_code"),
    ("station", "previous_station_code"),
    ("town", "town_code"),
    ("district", "district_code"),
)

_feed: Feed | None = None


@contextlib.asynccontextmanager
async def attached() -> AsyncIterator[Feed]:
    """This process's feed, running while boards are attached."""
    global _feed
    if _feed is None:
        _feed = Feed()
    feed = _feed
    feed.boards += 1
    try:
        feed._start()
        await feed.ready.wait()
        yield feed
    finally:
        feed.boards -= 1
