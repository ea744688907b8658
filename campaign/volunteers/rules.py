"""Propagandists and volunteers: what points, boards, codes and limits mean. Pure functions over
plain data; no Litestar, Piccolo or arq."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.rules import competition_ranks

# -- Propagandists -------------------------------------------------------------------------------

APPLIED, APPROVED, SUSPENDED = "applied", "approved", "suspended"
STATUSES = {APPLIED: _l("待审批"), APPROVED: _l("已通过"), SUSPENDED: _l("已暂停")}
KINDS = ("民警", "辅警", "网格员", "其他")


def area_text(codes: Iterable[str]) -> str:
    """The stored form of a propaganda area: ";code;code;" (sorted, so equal areas compare equal)."""
    unique = sorted({c.strip() for c in codes if c and c.strip()})
    return ";" + ";".join(unique) + ";" if unique else ""


def area_codes(text: str) -> list[str]:
    return [c for c in (text or "").split(";") if c]


def in_area(area: Iterable[str], village_code: str, town_code: str) -> bool:
    """A village is inside an area that names it or its town (电子围栏)."""
    codes = set(area)
    return village_code in codes or town_code in codes


def area_inside_unit(codes: Iterable[str], allowed_towns: Iterable[str]) -> bool:
    """Every code of the area lies in one of the unit's towns (village codes start with their
    town's 9 digits)."""
    towns = set(allowed_towns)
    return all(code[:9] in towns for code in codes)


def may_decide(role: str, covers_area: bool) -> bool:
    """Who approves or suspends a propagandist: an administrator, or a coordinator whose
    jurisdiction covers the propagandist's area (their station's coordinator)."""
    return role == "admin" or (role == "coordinator" and covers_area)


# -- Names and phones on public pages ----------------------------------------------------------


