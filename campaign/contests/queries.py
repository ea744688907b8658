"""Contests: storing them, computing their standings from the cases, and their snapshots.

Standings are computed from a handful of grouped queries over the cases of the period (and of
the previous and year-earlier periods when 环比/同比 are scored); the nightly job stores them as
snapshots, which the rank arrows and trend charts read.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from campaign import rows
from campaign import rules as shared_rules
from campaign.accounts import queries as accounts
from campaign.accounts.rules import CurrentUser, Scope
from campaign.cases.tables import Case
from campaign.contests import rules
from campaign.contests.rules import ContestRow
from campaign.contests.tables import Contest, ContestSnapshot
from campaign.db import contains, existing_row, write_transaction
from campaign.i18n import _
from campaign.regions import queries as regions
from campaign.regions.tables import Region, Station, StationTown
from campaign.streaks import queries as streaks
from campaign.timeutil import today

LEVELS = ("town", "station", "village")
CASE_COLUMN = {"town": "town_code", "village": "village_code", "station": "station_code"}

#: Metrics other modules provide: metric → (module, function(level, start, end, codes) →
#: {code: value}). A metric whose module is not installed yet is simply not offered.
PROVIDED_METRICS = {
    "outreach": ("campaign.events.queries", "outreach_points"),
    "dissuasion": ("campaign.warnings.queries", "dissuasion_results"),
}


def _provider(metric: str) -> Callable[..., Awaitable[dict]] | None:
    module_name, function = PROVIDED_METRICS[metric]
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, function, None)


def available_metrics() -> list[str]:
    """The metrics a contest can use now: the case metrics, plus those whose module exists."""
    return [m for m in rules.CONTEST_METRICS if m not in PROVIDED_METRICS or _provider(m)]


# -- Units ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContestUnit(rows.Row):
    """A unit that competes at a level, with its residents (None: not known)."""

    code: str
    name: str
    population: int | None


async def units_of(level: str, district_code: str | None) -> list[ContestUnit]:
    """The units competing at a level in a district (or the city): code, name, population. A
    station's population is the sum of its towns' residents (None when none is known)."""
    if level == "station":
        where = [Station.district_code == district_code] if district_code else []
        stations = await Station.select(Station.code, Station.name).where(*where)
        links = await StationTown.select(StationTown.station_code, StationTown.town_code)
        towns = {
            row["code"]: row["population"]
            for row in await Region.select(Region.code, Region.population).where(
                Region.level == "town"
            )
        }
        population: dict[str, int] = {}
        for link in links:
            if towns.get(link["town_code"]):
                population[link["station_code"]] = (
                    population.get(link["station_code"], 0) + towns[link["town_code"]]
                )
        return [ContestUnit(s["code"], s["name"], population.get(s["code"])) for s in stations]
    where = [Region.level == level]
    if district_code:
        where.append(Region.district_code == district_code)
    regions_found = await Region.select(Region.code, Region.name, Region.population).where(*where)
    return [ContestUnit(**r) for r in regions_found]


async def visible_codes(scope: Scope, level: str, codes: list[str]) -> set[str]:
    """Which of these units a person's jurisdiction covers (the same rule as everywhere else)."""
    if scope.is_city:
        return set(codes)
    if level == "station":
        rows = await Station.select(Station.code).where(*regions.station_scope_where(scope))
    else:
        rows = await Region.select(Region.code).where(
            Region.level == level, *regions.scope_where(scope)
        )
    return {row["code"] for row in rows} & set(codes)


# -- Case figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    cases: int = 0
    loss_fen: int = 0
    case_days: int = 0


