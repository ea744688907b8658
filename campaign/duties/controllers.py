"""Organisations (机关企事业单位) and the campaign's measures (反诈十条): lists, pages, forms and the
organisation import. Tasks, the assessment and reviews have their own controller modules."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser
from campaign.duties import forms, queries, rules
from campaign.duties.imports import import_file, kept_phone
from campaign.events import rules as event_rules
from campaign.i18n import _
from campaign.importing import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    confirmed_upload,
    keep_upload,
    purge_stale_uploads,
    upload_filename,
    uploaded_table,
)
from campaign.parsing import form_values
from campaign.web import (
    client_ip,
    current_user,
    deny,
    list_filters,
    pager,
    render,
    wants_xlsx,
    xlsx_response,
)

READERS = (ADMIN, LEADER, COORDINATOR)
WRITERS = (ADMIN, COORDINATOR)
EXPORT_LIMIT = 100_000


async def readable_organisation(user: CurrentUser, org_id: int) -> queries.OrganisationRow:
    org = await queries.organisation(org_id)
    if org is None:
        raise NotFoundException(_("机构不存在"))
    if not user.can_read(rules.place_of_unit(org.place_row())):
        raise deny()
    return org


def _export_organisations(rows: list[queries.OrganisationRow]) -> Response:
    return xlsx_response(
        _("机关企事业单位"),
        [
            _("机构编码"),
            _("机构名称"),
            _("行业"),
            _("所在镇街"),
            _("所在村社"),
            _("地址"),
            _("负责人"),
            _("联系电话"),
            _("反诈联盟成员"),
            _("加入联盟日期"),
        ],
        (
            [
                o.code,
                o.name,
                o.sector_label,
                o.town_name,
                o.place_name if o.village_code else "",
                o.address,
                o.responsible_person,
                o.contact_phone_masked or "",
                _("是") if o.alliance_member else _("否"),
                str(o.alliance_joined_on or ""),
            ]
            for o in rows
        ),
    )


class OrganisationController(Controller):
    path = "/duties/organisations"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def index(self, request: Request) -> object:
        user = current_user(request)
        filters = list_filters(request, *queries.ORG_FILTERS)
        if wants_xlsx(request):
            rows = await queries.organisations(user.scope, filters, limit=EXPORT_LIMIT)
            return _export_organisations(rows)
        p = pager(request, await queries.organisation_count(user.scope, filters), per_page=30)
        return render(
            request,
            "duties/organisations.html",
            "duties/_organisation_rows.html",
            organisations=await queries.organisations(user.scope, filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            sectors=rules.SECTORS,
            sector_counts=await queries.sector_counts(user.scope),
            can_write=user.role in WRITERS,
            active_nav="duties",
        )

    @get("/choices")
    async def choices(
        self, request: Request, q: FromQuery[str] = "", organisation: FromQuery[str] = ""
    ) -> Template:
        """Organisations in the person's jurisdiction matching what was typed (htmx; the event
        form's field sends its own name, `organisation`)."""
        found = await queries.organisation_choices(current_user(request).scope, q or organisation)
        return Template(
            template_name="duties/_organisation_choices.html", context={"choices": found}
        )

    @get("/{org_id:int}")
    async def detail(self, request: Request, org_id: FromPath[int]) -> Template:
        user = current_user(request)
        org = await readable_organisation(user, org_id)
        return render(
            request,
            "duties/organisation.html",
            organisation=org,
            outreach=await queries.outreach_at(org.id),
            tasks=await queries.tasks(user.scope, {"unit": org.code}, limit=50),
            event_statuses=event_rules.STATUS_LABELS,
            can_write=user.can_write(rules.place_of_unit(org.place_row())),
            active_nav="duties",
        )

    def _form(
        self, request: Request, values: dict, errors: dict, org=None, status: int = 200
    ) -> Template:
        return Template(
            template_name="duties/organisation_form.html",
            context={
                "values": values,
                "errors": errors,
                "organisation": org,
                "sectors": rules.SECTORS,
                "active_nav": "duties",
            },
            status_code=status,
        )

    @get("/new", opt={"roles": WRITERS})
    async def new(self, request: Request) -> Template:
        user = current_user(request)
        code = user.scope.code if user.scope.kind == "town" else ""
        return self._form(request, {"sector": "enterprise", "region_code": code or ""}, {})

    @get("/{org_id:int}/edit", opt={"roles": WRITERS})
    async def edit(self, request: Request, org_id: FromPath[int]) -> Template:
        org = await readable_organisation(current_user(request), org_id)
        values = {
            "code": org.code,
            "name": org.name,
            "sector": org.sector,
            "region_code": org.region_code,
            "address": org.address,
            "responsible_person": org.responsible_person,
            "alliance_member": "是" if org.alliance_member else "否",
            "alliance_joined_on": str(org.alliance_joined_on or ""),
        }
        return self._form(request, values, {}, org)

    async def _save(
        self, request: Request, org: queries.OrganisationRow | None
    ) -> Template | Redirect:
        user = current_user(request)
        values = forms.organisation_form(await request.form())
        places = await queries.known_places([values["region_code"]])
        record, errors = rules.check_organisation(values, places)
        place = places.get(values["region_code"])
        if place and not user.can_write(rules.place_of_unit({**record, "unit_kind": None})):
            errors["region_code"] = _("该地点不在你的辖区内,只能登记本辖区的机构")
        existing = await queries.organisation_by_code(record["code"]) if record["code"] else None
        if existing and (org is None or existing.id != org.id):
            errors["code"] = _("机构编码 %(c)s 已被 %(n)s 使用", c=record["code"], n=existing.name)
        phone = None
        if values["contact_phone"]:
            try:
                phone = kept_phone(values["contact_phone"])
            except ValueError:
                errors["contact_phone"] = _("电话号码格式不对,请填写手机号或带区号的座机号")
        if errors:
            return self._form(request, values, errors, org, status=400)
        org_id = await queries.save_organisation(
            org.id if org else None,
            queries.stored_organisation(record, phone),
            user,
            client_ip(request),
        )
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/duties/organisations/{org_id}")

    @post("/new", opt={"roles": WRITERS})
    async def create(self, request: Request) -> Template | Redirect:
        return await self._save(request, None)

    @post("/{org_id:int}/edit", opt={"roles": WRITERS})
    async def update(self, request: Request, org_id: FromPath[int]) -> Template | Redirect:
        org = await readable_organisation(current_user(request), org_id)
        if not current_user(request).can_write(rules.place_of_unit(org.place_row())):
            raise deny()
        return await self._save(request, org)

    # -- Import --------------------------------------------------------------------------------

    def _import_page(self, status: int = 200, **context) -> Template:
        return Template(
            template_name="duties/organisation_import.html",
            context={
                "columns": rules.ORGANISATION_COLUMNS,
                "active_nav": "duties",
                "errors": {},
                **context,
            },
            status_code=status,
        )

    @get("/import", opt={"roles": (ADMIN,)})
    async def import_page(self) -> Template:
        purge_stale_uploads()
        return self._import_page()

    @post("/import", opt={"roles": (ADMIN,)}, request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request) -> Template:
        upload, errors = uploaded_table(await request.form())
        if upload is None:
            return self._import_page(400, errors=errors)
        data = await upload.read()
        return await self._import(request, upload_filename(upload.filename), data, True)

    @post("/import/confirm", opt={"roles": (ADMIN,)})
    async def confirm(self, request: Request) -> Template:
        filename, data, errors = confirmed_upload(await request.form())
        if data is None:
            return self._import_page(400, errors=errors)
        return await self._import(request, filename, data, False)

    async def _import(self, request: Request, filename: str, data: bytes, dry_run: bool):
        try:
            summary = await import_file(
                "organisations",
                filename,
                data,
                dry_run=dry_run,
                actor=current_user(request),
                ip=client_ip(request),
            )
        except ImportRejected as rejected:
            return self._import_page(400, rejected=rejected, filename=filename)
        pending = dry_run and bool(summary.added or summary.changed)
        return self._import_page(
            summary=summary,
            dry_run=dry_run,
            filename=filename,
            token=keep_upload(data) if pending else None,
        )


