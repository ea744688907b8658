"""The materials supermarket over HTTP: shop window, detail, upload and review, file serving
with byte ranges, collections as ZIP, orders (点单), statistics and /api/v1/materials."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Stream, Template

from campaign.accounts.rules import ADMIN, LEADER, TEAM, CurrentUser
from campaign.i18n import _
from campaign.jobs import enqueue
from campaign.materials import forms, jobs, media, queries, rules, serving, uploads
from campaign.parsing import int_or, parse_int
from campaign.timeutil import today
from campaign.web import (
    client_ip,
    csrf_token_valid,
    current_user,
    deny,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

SHOP_FILTERS = ("q", "kind", "fraud_type", "audience", "series", "sort", "status", "mine")
SHOP_PAGE = 24


def _sees(material: queries.MaterialRow, user: CurrentUser) -> bool:
    return rules.may_see(material, user.id, user.role, queries.team_of(user), today())


def _edits(material: queries.MaterialRow, user: CurrentUser) -> bool:
    return rules.may_edit(material, user.id, user.role, queries.team_of(user))


async def _visible(material_id: int, user: CurrentUser) -> queries.MaterialRow:
    """The material if this person may see it; a 404 otherwise, so hidden items stay unknown."""
    material = await queries.material(material_id)
    if material is None or not _sees(material, user):
        raise NotFoundException(_("素材不存在、未上架或已过期"))
    return material


async def _editable(material_id: int, user: CurrentUser) -> queries.MaterialRow:
    material = await queries.material(material_id)
    if material is None:
        raise NotFoundException(_("素材不存在"))
    if not _edits(material, user):
        raise deny(_("只能修改本团队上传的素材"))
    return material


async def _checked(
    kind: str, received: uploads.Received
) -> tuple[rules.Sniffed | None, str | None]:
    if received.path is None:
        return None, _("请选择要上传的文件") if kind in rules.FILE_KINDS else None
    return await asyncio.to_thread(
        media.check_file, kind, received.path, received.head, received.size
    )


class MaterialController(Controller):
    path = "/materials"
    include_in_schema = False

    # -- Shop window -----------------------------------------------------------------------

    @get("/")
    async def shop(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, *SHOP_FILTERS)
        day = today()
        if wants_xlsx(request):
            rows = await queries.shop_page(filters, user, day, limit=None)
            return xlsx_response(
                _("素材清单"),
                [
                    _("编号"),
                    _("类型"),
                    _("标题"),
                    _("诈骗类型"),
                    _("对象"),
                    _("系列"),
                    _("团队"),
                    _("状态"),
                    _("下载次数"),
                    _("有效期至"),
                ],
                (
                    [
                        r["id"],
                        str(rules.KINDS[r["kind"]]),
                        r["title"],
                        "、".join(rules.split_list(r["fraud_types"])),
                        "、".join(rules.split_list(r["audiences"])),
                        r["series"],
                        r["team"],
                        str(rules.STATUSES.get(r["status"], r["status"])),
                        r["downloads"],
                        str(r["valid_until"] or ""),
                    ]
                    for r in rows
                ),
            )
        wanted = int_or(request.query_params.get("page"), 1, 1, 1_000_000)
        total, items = await queries.shop_listing(filters, user, day, wanted, SHOP_PAGE)
        p = pager(request, total, per_page=SHOP_PAGE)
        context: dict[str, Any] = {
            "items": items,
            "pager": p,
            "filters": filters,
            "today": day,
            "kinds": rules.KINDS,
            "statuses": rules.STATUSES,
        }
        if request.headers.get("hx-request") and not request.headers.get("hx-boosted"):
            return render(request, "materials/shop.html", "materials/_grid.html", **context)
        return render(
            request,
            "materials/shop.html",
            **context,
            **await _shop_panels(day),
            audiences=rules.AUDIENCES,
            series=rules.SERIES,
            sorts=rules.SORTS,
            active_nav="materials",
        )

    # -- Upload and edit --------------------------------------------------------------------

    async def _form(self, request: Request, values: dict, errors: dict, material=None, status=200):
        return Template(
            template_name="materials/form.html",
            context={
                "values": values,
                "errors": errors,
                "material": material,
                "kinds": rules.KINDS,
                "fraud_types": await queries.fraud_type_names(),
                "audiences": rules.AUDIENCES,
                "series": rules.SERIES,
                "limits": {k: v // rules.MB for k, v in rules.SIZE_LIMITS.items()},
                "active_nav": "materials",
            },
            status_code=status,
        )

    @get("/new", opt={"roles": (ADMIN, TEAM)})
    async def new(self, request: Request) -> Template:
        kind = request.query_params.get("kind", "poster")
        return await self._form(
            request, {"kind": kind, "series": "小牛警", "fraud_types": [], "audiences": []}, {}
        )

    @post(
        "/new",
        opt={"roles": (ADMIN, TEAM), "exclude_from_csrf": True},
        request_max_body_size=None,
    )
    async def create(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        received = await self._receive(request)
        if not isinstance(received, uploads.Received):
            return received
        try:
            values, errors = rules.validate_material(
                received.fields, await queries.fraud_type_names(), creating=True
            )
            sniffed, file_error = (None, None)
            if values["kind"] in rules.FILE_KINDS:
                sniffed, file_error = await _checked(values["kind"], received)
            if file_error and values["kind"] in rules.KINDS:
                errors["file"] = file_error
            if errors:
                return await self._form(request, values, errors, status=400)
            upload = received if values["kind"] in rules.FILE_KINDS else None
            material_id, version_id = await queries.upload_material(
                values, upload, sniffed, user, client_ip(request)
            )
        finally:
            received.discard()
        if version_id:
            await enqueue(jobs.make_preview, version_id)
        flash(
            request,
            _("已上架") if user.is_admin else _("已提交,等待管理员审核后上架"),
            "success",
        )
        return Redirect(path=f"/materials/{material_id}")

    async def _receive(self, request: Request):
        """The streamed form, or the response that refuses it (nothing is kept)."""
        try:
            received = await uploads.receive(request)
        except uploads.UploadRefused as refused:
            return Template(
                template_name="materials/refused.html",
                context={"message": refused.message, "active_nav": "materials"},
                status_code=refused.status,
            )
        token = request.headers.get("x-csrftoken") or next(
            iter(received.fields.get("_csrf_token", [])), None
        )
        if not await csrf_token_valid(request, token):
            received.discard()
            raise deny(_("页面已过期或缺少安全令牌,请刷新页面后重试"))
        return received

    @get("/{material_id:int}/edit", opt={"roles": (ADMIN, TEAM)})
    async def edit(self, request: Request, material_id: FromPath[int]) -> Template:
        material = await _editable(material_id, current_user(request))
        return await self._form(request, rules.form_values(material), {}, material)

    @post("/{material_id:int}/edit", opt={"roles": (ADMIN, TEAM)})
    async def update(self, request: Request, material_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        material = await _editable(material_id, user)
        fields = forms.edit_fields(await request.form(), material["kind"])
        values, errors = rules.validate_material(
            fields, await queries.fraud_type_names(), creating=False
        )
        if errors:
            return await self._form(request, {**material, **values}, errors, material, 400)
        changes = rules.stored_values(values)
        await queries.change_material(material, changes, user, client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/materials/{material_id}")

    @post(
        "/{material_id:int}/file",
        opt={"roles": (ADMIN, TEAM), "exclude_from_csrf": True},
        request_max_body_size=None,
    )
    async def replace_file(self, request: Request, material_id: FromPath[int]) -> object:
        user = current_user(request)
        material = await _editable(material_id, user)
        if material["kind"] not in rules.FILE_KINDS:
            raise NotFoundException(_("这类素材没有文件"))
        received = await self._receive(request)
        if not isinstance(received, uploads.Received):
            return received
        try:
            sniffed, error = await _checked(material["kind"], received)
            if error or sniffed is None:
                return Template(
                    template_name="materials/refused.html",
                    context={"message": error, "material": material, "active_nav": "materials"},
                    status_code=400,
                )
            version_id = await queries.replace_material_file(
                material, received, sniffed, user, client_ip(request)
            )
        finally:
            received.discard()
        await enqueue(jobs.make_preview, version_id)
        if material["status"] == "approved" and not user.is_admin:
            flash(request, _("新版本已提交审核;审核通过前,素材超市中仍是当前版本"), "success")
        else:
            flash(request, _("已上传新版本,旧版本已保留"), "success")
        return Redirect(path=f"/materials/{material_id}")

    @post("/{material_id:int}/review", opt={"roles": (ADMIN,)})
    async def review(self, request: Request, material_id: FromPath[int]) -> Redirect:
        user = current_user(request)
        material = await _editable(material_id, user)
        status, note = forms.review_form(await request.form())
        if status is None:
            raise NotFoundException(_("未知的审核结果"))
        await queries.review_material(material, status, note, user, client_ip(request))
        flash(request, str(rules.STATUSES[status]), "success")
        return Redirect(path=f"/materials/{material_id}")

    @post("/{material_id:int}/collect", opt={"roles": (ADMIN,)})
    async def collect(self, request: Request, material_id: FromPath[int]) -> Redirect:
        user = current_user(request)
        material = await _editable(material_id, user)
        collection = await queries.collection(forms.collection_choice(await request.form()))
        if collection is None:
            raise NotFoundException(_("专题不存在"))
        await queries.collect_material(collection, material, user, client_ip(request))
        flash(request, _("已加入专题「%(c)s」", c=collection["name"]), "success")
        return Redirect(path=f"/materials/{material_id}")

    # -- Detail, files, downloads ------------------------------------------------------------

    @get("/{material_id:int}")
    async def detail(self, request: Request, material_id: FromPath[int]) -> Template:
        user = current_user(request)
        material = await _visible(material_id, user)
        return render(
            request,
            "materials/detail.html",
            m=material,
            article=rules.render_article(material["body"]) if material["kind"] == "article" else "",
            versions=await queries.versions(material_id),
            waiting=await queries.version_awaiting_review(material)
            if material["status"] == "approved"
            else None,
            can_edit=_edits(material, user),
            expired=rules.is_expired(material["valid_until"], today()),
            collections=await queries.collections() if user.is_admin else [],
            kinds=rules.KINDS,
            statuses=rules.STATUSES,
            split=rules.split_list,
            active_nav="materials",
        )

    @get("/{material_id:int}/preview")
    async def preview(self, request: Request, material_id: FromPath[int]) -> Response:
        material = await _visible(material_id, current_user(request))
        if not material["preview_key"]:
            raise NotFoundException(_("预览尚未生成"))
        return await serving.send_file(
            request,
            material["preview_key"],
            "image/jpeg",
            "preview.jpg",
            material["updated_at"],
            False,
        )

    @get("/{material_id:int}/file")
    async def file(self, request: Request, material_id: FromPath[int]) -> Response:
        """The current file inline, with byte ranges, for <video>/<audio> and PDF viewing."""
        material = await _visible(material_id, current_user(request))
        if not material["file_key"]:
            raise NotFoundException(_("这件素材没有文件"))
        return await serving.send_file(
            request,
            material["file_key"],
            material["content_type"],
            material["file_name"],
            material["updated_at"],
            attachment=False,
        )

    @get("/{material_id:int}/download")
    async def download(self, request: Request, material_id: FromPath[int]) -> Response:
        """The file as an attachment (a slogan or article as text), logged: who, when, which version."""
        user = current_user(request)
        material = await _visible(material_id, user)
        number = material["version"]
        wanted = request.query_params.get("v", "")
        if (asked := parse_int(wanted, 1, 2**31)) is not None and asked != number:
            if not _edits(material, user):
                raise deny(_("旧版本只供上传团队和管理员下载"))
            number = asked
        version = await queries.version(material_id, number) if number else None
        if material["kind"] in rules.FILE_KINDS and version is None:
            raise NotFoundException(_("这个版本不存在"))
        await queries.log_downloads([(material, number)], user)
        if version is None:
            extension = "md" if material["kind"] == "article" else "txt"
            return Response(
                content=material["body"].encode("utf-8"),
                media_type="text/plain; charset=utf-8",
                headers={
                    "Content-Disposition": serving.disposition(
                        "attachment", f"{material['title'][:40]}.{extension}"
                    )
                },
            )
        return await serving.send_file(
            request,
            version["file_key"],
            version["content_type"],
            version["file_name"],
            version["uploaded_at"],
            attachment=True,
        )

    # -- Collections --------------------------------------------------------------------------

    @get("/collections")
    async def collections(self, request: Request) -> Template:
        return render(
            request,
            "materials/collections.html",
            collections=await queries.collections(),
            active_nav="materials",
        )

    @post("/collections", opt={"roles": (ADMIN,)})
    async def create_collection(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        form = await request.form()
        taken = {c["name"] for c in await queries.collections()}
        name, description, ids, errors = forms.collection_form(form, taken)
        if errors:
            return Template(
                template_name="materials/collections.html",
                context={
                    "collections": await queries.collections(),
                    "errors": errors,
                    "values": dict(form.items()),
                    "active_nav": "materials",
                },
                status_code=400,
            )
        collection_id = await queries.new_collection(
            name, description, await queries.existing_ids(ids), user, client_ip(request)
        )
        return Redirect(path=f"/materials/collections/{collection_id}")

    @get("/collections/{collection_id:int}")
    async def collection(self, request: Request, collection_id: FromPath[int]) -> Template:
        user = current_user(request)
        collection = await queries.collection(collection_id)
        if collection is None:
            raise NotFoundException(_("专题不存在"))
        return render(
            request,
            "materials/collection.html",
            collection=collection,
            items=await queries.collection_materials(collection_id, today(), not user.is_admin),
            today=today(),
            kinds=rules.KINDS,
            statuses=rules.STATUSES,
            active_nav="materials",
        )

    @get("/collections/{collection_id:int}/zip")
    async def collection_zip(self, request: Request, collection_id: FromPath[int]) -> Stream:
        """The live materials of a collection as one ZIP, streamed; each one counts as a download."""
        user = current_user(request)
        collection = await queries.collection(collection_id)
        if collection is None:
            raise NotFoundException(_("专题不存在"))
        items = await queries.collection_materials(collection_id, today(), live_only=True)
        entries: list[tuple[str, str | None, bytes | None]] = []
        await queries.log_downloads([(m, m["version"]) for m in items], user)
        for i, m in enumerate(items, start=1):
            if m["file_key"]:
                entries.append((f"{i:03d}-{m['file_name']}", m["file_key"], None))
            else:
                ext = "md" if m["kind"] == "article" else "txt"
                entries.append((f"{i:03d}-{m['title'][:40]}.{ext}", None, m["body"].encode()))
        return Stream(
            serving.zip_stream(entries),
            media_type="application/zip",
            headers={
                "Content-Disposition": serving.disposition(
                    "attachment", f"{collection['name']}.zip"
                )
            },
        )

    # -- Orders (点单) --------------------------------------------------------------------------

    @get("/orders")
    async def orders(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, "status", "q")
        if wants_xlsx(request):
            rows = await queries.orders(filters, user, limit=None)
            return xlsx_response(
                _("点单"),
                [
                    _("编号"),
                    _("提交时间"),
                    _("团队"),
                    _("主题"),
                    _("对象"),
                    _("诈骗类型"),
                    _("状态"),
                    _("答复"),
                ],
                (
                    [
                        r["id"],
                        str(r["created_at"])[:16],
                        r["team"],
                        r["topic"],
                        r["audience"],
                        r["fraud_type"],
                        _("已答复") if r["status"] == "answered" else _("待答复"),
                        r["answer"],
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.order_count(filters, user))
        return render(
            request,
            "materials/orders.html",
            "materials/_order_rows.html",
            orders=await queries.orders(filters, user, p.offset, p.per_page),
            pager=p,
            filters=filters,
            values={},
            errors={},
            fraud_types=await queries.fraud_type_names(),
            audiences=rules.AUDIENCES,
            active_nav="materials",
        )

    @post("/orders", opt={"roles": (ADMIN, TEAM)})
    async def create_order(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        values, errors = forms.order_form(await request.form(), await queries.fraud_type_names())
        if errors:
            filters = {"status": "", "q": ""}
            p = pager(request, await queries.order_count(filters, user))
            return Template(
                template_name="materials/orders.html",
                context={
                    "orders": await queries.orders(filters, user, p.offset, p.per_page),
                    "pager": p,
                    "filters": filters,
                    "values": values,
                    "errors": errors,
                    "fraud_types": await queries.fraud_type_names(),
                    "audiences": rules.AUDIENCES,
                    "active_nav": "materials",
                },
                status_code=400,
            )
        order_id = await queries.place_order(values, user, client_ip(request))
        flash(request, _("点单已提交,内容团队答复后会在工作台提醒你"), "success")
        return Redirect(path=f"/materials/orders/{order_id}")

    async def _order(self, order_id: int, user: CurrentUser) -> queries.AnsweredOrder:
        order = await queries.order(order_id)
        if order is None or not (queries.answers_orders(user) or order["requester_id"] == user.id):
            raise NotFoundException(_("点单不存在"))
        return order

    @get("/orders/{order_id:int}")
    async def order(self, request: Request, order_id: FromPath[int]) -> Template:
        user = current_user(request)
        order = await self._order(order_id, user)
        if order["requester_id"] == user.id and order["status"] == "answered" and not order["seen"]:
            await queries.mark_seen(order_id)
        return render(
            request,
            "materials/order.html",
            order=order,
            can_answer=queries.answers_orders(user),
            suggestions=await queries.suggestions_for(order, today())
            if queries.answers_orders(user)
            else [],
            kinds=rules.KINDS,
            active_nav="materials",
        )

    @post("/orders/{order_id:int}/answer", opt={"roles": (ADMIN, TEAM)})
    async def answer_order(self, request: Request, order_id: FromPath[int]) -> Redirect:
        user = current_user(request)
        if not queries.answers_orders(user):
            raise deny(_("只有内容团队可以答复点单"))
        order = await self._order(order_id, user)
        ids, answer = forms.answer_form(await request.form())
        ids = await queries.existing_ids(ids)
        await queries.reply_to_order(order, ids, answer, user, client_ip(request))
        flash(request, _("已答复,对方会在工作台看到"), "success")
        return Redirect(path=f"/materials/orders/{order_id}")

    # -- Statistics ---------------------------------------------------------------------------

    @get("/stats", opt={"roles": (ADMIN, LEADER)})
    async def stats(self, request: Request) -> Template:
        day = today()
        return render(
            request,
            "materials/stats.html",
            weeks=await queries.downloads_by_week(8, day),
            teams=await queries.downloads_by_team({}),
            most=await queries.usage(day, most=True),
            least=await queries.usage(day, most=False),
            expired=await queries.expired(day),
            statuses=await queries.status_counts(),
            live=await queries.live_count(day),
            kinds=rules.KINDS,
            active_nav="materials",
        )

    @get("/stats/downloads", opt={"roles": (ADMIN, LEADER)})
    async def download_log(self, request: Request) -> object:
        """Who downloaded what, city-wide and per person: admins and city-level leaders only."""
        user = current_user(request)
        if not (user.is_admin or user.scope.is_city):
            raise deny(_("下载记录涉及全市人员,只对市级领导和管理员开放"))
        filters = list_filters(request, "team", "material", "since", "until")
        if wants_xlsx(request):
            rows = await queries.download_log(filters, limit=None)
            return xlsx_response(
                _("下载记录"),
                [_("时间"), _("用户"), _("团队"), _("素材编号"), _("素材"), _("版本")],
                (
                    [
                        str(r["at"])[:19],
                        r["username"],
                        r["team"],
                        r["material_id"],
                        r["title"],
                        r["version"],
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.download_count(filters))
        return render(
            request,
            "materials/downloads.html",
            "materials/_download_rows.html",
            rows=await queries.download_log(filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            active_nav="materials",
        )


async def _shop_panels(day) -> dict:
    return {
        "hot": await queries.hot_this_week(day),
        "recommended": await queries.recommendations(day),
        "collection_list": await queries.cached_collections(),
        "fraud_types": await queries.cached_fraud_type_names(),
    }


# -- API ---------------------------------------------------------------------------------------


@dataclass
class MaterialItem:
    id: int
    kind: str
    title: str
    description: str
    tags: list[str]
    fraud_types: list[str]
    audiences: list[str]
    series: str
    team: str
    version: int
    downloads: int
    valid_from: str | None
    valid_until: str | None
    detail_url: str
    preview_url: str | None
    download_url: str


@dataclass
class MaterialList:
    total: int
    items: list[MaterialItem]


class MaterialApiController(Controller):
    path = "/api/v1/materials"
    tags = ["materials"]

    @get("/", summary="Materials in the shop (approved and not expired)")
    async def list_materials(self, request: Request) -> MaterialList:
        """Filters: kind (poster, video, slogan, article, audio), fraud_type, audience, series,
        q (substring of title, description, tags); sort=new|popular; limit (≤ 200), offset."""
        filters = list_filters(request, "q", "kind", "fraud_type", "audience", "series", "sort")
        limit = min(int_or(request.query_params.get("limit"), 50, 1), 200)
        offset = int_or(request.query_params.get("offset"), 0)
        day = today()
        rows = await queries.api_items(filters, day, offset, limit)
        return MaterialList(
            total=await queries.shop_count(filters, None, day),
            items=[
                MaterialItem(
                    id=r["id"],
                    kind=r["kind"],
                    title=r["title"],
                    description=r["description"],
                    tags=r["tags"].split(),
                    fraud_types=rules.split_list(r["fraud_types"]),
                    audiences=rules.split_list(r["audiences"]),
                    series=r["series"],
                    team=r["team"],
                    version=r["version"],
                    downloads=r["downloads"],
                    valid_from=r["valid_from"].isoformat() if r["valid_from"] else None,
                    valid_until=r["valid_until"].isoformat() if r["valid_until"] else None,
                    detail_url=f"/materials/{r['id']}",
                    preview_url=f"/materials/{r['id']}/preview" if r["preview_key"] else None,
                    download_url=f"/materials/{r['id']}/download",
                )
                for r in rows
            ],
        )