async def case_totals(
    level: str, start: dt.date, end: dt.date, losses: bool = False
) -> dict[str, Totals]:
    """Cases and distinct case days per unit of a level in [start, end], and the losses when
    asked: counting alone is answered from the (unit, day) index of the cases; summing losses
    reads every case of the period, ten times slower at a million cases."""
    column = CASE_COLUMN[level]
    loss = "SUM(loss_fen)" if losses else "0"
    rows = await Case.raw(
        f"SELECT {column} AS code, COUNT(*) AS cases, {loss} AS loss, "
        f'COUNT(DISTINCT occurred_on) AS days FROM "case" '
        f"WHERE occurred_on >= {{}} AND occurred_on <= {{}} AND {column} IS NOT NULL "
        f"GROUP BY {column}",
        start,
        end,
    )
    return {r["code"]: Totals(int(r["cases"]), int(r["loss"] or 0), int(r["days"])) for r in rows}


# -- Standings -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One unit in a contest's standings, with what its score was made of."""

    rank: int
    code: str
    name: str
    score: float
    parts: tuple[rules.Part, ...]
    facts: dict
    move: int | None = None


@dataclass
class Standings:
    contest: ContestRow
    as_of: dt.date | None
    rows: list[Row] = field(default_factory=list)

    def copy(self) -> Standings:
        return Standings(self.contest, self.as_of, [replace(r) for r in self.rows])

    def limited_to(self, codes: set[str]) -> Standings:
        """The rows of units a person may see; ranks stay those of the whole contest."""
        return Standings(self.contest, self.as_of, [r for r in self.rows if r.code in codes])


def weights_of(contest: ContestRow) -> dict[str, float]:
    return {m["metric"]: float(m["weight"]) for m in contest["metrics"]}


async def standings_for(contest: ContestRow, as_of: dt.date | None = None) -> Standings:
    """The contest's standings over its period up to `as_of` (default today): empty before it
    starts, the whole period once it is over."""
    until = rules.scored_until(contest["start_on"], contest["end_on"], as_of or today())
    if until is None:
        return Standings(contest, None)
    level, district, start = contest["level"], contest["district_code"], contest["start_on"]
    weights = weights_of(contest)
    units = await units_of(level, district)
    codes = [u["code"] for u in units]
    now = await case_totals(level, start, until, losses="loss" in weights)
    facts = {
        u["code"]: {
            "cases": now.get(u["code"], Totals()).cases,
            "loss_fen": now.get(u["code"], Totals()).loss_fen,
            "population": u["population"],
            "days": (until - start).days + 1,
            "zero_days": rules.zero_case_days(start, until, now.get(u["code"], Totals()).case_days),
        }
        for u in units
    }
    comparisons = {
        "change_mom": rules.previous_period(start, until),
        "change_yoy": (rules.year_earlier(start), rules.year_earlier(until)),
    }
    for metric, (first, last) in comparisons.items():
        if metric in weights:
            before = await case_totals(level, first, last)
            for code, f in facts.items():
                f[metric] = shared_rules.change(f["cases"], before.get(code, Totals()).cases)
    for metric in PROVIDED_METRICS:
        provider = _provider(metric) if metric in weights else None
        if provider:
            provided = await provider(level, start, until, codes)
            for code, f in facts.items():
                f[metric] = float(provided.get(code, 0))
    values = {metric: {c: _value(metric, f) for c, f in facts.items()} for metric in weights}
    names = {u["code"]: u["name"] for u in units}
    rows = [
        Row(s.rank, s.code, names[s.code], s.score, s.parts, facts[s.code])
        for s in rules.score_units(values, weights, contest["normalisation"])
    ]
    return Standings(contest, until, rows)


def _value(metric: str, facts: dict) -> float | None:
    """The raw value a metric is scored on, from the unit's facts."""
    if metric == "cases":
        return float(facts["cases"])
    if metric == "cases_per_10k":
        return shared_rules.per_10k(facts["cases"], facts["population"])
    if metric in ("change_mom", "change_yoy"):
        c = facts[metric]
        return rules.change_signal(c.this, c.previous)
    if metric == "loss":
        return facts["loss_fen"] / 100
    if metric == "zero_days":
        return float(facts["zero_days"])
    return facts.get(metric)


CACHE_SECONDS = 60.0
_cache: dict[tuple, tuple[float, Standings]] = {}


