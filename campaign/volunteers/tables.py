from piccolo.columns import JSON, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Propagandist(Table):
    """A staff account that recruits volunteers with its own QR code. `area` (电子围栏) is the
    set of town and village codes, inside the person's unit, that the code enrols into, stored
    as ";code;code;"."""

    id: Serial
    user_id = Integer(unique=True)
    name = Varchar(length=50)
    name_masked = Varchar(length=50)
    kind = Varchar(length=10, default="民警")
    unit_kind = Varchar(length=10, null=True, default=None)
    unit_code = Varchar(length=32, null=True, default=None, index=True)
    unit_name = Varchar(length=60, default="")
    district_code = Varchar(length=12, default="", index=True)
    town_code = Varchar(length=12, default="", index=True)
    area = Text(default="")
    status = Varchar(length=10, default="applied", index=True)
    applied_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    decided_by = Varchar(length=150, null=True, default=None)
    recruits = Integer(default=0)
    active_recruits = Integer(default=0)
    points = Integer(default=0)
    is_demo = Boolean(default=False)


class Team(Table):
    """A 小牛警 team or an alliance member (反诈联盟) that volunteers may join. Its points are
    its board rows (board "t"), kept with each member's award."""

    id: Serial
    name = Varchar(length=50, unique=True)
    kind = Varchar(length=10, default="team")
    district_code = Varchar(length=12, default="")
    active = Boolean(default=True)
    members = Integer(default=0)


class Volunteer(Table):
    """A member of the public. The phone is kept only as a keyed hash and a mask; `balance` is
    what can still be spent, `points` everything ever earned (both maintained with the ledger)."""

    id: Serial
    nickname = Varchar(length=20)
    name_masked = Varchar(length=20)
    phone_hash = Varchar(length=64, unique=True)
    phone_masked = Varchar(length=20)
    village_code = Varchar(length=12, index=True)
    town_code = Varchar(length=12, index=True)
    district_code = Varchar(length=12, index=True)
    team_id = Integer(null=True, default=None, index=True)
    recruiter_id = Integer(null=True, default=None, index=True)
    interests = Varchar(length=400, default="")
    points = Integer(default=0)
    balance = Integer(default=0)
    first_active_at = Timestamptz(null=True, default=None)
    last_active_on = Date(null=True, default=None)
    signup_ip = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    created_on = Date(index=True)
    is_demo = Boolean(default=False)


class PointRule(Table):
    """How many points one action earns and how many such points a person may earn per day."""

    id: Serial
    kind = Varchar(length=20, unique=True)
    points = Integer(default=0)
    daily_cap = Integer(default=0)
    active = Boolean(default=True)


class PointEntry(Table):
    """The points ledger: append-only. (person_kind, person_id, kind, ref) is unique, so a
    replayed award (a double tap, a retried request) changes nothing."""

    id: Serial
    person_kind = Varchar(length=1)
    person_id = Integer()
    kind = Varchar(length=20)
    points = Integer()
    reason = Varchar(length=120)
    #: Shadows the Table.ref() helper, which this table never uses.
    ref = Varchar(length=120)  # type: ignore[assignment]
    day = Date(index=True)
    at = Timestamptz(default=TimestamptzNow())
    is_demo = Boolean(default=False)


class BoardRow(Table):
    """One person's (or team's) points in one period bucket ("a" all-time, "w2026-11-23" a week,
    "m2026-11" a month), kept in the same transaction as the ledger entry. Scopes are columns:
    the city board is the bucket, the district and town boards filter on the indexed codes.
    `prev_*` are the ranks at the last nightly snapshot (rank arrows)."""

    id: Serial
    board = Varchar(length=1)
    bucket = Varchar(length=12)
    person_id = Integer()
    name_masked = Varchar(length=50)
    district_code = Varchar(length=12, default="")
    town_code = Varchar(length=12, default="")
    points = Integer(default=0)
    prev_city = Integer(null=True, default=None)
    prev_district = Integer(null=True, default=None)
    prev_town = Integer(null=True, default=None)


