"""Roles, units and jurisdiction: who may read and write what. Pure functions, no I/O."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

from campaign.i18n import lazy_gettext as _l

ADMIN, LEADER, COORDINATOR, TEAM = "admin", "leader", "coordinator", "team"
ROLES = {
    ADMIN: _l("管理员"),
    LEADER: _l("领导"),
    COORDINATOR: _l("协调员"),
    TEAM: _l("宣传团队"),
}
#: Which kinds of unit each role may be attached to; None means the whole city.
UNIT_KINDS = {
    ADMIN: (None,),
    LEADER: (None, "district", "town", "station"),
    COORDINATOR: ("district", "town", "station"),
    TEAM: (None, "district", "town", "station"),
}
UNIT_KIND_LABELS = {
    "district": _l("区县"),
    "town": _l("镇街"),
    "station": _l("派出所"),
}


@dataclass(frozen=True)
class Scope:
    """The part of the city a person acts for. A station scope carries its towns, because a
    station's jurisdiction is a set of towns refined per village."""

    kind: str | None = None
    code: str | None = None
    towns: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_city(self) -> bool:
        return self.kind is None


@dataclass(frozen=True)
class Place:
    """What scope checks need to know about a region: its codes up the tree and its station."""

    level: str
    code: str
    district_code: str
    town_code: str | None = None
    station_code: str | None = None


def covers(scope: Scope, place: Place) -> bool:
    """Is the place inside the scope? A district above a town scope is not; a village whose
    town belongs to the station is, unless the village is assigned to another station."""
    if scope.is_city:
        return True
    if scope.kind == "district":
        return place.district_code == scope.code
    if scope.kind == "town":
        return place.town_code == scope.code or place.code == scope.code
    if scope.kind == "station":
        if place.level == "village" and place.station_code:
            return place.station_code == scope.code
        town = place.code if place.level == "town" else place.town_code
        return town in scope.towns
    return False


def can_read(role: str, scope: Scope, place: Place) -> bool:
    return role == ADMIN or covers(scope, place)


def can_write(role: str, scope: Scope, place: Place) -> bool:
    """Admins write everywhere; coordinators inside their unit; leaders and teams only read."""
    return role == ADMIN or (role == COORDINATOR and covers(scope, place))


# -- API tokens -------------------------------------------------------------------------------

TOKEN_PREFIX = "cmp_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """Tokens are random and long, so one SHA-256 is enough (unlike passwords, no KDF needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


# -- Login throttling -------------------------------------------------------------------------

FREE_FAILURES = 5
MAX_LOCK_SECONDS = 15 * 60


def lock_seconds(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures: none for the first five, then
    doubling from 2 s to at most 15 minutes, so guessing slows down but a person is never
    locked out for long."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_LOCK_SECONDS)


def session_stamp(password_hash: str, secret: str) -> str:
    """A short fingerprint of the stored password: a session carrying an old one is void, so
    changing a password logs out every other session."""
    return hmac.new(secret.encode(), password_hash.encode(), hashlib.sha256).hexdigest()[:16]


# -- Phone numbers (privacy, docs/definitions.md) ----------------------------------------------


def mask_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if "0" <= ch <= "9")
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def normalize_phone(text: str) -> str | None:
    """A mainland mobile number as its 11 digits (spaces, dashes and +86 allowed), else None."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits[0] == "1" and digits[1] in "3456789":
        return digits
    return None


def phone_digest(phone: str, secret: str) -> str:
    """The keyed hash under which a phone number is stored (docs/definitions.md): equal numbers match,
    and without the key a leaked table cannot be reversed by trying all 10^11 numbers."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return hmac.new(secret.encode(), b"phone:" + digits.encode(), hashlib.sha256).hexdigest()


# -- The person behind a request ----------------------------------------------------------------


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    scope: Scope
    unit_name: str | None = None
    team: str | None = None
    via_token: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))

    def can_read(self, place: Place) -> bool:
        return can_read(self.role, self.scope, place)

    def can_write(self, place: Place) -> bool:
        return can_write(self.role, self.scope, place)