async def recent_standings(contest: ContestRow, as_of: dt.date | None = None) -> Standings:
    """standings_for, remembered for a minute per contest version and day, so the pages, the API
    and the leadership view's polling (one request a minute per screen) share one computation.
    A case recorded now shows in the standings within a minute; the snapshots never use this."""
    key = (contest["id"], contest["updated_at"], as_of or today())
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is None or hit[0] < now:
        for stale in [k for k, (expires, _) in _cache.items() if expires < now]:
            del _cache[stale]
        hit = (now + CACHE_SECONDS, await standings_for(contest, as_of))
        _cache[key] = hit
    return hit[1].copy()


async def standings_with_moves(contest: ContestRow, as_of: dt.date | None = None) -> Standings:
    """Standings with each unit's places gained since the last weekly snapshot before them."""
    standings = await recent_standings(contest, as_of)
    if standings.as_of is not None:
        before = await weekly_ranks_before(contest["id"], standings.as_of)
        moves = rules.rank_moves({r.code: r.rank for r in standings.rows}, before)
        for row in standings.rows:
            row.move = moves[row.code]
    return standings


# -- Contests ----------------------------------------------------------------------------------


async def contest(contest_id: int) -> ContestRow | None:
    row = await Contest.select().where(Contest.id == contest_id).output(load_json=True).first()
    return ContestRow(**row) if row else None


async def contest_districts() -> dict[str, str]:
    """{code: name} of the districts that have contests, by code: the list's 范围 filter (a
    handful, where a province has ninety districts and the country 2,800)."""
    rows = await Region.raw(
        f'SELECT code, name FROM "{Region._meta.tablename}" WHERE level = {{}} AND code IN '
        f'(SELECT district_code FROM "{Contest._meta.tablename}") ORDER BY code',
        "district",
    )
    return {row["code"]: row["name"] for row in rows}


async def contest_visible(contest: ContestRow, scope: Scope) -> bool:
    """City-wide contests concern everybody; a district's contest those inside that district."""
    if scope.is_city or contest["district_code"] is None:
        return True
    return contest["district_code"] in {d["code"] for d in await regions.districts_in(scope)}


async def _contest_where(scope: Scope, filters: dict[str, str]) -> list:
    where: list = []
    if not scope.is_city:
        mine = [d["code"] for d in await regions.districts_in(scope)]
        where.append(Contest.district_code.is_null() | Contest.district_code.is_in(mine or [""]))
    if filters.get("q"):
        where.append(contains(Contest.name, filters["q"]))
    if filters.get("level") in LEVELS:
        where.append(Contest.level == filters["level"])
    if filters.get("district") == "city":
        where.append(Contest.district_code.is_null())
    elif filters.get("district"):
        where.append(Contest.district_code == filters["district"])
    day = today()
    status = filters.get("status")
    if status == "running":
        where += [Contest.start_on <= day, Contest.end_on >= day]
    elif status == "upcoming":
        where.append(Contest.start_on > day)
    elif status == "finished":
        where.append(Contest.end_on < day)
    return where


async def contest_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Contest.count().where(*await _contest_where(scope, filters))


