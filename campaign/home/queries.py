"""The home dashboard's figures: one card per domain, from the registry CARDS.

A domain contributes a card by writing `async def home_card(user: CurrentUser) -> dict | None` in
its own queries.py (a dict with "template": "<domain>/_home_card.html" and what the template
needs; None: nothing to show this person) and adding ONE line to CARDS below. See
docs/adding-a-domain.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from campaign import generations
from campaign.accounts import queries as accounts
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, TEAM, CurrentUser
from campaign.cases import queries as cases
from campaign.contests import queries as contests
from campaign.duties import queries as duties
from campaign.events import queries as events
from campaign.materials import queries as materials
from campaign.regions import queries as regions
from campaign.reports import queries as reports
from campaign.streaks import queries as streaks
from campaign.system import queries as system
from campaign.timeutil import today
from campaign.volunteers import queries as volunteers
from campaign.warnings import queries as warnings

CardFunction = Callable[[CurrentUser], Awaitable[dict | None]]
EVERYONE = (ADMIN, LEADER, COORDINATOR, TEAM)


@dataclass(frozen=True, slots=True)
class Card:
    """A domain's home card: who may see it, and the function that builds it."""

    roles: tuple[str, ...]
    build: CardFunction


async def _cases_card(user: CurrentUser) -> dict | None:
    return await cases.home_card(user.scope, today())


async def _materials_card(user: CurrentUser) -> dict | None:
    return await materials.home_card(user, today())


#: The cards, in page order. A new domain appends one line: Card((ROLES...), its.home_card).
CARDS: tuple[Card, ...] = (
    Card((ADMIN, COORDINATOR), _cases_card),
    Card((ADMIN, TEAM), _materials_card),
    Card(EVERYONE, events.home_card),
    Card((ADMIN, LEADER, COORDINATOR), streaks.home_card),
    Card((ADMIN, LEADER, COORDINATOR), contests.home_card),
    Card(EVERYONE, volunteers.home_card),
    Card((ADMIN, LEADER, COORDINATOR), duties.home_card),
    Card((ADMIN, LEADER, COORDINATOR), warnings.home_card),
    Card((ADMIN, LEADER), reports.home_card),
)


async def cards_for(user: CurrentUser, cards: tuple[Card, ...] = CARDS) -> list[dict]:
    """The cards this person sees, built one after the other (each may return None)."""
    built = []
    for card in cards:
        if user.role in card.roles and (content := await card.build(user)) is not None:
            built.append(content)
    return built


@dataclass(frozen=True, slots=True)
class Dashboard:
    """The home page: the cards, the unit counts, and for administrators the set-up checklist."""

    cards: list[dict]
    regions: dict[str, int]
    users: dict[str, int] | None
    recent_audit: list[accounts.AuditRow]
    settings: dict[str, str]


#: (user id, role, scope, team, day) → dashboard, kept per process until the data generation
#: moves (any committed write, in any process: campaign.db.write_transaction) or 60 s pass
#: (figures that jobs write, and deadlines that come due).
_dashboards: generations.Kept[tuple, Dashboard] = generations.Kept(
    generations.DATA, seconds=60, size=5_000
)


async def dashboard_for(user: CurrentUser) -> Dashboard:
    """What this person should look at today (cached, see _dashboards)."""
    await _dashboards.check()  # before reading the cards
    key = (user.id, user.role, user.scope, user.team, today())
    if (cached := _dashboards.get(key)) is None:
        cached = _dashboards.put(key, await _dashboard(user))
    return cached


async def _dashboard(user: CurrentUser) -> Dashboard:
    return Dashboard(
        cards=await cards_for(user),
        regions=await regions.counts_in(user.scope),
        users=await accounts.user_counts() if user.is_admin else None,
        recent_audit=await accounts.recent_audit(8) if user.is_admin else [],
        settings=await system.all_settings() if user.is_admin else {},
    )
