from piccolo.columns import JSONB, BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class FraudType(Table):
    """A managed fraud type (投资理财, 兼职刷单 …); aliases map the platform's wording onto it."""

    id: Serial
    name = Varchar(length=30, unique=True)
    aliases = Text(default="")
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class OccupationGroup(Table):
    """A reporting group for victims' occupations (学生, 医务人员 …); aliases are matched against
    the occupation as written, which is itself kept unchanged on the case."""

    id: Serial
    name = Varchar(length=30, unique=True)
    aliases = Text(default="")
    sort_order = Integer(default=0)


class Case(Table):
    """One reported fraud case. No victim name is ever stored (docs/definitions.md)."""

    id: Serial
    case_no = Varchar(length=64, unique=True)
    #: Indexed by the bulletin's covering index, which starts with it (reports migrations).
    occurred_on = Date()
    occurred_at = Timestamptz(null=True, default=None)
    #: town, district and station are indexed together with occurred_on (raw SQL in the cases
    #: and streaks migrations), the town's index with village_code last: a village's cases are
    #: read inside its town's (cases.queries.unit_case_where). A unit's case list is an index
    #: read. Types and occupation groups are not indexed: each holds a tenth or more of all cases.
    village_code = Varchar(length=12, null=True)
    town_code = Varchar(length=12)
    district_code = Varchar(length=12)
    station_code = Varchar(length=32, null=True)
    fraud_type = Varchar(length=30)
    loss_fen = BigInt(default=0)
    victim_occupation = Varchar(length=50, null=True, default=None)
    #: The reporting group of victim_occupation (OccupationGroup.name), refreshed when the
    #: groups' aliases change, so reports and filters group by an indexed column.
    occupation_group = Varchar(length=30, default="其他")
    victim_age = Integer(null=True, default=None)
    #: The victim's phone only as a keyed hash and a mask (campaign.phones), so the warnings
    #: domain can find earlier warnings of the same person (劝阻失败); optional in imports.
    #: Indexed with occurred_on only where present (raw SQL in the cases migrations): most
    #: cases carry none, and the warnings domain reads them by day.
    victim_phone_hash = Varchar(length=64, null=True, default=None)
    victim_phone_masked = Varchar(length=20, null=True, default=None)
    is_demo = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    #: Indexed: the accountability-review sweep after every case write reads the cases written
    #: since its last run (a scan of 10^6 cases was ~0.3 s of every write's follow-up).
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)


class ImportJob(Table):
    """A large case file checked or imported in the background; the upload page polls it."""

    id: Serial
    kind = Varchar(length=20)
    filename = Varchar(length=200)
    dry_run = Boolean(default=True)
    #: queued → running → done | rejected | failed
    status = Varchar(length=12, default="queued")
    stage = Varchar(length=20, default="")
    total = Integer(default=0)
    done = Integer(default=0)
    summary = JSONB(default={})
    errors = JSONB(default=[])
    upload_token = Varchar(length=32, null=True, default=None)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    finished_at = Timestamptz(null=True, default=None)


class CaseDay(Table):
    """A day on which a unit had cases, per level (village, town, station; counted as in
    docs/definitions.md): far fewer rows than cases. Rebuilt for the touched units in the same
    transaction as every case write, so past days (`as_of`) and longest runs read this index
    instead of the cases. Unique on (level, code, day); indexed on (level, gap, day) (past days
    read only the long gaps, one gap length at a time)."""

    id: Serial
    level = Varchar(length=8)
    code = Varchar(length=32)
    day = Date()
    cases = Integer(default=0)
    #: The unit's case day before this one (None for its first), and the case-free days between.
    previous_day = Date(null=True, default=None)
    gap = Integer(null=True, default=None)


class CaseUnit(Table):
    """Each unit's summary of its CaseDay rows, per level, kept in the same transaction as every
    case write (cases.day_index): first and last case day, the number of case days, and the
    longest gap between two case days (0 when none) with the case day that ended it (the latest
    of equally long gaps). Today's boards read longest runs from it (streaks.rules.closed_best_of)
    instead of grouping the case days per request. Unique on (level, code); indexed on
    (level, first_day) (whether any unit had a case before a day)."""

    level = Varchar(length=8)
    code = Varchar(length=32)
    first_day = Date()
    last_day = Date()
    days = Integer(default=0)
    best_gap = Integer(default=0)
    best_gap_end = Date(null=True, default=None)
