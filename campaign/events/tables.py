from piccolo.columns import (
    JSON,
    Boolean,
    Date,
    Integer,
    Real,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class EventType(Table):
    """A managed kind of outreach (宣讲/讲堂, 敲门入户 …). `figures` maps each figure that matters
    for this kind to its plausible upper bound and its contest points per unit:
    {"attendees": {"max": 5000, "points": 0.01}, …}; figures absent from it are not asked for."""

    id: Serial
    name = Varchar(length=30, unique=True)
    sort_order = Integer(default=0)
    active = Boolean(default=True)
    counts_as_lecture = Boolean(default=False)
    points = Real(default=0.0)
    figures = JSON(default="{}")


class AudienceGroup(Table):
    """A managed audience (老人, 学生, 企业员工 …)."""

    id: Serial
    name = Varchar(length=30, unique=True)
    sort_order = Integer(default=0)
    active = Boolean(default=True)


class Event(Table):
    """One outreach event. The place's codes up the tree are copied onto the event so that scope
    checks and totals per village, town, station or district are indexed equalities."""

    id: Serial
    type_id = Integer(index=True)
    unit_kind = Varchar(length=10, null=True)
    unit_code = Varchar(length=32, null=True, index=True)
    team = Varchar(length=50, null=True, default=None)
    place_code = Varchar(length=12, index=True)
    place_level = Varchar(length=8)
    place_text = Varchar(length=100, null=True, default=None)
    village_code = Varchar(length=12, null=True, index=True)
    town_code = Varchar(length=12, index=True)
    district_code = Varchar(length=12, index=True)
    #: The village's own station assignment (scope checks), and the station the event counts for.
    village_station_code = Varchar(length=32, null=True, default=None)
    station_code = Varchar(length=32, null=True, index=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    day = Date(index=True)
    attendees = Integer(default=0)
    households = Integer(default=0)
    installs = Integer(default=0)
    materials = Integer(default=0)
    gifts = Integer(default=0)
    volunteers = Integer(default=0)
    #: Volunteers who checked in by scanning the event's QR code (kept by volunteers via queries).
    checkins = Integer(default=0)
    audiences = Varchar(length=300, default="")
    notes = Text(default="")
    status = Varchar(length=10, default="submitted", index=True)
    return_reason = Varchar(length=300, null=True, default=None)
    reviewed_by = Varchar(length=150, null=True, default=None)
    reviewed_at = Timestamptz(null=True, default=None)
    created_by = Integer(null=True, index=True)
    created_by_name = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    #: The form's idempotency token: a second submit of the same form finds the first event.
    token = Varchar(length=64, null=True, default=None, unique=True)
    external_id = Varchar(length=64, null=True, default=None, unique=True)
    is_demo = Boolean(default=False)


class EventPhoto(Table):
    """A photo of an event. Uploaded with a form's token before the event exists, so a rejected
    form keeps its photos; `event_id` is set when the event is saved."""

    id: Serial
    event_id = Integer(null=True, default=None, index=True)
    upload_token = Varchar(length=64, index=True)
    stored_name = Varchar(length=80)
    original_bytes = Integer(default=0)
    width = Integer(default=0)
    height = Integer(default=0)
    ready = Boolean(default=False)
    uploaded_by = Integer(null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    is_demo = Boolean(default=False)


class Outreach(Table):
    """Latest day of verified outreach per village and per town, kept with every verification so
    coverage ("no outreach in 30 days") is a comparison, not a scan of all events."""

    id: Serial
    code = Varchar(length=12, unique=True)
    level = Varchar(length=8, index=True)
    town_code = Varchar(length=12, null=True, index=True)
    district_code = Varchar(length=12, index=True)
    last_on = Date(index=True)


class TownCoverage(Table):
    """Per town: its villages and how many had verified outreach in the last 7, 30 and 90 days
    as of `as_of`. Refreshed for one town with each verification and for all once a day, so the
    coverage page reads 1,400 rows instead of joining 25,000 villages on every request."""

    id: Serial
    town_code = Varchar(length=12, unique=True)
    district_code = Varchar(length=12, index=True)
    villages = Integer(default=0)
    c7 = Integer(default=0)
    c30 = Integer(default=0)
    c90 = Integer(default=0)
    as_of = Date(index=True)
