from piccolo.columns import JSONB, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class ReportingArea(Table):
    """A reporting area of the bulletin (分局片区): a district or a functional zone (大榭 …).
    With no rows stored, the bulletin reports one area per district."""

    id: Serial
    code = Varchar(length=32, unique=True)
    name = Varchar(length=50)
    sort_order = Integer(default=0)


class AreaTown(Table):
    """A town in a reporting area; a town belongs to exactly one area (unique town_code)."""

    id: Serial
    area_code = Varchar(length=32, index=True)
    town_code = Varchar(length=12, unique=True)


class Bulletin(Table):
    """One revision of a week's bulletin. Revision 0 is the working draft (recomputed on demand);
    publishing freezes the figures as revision 1, and a later change to the data of a published
    week stores revision 2, 3 … with what changed."""

    id: Serial
    week_key = Varchar(length=8, index=True)  # "2023-W27"
    revision = Integer(default=0)
    status = Varchar(length=10, default="draft")  # draft | published
    figures = JSONB(default={})
    narrative = Text(default="")
    reminder = Text(default="")
    #: what this revision changed against the one before: [{"what", "before", "after"}]
    changes = JSONB(default=[])
    computed_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    published_by = Varchar(length=150, default="")


class Reminder(Table):
    """A prevention reminder (防骗提醒) for the bulletin, chosen by the week's leading fraud type,
    victim group and season; blank fields mean "any"."""

    id: Serial
    text = Text()
    fraud_type = Varchar(length=30, default="")
    occupation_group = Varchar(length=30, default="")
    months = Varchar(length=40, default="")
    sort_order = Integer(default=0)
    active = Boolean(default=True)
