from piccolo.columns import JSON, Boolean, Date, Float, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StreakSnapshot(Table):
    """Each unit's streak and city-wide rank at the end of one day, written by the nightly job;
    the board's rank arrows and the feed compare against it. Unique on (level, day, code)."""

    day = Date()
    level = Varchar(length=8)
    code = Varchar(length=32)
    current_days = Integer()
    rank = Integer()
    longest_days = Integer()


class StreakBest(Table):
    """The longest closed zero-case run of a unit: the best run between tracking start and the
    day before its last case. Refreshed by jobs after case writes and nightly; the current run
    is added at read time. `tracked_since` and `last_case_on` record what it was computed for,
    so a row that no longer matches is recomputed from the cases instead of trusted."""

    level = Varchar(length=8)
    code = Varchar(length=32)
    days = Integer(default=0)
    first_day = Date(null=True, default=None)
    last_day = Date(null=True, default=None)
    tracked_since = Date()
    last_case_on = Date(null=True, default=None)


class StreakEvent(Table):
    """A line of the feed: a milestone reached, or a streak of at least the first milestone
    broken by a case."""

    day = Date(index=True)
    level = Varchar(length=8)
    code = Varchar(length=32)
    district_code = Varchar(length=12, index=True)
    kind = Varchar(length=10)  # 'milestone' | 'broken'
    days = Integer()
    milestone = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Contest(Table):
    """A case-control contest (控案竞赛) between the towns, stations or villages of a district or
    of the whole city (district_code None) over [start_on, end_on]. `metrics` is the scoring
    rule: a list of {"metric": key, "weight": number} (see contests.rules, "Contests")."""

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

    contest_id = Integer(index=True)
    as_of = Date()
    weekly = Boolean(default=False)
    code = Varchar(length=32)
    rank = Integer()
    score = Float()
    cases = Integer(default=0)