def mask_name(name: str) -> str:
    """张三明 → 张*明, 张三 → 张*, 欧阳小明 → 欧**明: first and last character kept, each one in
    between starred, so public boards never show a full name."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name or "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# -- Points --------------------------------------------------------------------------------------

RECRUIT, CHECKIN, QUIZ, SHARE_OPEN, REPORT = "recruit", "checkin", "quiz", "share_open", "report"
REDEEM, REFUND = "redeem", "refund"
#: (default points, default daily cap in points; 0 = no cap) per earning kind; admins change them.
DEFAULT_RULES: dict[str, tuple[int, int]] = {
    RECRUIT: (20, 400),
    CHECKIN: (30, 60),
    QUIZ: (10, 10),
    SHARE_OPEN: (2, 20),
    REPORT: (5, 15),
}
KIND_LABELS = {
    RECRUIT: _l("发展志愿者"),
    CHECKIN: _l("活动签到"),
    QUIZ: _l("每日答题"),
    SHARE_OPEN: _l("分享被打开"),
    REPORT: _l("举报可疑电话/网站"),
    REDEEM: _l("兑换礼品"),
    REFUND: _l("兑换取消退回"),
}
EARNING = (RECRUIT, CHECKIN, QUIZ, SHARE_OPEN, REPORT)


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str
    points: int
    daily_cap: int
    active: bool = True


def default_rules() -> dict[str, Rule]:
    return {kind: Rule(kind, points, cap) for kind, (points, cap) in DEFAULT_RULES.items()}


def capped_points(rule: Rule, earned_today: int) -> int:
    """Points an action earns today: the rule's amount, cut to what is left of the daily cap
    (`earned_today` is what this kind already earned the person today); 0 when inactive."""
    if not rule.active or rule.points <= 0:
        return 0
    if rule.daily_cap <= 0:
        return rule.points
    return max(0, min(rule.points, rule.daily_cap - earned_today))


# -- Boards ---------------------------------------------------------------------------------------

PROPAGANDISTS, VOLUNTEERS, TEAMS = "p", "v", "t"
BOARDS = {PROPAGANDISTS: _l("宣传员榜"), VOLUNTEERS: _l("志愿者榜"), TEAMS: _l("团队榜")}
PERIODS = {"w": _l("本周"), "m": _l("本月"), "a": _l("总榜")}
SCOPES = ("city", "district", "town")


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def bucket(period: str, day: dt.date) -> str:
    """The bucket a day falls in: "a" (all time), "w2026-11-23" (its Monday), "m2026-11"."""
    if period == "w":
        return "w" + week_start(day).isoformat()
    if period == "m":
        return f"m{day.year:04d}-{day.month:02d}"
    return "a"


@cache
def buckets(day: dt.date) -> tuple[str, str, str]:
    return bucket("a", day), bucket("w", day), bucket("m", day)


@dataclass(frozen=True, slots=True)
class Award:
    """One ledger entry as the boards see it."""

    person_kind: str  # "p" or "v"
    person_id: int
    points: int
    day: dt.date
    kind: str = QUIZ
    team_id: int | None = None


def board_keys(
    person_kind: str, person_id: int, day: dt.date, kind: str, team_id: int | None
) -> list[tuple[str, str, int]]:
    """(board, bucket, id) rows an award of `kind` on `day` adds to, whatever its points: the
    person's board in each bucket, and for a volunteer in a team the team's. Spending
    (redeem/refund) moves no board."""
    if kind not in EARNING:
        return []
    rows = [(person_kind, b, person_id) for b in buckets(day)]
    if person_kind == VOLUNTEERS and team_id:
        rows += [(TEAMS, b, team_id) for b in buckets(day)]
    return rows


def board_updates(award: Award) -> list[tuple[str, str, int, int]]:
    """(board, bucket, id, points) rows an award adds to (board_keys); none for 0 points."""
    if award.points == 0:
        return []
    keys = board_keys(award.person_kind, award.person_id, award.day, award.kind, award.team_id)
    return [(board, bucket_key, pid, award.points) for board, bucket_key, pid in keys]


def apply_awards(awards: Iterable[Award]) -> dict[tuple[str, str, int], int]:
    """The maintained boards after a sequence of awards, applied one by one (as the database does)."""
    boards: dict[tuple[str, str, int], int] = {}
    for award in awards:
        for board, bucket_key, person, points in board_updates(award):
            key = (board, bucket_key, person)
            boards[key] = boards.get(key, 0) + points
    return boards


def score_moves(
    rows: Iterable[tuple[str, str, str, str, int, int]],
) -> dict[tuple[str, str, str, int], int]:
    """Changes to the counted scores (board, bucket, area, points) -> +/- rows, for board rows
    that went from `old` to `new` points (board, bucket, district, town, old, new): each leaves
    its old score and joins its new one in the city and in its district and town (teams: the
    city only). Only scores above 0 are counted (a row with none was not on the board)."""
    moves: dict[tuple[str, str, str, int], int] = {}
    for board, bucket_key, district, town, old, new in rows:
        for area in dict.fromkeys(("", district, town)):
            for value, step in ((old, -1), (new, 1)):
                if value > 0:
                    key = (board, bucket_key, area, value)
                    moves[key] = moves.get(key, 0) + step
    return {key: n for key, n in moves.items() if n}


def score_counts(
    rows: Iterable[tuple[str, str, str, str, int]],
) -> dict[tuple[str, str, str, int], int]:
    """The counted scores of whole boards, from their rows (board, bucket, district, town,
    points): what score_moves maintains (demo build, migration, tests)."""
    return score_moves((b, k, d, t, 0, p) for b, k, d, t, p in rows if p > 0)


def id_code(person_id: int) -> str:
    """An id as a code that sorts like the number, so ties order by id (docs/definitions.md: by code)."""
    return f"{person_id:012d}"


def page_ranks(points: Sequence[tuple[int, int]], offset: int, first_rank: int) -> list[int]:
    """Competition ranks of one page of a board. `points` are the page's (id, points) in board
    order (points descending, then id); `first_rank` is the true rank of the page's first row
    (1 + how many rows have more points), `offset` how many rows come before the page."""
    if not points:
        return []
    ranked = competition_ranks([(id_code(pid), value) for pid, value in points])
    top = points[0][1]
    return [first_rank if value == top else offset + rank for rank, _code, value in ranked]


def rank_of(higher: int) -> int:
    """Standard competition rank: one more than the number of rows with more points."""
    return higher + 1


def gap_to_next(points: int, next_points: int | None) -> int | None:
    """Points still needed to reach the next higher score (None at the top)."""
    return None if next_points is None else next_points - points


def rank_move(previous: int | None, now: int) -> tuple[str, int]:
    """The rank arrow: ("up", places gained), ("down", places lost), ("same", 0) or ("new", 0)."""
    if previous is None:
        return "new", 0
    if previous > now:
        return "up", previous - now
    if previous < now:
        return "down", now - previous
    return "same", 0


# -- Badges ---------------------------------------------------------------------------------------

BADGES = (
    ("first_points", _l("初出茅庐"), lambda points, kinds: points > 0),
    ("checkin", _l("活动达人"), lambda points, kinds: kinds.get(CHECKIN, 0) >= 3),
    ("quiz", _l("答题能手"), lambda points, kinds: kinds.get(QUIZ, 0) >= 5),
    ("sharer", _l("传播使者"), lambda points, kinds: kinds.get(SHARE_OPEN, 0) >= 10),
    ("guard", _l("反诈哨兵"), lambda points, kinds: kinds.get(REPORT, 0) >= 1),
    ("hundred", _l("百分卫士"), lambda points, kinds: points >= 100),
    ("thousand", _l("千分守护"), lambda points, kinds: points >= 1000),
)


def badges(points: int, entries_by_kind: Mapping[str, int]) -> list[tuple[str, str]]:
    """The badges earned: (key, label) for every badge whose condition holds."""
    return [(key, str(label)) for key, label, test in BADGES if test(points, entries_by_kind)]


# -- Signed codes ---------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, purpose: str, payload: str, length: int = 16) -> str:
    digest = hmac.new(secret.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest[:length])


def area_digest(area: Iterable[str]) -> str:
    return hashlib.sha256(area_text(area).encode()).hexdigest()[:10]


def recruit_token(propagandist_id: int, area: Iterable[str], secret: str) -> str:
    """The payload of a propagandist's QR code: their id and a digest of their area, signed with
    HMAC-SHA256 under SECRET_KEY, so a changed id or area breaks the signature."""
    payload = f"{propagandist_id}.{area_digest(area)}"
    return f"{_b64(payload.encode())}.{_mac(secret, 'recruit', payload)}"


@dataclass(frozen=True, slots=True)
class RecruitClaim:
    propagandist_id: int
    area_digest: str


def read_recruit_token(token: str, secret: str) -> RecruitClaim | None:
    """The claim of a genuine token, None for a forged, tampered or malformed one."""
    try:
        body, mac = token.split(".")
        payload = _unb64(body).decode()
        pid, digest = payload.split(".")
        claim = RecruitClaim(int(pid), digest)
    except (ValueError, UnicodeDecodeError):
        return None
    if not hmac.compare_digest(mac, _mac(secret, "recruit", payload)):
        return None
    return claim


def checkin_signature(event_id: int, secret: str) -> str:
    return _mac(secret, "checkin", str(event_id), 12)


def checkin_signature_ok(event_id: int, signature: str, secret: str) -> bool:
    return hmac.compare_digest(signature or "", checkin_signature(event_id, secret))


SESSION_DAYS = 180


def session_value(volunteer_id: int, issued: int, secret: str) -> str:
    """The volunteer's cookie: id and issue time, signed; it keeps them signed in on their phone."""
    payload = f"{volunteer_id}.{issued}"
    return f"{payload}.{_mac(secret, 'vsession', payload)}"