async def contests(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[ContestRow]:
    query = (
        Contest.select()
        .where(*await _contest_where(scope, filters))
        .order_by(Contest.end_on, ascending=False)
        .order_by(Contest.id, ascending=False)
        .output(load_json=True)
    )
    rows = await (query.offset(offset).limit(limit) if limit else query)
    names = await regions.names_of([row["district_code"] for row in rows])
    day = today()
    return [
        ContestRow(
            **row,
            status=rules.contest_status(row["start_on"], row["end_on"], day),
            district_name=names.get(row["district_code"] or ""),
        )
        for row in rows
    ]


async def running_contests(scope: Scope) -> list[ContestRow]:
    return await contests(scope, {"status": "running"}, limit=None)


AUDITED = (
    "name",
    "level",
    "district_code",
    "start_on",
    "end_on",
    "metrics",
    "normalisation",
    "top_n",
)


def _audit_view(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


async def create_contest(values: dict, actor: CurrentUser | None, ip: str | None = None) -> int:
    """Store a new contest and its audit entry in one transaction."""
    async with accounts.audited(actor, ip) as audit:
        inserted = await Contest.insert(
            Contest(**values, created_by=actor.username if actor else "system")
        )
        contest_id = inserted[0]["id"]
        await audit.record(
            "contest.create",
            f"contest:{contest_id}",
            _("创建竞赛 %(name)s", name=values["name"]),
            _audit_view(values),
        )
    return contest_id


async def update_contest(
    contest_id: int, values: dict, actor: CurrentUser, ip: str | None = None
) -> None:
    """Change a contest; the audit entry records what it was and what it became. Snapshots of
    the old rule no longer describe it, so they are dropped."""
    async with accounts.audited(actor, ip) as audit:
        old = await existing_row(contest(contest_id))
        before = {k: old[k] for k in AUDITED}
        after = {k: values[k] for k in AUDITED}
        await Contest.update(
            {
                **{getattr(Contest, k): v for k, v in values.items()},
                Contest.updated_at: accounts.now(),
            }
        ).where(Contest.id == contest_id)
        if _rule_changed(before, after):
            await ContestSnapshot.delete().where(ContestSnapshot.contest_id == contest_id)
        await audit.record(
            "contest.update",
            f"contest:{contest_id}",
            _("修改竞赛 %(name)s", name=values["name"]),
            {"before": _audit_view(before), "after": _audit_view(after)},
        )


def _rule_changed(before: dict, after: dict) -> bool:
    return any(before[k] != after[k] for k in AUDITED if k not in ("name", "top_n"))


async def delete_contest(contest_id: int, actor: CurrentUser, ip: str | None = None) -> None:
    async with accounts.audited(actor, ip) as audit:
        old = await existing_row(contest(contest_id))
        await ContestSnapshot.delete().where(ContestSnapshot.contest_id == contest_id)
        await Contest.delete().where(Contest.id == contest_id)
        await audit.record(
            "contest.delete",
            f"contest:{contest_id}",
            _("删除竞赛 %(name)s", name=old["name"]),
            _audit_view({k: old[k] for k in AUDITED}),
        )


# -- Snapshots -----------------------------------------------------------------------------------


def is_weekly(contest: ContestRow, as_of: dt.date) -> bool:
    """Weekly snapshots close each week (Sunday) and the contest's last day."""
    return as_of.weekday() == 6 or as_of == contest["end_on"]


async def take_snapshot(contest: ContestRow, as_of: dt.date) -> int:
    """Store the standings as of a day (replacing any earlier snapshot of that day)."""
    standings = await standings_for(contest, as_of)
    if standings.as_of is None:
        return 0
    weekly = is_weekly(contest, standings.as_of)
    async with write_transaction():
        await ContestSnapshot.delete().where(
            (ContestSnapshot.contest_id == contest["id"])
            & (ContestSnapshot.as_of == standings.as_of)
        )
        rows = [
            ContestSnapshot(
                contest_id=contest["id"],
                as_of=standings.as_of,
                weekly=weekly,
                code=r.code,
                rank=r.rank,
                score=r.score,
                cases=r.facts["cases"],
            )
            for r in standings.rows
        ]
        for begin in range(0, len(rows), 1000):
            await ContestSnapshot.insert(*rows[begin : begin + 1000])
    return len(rows)


async def backfill_snapshots(contest: ContestRow, until: dt.date) -> int:
    """The weekly snapshots (Sundays, and the last day) a contest would have by `until` had the
    nightly job always known it: for a contest created, or given a new rule, mid-period."""
    last = min(until, contest["end_on"])
    day = contest["start_on"] + dt.timedelta(days=6 - contest["start_on"].weekday())
    days = []
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=7)
    if last == contest["end_on"] and last not in days:
        days.append(last)
    return sum([await take_snapshot(contest, day) for day in days])


async def weekly_ranks_before(contest_id: int, day: dt.date) -> dict[str, int]:
    """Ranks in the latest weekly snapshot taken as of a day before `day`."""
    latest = (
        await ContestSnapshot.select(ContestSnapshot.as_of)
        .where(
            (ContestSnapshot.contest_id == contest_id)
            & (ContestSnapshot.weekly == True)  # noqa: E712
            & (ContestSnapshot.as_of < day)
        )
        .order_by(ContestSnapshot.as_of, ascending=False)
        .first()
    )
    if latest is None:
        return {}
    rows = await ContestSnapshot.select(ContestSnapshot.code, ContestSnapshot.rank).where(
        (ContestSnapshot.contest_id == contest_id) & (ContestSnapshot.as_of == latest["as_of"])
    )
    return {row["code"]: row["rank"] for row in rows}


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A unit in one snapshot of a contest."""

    as_of: dt.date
    rank: int
    score: float
    cases: int


async def trend(contest_id: int, code: str) -> list[TrendPoint]:
    """A unit's rank, score and cases in every snapshot of the contest, oldest first."""
    snapshots = (
        await ContestSnapshot.select(
            ContestSnapshot.as_of,
            ContestSnapshot.rank,
            ContestSnapshot.score,
            ContestSnapshot.cases,
        )
        .where((ContestSnapshot.contest_id == contest_id) & (ContestSnapshot.code == code))
        .order_by(ContestSnapshot.as_of)
    )
    return [TrendPoint(**s) for s in snapshots]


async def contests_to_snapshot(day: dt.date) -> list[ContestRow]:
    """Contests whose period covers `day` (the day being closed by the nightly job)."""
    rows = (
        await Contest.select()
        .where((Contest.start_on <= day) & (Contest.end_on >= day))
        .output(load_json=True)
    )
    return [ContestRow(**row) for row in rows]


# -- Leadership view ---------------------------------------------------------------------------

STREAK_LEVELS = ("station", "village", "town")


@dataclass(frozen=True, slots=True)
class ContestBoard:
    """A running contest's 红黑榜 for the leadership view and the home card: the best and worst
    n units and the first n the person may see (`mine`); `total` counts the whole contest."""

    contest: ContestRow
    as_of: dt.date | None
    red: list[Row]
    black: list[Row]
    mine: list[Row]
    total: int


async def contest_boards(user: CurrentUser, n: int = 5) -> list[ContestBoard]:
    """Each running contest the person may see with its best and worst n units (in their
    jurisdiction; ranks are those of the whole contest)."""
    boards = []
    for row in await running_contests(user.scope):
        standings = await standings_with_moves(row)
        total = len(standings.rows)
        if not user.scope.is_city:
            codes = [r.code for r in standings.rows]
            standings = standings.limited_to(await visible_codes(user.scope, row["level"], codes))
        red, black = rules.red_black(standings.rows, min(n, row["top_n"]))
        boards.append(ContestBoard(row, standings.as_of, red, black, standings.rows[:n], total))
    return boards


@dataclass(frozen=True, slots=True)
class StreakTop:
    """The top of one zero-case streak board (rows as streaks.queries.Board has them)."""

    level: str
    rows: list[dict]


async def streak_boards(scope: Scope, limit: int = 10) -> list[StreakTop]:
    """The top of the three zero-case streak boards within a jurisdiction (city-wide ranks):
    the boards kept per process (streaks.kept_board), as the streak pages use them."""
    boards = []
    for level in STREAK_LEVELS:
        board = await streaks.kept_board(level, today(), limit=limit, scope=scope)
        boards.append(StreakTop(level, board.rows))
    return boards


async def milestone_feed(scope: Scope, limit: int = 10) -> list[streaks.FeedEntry]:
    """The latest milestones reached and streaks broken within a jurisdiction."""
    _, rows = await streaks.feed(scope=scope, limit=limit)
    return rows


async def home_card(user: CurrentUser) -> dict | None:
    """The home card: the running contests' top 3 and bottom 3 for leaders and admins; for a
    coordinator, where the own units stand in them."""
    boards = await contest_boards(user, 3)
    return {"template": "contests/_home_card.html", "contest_boards": boards}
