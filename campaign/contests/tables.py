from piccolo.columns import JSON, Boolean, Date, Float, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Contest(Table):
    """A case-control contest (控案竞赛) between the towns, stations or villages of a district or
    of the whole city (district_code None) over [start_on, end_on]. `metrics` is the scoring
    rule: a list of {"metric": key, "weight": number} (see contests.rules, "Contests")."""

    id: Serial
    name = Varchar(length=100)
    level = Varchar(length=8)
    district_code = Varchar(length=12, null=True, default=None, index=True)
    start_on = Date()
    end_on = Date(index=True)
    metrics = JSON(default=[])
    normalisation = Varchar(length=8, default="minmax")
    top_n = Integer(default=5)
    is_demo = Boolean(default=False)
    created_by = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ContestSnapshot(Table):
    """A unit's rank and score in a contest as of one day, written nightly by the job (weekly
    ones, as of Sundays and the last day, feed the rank arrows); the trend charts read them."""

    id: Serial
    contest_id = Integer(index=True)
    as_of = Date()
    weekly = Boolean(default=False)
    code = Varchar(length=32)
    rank = Integer()
    score = Float()
    cases = Integer(default=0)
