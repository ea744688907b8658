"""The region tree, region and station pages, and their JSON API."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import CurrentUser
from campaign.i18n import _
from campaign.regions import forms, queries, rules
from campaign.web import (
    ALL,
    client_ip,
    current_user,
    deny,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

API_LIMIT, API_MAX_LIMIT = 100, 1000


async def _readable_region(user: CurrentUser, code: str) -> queries.RegionRow:
    """The region, or 404 when unknown and 403 when outside the person's scope."""
    row = await queries.region(code)
    if row is None:
        raise NotFoundException(_("区划代码 %(code)s 不存在", code=code))
    if not user.can_read(queries.place_from_row(row)):
        raise deny()
    return row


async def _readable_station(user: CurrentUser, code: str) -> queries.StationView:
    row = await queries.station_detail(code)
    if row is None:
        raise NotFoundException(_("派出所 %(code)s 不存在", code=code))
    if not (
        user.is_admin or rules.station_in_scope(user.scope, row.code, row.district_code, row.towns)
    ):
        raise deny()
    return row


def _path_text(row: queries.RegionView) -> str:
    return " › ".join(step.name for step in row.path)


def _station_text(row: queries.RegionView) -> str:
    return "、".join(s.name for s in row.stations)


PICK_KINDS = ("district", "town", "village", "station", "unit")


class PickController(Controller):
    """Searchable pickers (the `picker` macro of templates/_macros.html): at national scale a
    page cannot offer 2,800 districts or 5,000 stations as one select."""

    include_in_schema = False
    opt = {"roles": ALL}

    @get("/pick/{kind:str}")
    async def pick(
        self,
        request: Request,
        kind: FromPath[str],
        q: FromQuery[str] = "",
        parent: FromQuery[str] = "",
    ) -> object:
        """The matching units in the person's jurisdiction, as datalist options."""
        if kind not in PICK_KINDS:
            raise NotFoundException()
        units = await queries.pick(kind, current_user(request).scope, q, parent.strip() or None)
        return render(request, "_pick_options.html", units=units)


