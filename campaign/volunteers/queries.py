"""Propagandists and volunteers: database access, one function per intent.

Points are a ledger (`PointEntry`, append-only, unique per person/kind/reference so replays change
nothing). Every award updates the person's totals and their board rows (`BoardRow`, one per board,
period bucket and person) in the same transaction, so a board page is an index scan and never a sum
over the ledger. Volunteers' own actions are recorded in the ledger and their own tables; staff
writes (applications, approvals, rules, rewards, hand-outs) also go to the audit log.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, overload

from piccolo.query.functions.aggregate import Count

from campaign.accounts.audit import audited
from campaign.accounts.rules import CurrentUser, Place, Scope, mask_phone, phone_digest
from campaign.db import (
    engine,
    is_sqlite,
    read_transaction,
    relaxed_commit,
    write_transaction,
)
from campaign.events import queries as events
from campaign.generations import VOLUNTEERS
from campaign.regions import queries as regions
from campaign.rows import Row
from campaign.settings import get_settings
from campaign.timeutil import local
from campaign.volunteers import rules
from campaign.volunteers.tables import (
    ActiveDay,
    BoardRow,
    BoardScore,
    DailyActive,
    EventCheckin,
    OtpCode,
    PointEntry,
    PointRule,
    Propagandist,
    QuizAnswer,
    QuizQuestion,
    Redemption,
    Reward,
    ShareLink,
    ShareOpen,
    SignupAttempt,
    SuspiciousReport,
    Team,
    Volunteer,
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def secret() -> str:
    return get_settings().secret_key


@overload
def _day(value: None) -> None: ...


@overload
def _day(value: dt.date | str) -> dt.date: ...


def _day(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def snapshot():
    """All of a page's reads on one connection (see events.queries.snapshot)."""
    return read_transaction()


async def seed_reference_lists() -> None:
    """Default point rules and a starter quiz bank on a fresh install; admins edit both."""
    from campaign.volunteers.quiz_bank import STARTER_QUESTIONS

    async with write_transaction(VOLUNTEERS):
        known = {r["kind"] for r in await PointRule.select(PointRule.kind)}
        missing = [
            PointRule(kind=kind, points=points, daily_cap=cap)
            for kind, (points, cap) in rules.DEFAULT_RULES.items()
            if kind not in known
        ]
        if missing:
            await PointRule.insert(*missing)
        if not await QuizQuestion.exists():
            await QuizQuestion.insert(
                *(
                    QuizQuestion(
                        fraud_type=fraud,
                        question=q,
                        options=options,
                        answer=answer,
                        explanation=why,
                    )
                    for fraud, q, options, answer, why in STARTER_QUESTIONS
                )
            )


# -- Rows handed to controllers and templates ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PropagandistRow:
    id: int
    user_id: int
    name: str
    name_masked: str
    kind: str
    unit_kind: str | None
    unit_code: str | None
    unit_name: str
    district_code: str
    town_code: str
    area: tuple[str, ...]
    status: str
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str | None
    recruits: int
    active_recruits: int
    points: int

    @property
    def status_label(self) -> str:
        return str(rules.STATUSES.get(self.status, self.status))

    @property
    def place(self) -> Place:
        return Place(
            level="town" if self.town_code else "district",
            code=self.town_code or self.district_code,
            district_code=self.district_code,
            town_code=self.town_code or None,
        )