class BoardScore(Table):
    """How many board rows of one board, bucket and area ("" the city, a district or a town code)
    have exactly `points`: the counted index behind "rank and gap" (rank = 1 + the rows above,
    a sum over distinct scores, a few hundred, instead of a count over 10^5 board rows). Moved
    with the board rows in the same statement batch; rows whose count fell to 0 are harmless."""

    board = Varchar(length=1)
    bucket = Varchar(length=12)
    area = Varchar(length=12, default="")
    points = Integer(default=0)
    n = Integer(default=0)


class Reward(Table):
    """A small gift (小牛警 礼品) in the catalogue, its price in points and what is left."""

    id: Serial
    name = Varchar(length=50)
    description = Varchar(length=200, default="")
    price = Integer()
    stock = Integer(default=0)
    active = Boolean(default=True)
    sort_order = Integer(default=0)


class Redemption(Table):
    """A gift requested by a volunteer: points and stock are taken at request time, the gift is
    handed out and confirmed at the station; a cancellation gives both back."""

    id: Serial
    volunteer_id = Integer(index=True)
    reward_id = Integer(index=True)
    reward_name = Varchar(length=50)
    price = Integer()
    station_code = Varchar(length=32, null=True, default=None, index=True)
    district_code = Varchar(length=12, default="")
    town_code = Varchar(length=12, default="", index=True)
    pickup_code = Varchar(length=8)
    status = Varchar(length=10, default="requested", index=True)
    requested_at = Timestamptz(default=TimestamptzNow())
    handed_at = Timestamptz(null=True, default=None)
    handed_by = Varchar(length=150, null=True, default=None)


class QuizQuestion(Table):
    """A question of the daily quiz, per fraud type; `options` is a JSON list of strings."""

    id: Serial
    fraud_type = Varchar(length=30, index=True)
    question = Varchar(length=300)
    options = JSON(default="[]")
    answer = Integer(default=0)
    explanation = Varchar(length=300, default="")
    active = Boolean(default=True)


class QuizAnswer(Table):
    """One answer per volunteer, day and question: a replayed answer finds the first one."""

    id: Serial
    volunteer_id = Integer()
    day = Date()
    question_id = Integer()
    chosen = Integer()
    correct = Boolean()
    at = Timestamptz(default=TimestamptzNow())


class OtpCode(Table):
    """A one-time sign-in code; only its hash is kept. Five wrong tries void it."""

    id: Serial
    phone_hash = Varchar(length=64, index=True)
    code_hash = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used = Boolean(default=False)


class ShareLink(Table):
    """A volunteer's personal link to one material; unique opens earn points."""

    id: Serial
    token = Varchar(length=24, unique=True)
    volunteer_id = Integer(index=True)
    material_id = Integer()
    title = Varchar(length=200, default="")
    opens = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class ShareOpen(Table):
    """One visitor (keyed hash of address and browser) opening a share link."""

    id: Serial
    link_id = Integer()
    visitor = Varchar(length=64)
    at = Timestamptz(default=TimestamptzNow())


class SuspiciousReport(Table):
    """A suspicious call, message or site reported by a volunteer."""

    id: Serial
    volunteer_id = Integer(index=True)
    kind = Varchar(length=10)
    content = Varchar(length=300)
    note = Varchar(length=300, default="")
    district_code = Varchar(length=12, default="", index=True)
    town_code = Varchar(length=12, default="")
    status = Varchar(length=10, default="new", index=True)
    day = Date(index=True)
    at = Timestamptz(default=TimestamptzNow())


class EventCheckin(Table):
    """A volunteer checked in at an outreach event by scanning its QR code (once per event)."""

    id: Serial
    event_id = Integer(index=True)
    volunteer_id = Integer()
    at = Timestamptz(default=TimestamptzNow())


class ActiveDay(Table):
    """A volunteer was active on a day (DAU); `DailyActive` keeps the count per day."""

    id: Serial
    volunteer_id = Integer()
    day = Date(index=True)


class DailyActive(Table):
    id: Serial
    day = Date(unique=True)
    users = Integer(default=0)
    signups = Integer(default=0)


class SignupAttempt(Table):
    """Sign-ups per client address per minute, to throttle bursts from one address."""

    id: Serial
    key = Varchar(length=100, unique=True)
    #: Shadows the Table.count() query, which this table never uses.
    count = Integer(default=0)  # type: ignore[assignment]
    window_start = Timestamptz(default=TimestamptzNow())
