"""Reading and writing users, tokens, login failures and the audit log."""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import secrets
import time
from dataclasses import dataclass

from piccolo.apps.user.tables import BaseUser

from campaign import generations
from campaign.accounts import rules
from campaign.accounts.audit import Audit as Audit
from campaign.accounts.audit import audited as audited
from campaign.accounts.audit import record_audit as record_audit
from campaign.accounts.rules import CurrentUser, Scope
from campaign.accounts.tables import ApiToken, AuditEntry, LoginFailure, Profile
from campaign.db import contains, count_upto, read_transaction, write_transaction
from campaign.i18n import _
from campaign.regions import queries as regions
from campaign.rows import Row
from campaign.settings import get_settings


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# -- Loading the person behind a request ---------------------------------------------------------


async def scope_for(unit_kind: str | None, unit_code: str | None) -> Scope:
    if not unit_kind or not unit_code:
        return Scope()
    towns = (
        frozenset(await regions.station_towns(unit_code)) if unit_kind == "station" else frozenset()
    )
    return Scope(kind=unit_kind, code=unit_code, towns=towns)


async def _current_user(row: dict, via_token: bool = False) -> CurrentUser:
    return CurrentUser(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"] or row["username"],
        role=row["role"],
        scope=await scope_for(row["unit_kind"], row["unit_code"]),
        unit_name=await regions.unit_name(row["unit_kind"], row["unit_code"]),
        team=row["team"],
        via_token=via_token,
    )


async def _user_row(where) -> dict | None:
    return (
        await Profile.select(
            Profile.user.id.as_alias("id"),
            Profile.user.username.as_alias("username"),
            Profile.user.password.as_alias("password"),
            Profile.user.active.as_alias("active"),
            Profile.display_name,
            Profile.role,
            Profile.unit_kind,
            Profile.unit_code,
            Profile.team,
        )
        .where(where)
        .first()
    )


#: (user id, session stamp) → the user, kept per process until the accounts generation moves
#: (an audited change of a user's role, unit, password or active flag, of a token or a region,
#: in any process) or 60 s pass (a region or station import renaming a unit).
_session_users: generations.Kept[tuple[int, str], CurrentUser] = generations.Kept(
    generations.ACCOUNTS, seconds=60, size=10_000
)


async def user_for_session(user_id: int, stamp: str | None) -> CurrentUser | None:
    """The active user of a session (cached, see _session_users), or None when the user is gone,
    deactivated, or has changed password since the session began."""
    await _session_users.check()
    key = (user_id, stamp or "")
    if (cached := _session_users.get(key)) is not None:
        return cached
    user = await _user_for_session(user_id, stamp)
    return _session_users.put(key, user) if user is not None else None


def forget_session_user(user_id: int, stamp: str | None) -> None:
    """Logging out: this process no longer vouches for the session's user."""
    _session_users.forget((user_id, stamp or ""))


async def _user_for_session(user_id: int, stamp: str | None) -> CurrentUser | None:
    row = await _user_row(Profile.user.id == user_id)
    if not row or not row["active"]:
        return None
    if stamp != rules.session_stamp(row["password"], get_settings().secret_key):
        return None
    return await _current_user(row)


def stamp_for(password_hash: str) -> str:
    return rules.session_stamp(password_hash, get_settings().secret_key)


#: token digest → (valid until, its user): an integration pushing hundreds of requests a second
#: is not looked up on each. Revoking a token or changing its user clears this process's copies
#: at once; other processes drop theirs within TOKEN_SECONDS.
_token_users: dict[str, tuple[float, CurrentUser]] = {}
TOKEN_SECONDS = 5.0
#: last_used_at is written at most this often per token and process (not on every request: a
#: write, and a lock on one row that every concurrent request of the token wants).
LAST_USED_SECONDS = 60.0
_last_used_written: dict[str, float] = {}


