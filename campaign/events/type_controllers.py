"""The event types and audience groups administrators manage: which figures each type asks
for, their plausible upper bounds and their contest points (campaign.events.rules)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN
from campaign.events import forms, queries, rules
from campaign.i18n import _
from campaign.parsing import form_flag
from campaign.web import client_ip, current_user


class EventTypeController(Controller):
    include_in_schema = False
    opt = {"roles": (ADMIN,)}

    @get("/events/types")
    async def types(self, request: Request) -> Template:
        return Template(
            template_name="events/types.html",
            context={
                "types": await queries.event_types(),
                "audiences": await queries.audience_groups(),
                "figure_labels": rules.FIGURE_LABELS,
                "active_nav": "events",
            },
        )

    async def _type_form(
        self, values: Mapping[str, Any], errors: dict, type_id: int | None, status=200
    ):
        return Template(
            template_name="events/type_form.html",
            context={
                "values": values,
                "errors": errors,
                "type_id": type_id,
                "figures": rules.FIGURES,
                "figure_labels": rules.FIGURE_LABELS,
                "active_nav": "events",
            },
            status_code=status,
        )

    @get("/events/types/{type_id:int}")
    async def type_page(self, type_id: FromPath[int]) -> Template:
        if type_id == 0:
            return await self._type_form({"active": True, "figures": {}, "points": 1}, {}, None)
        row = await queries.event_type(type_id)
        if row is None:
            raise NotFoundException(_("活动类型不存在"))
        return await self._type_form(row, {}, type_id)

    @post("/events/types/{type_id:int}")
    async def save_type(self, request: Request, type_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        before = await queries.event_type(type_id) if type_id else None
        if type_id and before is None:
            raise NotFoundException(_("活动类型不存在"))
        raw = forms.type_fields(await request.form())
        record, errors = rules.parse_type_form(raw)
        if not errors and await queries.type_name_taken(record["name"], type_id or None):
            errors["name"] = _("已有同名的活动类型")
        if errors:
            shown = {**record, "raw": raw}
            return await self._type_form(shown, errors, type_id or None, status=400)
        await queries.keep_type(type_id or None, before, record, user, client_ip(request))
        flash(request, _("已保存活动类型 %(name)s", name=record["name"]), "success")
        return Redirect(path="/events/types")

    @post("/events/audiences")
    async def add_audience(self, request: Request) -> Redirect:
        user = current_user(request)
        names = {a.name for a in await queries.audience_groups()}
        name = forms.audience_name(await request.form(), names)
        if name is None:
            flash(request, _("受众名称不能为空、不超过 30 字且不能重复"), "error")
            return Redirect(path="/events/types#audiences")
        await queries.new_audience(name, user, client_ip(request))
        flash(request, _("已新增受众群体 %(n)s", n=name), "success")
        return Redirect(path="/events/types#audiences")

    @post("/events/audiences/{group_id:int}")
    async def toggle_audience(self, request: Request, group_id: FromPath[int]) -> Redirect:
        user = current_user(request)
        active = form_flag(await request.form(), "active")
        if not await queries.switch_audience(group_id, active, user, client_ip(request)):
            raise NotFoundException(_("受众群体不存在"))
        return Redirect(path="/events/types#audiences")
