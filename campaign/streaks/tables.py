from piccolo.columns import Date, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StreakSnapshot(Table):
    """Each unit's streak and city-wide rank at the end of one day, written by the nightly job;
    the board's rank arrows and the feed compare against it. Unique on (level, day, code)."""

    id: Serial
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

    id: Serial
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

    id: Serial
    day = Date(index=True)
    level = Varchar(length=8)
    code = Varchar(length=32)
    district_code = Varchar(length=12, index=True)
    kind = Varchar(length=10)  # 'milestone' | 'broken'
    days = Integer()
    milestone = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
