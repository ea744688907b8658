from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Warning(Table):  # noqa: A001 - the domain noun (预警); builtins.Warning is never used here
    """One high-risk warning from the platform (预警) and how the station answered it.

    The person at risk is kept only as a keyed hash and a masked phone (docs/definitions.md). A warning
    without a station waits in the centre's 待分派 queue (station_code NULL)."""

    id: Serial
    warning_no = Varchar(length=64, unique=True)
    issued_at = Timestamptz()
    issued_on = Date(index=True)
    #: high | medium | low
    risk_level = Varchar(length=8)
    phone_hash = Varchar(length=64, index=True)
    phone_masked = Varchar(length=20)
    #: the code as the platform sent it; village/town/district as resolved from it. Station,
    #: town and district are indexed together with issued_at and id (raw SQL in the warnings
    #: migrations), so a board's newest-first page is an index read at 10^6 warnings.
    region_code = Varchar(length=12, null=True, default=None)
    village_code = Varchar(length=12, null=True, default=None)
    town_code = Varchar(length=12, null=True, default=None)
    district_code = Varchar(length=12, null=True, default=None)
    address = Varchar(length=200, default="")
    #: the station the platform named, if any, and the one the warning is dispatched to
    given_station_code = Varchar(length=32, null=True, default=None)
    station_code = Varchar(length=32, null=True, default=None)
    fraud_type = Varchar(length=30, default="")
    amount_fen = BigInt(null=True, default=None)
    channel = Varchar(length=30, default="")
    #: fingerprint of what the platform sent: a replay has the same, a conflict a different one
    content_digest = Varchar(length=64)
    source = Varchar(length=10, default="api")
    #: new → acknowledged → contacted → closed
    status = Varchar(length=12, default="new", index=True)
    acknowledged_at = Timestamptz(null=True, default=None)
    acknowledged_by = Varchar(length=50, default="")
    first_contact_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Varchar(length=50, default="")
    #: the 1+1+1 team: 民警, 辅警, 网格员 (grid workers need no login: names only)
    officer_name = Varchar(length=50, default="")
    auxiliary_name = Varchar(length=50, default="")
    grid_worker_name = Varchar(length=50, default="")
    #: phone | visit | video | several
    contact_method = Varchar(length=10, default="")
    #: dissuaded | stopped | defrauded | unreachable | false_alarm
    outcome = Varchar(length=12, null=True, default=None)
    amount_stopped_fen = BigInt(default=0)
    notes = Text(default="")
    #: 劝阻失败: a case of the same phone was imported within 30 days after the warning
    failed_case_no = Varchar(length=64, null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    #: the response clock's targets missed (set by the escalation job)
    ack_overdue = Boolean(default=False)
    contact_overdue = Boolean(default=False)
    escalated_at = Timestamptz(null=True, default=None)
    is_demo = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContactAttempt(Table):
    """Every call, SMS or visit made to reach the person (one case took 11 visits, 13 calls)."""

    id: Serial
    warning_id = Integer(index=True)
    at = Timestamptz()
    #: call | sms | visit | video
    method = Varchar(length=8)
    by_name = Varchar(length=50)
    reached = Boolean(default=False)
    result = Varchar(length=300, default="")
    recorded_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class BoardEvent(Table):
    """What a live board is told: its id is the SSE event id, so a board that reconnects with
    Last-Event-ID reads what it missed from here."""

    id: Serial
    at = Timestamptz(default=TimestamptzNow())
    warning_id = Integer()
    #: new | updated | rerouted | escalated
    kind = Varchar(length=10)
    station_code = Varchar(length=32, null=True, default=None)
    #: where a rerouted warning came from: that board drops it
    previous_station_code = Varchar(length=32, null=True, default=None)
    town_code = Varchar(length=12, null=True, default=None)
    district_code = Varchar(length=12, null=True, default=None)
