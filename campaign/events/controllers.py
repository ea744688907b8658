"""Outreach events: logging on a phone, verification, lists, calendar, totals, coverage, the
event types admin page and the JSON API."""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.plugins.flash import flash
from litestar.response import File, Redirect, Template

from campaign import jobs as job_queue
from campaign.accounts.rules import ADMIN, COORDINATOR, LEADER, CurrentUser, Scope
from campaign.db import existing_row
from campaign.events import forms, hooks, jobs, photos, queries, rules
from campaign.i18n import _
from campaign.parsing import parse_date, parse_id, parse_month
from campaign.timeutil import LOCAL, local, today
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
VERIFIERS = (ADMIN, LEADER, COORDINATOR)  # who verifies what: rules.may_verify
API_LIMIT, API_MAX_LIMIT = 100, 1000


async def _readable_event(user: CurrentUser, event_id: int) -> queries.EventRow:
    row = await queries.event(event_id)
    if row is None:
        raise NotFoundException(_("活动不存在"))
    if not user.can_read(queries.place_of_event(row)):
        raise deny()
    return row


def _may_edit(user: CurrentUser, row: queries.EventRow) -> bool:
    return rules.may_edit(
        user.role,
        user.id,
        row["created_by"],
        row["status"],
        user.can_write(queries.place_of_event(row)),
    )


def _queue(user: CurrentUser) -> list:
    """Clauses for 待我核实: what this person may verify and has not logged themselves."""
    return queries.queue_where(user.id, queries.verifiable_clause(user.role, user.scope.kind))


def _may_verify(user: CurrentUser, row: queries.EventRow) -> bool:
    return rules.may_verify(
        user.role,
        user.scope,
        user.id,
        queries.place_of_event(row),
        row["unit_kind"],
        row["created_by"],
    )


def _stored(checked: rules.EventInput, place: queries.ResolvedPlace) -> dict:
    """What a checked form stores (a new or resubmitted event waits for verification)."""
    return {
        **place.stored(),
        "type_id": checked.type_id,
        "team": checked.team or None,
        "place_text": checked.place_text or None,
        "starts_at": checked.starts_at,
        "ends_at": checked.ends_at,
        "day": checked.day,
        **checked.figures,
        "audiences": rules.audiences_text(checked.audiences),
        "notes": checked.notes,
        "status": rules.SUBMITTED,
    }


async def _process_photos(event_id: int) -> None:
    """Resize and thumbnail the event's new photos off the request (campaign.jobs)."""
    for photo in await queries.photos_of(event_id):
        if not photo["ready"]:
            await job_queue.enqueue(jobs.process_photo, photo["id"], job_id=f"photo-{photo['id']}")


def _export(rows: list[queries.EventRow]):
    return xlsx_response(
        _("宣传活动"),
        [
            _("编号"),
            _("日期"),
            _("开始"),
            _("结束"),
            _("类型"),
            _("地点"),
            _("所属镇街"),
            _("地点说明"),
            _("组织单位"),
            _("团队"),
            *[str(rules.FIGURE_LABELS[k]) for k in rules.FIGURES],
            _("受众"),
            _("状态"),
            _("登记人"),
            _("备注"),
        ],
        (
            [
                r["id"],
                str(r["day"]),
                local(r["starts_at"]).strftime("%H:%M"),
                local(r["ends_at"]).strftime("%H:%M"),
                r["type_name"],
                r["place_name"],
                r["town_name"],
                r["place_text"] or "",
                r["unit_name"],
                r["team"] or "",
                *[r[k] for k in rules.FIGURES],
                "、".join(r["audience_list"]),
                str(rules.STATUS_LABELS[r["status"]]),
                r["created_by_name"],
                r["notes"],
            ]
            for r in rows
        ),
    )


EXPORT_LIMIT = 100_000