def read_session(value: str | None, secret: str, now: int) -> int | None:
    """The volunteer id of a genuine, unexpired cookie."""
    try:
        vid, issued, mac = (value or "").split(".")
        payload = f"{int(vid)}.{int(issued)}"
    except ValueError:
        return None
    if not hmac.compare_digest(mac, _mac(secret, "vsession", payload)):
        return None
    if not 0 <= now - int(issued) <= SESSION_DAYS * 86400:
        return None
    return int(vid)


# -- One-time codes -------------------------------------------------------------------------------

OTP_DIGITS = 6
OTP_TTL = dt.timedelta(minutes=10)
OTP_RESEND = dt.timedelta(seconds=60)
MAX_OTP_ATTEMPTS = 5


def new_otp(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    return "".join(rng.choice("0123456789") for _ in range(OTP_DIGITS))


def otp_digest(phone_hash: str, code: str, secret: str) -> str:
    return hmac.new(
        secret.encode(), f"otp:{phone_hash}:{code}".encode(), hashlib.sha256
    ).hexdigest()


def otp_outcome(
    attempts: int, used: bool, expires_at: dt.datetime, now: dt.datetime, matches: bool
) -> str:
    """ "ok", "wrong", "locked" (five wrong tries void the code), "expired" or "used"."""
    if used:
        return "used"
    if attempts >= MAX_OTP_ATTEMPTS:
        return "locked"
    if now > expires_at:
        return "expired"
    if not matches:
        return "locked" if attempts + 1 >= MAX_OTP_ATTEMPTS else "wrong"
    return "ok"


# -- Abuse limits ---------------------------------------------------------------------------------

SIGNUPS_PER_WINDOW = 20
SIGNUP_WINDOW = dt.timedelta(minutes=10)


def signup_allowed(count_in_window: int, limit: int = SIGNUPS_PER_WINDOW) -> bool:
    """A burst of sign-ups from one address is throttled: at most `limit` per window (a lecture
    hall sharing one Wi-Fi stays well under it)."""
    return count_in_window < limit


CHECKIN_EARLY = dt.timedelta(hours=2)
CHECKIN_LATE = dt.timedelta(hours=1)


def checkin_problem(
    starts_at: dt.datetime, ends_at: dt.datetime, status: str, now: dt.datetime
) -> str | None:
    """Why a check-in is refused, or None: it must fall between two hours before the start and
    one hour after the end of an event that was not returned."""
    if status == "returned":
        return "returned"
    if now > ends_at + CHECKIN_LATE:
        return "over"
    if now < starts_at - CHECKIN_EARLY:
        return "early"
    return None


BURST_SIGNUPS = 30


def bursts(signups: Iterable[tuple[str, dt.datetime]], threshold: int = BURST_SIGNUPS):
    """(key, hour, count) where one key (an address or a recruiter) signed up `threshold` or more
    volunteers within one clock hour, most first."""
    counts: dict[tuple[str, dt.datetime], int] = {}
    for key, at in signups:
        hour = at.replace(minute=0, second=0, microsecond=0)
        counts[(key, hour)] = counts.get((key, hour), 0) + 1
    found = [(k, h, n) for (k, h), n in counts.items() if n >= threshold]
    return sorted(found, key=lambda item: (-item[2], item[0], item[1]))


# -- Daily quiz -----------------------------------------------------------------------------------

QUIZ_SIZE = 3
QUIZ_PASS = 2


def daily_questions(
    question_ids: Sequence[int], volunteer_id: int, day: dt.date, size: int = QUIZ_SIZE
) -> list[int]:
    """The day's questions for a volunteer: a fixed draw seeded by volunteer and day, so a reload
    shows the same questions and answers cannot be shopped for."""
    pool = sorted(set(question_ids))
    rng = random.Random(f"{volunteer_id}:{day.isoformat()}")
    return rng.sample(pool, min(size, len(pool)))


def quiz_passed(correct: int, asked: int) -> bool:
    return asked > 0 and correct >= min(QUIZ_PASS, asked)


# -- Sign-up form ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignupInput:
    nickname: str
    phone: str
    village_code: str
    team_id: int | None


def check_signup(
    values: Mapping[str, str],
    villages: Iterable[str],
    teams: Iterable[int],
    normalize_phone,
) -> tuple[SignupInput | None, dict[str, str]]:
    """The checked sign-up, or Chinese errors per field."""
    errors: dict[str, str] = {}
    nickname = (values.get("nickname") or "").strip()
    if not nickname:
        errors["nickname"] = _("请填写姓名或昵称")
    elif len(nickname) > 20:
        errors["nickname"] = _("姓名或昵称最多 20 个字")
    phone = normalize_phone(values.get("phone") or "")
    if phone is None:
        errors["phone"] = _("请填写 11 位手机号码")
    village = (values.get("village") or "").strip()
    if village not in set(villages):
        errors["village"] = _("请选择所在村社")
    team_raw = (values.get("team") or "").strip()
    team_id = None
    if team_raw:
        if not team_raw.isdigit() or int(team_raw) not in set(teams):
            errors["team"] = _("请选择列表中的团队,或不选")
        else:
            team_id = int(team_raw)
    if errors:
        return None, errors
    assert phone is not None
    return SignupInput(nickname, phone, village, team_id), {}


def pickup_code(rng: random.Random | None = None) -> str:
    rng = rng or random.SystemRandom()
    return "".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(6))


def split_interests(text: str) -> list[str]:
    return [part for part in (text or "").split(";") if part]


def interests_text(items: Iterable[str]) -> str:
    unique = sorted({i.strip() for i in items if i and i.strip()})
    return ";" + ";".join(unique) + ";" if unique else ""