class MeasureController(Controller):
    path = "/duties/measures"
    include_in_schema = False
    opt = {"roles": READERS}

    @get("/")
    async def index(self, request: Request) -> object:
        rows = await queries.measures()
        if wants_xlsx(request):
            return xlsx_response(
                _("反诈十条"),
                [_("序号"), _("措施"), _("内容"), _("一票否决"), _("启用")],
                (
                    [
                        m["number"],
                        m["title"],
                        m["body"],
                        _("是") if m["red_line"] else "",
                        _("是") if m["active"] else _("否"),
                    ]
                    for m in rows
                ),
            )
        return render(
            request,
            "duties/measures.html",
            measures=rows,
            can_write=current_user(request).is_admin,
            active_nav="duties",
        )

    def _form(self, values: dict, errors: dict, measure_id: int | None, status: int = 200):
        return Template(
            template_name="duties/measure_form.html",
            context={
                "values": values,
                "errors": errors,
                "measure_id": measure_id,
                "active_nav": "duties",
            },
            status_code=status,
        )

    @get("/new", opt={"roles": (ADMIN,)})
    async def new(self) -> Template:
        number = max((m["number"] for m in await queries.measures()), default=0) + 1
        return self._form({"number": str(number), "active": "1"}, {}, None)

    @get("/{measure_id:int}/edit", opt={"roles": (ADMIN,)})
    async def edit(self, measure_id: FromPath[int]) -> Template:
        row = await queries.measure(measure_id)
        if row is None:
            raise NotFoundException(_("措施不存在"))
        values = {k: str(row[k]) for k in ("number", "title", "body")}
        values |= {
            "red_line": "1" if row["red_line"] else "",
            "active": "1" if row["active"] else "",
        }
        return self._form(values, {}, measure_id)

    async def _save(self, request: Request, measure_id: int | None):
        values = form_values(await request.form(), forms.MEASURE_FIELDS)
        record, errors = forms.check_measure(values)
        if not errors and await queries.measure_number_taken(record["number"], measure_id):
            errors["number"] = _("第 %(n)s 条已存在", n=record["number"])
        if errors:
            return self._form(values, errors, measure_id, status=400)
        await queries.save_measure(measure_id, record, current_user(request), client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path="/duties/measures")

    @post("/new", opt={"roles": (ADMIN,)})
    async def create(self, request: Request) -> Template | Redirect:
        return await self._save(request, None)

    @post("/{measure_id:int}/edit", opt={"roles": (ADMIN,)})
    async def update(self, request: Request, measure_id: FromPath[int]) -> Template | Redirect:
        if await queries.measure(measure_id) is None:
            raise NotFoundException(_("措施不存在"))
        return await self._save(request, measure_id)