async def user_for_token(token: str) -> CurrentUser | None:
    """The active user of a live token (see _token_users)."""
    digest = rules.token_digest(token)
    clock = time.monotonic()
    cached = _token_users.get(digest)
    if cached is not None and cached[0] > clock:
        return cached[1]
    async with read_transaction():
        token_row = (
            await ApiToken.select(ApiToken.id, ApiToken.user)
            .where((ApiToken.token_hash == digest) & ApiToken.revoked_at.is_null())
            .first()
        )
        row = token_row and await _user_row(Profile.user.id == token_row["user"])
    if not token_row or not row or not row["active"]:
        return None
    if clock - _last_used_written.get(digest, -LAST_USED_SECONDS) >= LAST_USED_SECONDS:
        if len(_last_used_written) > 1000:
            _last_used_written.clear()
        _last_used_written[digest] = clock
        await ApiToken.update({ApiToken.last_used_at: now()}).where(ApiToken.id == token_row["id"])
    if len(_token_users) > 1000:
        _token_users.clear()
    user = await _current_user(row, via_token=True)
    _token_users[digest] = (clock + TOKEN_SECONDS, user)
    return user


def forget_tokens() -> None:
    """A token was revoked or a user changed: this process looks every token up again."""
    _token_users.clear()


# -- Passwords and login -----------------------------------------------------------------------


async def _hash(password: str, salt: str = "", iterations: int | None = None) -> str:
    """PBKDF2 (Piccolo's BaseUser scheme) in a worker thread: it is slow on purpose, and on the
    event loop it would stall every other request for as long."""
    return await asyncio.to_thread(BaseUser.hash_password, password, salt, iterations)


_DECOY: dict[int, str] = {}


async def _decoy_hash() -> str:
    """A stored-password look-alike with today's work factor, checked for unknown users so that
    every login costs the same whether or not the account exists."""
    rounds = BaseUser._pbkdf2_iteration_count
    if rounds not in _DECOY:
        _DECOY[rounds] = await _hash(secrets.token_urlsafe(16), iterations=rounds)
    return _DECOY[rounds]


async def _password_matches(stored: str, password: str) -> bool:
    """Always one full hash, also for over-long input (checked against a decoy), so the time
    taken says nothing about why the answer is no."""
    too_long = len(password) > BaseUser._max_password_length
    _, iterations, salt, _ = BaseUser.split_stored_password(stored)
    candidate = await _hash(password[: BaseUser._max_password_length], salt, int(iterations))
    return hmac.compare_digest(candidate, stored) and not too_long


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None = None
    stamp: str | None = None
    wait_seconds: int = 0


async def _failures(keys: list[str]) -> dict[str, dict]:
    rows = await LoginFailure.select().where(LoginFailure.key.is_in(keys))
    return {row["key"]: row for row in rows}


def _throttle_keys(username: str, ip: str) -> list[str]:
    return [f"user:{username.strip().lower()[:150]}", f"ip:{ip[:64]}"]


async def _count_attempt(key: str) -> int:
    """Count one attempt atomically (an upsert returning the new count, on both engines), so
    parallel guesses cannot all read "no failures yet" and all be checked."""
    table = LoginFailure._meta.tablename
    rows = await LoginFailure.raw(
        f'INSERT INTO "{table}" ("key", "failures", "last_failed_at") VALUES ({{}}, 1, {{}}) '
        f'ON CONFLICT ("key") DO UPDATE SET "failures" = "{table}"."failures" + 1, '
        f'"last_failed_at" = excluded."last_failed_at" RETURNING "failures"',
        key,
        now(),
    )
    return rows[0]["failures"]


async def attempt_login(username: str, password: str, ip: str) -> LoginResult:
    """Check a login. Failures are counted per account and per client address; after five, each
    further try must wait (rules.lock_seconds). The answer never says which part was wrong.

    Every attempt on an account is counted before the password is checked. When the count
    returned is higher than the one read just before, other attempts on that account ran in
    between (a parallel burst): they count as failures made just now, so this one waits as if
    they had failed. The client address is counted after a failure only, so colleagues behind
    one address who log in at the same moment are not slowed down."""
    keys = _throttle_keys(username, ip)
    failures = await _failures(keys)
    wait = 0
    for failure in failures.values():
        elapsed = (now() - failure["last_failed_at"]).total_seconds()
        wait = max(wait, int(rules.lock_seconds(failure["failures"]) - elapsed + 0.999))
    if wait > 0:
        return LoginResult(wait_seconds=wait)
    account_key, address_key = keys
    seen = failures[account_key]["failures"] if account_key in failures else 0
    count = await _count_attempt(account_key)
    if count > seen + 1 and (burst_wait := rules.lock_seconds(count - 1)):
        return LoginResult(wait_seconds=burst_wait)

    row = (
        await BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active)
        .where(BaseUser.username == username.strip())
        .first()
    )
    # The same single hash for unknown, inactive and real accounts: no enumeration by timing.
    stored = row["password"] if row else await _decoy_hash()
    matches = await _password_matches(stored, password)
    if not (row and row["active"] and matches):
        await _count_attempt(address_key)  # colleagues behind one address log in in parallel
        return LoginResult()
    async with write_transaction():
        await LoginFailure.delete().where(LoginFailure.key.is_in(keys))
        await BaseUser.update({BaseUser.last_login: dt.datetime.now()}).where(
            BaseUser.id == row["id"]
        )
    return LoginResult(user_id=row["id"], stamp=stamp_for(row["password"]))