class EventController(Controller):
    include_in_schema = False
    opt = {"roles": READERS}

    # -- Lists -----------------------------------------------------------------------------

    @get("/events")
    async def index(self, request: Request) -> object:
        from campaign.regions import queries as regions

        async with queries.snapshot():
            user = current_user(request)
            filters = list_filters(request, *queries.FILTER_KEYS)
            extra = _queue(user) if filters["queue"] == "1" else ()
            if wants_xlsx(request):
                rows = await queries.events(user.scope, filters, limit=EXPORT_LIMIT, extra=extra)
                return _export(rows)
            found = await queries.count_events(user.scope, filters, extra=extra)
            p = pager(request, found, per_page=30, cap=queries.COUNT_CAP)
            unit_kind = _unit_kind(user)
            return render(
                request,
                "events/list.html",
                "events/_rows.html",
                events=await queries.events(user.scope, filters, p.offset, p.per_page, extra),
                verifies=queries.verifiable_clause(user.role, user.scope.kind) is not None,
                pager=p,
                filters=filters,
                types=await queries.event_types(),
                audiences=await queries.audience_groups(),
                unit_kind=unit_kind,
                unit_choice=await regions.chosen(unit_kind, filters["unit"]),
                statuses=rules.STATUS_LABELS,
                can_log=user.role in WRITERS,
                active_nav="events",
            )

    @get("/events/calendar")
    async def calendar(self, request: Request) -> Template:
        async with queries.snapshot():
            user = current_user(request)
            filters = list_filters(request, *queries.FILTER_KEYS)
            now = today()
            year, month = parse_month(request.query_params.get("month")) or (now.year, now.month)
            first, last = rules.month_bounds(dt.date(year, month, 1))
            return render(
                request,
                "events/calendar.html",
                None,
                weeks=rules.month_grid(year, month),
                by_day=await queries.month_events(user.scope, filters, first, last),
                month=first,
                previous=_month_key(*rules.shift_month(year, month, -1)),
                following=_month_key(*rules.shift_month(year, month, 1)),
                today=now,
                filters=filters,
                types=await queries.event_types(),
                statuses=rules.STATUS_LABELS,
                active_nav="events",
            )

        # -- Logging -----------------------------------------------------------------------------

    @get("/events/new", opt={"roles": WRITERS})
    async def new(self, request: Request) -> Template:
        user = current_user(request)
        now = dt.datetime.now(LOCAL)
        start = max(now - dt.timedelta(hours=1), now.replace(hour=0, minute=0))
        values = {
            "day": now.date().isoformat(),
            "start": start.strftime("%H:00") if start.hour < now.hour else "00:00",
            "end": now.strftime("%H:%M"),
            "team": user.team or "",
            "token": uuid.uuid4().hex,
        }
        if user.scope.kind == "town":
            place = await queries.resolve_place(user.scope.code or "")
            if place:
                values |= {"place_code": place["place_code"], "place_name": place["place_name"]}
        return await self._form(request, values, {})

    async def _form(
        self,
        request: Request,
        values: dict,
        errors: dict,
        status: int = 200,
        duplicates: list | None = None,
        event_row: queries.EventRow | None = None,
    ) -> Template:
        async with queries.snapshot():
            user = current_user(request)
            types = await queries.event_types(active_only=True)
            if event_row and not any(t["id"] == event_row["type_id"] for t in types):
                types.append(await existing_row(queries.event_type(event_row["type_id"])))
            return Template(
                template_name="events/form.html",
                context={
                    "values": values,
                    "errors": errors,
                    "types": types,
                    "figures": rules.FIGURES,
                    "figure_labels": rules.FIGURE_LABELS,
                    "audiences": await queries.audience_groups(active_only=True),
                    "chosen_audiences": values.get("audiences", []),
                    "pending_photos": await queries.pending_photos(values.get("token", "")),
                    "max_photos": rules.MAX_PHOTOS,
                    "max_photo_mb": rules.MAX_PHOTO_BYTES // 1024 // 1024,
                    "unit_name": user.unit_name or _("按地点所在镇街"),
                    "duplicates": duplicates or [],
                    "event": event_row,
                    "fresh": not errors and not duplicates and event_row is None,
                    "extensions": hooks.EXTENSIONS,
                    "active_nav": "events",
                },
                status_code=status,
            )

    @get("/events/places", opt={"roles": WRITERS})
    async def places(self, request: Request, q: FromQuery[str] = "") -> Template:
        async with queries.snapshot():
            """Villages and towns in the person's jurisdiction matching what was typed (htmx)."""
            user = current_user(request)
            return Template(
                template_name="events/_places.html",
                context={"places": await queries.place_choices(user.scope, q), "q": q.strip()},
            )

    async def _read_form(self, request: Request) -> tuple[dict, list[tuple[str, bytes]]]:
        """The form's values and its new photos as (file name, bytes); reads, writes nothing."""
        form = await request.form()
        values = forms.event_values(form, [e.field for e in hooks.EXTENSIONS])
        files = [(f.filename, await f.read()) for f in forms.new_photos(form)]
        return values, files

    async def _read_and_keep_photos(self, request: Request, user: CurrentUser):
        """The form's values, and errors for photos that could not be kept (the others are
        stored as pending uploads under the form's token)."""
        values, files = await self._read_form(request)
        errors: dict[str, str] = {}
        if problems := await queries.keep_pending_photos(values["token"], files, user.id):
            errors["photos"] = ";".join(problems)
        return values, errors

    async def _check(self, user: CurrentUser, values: dict, errors: dict):
        """The event and where it is filed, or errors (including the place's jurisdiction)."""
        specs = await queries.type_specs()
        kind = specs.get(parse_id(values["type_id"]) or 0)
        known = [a["name"] for a in await queries.audience_groups()]
        checked, problems = rules.check_event(
            values, values["audiences"], kind, known, dt.datetime.now(LOCAL)
        )
        errors.update(problems)
        place = None
        if values["place_code"]:
            place = await queries.resolve_place(values["place_code"])
            if place is None:
                errors["place_code"] = _("请选择村社或镇街作为活动地点")
            elif not user.can_write(place["place"]):
                errors["place_code"] = _(
                    "%(name)s 不在你的辖区内,只能登记本辖区的活动", name=place["place_name"]
                )
            else:
                values["place_name"] = place["place_name"]
                for extension in hooks.EXTENSIONS:
                    problem = await extension.check(values[extension.field], place["place"], user)
                    if problem:
                        errors[extension.field] = problem
        return (None if errors else checked), place

    @post("/events", opt={"roles": WRITERS}, request_max_body_size=rules.MAX_FORM_BYTES)
    async def create(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        values, errors = await self._read_and_keep_photos(request, user)
        async with queries.snapshot():
            existing = await queries.event_by_token(values["token"])
            if existing:
                flash(request, _("该活动已登记,未重复保存"), "info")
                return Redirect(path=f"/events/{existing['id']}")
            checked, place = await self._check(user, values, errors)
            if checked is None or place is None:
                return await self._form(request, values, errors, status=400)
            unit_kind, unit_code = (
                (user.scope.kind, user.scope.code)
                if user.scope.kind
                else ("town", place["town_code"])
            )
            duplicates = await queries.likely_duplicates(
                unit_code, checked.type_id, checked.place_code, checked.day
            )
            if duplicates and not values["confirm_duplicate"]:
                return await self._form(request, values, {}, status=409, duplicates=duplicates)
        record = {
            **_stored(checked, place),
            "unit_kind": unit_kind,
            "unit_code": unit_code,
            "created_by": user.id,
            "created_by_name": user.display_name,
            "token": values["token"],
        }
        event_id = await queries.log_event(
            record,
            {
                "type_id": checked.type_id,
                **checked.figures,
                "duplicate_confirmed": bool(duplicates),
            },
            _("登记宣传活动 %(place)s %(day)s", place=place["place_name"], day=checked.day),
            user,
            client_ip(request),
            also=lambda event_id: hooks.save_extensions(event_id, values),
        )
        await _process_photos(event_id)
        flash(request, _("活动已登记,等待上级核实"), "success")
        return Redirect(path=f"/events/{event_id}?saved={values['token']}")

    # -- Editing a returned event --------------------------------------------------------------

    async def _editable(self, user: CurrentUser, event_id: int) -> queries.EventRow:
        row = await _readable_event(user, event_id)
        if not _may_edit(user, row):
            raise deny(_("只有登记人可以修改未核实的活动"))
        return row

    @get("/events/{event_id:int}/edit", opt={"roles": WRITERS})
    async def edit(self, request: Request, event_id: FromPath[int]) -> Template:
        row = (await queries.named_events([await self._editable(current_user(request), event_id)]))[
            0
        ]
        values = {
            **{k: str(row[k]) for k in rules.FIGURES},
            "type_id": str(row["type_id"]),
            "place_code": row["place_code"],
            "place_name": row["place_name"],
            "place_text": row["place_text"] or "",
            "day": str(row["day"]),
            "start": local(row["starts_at"]).strftime("%H:%M"),
            "end": local(row["ends_at"]).strftime("%H:%M"),
            "team": row["team"] or "",
            "notes": row["notes"],
            "audiences": row["audience_list"],
            "token": uuid.uuid4().hex,
        }
        for extension in hooks.EXTENSIONS:
            values[extension.field] = await extension.current(event_id)
        return await self._form(request, values, {}, event_row=row)

    @post(
        "/events/{event_id:int}/edit",
        opt={"roles": WRITERS},
        request_max_body_size=rules.MAX_FORM_BYTES,
    )
    async def update(self, request: Request, event_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        row = await self._editable(user, event_id)
        values, errors = await self._read_and_keep_photos(request, user)
        checked, place = await self._check(user, values, errors)
        if checked is None or place is None:
            return await self._form(request, values, errors, status=400, event_row=row)
        changes = {**_stored(checked, place), "updated_at": dt.datetime.now(dt.UTC)}
        await queries.resubmit_event(
            row,
            changes,
            values["token"],
            user,
            client_ip(request),
            also=lambda event_id: hooks.save_extensions(event_id, values),
        )
        await _process_photos(event_id)
        flash(request, _("已修改并重新提交,等待上级核实"), "success")
        return Redirect(path=f"/events/{event_id}?saved={values['token']}")

    # -- Detail and verification --------------------------------------------------------------

    @get("/events/{event_id:int}")
    async def detail(self, request: Request, event_id: FromPath[int]) -> Template:
        async with queries.snapshot():
            user = current_user(request)
            row = (await queries.named_events([await _readable_event(user, event_id)]))[0]
            specs = await queries.type_specs()
            spec = specs.get(row["type_id"])
            can_verify = row["status"] == rules.SUBMITTED and _may_verify(user, row)
            return Template(
                template_name="events/detail.html",
                context={
                    "event": row,
                    "spec": spec,
                    "figures": [k for k in rules.FIGURES if (spec is None or k in spec.figures)],
                    "figure_labels": rules.FIGURE_LABELS,
                    "photos": await queries.photos_of(event_id),
                    "statuses": rules.STATUS_LABELS,
                    "can_verify": can_verify,
                    "duplicates": await queries.duplicates_of(row) if can_verify else [],
                    "can_edit": _may_edit(user, row),
                    "saved_token": request.query_params.get("saved", ""),
                    "active_nav": "events",
                },
            )

    @post("/events/{event_id:int}/review", opt={"roles": VERIFIERS})
    async def review(self, request: Request, event_id: FromPath[int]) -> Redirect | Template:
        user = current_user(request)
        row = await _readable_event(user, event_id)
        if not _may_verify(user, row):
            raise deny(
                _("核实由组织单位的上级(镇街、区县、市局或管理员)进行,不能核实自己登记的活动")
            )
        decision, reason = forms.review_decision(await request.form())
        if row["status"] != rules.SUBMITTED:
            flash(request, _("该活动已处理,无需重复操作"), "info")
            return Redirect(path=f"/events/{event_id}")
        if decision is None:
            raise ValidationException(_("请选择核实或退回"))
        if decision == "return" and not reason:
            flash(request, _("退回时请填写原因,便于登记人修改"), "error")
            return Redirect(path=f"/events/{event_id}#review")
        status = rules.VERIFIED if decision == "verify" else rules.RETURNED
        await queries.review_event(event_id, decision, status, reason, user, client_ip(request))
        flash(request, _("已核实") if status == rules.VERIFIED else _("已退回登记人"), "success")
        return Redirect(path=f"/events/{event_id}")

    @get("/events/photos/{photo_id:int}")
    async def photo(
        self, request: Request, photo_id: FromPath[int], size: FromQuery[str] = "large"
    ) -> File:
        """A photo, after checking that its event lies in the person's jurisdiction (or, before
        the event is saved, that they uploaded it)."""
        user = current_user(request)
        row = await queries.photo(photo_id)
        if row is None:
            raise NotFoundException(_("照片不存在"))
        if row["event_id"] is None:
            if row["uploaded_by"] != user.id:
                raise deny()
        else:
            await _readable_event(user, row["event_id"])
        variant = size if row["ready"] and size in ("large", "thumb") else ""
        path = photos.path_of(row["stored_name"], variant)
        if not path.exists():
            raise NotFoundException(_("照片文件不存在"))
        return File(
            path=path,
            filename=path.name,
            media_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            content_disposition_type="inline",
            headers={
                "Cache-Control": "private, max-age=86400",
                "X-Content-Type-Options": "nosniff",
            },
        )

    # -- Totals and coverage -------------------------------------------------------------------

    @get("/events/totals")
    async def totals(self, request: Request) -> object:
        async with queries.snapshot():
            user = current_user(request)
            level = request.query_params.get("level", "town")
            if level not in ("district", "town", "station"):
                level = "town"
            start, end = _period(request)
            rows = await queries.totals(level, start, end, user.scope)
            columns = ["lectures", "events", *rules.FIGURES]
            labels = _total_labels()
            if wants_xlsx(request):
                return xlsx_response(
                    _("宣传活动汇总"),
                    [_("单位编码"), _("单位"), *[str(labels[c]) for c in columns]],
                    ([r["code"], r["name"], *[r[c] for c in columns]] for r in rows),
                )
            sums = {c: sum(r[c] for r in rows) for c in columns}
            now = today()
            last_month = rules.month_bounds(now.replace(day=1) - dt.timedelta(days=1))
            presets = [
                (_("本月"), now.replace(day=1), now),
                (_("上月"), *last_month),
                (_("近 %(n)s 天", n=365), now - dt.timedelta(days=364), now),
            ]
            return render(
                request,
                "events/totals.html",
                None,
                rows=rows,
                sums=sums,
                columns=columns,
                labels=labels,
                level=level,
                start=start,
                end=end,
                presets=presets,
                active_nav="events",
            )

    @get("/events/coverage")
    async def coverage(self, request: Request) -> object:
        await queries.fresh_coverage(today())
        async with queries.snapshot():
            user = current_user(request)
            now = today()
            days = request.query_params.get("days", "30")
            window = int(days) if days in ("7", "30", "90") else 30
            if town := request.query_params.get("town", "").strip():
                return await self._town_coverage(request, user, town, window)
            if wants_xlsx(request):
                towns = await queries.coverage_by_town(user.scope, now)
                return xlsx_response(
                    _("宣传覆盖"),
                    [
                        _("区县"),
                        _("镇街编码"),
                        _("镇街"),
                        _("村社数"),
                        *[_("近%(n)s天未覆盖", n=n) for n in rules.WINDOWS],
                    ],
                    (
                        [
                            t["district_name"],
                            t["code"],
                            t["name"],
                            t["villages"],
                            *[t[f"gap{n}"] for n in rules.WINDOWS],
                        ]
                        for t in towns
                    ),
                )
            districts = await queries.coverage_districts(user.scope, now)
            p = pager(request, await queries.coverage_town_count(user.scope, now), per_page=50)
            sharp = (
                await queries.rising_without_outreach(user.scope, now)
                if user.role in (ADMIN, LEADER) or user.scope.kind == "district"
                else None
            )
            return render(
                request,
                "events/coverage.html",
                None,
                districts=districts,
                towns=await queries.coverage_towns(user.scope, now, window, p.offset, p.per_page),
                pager=p,
                window=window,
                windows=rules.WINDOWS,
                sharp=sharp,
                map_data=[
                    {
                        "name": d["name"],
                        "value": round(d[f"share{window}"] * 100, 1),
                        "code": d["code"],
                    }
                    for d in districts
                ],
                active_nav="events",
            )

    async def _town_coverage(self, request: Request, user: CurrentUser, town: str, window: int):
        """The villages of one town without verified outreach in the window."""
        from campaign.regions import queries as regions

        place = await regions.place_of(town)
        if place is None or place.level != "town":
            raise NotFoundException(_("区划代码 %(code)s 不存在", code=town))
        if not user.can_read(place):
            raise deny()
        now = today()
        villages = await queries.uncovered_villages(
            user.scope, town, rules.covered_since(now, window)
        )
        if wants_xlsx(request):
            return xlsx_response(
                _("未覆盖村社"),
                [_("村社编码"), _("村社"), _("最近一次已核实宣传")],
                ([v["code"], v["name"], str(v["last_on"] or "")] for v in villages),
            )
        rows = await queries.coverage_towns(Scope("town", town), now)
        return render(
            request,
            "events/coverage_town.html",
            None,
            town=rows[0] if rows else {"code": town, "name": town, "villages": 0},
            villages=villages,
            window=window,
            active_nav="events",
        )


def _month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _total_labels() -> dict:
    return {
        "lectures": _("宣讲场次"),
        "events": _("活动次数"),
        "attendees": _("覆盖人数"),
        **{k: str(v) for k, v in rules.FIGURE_LABELS.items() if k != "attendees"},
    }


def _period(request: Request) -> tuple[dt.date, dt.date]:
    """?from=&to= (local days); by default this month so far."""
    now = today()
    start = parse_date(request.query_params.get("from")) or now.replace(day=1)
    end = parse_date(request.query_params.get("to")) or now
    return (start, end) if start <= end else (end, start)


def _unit_kind(user: CurrentUser) -> str:
    """The level the list filters by, one below the person's: districts for the city (2,800 at
    national scale: a searchable picker), towns for a district or a station."""
    return "district" if user.scope.is_city else "town"


class EventApiController(Controller):
    path = "/api/v1"
    tags = ["events"]

    @get("/events", opt={"roles": (ADMIN, LEADER, COORDINATOR)})
    async def events(
        self,
        request: Request,
        start: FromQuery[dt.date | None] = None,
        end: FromQuery[dt.date | None] = None,
        type_id: FromQuery[int | None] = None,
        status: FromQuery[str | None] = None,
        place: FromQuery[str | None] = None,
        unit: FromQuery[str | None] = None,
        limit: FromQuery[int] = API_LIMIT,
        offset: FromQuery[int] = 0,
    ) -> dict:
        """Outreach events in the caller's jurisdiction, newest first.

        `start`/`end` bound the local day (YYYY-MM-DD), `type_id` an event type, `status` is
        submitted, verified or returned, `place` a village (12 digits) or town (9) code, `unit` an
        organising unit (town, district or station code); `limit` defaults to 100, at most 1,000.
        Each item carries the figures (attendees, households, installs, materials, gifts,
        volunteers) and audiences. Only verified events count in totals and contests."""
        user = current_user(request)
        if status and status not in rules.STATUS_LABELS:
            raise ValidationException(_("status 应为 submitted、verified 或 returned"))
        filters = {
            "from": start.isoformat() if start else "",
            "to": end.isoformat() if end else "",
            "type": str(type_id or ""),
            "status": status or "",
            "place": place or "",
            "unit": unit or "",
        }
        rows = await queries.events(
            user.scope, filters, max(offset, 0), min(max(limit, 1), API_MAX_LIMIT)
        )
        return {
            "items": [
                {
                    "id": r["id"],
                    "type": r["type_name"],
                    "type_id": r["type_id"],
                    "day": str(r["day"]),
                    "starts_at": local(r["starts_at"]).isoformat(),
                    "ends_at": local(r["ends_at"]).isoformat(),
                    "place_code": r["place_code"],
                    "place_name": r["place_name"],
                    "place_text": r["place_text"],
                    "town_code": r["town_code"],
                    "district_code": r["district_code"],
                    "station_code": r["station_code"],
                    "unit_code": r["unit_code"],
                    "team": r["team"],
                    "status": r["status"],
                    "audiences": r["audience_list"],
                    **{k: r[k] for k in rules.FIGURES},
                    "is_demo": r["is_demo"],
                }
                for r in rows
            ]
        }