class RegionController(Controller):
    include_in_schema = False

    @get("/regions")
    async def tree(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, "q")
        if wants_xlsx(request):
            found = await queries.with_stations(
                await queries.with_paths(await queries.regions(user.scope, filters, limit=None))
            )
            return xlsx_response(
                _("区划列表"),
                [_("区划代码"), _("名称"), _("级别"), _("所属"), _("常住人口"), _("派出所")],
                (
                    [
                        r.code,
                        r.name,
                        str(rules.LEVEL_LABELS[r.level]),
                        _path_text(r),
                        r.population,
                        _station_text(r),
                    ]
                    for r in found
                ),
            )
        context: dict = {"filters": filters, "levels": rules.LEVEL_LABELS, "active_nav": "regions"}
        if filters["q"]:
            p = pager(request, await queries.region_count(user.scope, filters))
            rows = await queries.regions(user.scope, filters, p.offset, p.per_page)
            context.update(
                pager=p, rows=await queries.with_stations(await queries.with_paths(rows))
            )
        else:
            roots = await queries.with_stations(await queries.tree_roots(user.scope))
            context.update(roots=roots, root_children=await self._root_children(user, roots))
        return render(request, "regions/tree.html", "regions/_search_rows.html", **context)

    async def _root_children(
        self, user: CurrentUser, roots: list[queries.RegionView]
    ) -> list[queries.RegionView]:
        """A person with a single unit sees it opened at once."""
        if len(roots) != 1:
            return []
        return await queries.with_stations(await queries.children(roots[0].code, user.scope))

    @get("/regions/{code:str}/children")
    async def children(self, request: Request, code: FromPath[str]) -> Template:
        user = current_user(request)
        await _readable_region(user, code)
        nodes = await queries.with_stations(await queries.children(code, user.scope))
        return Template(
            template_name="regions/_children.html",
            context={"nodes": nodes, "parent_code": code},
        )

    async def _detail(
        self,
        request: Request,
        row: queries.RegionRow,
        values: dict | None = None,
        errors: dict | None = None,
    ) -> Template:
        user = current_user(request)
        place = queries.place_from_row(row)
        [region] = await queries.with_stations(await queries.with_paths([row]))
        ancestors = await queries.regions_by_code([step.code for step in region.path[:-1]])
        kids = await queries.with_stations(await queries.children(row.code, user.scope))
        can_edit = user.can_write(place)
        choices = (
            await queries.station_choices(row.town_code)
            if can_edit and row.level == "village" and row.town_code
            else []
        )
        return Template(
            template_name="regions/detail.html",
            context={
                "region": region,
                "ancestors": [
                    {**a, "readable": user.can_read(queries.place_from_row(a))} for a in ancestors
                ],
                "children": kids,
                "stations": await queries.stations_covering(row),
                "levels": rules.LEVEL_LABELS,
                "can_edit": can_edit,
                "station_choices": choices,
                "values": values
                or {"population": row.population, "station_code": row.station_code or ""},
                "errors": errors or {},
                "active_nav": "regions",
            },
            status_code=400 if errors else 200,
        )

    @get("/regions/{code:str}")
    async def detail(self, request: Request, code: FromPath[str]) -> Template:
        return await self._detail(request, await _readable_region(current_user(request), code))

    @post("/regions/{code:str}")
    async def update(self, request: Request, code: FromPath[str]) -> Template | Redirect:
        user = current_user(request)
        row = await _readable_region(user, code)
        if not user.can_write(queries.place_from_row(row)):
            raise deny(_("你的角色或辖区无权修改该区划"))
        stations = (
            {s.code for s in await queries.station_choices(row.town_code)}
            if row.level == "village" and row.town_code
            else set()
        )
        values, errors, after = forms.region_form(await request.form(), row.level, stations)
        if errors:
            return await self._detail(request, row, values, errors)
        changes = {key: value for key, value in after.items() if getattr(row, key) != value}
        if not changes:
            flash(request, _("没有需要保存的修改"), "info")
            return Redirect(path=f"/regions/{code}")
        await queries.change_region(row, changes, user, client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/regions/{code}")

    @get("/stations")
    async def stations(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, "q", "district")
        if wants_xlsx(request):
            rows = await queries.stations(user.scope, filters, limit=None)
            return xlsx_response(
                _("派出所列表"),
                [
                    _("派出所编码"),
                    _("名称"),
                    _("区县"),
                    _("辖区镇街数"),
                    _("辖区村社数"),
                    _("演示"),
                ],
                (
                    [
                        r.code,
                        r.name,
                        r.district_name,
                        r.town_count,
                        r.village_count,
                        _("是") if r.is_demo else "",
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.station_count(user.scope, filters))
        return render(
            request,
            "regions/stations.html",
            "regions/_station_rows.html",
            stations=await queries.stations(user.scope, filters, p.offset, p.per_page),
            district_choice=await queries.chosen("district", filters["district"]),
            pager=p,
            filters=filters,
            active_nav="regions",
        )

    @get("/stations/{code:str}")
    async def station(self, request: Request, code: FromPath[str]) -> Template:
        row = await _readable_station(current_user(request), code)
        towns = await queries.regions_by_code(row.towns)
        villages = await queries.with_paths(await queries.station_villages(code, row.towns))
        return Template(
            template_name="regions/station.html",
            context={
                "station": row,
                "towns": towns,
                "villages": villages,
                "active_nav": "regions",
            },
        )


def _region_item(row: queries.RegionRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "parent_code": row.parent_code,
        "district_code": row.district_code,
        "town_code": row.town_code,
        "population": row.population,
        "station_code": row.station_code,
    }


def _capped(limit: int) -> int:
    return min(max(limit, 1), API_MAX_LIMIT)


class RegionApiController(Controller):
    path = "/api/v1"
    tags = ["regions"]

    @get("/regions")
    async def regions(
        self,
        request: Request,
        parent: FromQuery[str | None] = None,
        level: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: FromQuery[int] = API_LIMIT,
    ) -> dict:
        """Regions in the caller's jurisdiction, in code order.

        `parent` lists the children of one region (403 when it lies outside the caller's
        jurisdiction), `level` is district, town or village, `q` matches a name substring or a code
        prefix; `limit` defaults to 100 and is capped at 1,000."""
        user = current_user(request)
        if level and level not in rules.LEVEL_LABELS:
            raise ValidationException(_("level 应为 district、town 或 village"))
        if parent:
            await _readable_region(user, parent)
        filters = {"parent": parent or "", "level": level or "", "q": q or ""}
        rows = await queries.regions(user.scope, filters, limit=_capped(limit))
        return {"items": [_region_item(row) for row in rows]}

    @get("/regions/{code:str}")
    async def region(self, request: Request, code: FromPath[str]) -> dict:
        """One region by its division code; 404 when unknown, 403 outside the caller's jurisdiction."""
        return _region_item(await _readable_region(current_user(request), code))

    @get("/stations")
    async def stations(
        self,
        request: Request,
        district: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
        limit: FromQuery[int] = API_LIMIT,
    ) -> dict:
        """Police stations the caller may see, with the town codes of their jurisdiction.

        `district` filters by district code, `q` matches name or code; `limit` defaults to 100 and
        is capped at 1,000."""
        user = current_user(request)
        filters = {"district": district or "", "q": q or ""}
        rows = await queries.stations(user.scope, filters, limit=_capped(limit))
        return {
            "items": [
                {
                    "code": r.code,
                    "name": r.name,
                    "district_code": r.district_code,
                    "is_demo": r.is_demo,
                    "towns": r.towns,
                }
                for r in rows
            ]
        }
