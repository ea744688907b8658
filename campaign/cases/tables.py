from piccolo.columns import BigInt, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class FraudType(Table):
    """A managed fraud type (投资理财, 兼职刷单 …); aliases map the platform's wording onto it."""

    name = Varchar(length=30, unique=True)
    aliases = Text(default="")
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class OccupationGroup(Table):
    """A reporting group for victims' occupations (学生, 医务人员 …); aliases are matched against
    the occupation as written, which is itself kept unchanged on the case."""

    name = Varchar(length=30, unique=True)
    aliases = Text(default="")
    sort_order = Integer(default=0)


class Case(Table):
    """One reported fraud case. No victim name is ever stored (DESIGN §3)."""

    case_no = Varchar(length=64, unique=True)
    occurred_on = Date(index=True)
    occurred_at = Timestamptz(null=True, default=None)
    village_code = Varchar(length=12, null=True, index=True)
    town_code = Varchar(length=12, index=True)
    district_code = Varchar(length=12, index=True)
    station_code = Varchar(length=32, null=True, index=True)
    fraud_type = Varchar(length=30, index=True)
    loss_fen = BigInt(default=0)
    victim_occupation = Varchar(length=50, null=True, default=None)
    victim_age = Integer(null=True, default=None)
    is_demo = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