async def purge_login_failures(older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Forget failures that can no longer slow anyone down."""
    cutoff = now() - max(older_than, dt.timedelta(seconds=rules.MAX_LOCK_SECONDS))
    stale = await LoginFailure.select(LoginFailure.id).where(LoginFailure.last_failed_at < cutoff)
    if stale:
        await LoginFailure.delete().where(LoginFailure.id.is_in([r["id"] for r in stale]))
    return len(stale)


async def change_password(user_id: int, old: str, new: str) -> str | None:
    """Returns the new session stamp, or None when the old password is wrong."""
    row = await BaseUser.select(BaseUser.password).where(BaseUser.id == user_id).first()
    if not row or not await _password_matches(row["password"], old):
        return None
    return await set_password(user_id, new)


async def set_password(user_id: int, new: str) -> str:
    hashed = await _hash(new)
    await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == user_id)
    return stamp_for(hashed)


# -- Write use cases: each one transaction with its audit entry (campaign.accounts.audit) --------


async def change_own_password(user: CurrentUser, old: str, new: str, ip: str | None) -> str | None:
    """A person changes their own password: the new session stamp, or None when `old` is wrong
    (then nothing is written)."""
    row = await BaseUser.select(BaseUser.password).where(BaseUser.id == user.id).first()
    if not row or not await _password_matches(row["password"], old):
        return None
    hashed = await asyncio.to_thread(BaseUser.hash_password, new)
    async with audited(user, ip) as audit:
        await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == user.id)
        await audit.record("user.password", f"user:{user.username}", _("修改了自己的密码"))
    return stamp_for(hashed)


async def create_own_token(user: CurrentUser, name: str, ip: str | None) -> str:
    """A new API token for the person asking; returned once."""
    async with audited(user, ip) as audit:
        token = await create_token(user.id, name)
        await audit.record(
            "token.create", f"user:{user.username}", _("创建 API 令牌 %(name)s", name=name)
        )
    return token


async def revoke_own_token(user: CurrentUser, token_id: int, ip: str | None) -> bool:
    """Revoke one of the person's own live tokens; False when there is no such token."""
    async with audited(user, ip) as audit:
        if not await revoke_token(user.id, token_id):
            audit.nothing_changed()
            return False
        await audit.record(
            "token.revoke", f"user:{user.username}", _("撤销 API 令牌 #%(id)s", id=token_id)
        )
    return True


async def add_user(
    values: dict,
    password: str,
    unit: tuple[str | None, str | None],
    actor: CurrentUser,
    ip: str | None,
) -> int:
    """An administrator creates a user from validated form values; `unit` is (kind, code)."""
    kind, code = unit
    hashed = await asyncio.to_thread(BaseUser.hash_password, password)
    async with audited(actor, ip) as audit:
        user_id = await _insert_user(
            values["username"],
            hashed,
            values["display_name"],
            values["role"],
            kind,
            code,
            values["team"],
        )
        await audit.record(
            "user.create",
            f"user:{values['username']}",
            _(
                "创建用户 %(name)s(%(role)s)",
                name=values["username"],
                role=rules.ROLES[values["role"]],
            ),
            {"role": values["role"], "unit": values["unit"]},
        )
    return user_id


async def change_user(row: UserRow, changes: dict, actor: CurrentUser, ip: str | None) -> None:
    """An administrator changes a user's profile (display name, role, unit, team)."""
    async with audited(actor, ip) as audit:
        await update_profile(row["id"], **changes)
        await audit.record(
            "user.update",
            f"user:{row['username']}",
            _("修改用户 %(name)s", name=row["username"]),
            {"before": {key: row[key] for key in changes}, "after": changes},
        )


async def activate_user(row: UserRow, active: bool, actor: CurrentUser, ip: str | None) -> None:
    """Enable or disable a user; disabling also revokes the user's tokens."""
    async with audited(actor, ip) as audit:
        await set_active(row["id"], active)
        await audit.record(
            "user.activate" if active else "user.deactivate",
            f"user:{row['username']}",
            (_("启用用户 %(name)s") if active else _("停用用户 %(name)s"))
            % {"name": row["username"]},
        )


async def reset_password(row: UserRow, password: str, actor: CurrentUser, ip: str | None) -> None:
    """An administrator sets a new password for a user (who must log in again)."""
    hashed = await asyncio.to_thread(BaseUser.hash_password, password)
    async with audited(actor, ip) as audit:
        await BaseUser.update({BaseUser.password: hashed}).where(BaseUser.id == row["id"])
        await audit.record(
            "user.password_reset",
            f"user:{row['username']}",
            _("重置用户 %(name)s 的密码", name=row["username"]),
        )


# -- Audit log ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditRow(Row):
    """One audit entry as the audit page and the home page list it."""

    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    action: str
    target: str
    summary: str
    detail: str
    ip: str | None


async def recent_audit(limit: int) -> list[AuditRow]:
    rows = await AuditEntry.select().order_by(AuditEntry.id, ascending=False).limit(limit)
    return [AuditRow(**row) for row in rows]


def _audit_where(filters: dict[str, str]):
    where = []
    if q := filters.get("q"):
        where.append(contains(AuditEntry.summary, q) | contains(AuditEntry.target, q))
    if actor := filters.get("actor"):
        where.append(AuditEntry.actor_name == actor)
    if action := filters.get("action"):
        where.append(AuditEntry.action.like(action.replace("%", "") + "%"))
    return where


async def audit_count(filters: dict[str, str], cap: int) -> int:
    """The audit entries matching the filters (one per write: millions in a year), counted no
    further than cap + 1."""
    return await count_upto(AuditEntry.select(AuditEntry.id).where(*_audit_where(filters)), cap)


async def audit_entries(
    filters: dict[str, str], offset: int = 0, limit: int | None = 50
) -> list[AuditRow]:
    query = (
        AuditEntry.select().where(*_audit_where(filters)).order_by(AuditEntry.id, ascending=False)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [AuditRow(**row) for row in await query]


# -- Users -------------------------------------------------------------------------------------

_LIST_COLUMNS = (
    Profile.user.id.as_alias("id"),
    Profile.user.username.as_alias("username"),
    Profile.user.active.as_alias("active"),
    Profile.user.last_login.as_alias("last_login"),
    Profile.display_name,
    Profile.role,
    Profile.unit_kind,
    Profile.unit_code,
    Profile.team,
    Profile.phone_masked,
)


def _user_where(filters: dict[str, str]):
    where = []
    if q := filters.get("q"):
        where.append(contains(Profile.user.username, q) | contains(Profile.display_name, q))
    if role := filters.get("role"):
        where.append(Profile.role == role)
    if filters.get("active") in ("1", "0"):
        where.append(Profile.user.active == (filters["active"] == "1"))
    return where


async def user_count(filters: dict[str, str]) -> int:
    return await Profile.count().where(*_user_where(filters))


@dataclass(frozen=True, slots=True)
class UserRow(Row):
    """A person's account as the user list, the user form and other domains see it."""

    id: int
    username: str
    active: bool
    last_login: dt.datetime | None
    display_name: str
    role: str
    unit_kind: str | None
    unit_code: str | None
    team: str | None
    phone_masked: str | None
    unit_name: str | None


async def _listed_user(row: dict) -> UserRow:
    return UserRow(**row, unit_name=await regions.unit_name(row["unit_kind"], row["unit_code"]))


async def users(filters: dict[str, str], offset: int = 0, limit: int | None = 50) -> list[UserRow]:
    query = (
        Profile.select(*_LIST_COLUMNS).where(*_user_where(filters)).order_by(Profile.user.username)
    )
    if limit is not None:
        query = query.offset(offset).limit(limit)
    return [await _listed_user(row) for row in await query]


async def user_detail(user_id: int) -> UserRow | None:
    row = await Profile.select(*_LIST_COLUMNS).where(Profile.user.id == user_id).first()
    return await _listed_user(row) if row else None


async def user_counts() -> dict[str, int]:
    rows = await Profile.select(Profile.role).where(Profile.user.active == True)  # noqa: E712
    counts = {role: 0 for role in rules.ROLES}
    for row in rows:
        counts[row["role"]] = counts.get(row["role"], 0) + 1
    return counts


async def username_taken(username: str) -> bool:
    return await BaseUser.exists().where(BaseUser.username == username)


async def check_unit(role: str, unit_kind: str | None, unit_code: str | None) -> str | None:
    """None when the role may be attached to that unit and the unit exists, else the reason."""
    if role not in rules.ROLES:
        return _("未知角色")
    if (unit_kind or None) not in rules.UNIT_KINDS[role]:
        if unit_kind:
            return _("该角色不能归属于这一级单位")
        return _("协调员必须指定所属区县、镇街或派出所")
    if unit_kind and await regions.unit_name(unit_kind, unit_code) is None:
        return _("单位编码 %(code)s 不存在", code=unit_code)
    return None


async def create_user(
    username: str,
    password: str,
    display_name: str,
    role: str,
    unit_kind: str | None = None,
    unit_code: str | None = None,
    team: str | None = None,
) -> int:
    """Create a user with their profile in one transaction (callers validate first)."""
    hashed = await _hash(password)
    async with write_transaction():
        return await _insert_user(username, hashed, display_name, role, unit_kind, unit_code, team)


async def _insert_user(
    username: str,
    hashed: str,
    display_name: str,
    role: str,
    unit_kind: str | None,
    unit_code: str | None,
    team: str | None,
) -> int:
    inserted = await BaseUser.insert(
        BaseUser(
            username=username,
            password=hashed,
            email=f"{username}@users.campaign.invalid",
            active=True,
            admin=role == rules.ADMIN,
        )
    )
    user_id = inserted[0]["id"]
    await Profile.insert(
        Profile(
            user=user_id,
            display_name=display_name or username,
            role=role,
            unit_kind=unit_kind or None,
            unit_code=unit_code if unit_kind else None,
            team=team or None,
        )
    )
    return user_id


async def update_profile(user_id: int, **values) -> None:
    forget_tokens()
    await Profile.update({getattr(Profile, key): value for key, value in values.items()}).where(
        Profile.user == user_id
    )
    if "role" in values:
        await BaseUser.update({BaseUser.admin: values["role"] == rules.ADMIN}).where(
            BaseUser.id == user_id
        )


async def set_active(user_id: int, active: bool) -> None:
    forget_tokens()
    await BaseUser.update({BaseUser.active: active}).where(BaseUser.id == user_id)
    if not active:
        await ApiToken.update({ApiToken.revoked_at: now()}).where(
            (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        )


async def user_id_by_name(username: str) -> int | None:
    row = await BaseUser.select(BaseUser.id).where(BaseUser.username == username).first()
    return row["id"] if row else None


# -- API tokens ------------------------------------------------------------------------------


async def create_token(user_id: int, name: str) -> str:
    """Returns the token once; only its digest is stored."""
    token = rules.new_token()
    await ApiToken.insert(
        ApiToken(
            user=user_id,
            name=name or "API",
            prefix=token[: len(rules.TOKEN_PREFIX) + 4],
            token_hash=rules.token_digest(token),
            created_at=now(),
        )
    )
    return token


@dataclass(frozen=True, slots=True)
class TokenRow(Row):
    """An API token as its owner's account page lists it (never the token itself)."""

    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


async def tokens_of(user_id: int) -> list[TokenRow]:
    rows = (
        await ApiToken.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.prefix,
            ApiToken.created_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .where(ApiToken.user == user_id)
        .order_by(ApiToken.id, ascending=False)
    )
    return [TokenRow(**row) for row in rows]


async def revoke_token(user_id: int, token_id: int) -> bool:
    token = (
        await ApiToken.select(ApiToken.id)
        .where(
            (ApiToken.id == token_id) & (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
        )
        .first()
    )
    if not token:
        return False
    await ApiToken.update({ApiToken.revoked_at: now()}).where(ApiToken.id == token_id)
    forget_tokens()
    return True


async def user_ids_in_units(units: list[tuple[str, str]]) -> list[int]:
    """Ids of the people attached to any of these (unit kind, unit code) units."""
    ids: set[int] = set()
    for kind, code in units:
        rows = await Profile.select(Profile.user.id.as_alias("uid")).where(
            Profile.unit_kind == kind, Profile.unit_code == code
        )
        ids |= {r["uid"] for r in rows}
    return sorted(ids)
