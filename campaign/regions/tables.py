from piccolo.columns import Boolean, Date, Integer, Varchar
from piccolo.columns.column_types import Serial
from piccolo.table import Table


class Region(Table):
    """A district (6-digit code), town (9) or village (12) with its place in the tree.

    Ancestors are stored by code beside the parent so that "everything in district X" is one
    indexed equality, whatever the level.
    """

    id: Serial
    code = Varchar(length=12, unique=True)
    name = Varchar(length=100, index=True)
    level = Varchar(length=8, index=True)
    parent_code = Varchar(length=12, null=True, index=True)
    district_code = Varchar(length=12, index=True)
    town_code = Varchar(length=12, null=True, index=True)
    population = Integer(null=True)
    station_code = Varchar(length=32, null=True, index=True)
    is_demo = Boolean(default=False)
    #: Day of the latest case counted for this unit (docs/definitions.md), kept by the cases domain in the
    #: transaction of every case write, so a zero-case streak is arithmetic at read time.
    last_case_on = Date(null=True, default=None, index=True)


class Station(Table):
    """A police station (派出所); its jurisdiction is a set of towns (StationTown)."""

    id: Serial
    code = Varchar(length=32, unique=True)
    name = Varchar(length=100, index=True)
    district_code = Varchar(length=12, index=True)
    is_demo = Boolean(default=False)
    last_case_on = Date(null=True, default=None, index=True)


class StationTown(Table):
    """A town in a station's jurisdiction; villages may refine it with Region.station_code."""

    id: Serial
    station_code = Varchar(length=32, index=True)
    town_code = Varchar(length=12, index=True)