def _propagandist(row: dict) -> PropagandistRow:
    return PropagandistRow(
        id=row["id"],
        user_id=row["user_id"],
        name=row["name"],
        name_masked=row["name_masked"],
        kind=row["kind"],
        unit_kind=row["unit_kind"],
        unit_code=row["unit_code"],
        unit_name=row["unit_name"],
        district_code=row["district_code"],
        town_code=row["town_code"],
        area=tuple(rules.area_codes(row["area"])),
        status=row["status"],
        applied_at=row["applied_at"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        recruits=row["recruits"],
        active_recruits=row["active_recruits"],
        points=row["points"],
    )


@dataclass(frozen=True, slots=True)
class VolunteerRow:
    id: int
    nickname: str
    name_masked: str
    phone_masked: str
    village_code: str
    town_code: str
    district_code: str
    team_id: int | None
    recruiter_id: int | None
    interests: tuple[str, ...]
    points: int
    balance: int
    first_active_at: dt.datetime | None
    created_at: dt.datetime


def _volunteer(row: dict) -> VolunteerRow:
    return VolunteerRow(
        id=row["id"],
        nickname=row["nickname"],
        name_masked=row["name_masked"],
        phone_masked=row["phone_masked"],
        village_code=row["village_code"],
        town_code=row["town_code"],
        district_code=row["district_code"],
        team_id=row["team_id"],
        recruiter_id=row["recruiter_id"],
        interests=tuple(rules.split_interests(row["interests"])),
        points=row["points"],
        balance=row["balance"],
        first_active_at=row["first_active_at"],
        created_at=row["created_at"],
    )


@dataclass(frozen=True, slots=True)
class Person:
    """What an award needs to know about whom it is for."""

    kind: str
    id: int
    name_masked: str
    district_code: str
    town_code: str
    team_id: int | None = None


def person_of_volunteer(v: VolunteerRow) -> Person:
    return Person(rules.VOLUNTEERS, v.id, v.name_masked, v.district_code, v.town_code, v.team_id)


def person_of_propagandist(p: PropagandistRow) -> Person:
    return Person(rules.PROPAGANDISTS, p.id, p.name_masked, p.district_code, p.town_code)


# -- Propagandists --------------------------------------------------------------------------------


async def propagandist(pid: int) -> PropagandistRow | None:
    row = await Propagandist.select().where(Propagandist.id == pid).first()
    return _propagandist(row) if row else None


async def propagandist_of_user(user_id: int) -> PropagandistRow | None:
    row = await Propagandist.select().where(Propagandist.user_id == user_id).first()
    return _propagandist(row) if row else None


@dataclass(frozen=True, slots=True)
class TownVillages(Row):
    """A town and the villages of it on offer (an area to choose, or an area's villages)."""

    code: str
    name: str
    villages: tuple[regions.Unit, ...]


async def area_choices(scope: Scope) -> list[TownVillages]:
    """Towns of a unit with their villages, for choosing a propaganda area."""
    towns = await regions.regions(scope, {"level": "town"}, limit=None)
    villages = await regions.regions(scope, {"level": "village"}, limit=None)
    by_town: dict[str, list[regions.Unit]] = {}
    for v in villages:
        by_town.setdefault(v["town_code"], []).append(regions.Unit(v["code"], v["name"]))
    return [TownVillages(t["code"], t["name"], tuple(by_town.get(t["code"], []))) for t in towns]


async def area_villages(area: Iterable[str]) -> list[TownVillages]:
    """The villages an area enrols into, grouped by town."""
    codes = list(area)
    towns = [c for c in codes if len(c) == 9]
    chosen = [c for c in codes if len(c) == 12]
    rows = []
    for town in sorted({*towns, *(c[:9] for c in chosen)}):
        rows += await regions.regions(Scope(), {"level": "village", "parent": town}, limit=None)
    names = await regions.names_of([r["town_code"] for r in rows])
    groups: dict[str, list[regions.Unit]] = {}
    for r in rows:
        if rules.in_area(codes, r["code"], r["town_code"]):
            groups.setdefault(r["town_code"], []).append(regions.Unit(r["code"], r["name"]))
    return [TownVillages(code, names.get(code, ""), tuple(v)) for code, v in groups.items()]


async def apply(user: CurrentUser, kind: str, area: list[str], ip: str | None) -> PropagandistRow:
    """A staff member applies to be a propagandist (or changes a pending application's area)."""
    area_sorted = sorted(set(area))
    town = area_sorted[0][:9] if area_sorted else ""
    district = town[:6] if town else ""
    values: dict[Any, Any] = {  # column: value, for update() and the insert alike
        Propagandist.name: user.display_name,
        Propagandist.name_masked: rules.mask_name(user.display_name),
        Propagandist.kind: kind,
        Propagandist.unit_kind: user.scope.kind,
        Propagandist.unit_code: user.scope.code,
        Propagandist.unit_name: user.unit_name or "",
        Propagandist.district_code: district,
        Propagandist.town_code: town,
        Propagandist.area: rules.area_text(area_sorted),
    }
    async with audited(user, ip, VOLUNTEERS) as audit:
        existing = await Propagandist.select(Propagandist.id).where(Propagandist.user_id == user.id)
        if existing:
            await Propagandist.update(values).where(Propagandist.user_id == user.id)
        else:
            await Propagandist.insert(
                Propagandist(
                    user_id=user.id,
                    status=rules.APPLIED,
                    applied_at=now(),
                    **{column._meta.name: value for column, value in values.items()},
                )
            )
        await audit.record("propagandist.apply", f"user:{user.id}", f"申请成为宣传员({kind})")
    found = await propagandist_of_user(user.id)
    assert found is not None
    return found


async def set_status(pid: int, status: str, user: CurrentUser, ip: str | None) -> None:
    async with audited(user, ip, VOLUNTEERS) as audit:
        await Propagandist.update(
            {
                Propagandist.status: status,
                Propagandist.decided_at: now(),
                Propagandist.decided_by: user.display_name,
            }
        ).where(Propagandist.id == pid)
        await audit.record(
            f"propagandist.{status}", f"propagandist:{pid}", str(rules.STATUSES[status])
        )


def _propagandist_where(scope: Scope, filters: dict[str, str]) -> list:
    where: list = []
    if not scope.is_city:
        if scope.kind == "district":
            where.append(Propagandist.district_code == scope.code)
        elif scope.kind == "town":
            where.append(Propagandist.town_code == scope.code)
        else:
            where.append(
                Propagandist.town_code.is_in(list(scope.towns) or ["-"])
                | (Propagandist.unit_code == scope.code)
            )
    if filters.get("status") in rules.STATUSES:
        where.append(Propagandist.status == filters["status"])
    if district := filters.get("district"):
        where.append(Propagandist.district_code == district)
    if q := filters.get("q", "").strip()[:30]:
        where.append(Propagandist.name.like(f"%{q.replace('%', '')}%"))
    if filters.get("idle") == "1":
        where.append((Propagandist.recruits > 0) & (Propagandist.active_recruits == 0))
    return where


async def propagandist_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Propagandist.count().where(*_propagandist_where(scope, filters))


async def propagandists(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[PropagandistRow]:
    order = {"recruits": Propagandist.recruits, "points": Propagandist.points}.get(
        filters.get("sort", ""), Propagandist.id
    )
    query = (
        Propagandist.select()
        .where(*_propagandist_where(scope, filters))
        .order_by(order, ascending=order is Propagandist.id)
        .order_by(Propagandist.id)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [_propagandist(r) for r in await query]


# -- Volunteers -----------------------------------------------------------------------------------


async def volunteer(vid: int) -> VolunteerRow | None:
    row = await Volunteer.select().where(Volunteer.id == vid).first()
    return _volunteer(row) if row else None


async def volunteer_by_phone(phone: str) -> VolunteerRow | None:
    digest = phone_digest(phone, secret())
    row = await Volunteer.select().where(Volunteer.phone_hash == digest).first()
    return _volunteer(row) if row else None


@dataclass(frozen=True, slots=True)
class TeamRow(Row):
    id: int
    name: str
    kind: str
    district_code: str
    active: bool
    members: int


async def teams(active_only: bool = True) -> list[TeamRow]:
    query = Team.select().order_by(Team.kind).order_by(Team.name)
    if active_only:
        query = query.where(Team.active.eq(True))
    return [TeamRow(**row) for row in await query]


async def save_team(name: str, kind: str, user: CurrentUser, ip: str | None) -> None:
    async with audited(user, ip, VOLUNTEERS) as audit:
        if not await Team.exists().where(Team.name == name):
            await Team.insert(Team(name=name, kind=kind))
        await audit.record("team.save", f"team:{name}", name)


async def note_signup_attempt(key: str, at: dt.datetime) -> int:
    """Count a sign-up attempt from one address in the current window; returns the count so far
    (committed on its own, so attempts that fail still count). One upsert: a window older than
    SIGNUP_WINDOW starts again at 1. A relaxed commit (db.relaxed_commit): a database crash can
    only restart a throttle window, and the sign-up behind it then waits for one flush, not two."""
    cutoff = at - rules.SIGNUP_WINDOW
    async with write_transaction(VOLUNTEERS):
        await relaxed_commit()
        rows = await SignupAttempt.raw(
            "INSERT INTO signup_attempt (key, count, window_start) VALUES ({}, 1, {}) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN signup_attempt.window_start < {} THEN 1 "
            "ELSE signup_attempt.count + 1 END, "
            "window_start = CASE WHEN signup_attempt.window_start < {} "
            "THEN excluded.window_start ELSE signup_attempt.window_start END "
            "RETURNING count",
            key,
            at,
            cutoff,
            cutoff,
        )
    return rows[0]["count"]


class SignupRefused(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


async def sign_up(
    recruiter: PropagandistRow, checked: rules.SignupInput, ip: str, at: dt.datetime
) -> int:
    """Enrol a volunteer through a propagandist's code; SignupRefused for a phone already
    enrolled. The recruiter's credit waits until the recruit first does something."""
    digest = phone_digest(checked.phone, secret())
    day = local(at).date()
    async with write_transaction(VOLUNTEERS):
        village = await regions.region(checked.village_code)
        if village is None:
            raise SignupRefused("village", "村社不存在")
        inserted = (
            await Volunteer.insert(
                Volunteer(
                    nickname=checked.nickname,
                    name_masked=rules.mask_name(checked.nickname),
                    phone_hash=digest,
                    phone_masked=mask_phone(checked.phone),
                    village_code=village["code"],
                    town_code=village["town_code"],
                    district_code=village["district_code"],
                    team_id=checked.team_id,
                    recruiter_id=recruiter.id,
                    signup_ip=ip[:64],
                    created_at=at,
                    created_on=day,
                    last_active_on=day,
                )
            )
            .on_conflict(action="DO NOTHING")
            .returning(Volunteer.id)
        )
        if not inserted:  # the phone has joined already (or a moment ago, concurrently)
            raise SignupRefused("phone", "")
        vid = inserted[0]["id"]
        await Propagandist.update({Propagandist.recruits: Propagandist.recruits + 1}).where(
            Propagandist.id == recruiter.id
        )
        if checked.team_id:
            await Team.update({Team.members: Team.members + 1}).where(Team.id == checked.team_id)
        # Joining is today's first activity: the active day and both day counts at once.
        await ActiveDay.insert(ActiveDay(volunteer_id=vid, day=day))
        await _count_day(day, users=1, signups=1)
    return vid


async def _count_day(day: dt.date, users: int = 0, signups: int = 0) -> None:
    await DailyActive.raw(
        "INSERT INTO daily_active (day, users, signups) VALUES ({}, {}, {}) "
        "ON CONFLICT (day) DO UPDATE SET users = daily_active.users + excluded.users, "
        "signups = daily_active.signups + excluded.signups",
        day,
        users,
        signups,
    )


async def _touch(vid: int, day: dt.date) -> None:
    """Count the volunteer as active today (DAU) once."""
    new = await ActiveDay.raw(
        "INSERT INTO active_day (volunteer_id, day) VALUES ({}, {}) "
        "ON CONFLICT DO NOTHING RETURNING id",
        vid,
        day,
    )
    if new:
        await _count_day(day, users=1)
        await Volunteer.update({Volunteer.last_active_on: day}).where(Volunteer.id == vid)


async def touch(vid: int, at: dt.datetime) -> None:
    async with write_transaction(VOLUNTEERS):
        await _touch(vid, local(at).date())


async def set_interests(vid: int, interests: list[str]) -> None:
    async with write_transaction(VOLUNTEERS):
        await Volunteer.update({Volunteer.interests: rules.interests_text(interests)}).where(
            Volunteer.id == vid
        )


def _volunteer_where(scope: Scope, filters: dict[str, str]) -> list:
    where: list = []
    if not scope.is_city:
        if scope.kind == "district":
            where.append(Volunteer.district_code == scope.code)
        elif scope.kind == "town":
            where.append(Volunteer.town_code == scope.code)
        else:
            where.append(Volunteer.town_code.is_in(list(scope.towns) or ["-"]))
    if district := filters.get("district"):
        where.append(Volunteer.district_code == district)
    if town := filters.get("town"):
        where.append(Volunteer.town_code == town)
    if (recruiter := filters.get("recruiter", "")) and recruiter.isdigit():
        where.append(Volunteer.recruiter_id == int(recruiter))
    if q := filters.get("q", "").strip()[:20]:
        where.append(Volunteer.nickname.like(f"%{q.replace('%', '')}%"))
    if filters.get("active") == "0":
        where.append(Volunteer.first_active_at.is_null())
    return where


async def volunteer_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Volunteer.count().where(*_volunteer_where(scope, filters))


async def volunteers(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[VolunteerRow]:
    query = (
        Volunteer.select()
        .where(*_volunteer_where(scope, filters))
        .order_by(Volunteer.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [_volunteer(r) for r in await query]


# -- One-time codes -------------------------------------------------------------------------------


async def create_otp(phone: str, at: dt.datetime) -> tuple[str | None, str | None]:
    """A new sign-in code for an enrolled phone: (code, None), or (None, reason) where reason is
    "unknown" or "wait" (one code a minute)."""
    digest = phone_digest(phone, secret())
    async with write_transaction(VOLUNTEERS):
        if not await Volunteer.exists().where(Volunteer.phone_hash == digest):
            return None, "unknown"
        last = (
            await OtpCode.select(OtpCode.created_at)
            .where(OtpCode.phone_hash == digest)
            .order_by(OtpCode.id, ascending=False)
            .first()
        )
        if last and at - _aware(last["created_at"]) < rules.OTP_RESEND:
            return None, "wait"
        code = rules.new_otp()
        await OtpCode.update({OtpCode.used: True}).where(
            (OtpCode.phone_hash == digest) & OtpCode.used.eq(False)
        )
        await OtpCode.insert(
            OtpCode(
                phone_hash=digest,
                code_hash=rules.otp_digest(digest, code, secret()),
                created_at=at,
                expires_at=at + rules.OTP_TTL,
            )
        )
    return code, None


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def check_otp(phone: str, code: str, at: dt.datetime) -> tuple[int | None, str]:
    """(volunteer id, "ok") for the right code, else (None, outcome): "none", "wrong", "locked",
    "expired", "used". A wrong try is counted even though the sign-in fails."""
    digest = phone_digest(phone, secret())
    async with write_transaction(VOLUNTEERS):
        row = (
            await OtpCode.select()
            .where(OtpCode.phone_hash == digest)
            .order_by(OtpCode.id, ascending=False)
            .first()
        )
        if row is None:
            return None, "none"
        matches = secrets.compare_digest(
            row["code_hash"], rules.otp_digest(digest, code.strip(), secret())
        )
        outcome = rules.otp_outcome(
            row["attempts"], row["used"], _aware(row["expires_at"]), at, matches
        )
        if outcome in ("wrong", "locked") and not matches:
            await OtpCode.update({OtpCode.attempts: OtpCode.attempts + 1}).where(
                OtpCode.id == row["id"]
            )
        if outcome != "ok":
            return None, outcome
        await OtpCode.update({OtpCode.used: True}).where(OtpCode.id == row["id"])
        v = await Volunteer.select(Volunteer.id).where(Volunteer.phone_hash == digest).first()
        if v:
            await _touch(v["id"], local(at).date())
        return (v["id"] if v else None), ("ok" if v else "none")


# -- Points ---------------------------------------------------------------------------------------


async def point_rules() -> dict[str, rules.Rule]:
    stored = {
        r["kind"]: rules.Rule(r["kind"], r["points"], r["daily_cap"], r["active"])
        for r in await PointRule.select()
    }
    return {**rules.default_rules(), **stored}


async def save_rule(
    kind: str, points: int, cap: int, active: bool, user: CurrentUser, ip: str | None
) -> None:
    async with audited(user, ip, VOLUNTEERS) as audit:
        if await PointRule.exists().where(PointRule.kind == kind):
            await PointRule.update(
                {PointRule.points: points, PointRule.daily_cap: cap, PointRule.active: active}
            ).where(PointRule.kind == kind)
        else:
            await PointRule.insert(
                PointRule(kind=kind, points=points, daily_cap=cap, active=active)
            )
        await audit.record("points.rule", f"rule:{kind}", f"{kind} = {points} / 日上限 {cap}")


#: rules.capped_points in SQL, over columns points, daily_cap, active and earned (a test holds
#: the two equal on every boundary, evaluated by the engine).
CAPPED_SQL = (
    "CASE WHEN NOT active OR points <= 0 THEN 0 WHEN daily_cap <= 0 THEN points "
    "WHEN daily_cap - earned <= 0 THEN 0 WHEN points < daily_cap - earned THEN points "
    "ELSE daily_cap - earned END"
)

#: The rule of an award's kind (stored, else the default: parameters 5 and 6) and what the person
#: already earned by it today (parameters 1-3 and 9), `p` the engine's parameter mark.
_RULE_SQL = """
  SELECT COALESCE(r.points, {p}5) AS points, COALESCE(r.daily_cap, {p}6) AS daily_cap,
         COALESCE(r.active, true) AS active,
         (SELECT COALESCE(SUM(e.points), 0) FROM point_entry e WHERE e.person_kind = {p}1
          AND e.person_id = {p}2 AND e.kind = {p}3 AND e.day = {p}9) AS earned
  FROM (SELECT 1) AS o LEFT JOIN point_rule r ON r.kind = {p}3
"""

#: A whole award on PostgreSQL in one statement, one round trip instead of five: the rule and
#: today's earnings, the capped points ($4 when given), the ledger entry, the board rows
#: (arrays $12-$17), the score counts moved as rules.score_moves moves them (each changed row
#: leaves its old score and joins its new one in the city, its district and its town; teams'
#: rows have no district or town) and the totals. Every part after the ledger entry reads the
#: entry's RETURNING, so a replay (ON CONFLICT DO NOTHING) or 0 points change nothing.
_AWARD_PG = f"""
WITH rule AS ({_RULE_SQL.format(p="$")}), entry AS (
  INSERT INTO point_entry (person_kind, person_id, kind, points, reason, ref, day, at, is_demo)
  SELECT $1, $2, $3, given, $7::text, $8::text, $9::date, $10::timestamptz, false
  FROM (SELECT COALESCE($4::integer, {CAPPED_SQL}) AS given FROM rule) AS g WHERE given <> 0
  ON CONFLICT DO NOTHING RETURNING points
), board AS (
  INSERT INTO board_row (board, bucket, person_id, name_masked, district_code, town_code, points)
  SELECT k.board, k.bucket, k.person_id, k.name_masked, k.district_code, k.town_code, e.points
  FROM entry e, unnest($12::text[], $13::text[], $14::integer[], $15::text[], $16::text[],
                       $17::text[])
       AS k(board, bucket, person_id, name_masked, district_code, town_code)
  ON CONFLICT (board, bucket, person_id) DO UPDATE SET points = board_row.points + excluded.points
  RETURNING board, bucket, district_code, town_code, points
), moved AS (
  SELECT b.board, b.bucket, a.area, s.points, SUM(s.step) AS n
  FROM board b CROSS JOIN entry e
  CROSS JOIN LATERAL (SELECT DISTINCT unnest(ARRAY['', b.district_code, b.town_code]) AS area) a
  CROSS JOIN LATERAL (VALUES (b.points - e.points, -1), (b.points, 1)) AS s(points, step)
  WHERE s.points > 0
  GROUP BY b.board, b.bucket, a.area, s.points
), score AS (
  INSERT INTO board_score (board, bucket, area, points, n)
  SELECT board, bucket, area, points, n FROM moved WHERE n <> 0
  ON CONFLICT (board, bucket, area, points) DO UPDATE SET n = board_score.n + excluded.n
), volunteer_totals AS (
  UPDATE volunteer SET balance = balance + e.points,
                       points = volunteer.points + CASE WHEN $11 THEN e.points ELSE 0 END
  FROM entry e WHERE $1 = 'v' AND volunteer.id = $2
), propagandist_totals AS (
  UPDATE propagandist SET points = propagandist.points + CASE WHEN $11 THEN e.points ELSE 0 END
  FROM entry e WHERE $1 = 'p' AND propagandist.id = $2
)
SELECT points FROM entry
"""


async def _award(
    person: Person, kind: str, ref: str, reason: str, at: dt.datetime, points: int | None = None
) -> int:
    """Append one ledger entry and move the person's totals and board rows with it. Call inside
    a write transaction. Returns the points given: 0 when capped, inactive or a replay."""
    day = local(at).date()
    default = rules.default_rules().get(kind, rules.Rule(kind, 0, 0))
    args = (  # parameters 1-11 of _AWARD_PG and _ENTRY_SQLITE
        person.kind,
        person.id,
        kind,
        points,
        default.points,
        default.daily_cap,
        reason[:120],
        ref[:120],
        day,
        at,
        kind in rules.EARNING,
    )
    keys = rules.board_keys(person.kind, person.id, day, kind, person.team_id)
    transaction = engine().current_transaction.get()
    assert transaction is not None, "_award runs inside write_transaction()"
    # Straight on the driver's connection (asyncpg or aiosqlite): the ORM's per-query work was
    # most of an award's CPU.
    if is_sqlite():
        return await transaction.connection.run_sync(_award_sqlite, person, args, keys)
    return await _award_pg(transaction.connection, person, args, keys)


#: An award's ledger entry on SQLite (no INSERT inside WITH there), with the rule, today's
#: earnings and the capped points as in _AWARD_PG and the same parameters 1-10.
_ENTRY_SQLITE = f"""
INSERT INTO point_entry (person_kind, person_id, kind, points, reason, ref, day, at, is_demo)
SELECT ?1, ?2, ?3, given, ?7, ?8, ?9, ?10, 0
FROM (SELECT COALESCE(?4, {CAPPED_SQL}) AS given FROM ({_RULE_SQL.format(p="?")})) AS g
WHERE given <> 0
ON CONFLICT DO NOTHING RETURNING points
"""


def _award_sqlite(
    connection: sqlite3.Connection, person: Person, args: tuple, keys: list[tuple[str, str, int]]
) -> int:
    """_award on SQLite: the entry, then the board rows and score counts, then the totals, run
    on the connection's thread in one call (an aiosqlite call is a hop there and back, which
    cost more than the statements)."""
    entry = connection.execute(_ENTRY_SQLITE, args[:10]).fetchall()
    if not entry:
        return 0
    given = entry[0]["points"]
    _add_to_boards(connection, person, [(*key, given) for key in keys])
    earned = given if args[10] else 0
    if person.kind == rules.VOLUNTEERS:
        connection.execute(
            "UPDATE volunteer SET balance = balance + ?, points = points + ? WHERE id = ?",
            (given, earned, person.id),
        )
    else:
        connection.execute(
            "UPDATE propagandist SET points = points + ? WHERE id = ?", (earned, person.id)
        )
    return given


async def _award_pg(
    connection: Any, person: Person, args: tuple, keys: list[tuple[str, str, int]]
) -> int:
    """_award on PostgreSQL: _AWARD_PG, the board rows as arrays."""
    teams = [key[0] == rules.TEAMS for key in keys]
    given = await connection.fetchval(
        _AWARD_PG,
        *args,
        [board for board, _bucket, _pid in keys],
        [bucket_key for _board, bucket_key, _pid in keys],
        [pid for _board, _bucket, pid in keys],
        ["" if team else person.name_masked for team in teams],
        ["" if team else person.district_code for team in teams],
        ["" if team else person.town_code for team in teams],
    )
    return given or 0


def _add_to_boards(
    connection: sqlite3.Connection, person: Person, updates: list[tuple[str, str, int, int]]
) -> None:
    """The award's board rows (3-6) in one multi-row upsert, then the score counts of every
    area the rows are in (city, district, town) moved from the old points to the new in one
    more: two statements, however many boards an award touches (SQLite, which has no INSERT
    inside WITH; PostgreSQL does both inside _AWARD_PG)."""
    if not updates:
        return
    values, args = [], []
    for board, bucket_key, pid, pts in updates:
        team = board == rules.TEAMS
        values.append("(?, ?, ?, ?, ?, ?, ?)")
        args += [
            board,
            bucket_key,
            pid,
            "" if team else person.name_masked,
            "" if team else person.district_code,
            "" if team else person.town_code,
            pts,
        ]
    rows = connection.execute(
        "INSERT INTO board_row (board, bucket, person_id, name_masked, district_code, "
        f"town_code, points) VALUES {', '.join(values)} "
        "ON CONFLICT (board, bucket, person_id) DO UPDATE SET "
        "points = board_row.points + excluded.points "
        "RETURNING board, bucket, person_id, district_code, town_code, points",
        args,
    ).fetchall()
    added = {(board, bucket_key, pid): pts for board, bucket_key, pid, pts in updates}
    moves = rules.score_moves(
        (
            r["board"],
            r["bucket"],
            r["district_code"],
            r["town_code"],
            r["points"] - added[(r["board"], r["bucket"], r["person_id"])],
            r["points"],
        )
        for r in rows
    )
    if moves:
        connection.execute(
            "INSERT INTO board_score (board, bucket, area, points, n) VALUES "
            + ", ".join("(?, ?, ?, ?, ?)" for _ in moves)
            + " ON CONFLICT (board, bucket, area, points) DO UPDATE SET "
            "n = board_score.n + excluded.n",
            [value for key, n in moves.items() for value in (*key, n)],
        )


@asynccontextmanager
async def _awarding() -> AsyncIterator[None]:
    """The write transaction of a volunteer's point-earning action and its award: committed
    without waiting for the WAL flush on PostgreSQL (db.relaxed_commit; the decision is in
    docs/architecture.md). Redemptions, refunds and suspicious reports stay fully durable."""
    async with write_transaction(VOLUNTEERS):
        await relaxed_commit()
        yield


async def award(person: Person, kind: str, ref: str, reason: str, at: dt.datetime) -> int:
    """Award points in a transaction of its own (tests, benchmarks and jobs)."""
    async with _awarding():
        return await _award(person, kind, ref, reason, at)


async def _first_activity(v: VolunteerRow, at: dt.datetime) -> None:
    """The first thing a recruit does credits their recruiter (once: the ledger reference is the
    recruit)."""
    await _touch(v.id, local(at).date())
    if v.first_active_at is not None:
        return
    first = await Volunteer.raw(
        "UPDATE volunteer SET first_active_at = {} WHERE id = {} AND first_active_at IS NULL "
        "RETURNING id",
        at,
        v.id,
    )
    if not first or v.recruiter_id is None:
        return
    recruiter = await propagandist(v.recruiter_id)
    if recruiter is None:
        return
    await Propagandist.update(
        {Propagandist.active_recruits: Propagandist.active_recruits + 1}
    ).where(Propagandist.id == recruiter.id)
    await _award(
        person_of_propagandist(recruiter),
        rules.RECRUIT,
        f"recruit:{v.id}",
        f"发展志愿者 {v.name_masked}",
        at,
    )


@dataclass(frozen=True, slots=True)
class LedgerEntry(Row):
    kind: str
    points: int
    reason: str
    day: dt.date
    at: dt.datetime


async def ledger(person_kind: str, person_id: int, limit: int = 50) -> list[LedgerEntry]:
    rows = await (
        PointEntry.select(
            PointEntry.kind, PointEntry.points, PointEntry.reason, PointEntry.day, PointEntry.at
        )
        .where((PointEntry.person_kind == person_kind) & (PointEntry.person_id == person_id))
        .order_by(PointEntry.id, ascending=False)
        .limit(limit)
    )
    return [LedgerEntry(**row) for row in rows]


async def entries_by_kind(person_kind: str, person_id: int) -> dict[str, int]:
    rows = await (
        PointEntry.select(PointEntry.kind, Count(alias="n"))
        .where((PointEntry.person_kind == person_kind) & (PointEntry.person_id == person_id))
        .group_by(PointEntry.kind)
    )
    return {r["kind"]: r["n"] for r in rows}


# -- Check-in, quiz, sharing, reports ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a volunteer's action did: points given and, when refused, why (a key the page words)."""

    points: int = 0
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CheckinEvent(Row):
    """The event a check-in code points at, as the check-in pages show it."""

    id: int
    day: dt.date
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    checkins: int
    type_name: str
    place_name: str
    place: Place


async def checkin_event(event_id: int) -> CheckinEvent | None:
    """The event a check-in code points at, with its names (through events.queries)."""
    row = await events.event(event_id)
    if row is None:
        return None
    named = (await events.with_names([row]))[0]
    return CheckinEvent(
        id=named["id"],
        day=named["day"],
        starts_at=named["starts_at"],
        ends_at=named["ends_at"],
        status=named["status"],
        checkins=named["checkins"],
        type_name=named["type_name"],
        place_name=named["place_name"],
        place=events.place_of_event(named),
    )


async def check_in(v: VolunteerRow, event: CheckinEvent, at: dt.datetime) -> Outcome:
    problem = rules.checkin_problem(event.starts_at, event.ends_at, event.status, at)
    if problem:
        return Outcome(problem=problem)
    async with _awarding():
        new = await EventCheckin.raw(
            "INSERT INTO event_checkin (event_id, volunteer_id, at) VALUES ({}, {}, {}) "
            "ON CONFLICT DO NOTHING RETURNING id",
            event.id,
            v.id,
            at,
        )
        if not new:
            return Outcome(problem="again")
        await events.add_checkins(event.id, 1)
        await _first_activity(v, at)
        points = await _award(
            person_of_volunteer(v),
            rules.CHECKIN,
            f"event:{event.id}",
            f"活动签到:{event.type_name} {event.place_name}".strip(),
            at,
        )
    return Outcome(points=points)


@dataclass(frozen=True, slots=True)
class QuestionRow(Row):
    id: int
    fraud_type: str
    question: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    active: bool


def _question(row: dict) -> QuestionRow:
    return QuestionRow(**{**row, "options": tuple(row["options"] or ())})


async def quiz_questions(v: VolunteerRow, day: dt.date) -> list[QuestionRow]:
    """Today's questions for this volunteer, drawn from the active bank (their interests first)."""
    bank = await QuizQuestion.select(QuizQuestion.id, QuizQuestion.fraud_type).where(
        QuizQuestion.active.eq(True)
    )
    liked = [q["id"] for q in bank if q["fraud_type"] in v.interests]
    pool = liked if len(liked) >= rules.QUIZ_SIZE else [q["id"] for q in bank]
    chosen = rules.daily_questions(pool, v.id, day)
    rows = {
        q["id"]: q
        for q in await QuizQuestion.select()
        .where(QuizQuestion.id.is_in(chosen or [-1]))
        .output(load_json=True)
    }
    return [_question(rows[i]) for i in chosen if i in rows]


@dataclass(frozen=True, slots=True)
class AnswerRow(Row):
    id: int
    volunteer_id: int
    day: dt.date
    question_id: int
    chosen: int
    correct: bool
    at: dt.datetime


async def quiz_answers(vid: int, day: dt.date) -> dict[int, AnswerRow]:
    rows = await QuizAnswer.select().where(
        (QuizAnswer.volunteer_id == vid) & (QuizAnswer.day == day)
    )
    return {r["question_id"]: AnswerRow(**r) for r in rows}


async def answer_quiz(
    v: VolunteerRow, questions: list[QuestionRow], chosen: dict[int, int], at: dt.datetime
) -> Outcome:
    """Record today's answers once; a replay (any question already answered) changes nothing."""
    day = local(at).date()
    async with _awarding():
        correct = 0
        for q in questions:
            pick = chosen.get(q.id, -1)
            right = pick == q.answer
            new = await QuizAnswer.raw(
                "INSERT INTO quiz_answer (volunteer_id, day, question_id, chosen, correct, at) "
                "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING RETURNING id",
                v.id,
                day,
                q.id,
                pick,
                right,
                at,
            )
            if not new:
                raise _Replay()
            correct += right
        await _first_activity(v, at)
        if not rules.quiz_passed(correct, len(questions)):
            return Outcome(problem="failed")
        points = await _award(
            person_of_volunteer(v), rules.QUIZ, f"quiz:{day.isoformat()}", "每日反诈答题", at
        )
    return Outcome(points=points)


class _Replay(Exception):
    pass


async def answer_quiz_once(
    v: VolunteerRow, questions: list[QuestionRow], chosen: dict[int, int], at: dt.datetime
) -> Outcome:
    try:
        return await answer_quiz(v, questions, chosen, at)
    except _Replay:
        return Outcome(problem="again")


async def share_link(v: VolunteerRow, material_id: int, title: str) -> str:
    existing = (
        await ShareLink.select(ShareLink.token)
        .where((ShareLink.volunteer_id == v.id) & (ShareLink.material_id == material_id))
        .first()
    )
    if existing:
        return existing["token"]
    token = secrets.token_urlsafe(9)
    async with write_transaction(VOLUNTEERS):
        await ShareLink.insert(
            ShareLink(token=token, volunteer_id=v.id, material_id=material_id, title=title[:200])
        )
    return token


@dataclass(frozen=True, slots=True)
class ShareLinkRow(Row):
    id: int
    token: str
    volunteer_id: int
    material_id: int
    title: str
    opens: int
    created_at: dt.datetime


async def shared_link(token: str) -> ShareLinkRow | None:
    row = await ShareLink.select().where(ShareLink.token == token).first()
    return ShareLinkRow(**row) if row else None


async def open_share(link: ShareLinkRow, visitor: str, at: dt.datetime) -> Outcome:
    """A visitor opened a share link: the first open per visitor counts and earns the sharer
    points (their own opens do not)."""
    owner = await volunteer(link.volunteer_id)
    if owner is None:
        return Outcome()
    async with _awarding():
        new = await ShareOpen.raw(
            "INSERT INTO share_open (link_id, visitor, at) VALUES ({}, {}, {}) "
            "ON CONFLICT DO NOTHING RETURNING id",
            link.id,
            visitor,
            at,
        )
        if not new:
            return Outcome(problem="again")
        await ShareLink.update({ShareLink.opens: ShareLink.opens + 1}).where(
            ShareLink.id == link.id
        )
        await _first_activity(owner, at)
        points = await _award(
            person_of_volunteer(owner),
            rules.SHARE_OPEN,
            f"open:{link.id}:{visitor[:40]}",
            f"分享被打开:{link.title[:60]}",
            at,
        )
    return Outcome(points=points)


async def report_suspicious(
    v: VolunteerRow, kind: str, content: str, note: str, at: dt.datetime
) -> Outcome:
    async with write_transaction(VOLUNTEERS):
        inserted = await SuspiciousReport.insert(
            SuspiciousReport(
                volunteer_id=v.id,
                kind=kind,
                content=content[:300],
                note=note[:300],
                district_code=v.district_code,
                town_code=v.town_code,
                day=local(at).date(),
                at=at,
            )
        ).returning(SuspiciousReport.id)
        await _first_activity(v, at)
        points = await _award(
            person_of_volunteer(v),
            rules.REPORT,
            f"report:{inserted[0]['id']}",
            "举报可疑电话/网站",
            at,
        )
    return Outcome(points=points)


@dataclass(frozen=True, slots=True)
class ReportRow(Row):
    id: int
    volunteer_id: int
    kind: str
    content: str
    note: str
    district_code: str
    town_code: str
    status: str
    day: dt.date
    at: dt.datetime


async def reports(
    scope: Scope, kind: str = "", offset: int = 0, limit: int | None = 50
) -> list[ReportRow]:
    where = _report_where(scope, kind)
    query = SuspiciousReport.select().where(*where).order_by(SuspiciousReport.id, ascending=False)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [ReportRow(**row) for row in await query]


def _report_where(scope: Scope, kind: str = "") -> list:
    where = [SuspiciousReport.kind == kind] if kind else []
    if scope.is_city:
        return where
    if scope.kind == "district":
        return [*where, SuspiciousReport.district_code == scope.code]
    if scope.kind == "town":
        return [*where, SuspiciousReport.town_code == scope.code]
    return [*where, SuspiciousReport.town_code.is_in(list(scope.towns) or ["-"])]


async def report_count(scope: Scope, kind: str = "") -> int:
    return await SuspiciousReport.count().where(*_report_where(scope, kind))


# -- Boards ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardEntry:
    rank: int
    person_id: int
    name: str
    points: int
    move: str
    places: int
    district_code: str
    town_code: str


def _board_where(board: str, bucket_key: str, scope: str, code: str) -> list:
    where = [BoardRow.board == board, BoardRow.bucket == bucket_key]
    if scope == "district" and code:
        where.append(BoardRow.district_code == code)
    elif scope == "town" and code:
        where.append(BoardRow.town_code == code)
    return where


def _prev_column(scope: str) -> str:
    return {"district": "prev_district", "town": "prev_town"}.get(scope, "prev_city")


def _area(scope: str, code: str) -> str:
    """The BoardScore area of a board scope: "" for the city, else the district or town code."""
    return code if scope in ("district", "town") and code else ""


async def _scores(board: str, bucket_key: str, scope: str, code: str, points: int) -> dict:
    """From the counted scores of one board: all rows, rows with more than `points` and the
    next higher score (None at the top)."""
    rows = await BoardScore.raw(
        "SELECT COALESCE(SUM(n), 0) AS total, "
        "COALESCE(SUM(CASE WHEN points > {} THEN n ELSE 0 END), 0) AS higher, "
        "MIN(CASE WHEN points > {} AND n > 0 THEN points END) AS next "
        "FROM board_score WHERE board = {} AND bucket = {} AND area = {}",
        points,
        points,
        board,
        bucket_key,
        _area(scope, code),
    )
    return rows[0]


async def board_page(
    board: str, bucket_key: str, scope: str, code: str, offset: int = 0, limit: int = 50
) -> list[BoardEntry]:
    """One page of a maintained board: an index scan plus one count for the first row's rank."""
    where = _board_where(board, bucket_key, scope, code)
    rows = await (
        BoardRow.select()
        .where(*where)
        .order_by(BoardRow.points, ascending=False)
        .order_by(BoardRow.person_id)
        .offset(offset)
        .limit(limit)
    )
    if not rows:
        return []
    higher = (await _scores(board, bucket_key, scope, code, rows[0]["points"]))["higher"]
    ranks = rules.page_ranks(
        [(r["person_id"], r["points"]) for r in rows], offset, rules.rank_of(int(higher))
    )
    names = {}
    if board == rules.TEAMS:
        ids = [r["person_id"] for r in rows]
        names = {
            t["id"]: t["name"]
            for t in await Team.select(Team.id, Team.name).where(Team.id.is_in(ids))
        }
    prev = _prev_column(scope)
    entries = []
    for rank, r in zip(ranks, rows, strict=True):
        move, places = rules.rank_move(r[prev], rank)
        entries.append(
            BoardEntry(
                rank=rank,
                person_id=r["person_id"],
                name=names.get(r["person_id"], r["name_masked"]),
                points=r["points"],
                move=move,
                places=places,
                district_code=r["district_code"],
                town_code=r["town_code"],
            )
        )
    return entries


@dataclass(frozen=True, slots=True)
class Position:
    rank: int | None
    points: int
    gap: int | None
    total: int


async def position(board: str, bucket_key: str, scope: str, code: str, person_id: int) -> Position:
    """A person's rank on a board and the points to the next higher score ("your rank and the
    gap"): the person's row by its unique key, then one sum over the board's counted scores."""
    row = (
        await BoardRow.select(BoardRow.points, BoardRow.district_code, BoardRow.town_code)
        .where(
            BoardRow.board == board,
            BoardRow.bucket == bucket_key,
            BoardRow.person_id == person_id,
        )
        .first()
    )
    area = _area(scope, code)
    if row is not None and area and area not in (row["district_code"], row["town_code"]):
        row = None  # on the board, but not in this district or town
    scores = await _scores(board, bucket_key, scope, code, row["points"] if row else 0)
    total = int(scores["total"])
    if row is None:
        return Position(None, 0, None, total)
    return Position(
        rules.rank_of(int(scores["higher"])),
        row["points"],
        rules.gap_to_next(row["points"], scores["next"]),
        total,
    )


async def snapshot_ranks(day: dt.date) -> None:
    """Store every current board row's ranks (city, district, town) for tomorrow's rank arrows;
    a nightly full scan with window functions, never done per request."""
    current = list(rules.buckets(day))
    marks = ", ".join("{}" for _ in current)
    async with write_transaction(VOLUNTEERS):
        await BoardRow.raw(
            "UPDATE board_row SET prev_city = s.rc, prev_district = s.rd, prev_town = s.rt FROM ("
            " SELECT id,"
            " RANK() OVER (PARTITION BY board, bucket ORDER BY points DESC) AS rc,"
            " RANK() OVER (PARTITION BY board, bucket, district_code ORDER BY points DESC) AS rd,"
            " RANK() OVER (PARTITION BY board, bucket, town_code ORDER BY points DESC) AS rt"
            f" FROM board_row WHERE bucket IN ({marks})) AS s WHERE board_row.id = s.id",
            *current,
        )


async def ledger_sums() -> dict[tuple[str, str, int], int]:
    """The boards recomputed from the ledger (for tests and the consistency check only)."""
    entries = await PointEntry.select(
        PointEntry.person_kind,
        PointEntry.person_id,
        PointEntry.points,
        PointEntry.day,
        PointEntry.kind,
    )
    teams_of = {
        r["id"]: r["team_id"] for r in await Volunteer.select(Volunteer.id, Volunteer.team_id)
    }
    return rules.apply_awards(
        rules.Award(
            e["person_kind"],
            e["person_id"],
            e["points"],
            _day(e["day"]),
            e["kind"],
            teams_of.get(e["person_id"]) if e["person_kind"] == rules.VOLUNTEERS else None,
        )
        for e in entries
    )


async def board_rows() -> dict[tuple[str, str, int], int]:
    return {
        (r["board"], r["bucket"], r["person_id"]): r["points"]
        for r in await BoardRow.select(
            BoardRow.board, BoardRow.bucket, BoardRow.person_id, BoardRow.points
        )
    }


# -- Rewards --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RewardRow(Row):
    id: int
    name: str
    description: str
    price: int
    stock: int
    active: bool
    sort_order: int


async def rewards_list(active_only: bool = True) -> list[RewardRow]:
    query = Reward.select().order_by(Reward.sort_order).order_by(Reward.price)
    if active_only:
        query = query.where(Reward.active.eq(True))
    return [RewardRow(**row) for row in await query]


async def reward(reward_id: int) -> RewardRow | None:
    row = await Reward.select().where(Reward.id == reward_id).first()
    return RewardRow(**row) if row else None


async def save_reward(
    reward_id: int | None, values: dict, user: CurrentUser, ip: str | None
) -> int:
    async with audited(user, ip, VOLUNTEERS) as audit:
        if reward_id:
            await Reward.update(values).where(Reward.id == reward_id)
        else:
            rows = await Reward.insert(Reward(**values)).returning(Reward.id)
            reward_id = rows[0]["id"]
        await audit.record("reward.save", f"reward:{reward_id}", f"{values.get('name', '')}")
    return reward_id


class _Refused(Exception):
    def __init__(self, problem: str):
        self.problem = problem


async def redeem(v: VolunteerRow, reward_id: int, at: dt.datetime) -> tuple[int | None, str | None]:
    """Request a gift: one transaction takes a unit of stock (only while stock > 0) and the points
    (only while the balance covers the price) and appends the ledger entry, so two requests racing
    for the last gift cannot both succeed and no point is spent twice. (id, None) or (None, "stock"
    / "points" / "gone")."""
    station = await regions.derive_station(v.village_code, v.town_code)
    try:
        async with write_transaction(VOLUNTEERS):
            gift = await Reward.select().where(Reward.id == reward_id).first()
            if gift is None or not gift["active"]:
                raise _Refused("gone")
            paid = await Volunteer.raw(
                "UPDATE volunteer SET balance = balance - {} WHERE id = {} AND balance >= {} "
                "RETURNING id",
                gift["price"],
                v.id,
                gift["price"],
            )
            if not paid:
                raise _Refused("points")
            taken = await Reward.raw(
                "UPDATE reward SET stock = stock - 1 WHERE id = {} AND stock > 0 RETURNING id",
                reward_id,
            )
            if not taken:
                raise _Refused("stock")
            rows = await Redemption.insert(
                Redemption(
                    volunteer_id=v.id,
                    reward_id=reward_id,
                    reward_name=gift["name"],
                    price=gift["price"],
                    station_code=station,
                    district_code=v.district_code,
                    town_code=v.town_code,
                    pickup_code=rules.pickup_code(),
                    requested_at=at,
                )
            ).returning(Redemption.id)
            rid = rows[0]["id"]
            await PointEntry.insert(
                PointEntry(
                    person_kind=rules.VOLUNTEERS,
                    person_id=v.id,
                    kind=rules.REDEEM,
                    points=-gift["price"],
                    reason=f"兑换 {gift['name']}",
                    ref=f"redemption:{rid}",
                    day=local(at).date(),
                    at=at,
                )
            )
    except _Refused as refused:
        return None, refused.problem
    return rid, None


@dataclass(frozen=True, slots=True)
class RedemptionRow(Row):
    id: int
    volunteer_id: int
    reward_id: int
    reward_name: str
    price: int
    station_code: str | None
    district_code: str
    town_code: str
    pickup_code: str
    status: str
    requested_at: dt.datetime
    handed_at: dt.datetime | None
    handed_by: str | None
    who: str = ""  # the volunteer's masked name, on the station's list


async def redemptions_of(vid: int) -> list[RedemptionRow]:
    rows = (
        await Redemption.select()
        .where(Redemption.volunteer_id == vid)
        .order_by(Redemption.id, ascending=False)
    )
    return [RedemptionRow(**row) for row in rows]


def _redemption_where(scope: Scope, filters: dict[str, str]) -> list:
    where: list = []
    if not scope.is_city:
        if scope.kind == "district":
            where.append(Redemption.district_code == scope.code)
        elif scope.kind == "town":
            where.append(Redemption.town_code == scope.code)
        else:
            where.append(
                (Redemption.station_code == scope.code)
                | Redemption.town_code.is_in(list(scope.towns) or ["-"])
            )
    if filters.get("status") in ("requested", "handed", "cancelled"):
        where.append(Redemption.status == filters["status"])
    if code := filters.get("code", "").strip().upper():
        where.append(Redemption.pickup_code == code)
    return where


async def redemption_count(scope: Scope, filters: dict[str, str]) -> int:
    return await Redemption.count().where(*_redemption_where(scope, filters))


async def redemptions(
    scope: Scope, filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[RedemptionRow]:
    query = (
        Redemption.select(
            *Redemption.all_columns(),
            Redemption.volunteer_id.join_on(Volunteer.id).name_masked.as_alias("who"),
        )
        .where(*_redemption_where(scope, filters))
        .order_by(Redemption.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [RedemptionRow(**row) for row in await query]


async def redemption(rid: int) -> RedemptionRow | None:
    row = await Redemption.select().where(Redemption.id == rid).first()
    return RedemptionRow(**row) if row else None


async def hand_out(rid: int, user: CurrentUser, ip: str | None, at: dt.datetime) -> bool:
    """The station hands the gift over and confirms; only a requested gift can be handed out."""
    async with audited(user, ip, VOLUNTEERS) as audit:
        done = await Redemption.raw(
            "UPDATE redemption SET status = 'handed', handed_at = {}, handed_by = {} "
            "WHERE id = {} AND status = 'requested' RETURNING id",
            at,
            user.display_name,
            rid,
        )
        if done:
            await audit.record("reward.handed", f"redemption:{rid}", "礼品已发放")
        else:
            audit.nothing_changed()
    return bool(done)


async def cancel_redemption(rid: int, user: CurrentUser, ip: str | None, at: dt.datetime) -> bool:
    """Give the points and the unit of stock back (only for a gift not yet handed out)."""
    async with audited(user, ip, VOLUNTEERS) as audit:
        done = await Redemption.raw(
            "UPDATE redemption SET status = 'cancelled' WHERE id = {} AND status = 'requested' "
            "RETURNING volunteer_id, reward_id, price",
            rid,
        )
        if not done:
            audit.nothing_changed()
            return False
        row = done[0]
        await Reward.update({Reward.stock: Reward.stock + 1}).where(Reward.id == row["reward_id"])
        await Volunteer.update({Volunteer.balance: Volunteer.balance + row["price"]}).where(
            Volunteer.id == row["volunteer_id"]
        )
        await PointEntry.insert(
            PointEntry(
                person_kind=rules.VOLUNTEERS,
                person_id=row["volunteer_id"],
                kind=rules.REFUND,
                points=row["price"],
                reason="兑换取消,积分退回",
                ref=f"refund:{rid}",
                day=local(at).date(),
                at=at,
            )
        )
        await audit.record("reward.cancel", f"redemption:{rid}", "兑换已取消")
    return True


# -- Quiz bank ------------------------------------------------------------------------------------


async def questions(
    fraud_type: str = "", offset: int = 0, limit: int | None = 50
) -> list[QuestionRow]:
    query = (
        QuizQuestion.select()
        .order_by(QuizQuestion.fraud_type)
        .order_by(QuizQuestion.id)
        .output(load_json=True)
    )
    if fraud_type:
        query = query.where(QuizQuestion.fraud_type == fraud_type)
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [_question(row) for row in await query]


async def question_count(fraud_type: str = "") -> int:
    query = QuizQuestion.count()
    if fraud_type:
        query = query.where(QuizQuestion.fraud_type == fraud_type)
    return await query


async def save_question(values: dict, user: CurrentUser, ip: str | None) -> int:
    async with audited(user, ip, VOLUNTEERS) as audit:
        rows = await QuizQuestion.insert(QuizQuestion(**values)).returning(QuizQuestion.id)
        await audit.record("quiz.add", f"question:{rows[0]['id']}", values["question"][:100])
    return rows[0]["id"]


async def set_question_active(qid: int, active: bool, user: CurrentUser, ip: str | None) -> None:
    async with audited(user, ip, VOLUNTEERS) as audit:
        await QuizQuestion.update({QuizQuestion.active: active}).where(QuizQuestion.id == qid)
        await audit.record("quiz.active" if active else "quiz.inactive", f"question:{qid}", "")


# -- Personalised content --------------------------------------------------------------------------


async def fraud_type_names() -> list[str]:
    from campaign.cases import queries as cases

    return await cases.fraud_type_names(active_only=True)


@dataclass(frozen=True, slots=True)
class MaterialPick(Row):
    """A material of the supermarket offered on a volunteer's home page."""

    id: int
    title: str
    description: str
    downloads: int


async def materials_for(
    interests: Iterable[str], day: dt.date, limit: int = 6
) -> list[MaterialPick]:
    """Live materials of the supermarket matching the volunteer's interests (fraud types or
    audiences), through materials.queries."""
    from campaign.materials import queries as materials
    from campaign.materials.rules import AUDIENCES

    found: dict[int, materials.CardRow] = {}
    for interest in interests:
        key = "audience" if interest in AUDIENCES else "fraud_type"
        for m in await materials.shop_page({key: interest}, None, day, 0, limit):
            found.setdefault(m.id, m)
    if not found:
        for m in await materials.shop_page({}, None, day, 0, limit):
            found.setdefault(m.id, m)
    picked = sorted(found.values(), key=lambda m: -m.downloads)[:limit]
    return [MaterialPick(m.id, m.title, m.description or "", m.downloads) for m in picked]


async def material_title(material_id: int) -> Mapping[str, Any] | None:
    from campaign.materials import queries as materials

    row = await materials.material(material_id)
    if row is None or row["status"] != "approved":
        return None
    return row


@dataclass(frozen=True, slots=True)
class WeekTrends(Row):
    monday: dt.date
    cases: int
    types: tuple[Any, ...]  # cases.queries.CaseFigure, most cases first


async def week_trends(day: dt.date) -> WeekTrends:
    """This week's cases by fraud type so far (through cases.queries)."""
    from campaign.cases import queries as cases

    monday = rules.week_start(day)
    summary = await cases.weekly_summary(monday, day)
    return WeekTrends(monday, summary.cases, summary.by_fraud_type[:5])


async def place_names(codes: Iterable[str]) -> dict[str, str]:
    return await regions.names_of([c for c in codes if c])


async def district_choices() -> list[regions.Unit]:
    return await regions.districts_in(Scope())


# -- Admin figures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DistrictGrowth(Row):
    code: str
    name: str
    volunteers: int
    new: int


async def growth_by_district(since: dt.date) -> list[DistrictGrowth]:
    rows = await Volunteer.select(Volunteer.district_code, Count(alias="n")).group_by(
        Volunteer.district_code
    )
    recent = await (
        Volunteer.select(Volunteer.district_code, Count(alias="n"))
        .where(Volunteer.created_on >= since)
        .group_by(Volunteer.district_code)
    )
    new = {r["district_code"]: r["n"] for r in recent}
    names = await regions.names_of([r["district_code"] for r in rows])
    items = [
        DistrictGrowth(
            code=r["district_code"],
            name=names.get(r["district_code"], r["district_code"]),
            volunteers=r["n"],
            new=new.get(r["district_code"], 0),
        )
        for r in rows
    ]
    return sorted(items, key=lambda i: (-i.volunteers, i.code))


@dataclass(frozen=True, slots=True)
class DayActivity(Row):
    day: dt.date
    users: int
    signups: int


async def daily_active(since: dt.date) -> list[DayActivity]:
    rows = await DailyActive.select().where(DailyActive.day >= since).order_by(DailyActive.day)
    return [DayActivity(_day(r["day"]), r["users"], r["signups"]) for r in rows]


async def signup_bursts(since: dt.datetime) -> list[tuple[str, dt.datetime, int]]:
    rows = await Volunteer.select(
        Volunteer.signup_ip, Volunteer.recruiter_id, Volunteer.created_at
    ).where(Volunteer.created_at >= since)
    by_ip = rules.bursts(
        ("IP " + r["signup_ip"], local(r["created_at"])) for r in rows if r["signup_ip"]
    )
    by_recruiter = rules.bursts(
        (f"宣传员 #{r['recruiter_id']}", local(r["created_at"])) for r in rows if r["recruiter_id"]
    )
    return sorted([*by_ip, *by_recruiter], key=lambda item: (-item[2], item[0]))[:50]


@dataclass(frozen=True, slots=True)
class Totals(Row):
    """The figures at the top of the staff page."""

    propagandists: int
    applied: int
    volunteers: int
    active: int
    requested: int
    reports: int


async def totals() -> Totals:
    async with read_transaction():
        return Totals(
            propagandists=await Propagandist.count().where(Propagandist.status == rules.APPROVED),
            applied=await Propagandist.count().where(Propagandist.status == rules.APPLIED),
            volunteers=await Volunteer.count(),
            active=await Volunteer.count().where(Volunteer.first_active_at.is_not_null()),
            requested=await Redemption.count().where(Redemption.status == "requested"),
            reports=await SuspiciousReport.count().where(SuspiciousReport.status == "new"),
        )


async def purge_stale(at: dt.datetime) -> None:
    """Old one-time codes and sign-up windows are of no further use."""
    async with write_transaction(VOLUNTEERS):
        await OtpCode.delete().where(OtpCode.expires_at < at - dt.timedelta(days=1))
        await SignupAttempt.delete().where(SignupAttempt.window_start < at - dt.timedelta(days=1))


async def home_card(user: CurrentUser) -> dict | None:
    """The home card: the person's own code and recruits, and for the station what waits for it
    (applications to approve, gifts to hand out)."""
    mine = await propagandist_of_user(user.id)
    waiting = {"applied": 0, "requested": 0}
    if user.role in ("admin", "coordinator"):
        waiting["applied"] = await Propagandist.count().where(
            Propagandist.status == rules.APPLIED, *_propagandist_where(user.scope, {})
        )
        waiting["requested"] = await Redemption.count().where(
            Redemption.status == "requested", *_redemption_where(user.scope, {})
        )
    return {"template": "volunteers/_home_card.html", "mine": mine, **waiting}
