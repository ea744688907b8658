"""The event form's "举办机构" field: which organisation an outreach event was held at. Registered
with campaign.events.hooks by the app factory; stored in duties' own link table."""

from __future__ import annotations

from campaign.accounts.rules import CurrentUser, Place
from campaign.duties import queries, rules
from campaign.events.hooks import FormExtension
from campaign.i18n import _


async def check(value: str, place: Place, user: CurrentUser) -> str | None:
    if not value:
        return None
    org = await queries.organisation_by_code(value)
    if org is None:
        return _("找不到机构编码 %(c)s,请从列表中选择", c=value)
    if org.town_code != (place.town_code or place.code):
        return _("%(n)s 不在活动地点所在镇街", n=org.name)
    if not user.can_read(rules.place_of_unit(org.place_row())):
        return _("%(n)s 不在你的辖区内", n=org.name)
    return None


async def save(event_id: int, value: str) -> None:
    org = await queries.organisation_by_code(value) if value else None
    await queries.link_event(event_id, org.id if org else None)


async def current(event_id: int) -> str:
    org = await queries.organisation_of_event(event_id)
    return org.code if org else ""


ORGANISATION_FIELD = FormExtension(
    field="organisation",
    template="duties/_event_organisation_field.html",
    check=check,
    save=save,
    current=current,
)
