from piccolo.apps.user.tables import BaseUser
from piccolo.columns import JSON, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Profile(Table):
    """What Piccolo's BaseUser lacks: the person's name, role and the unit they act for."""

    id: Serial
    user = ForeignKey(references=BaseUser, unique=True)
    display_name = Varchar(length=50)
    role = Varchar(length=16, index=True)
    unit_kind = Varchar(length=10, null=True)
    unit_code = Varchar(length=32, null=True, index=True)
    team = Varchar(length=50, null=True)
    phone_masked = Varchar(length=20, null=True)


class ApiToken(Table):
    """A bearer token; only its SHA-256 is stored, the prefix lets a person recognise it."""

    id: Serial
    user = ForeignKey(references=BaseUser, index=True)
    name = Varchar(length=60)
    prefix = Varchar(length=12)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginFailure(Table):
    """Recent failed logins per account and per client address, for slowing down guessing."""

    id: Serial
    key = Varchar(length=200, unique=True)
    failures = Integer(default=0)
    last_failed_at = Timestamptz(default=TimestamptzNow())


class AuditEntry(Table):
    """Who changed what and when."""

    id: Serial
    at = Timestamptz(default=TimestamptzNow(), index=True)
    actor_id = Integer(null=True, index=True)
    actor_name = Varchar(length=150)
    action = Varchar(length=40, index=True)
    target = Varchar(length=120, index=True)
    summary = Varchar(length=300)
    detail = JSON(default="{}")
    ip = Varchar(length=64, null=True)
