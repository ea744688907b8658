"""Administering the reference lists: fraud types and occupation groups, each with aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, MediaType, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts.rules import ADMIN
from campaign.cases import forms, queries, rules
from campaign.cases.tables import FraudType, OccupationGroup
from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.web import client_ip, current_user, wants_xlsx, xlsx_response


@dataclass(frozen=True)
class ListKind:
    key: str
    table: Any
    title: Any
    sub: Any
    audit: str

    @property
    def is_types(self) -> bool:
        return self.table is FraudType


TYPES = ListKind(
    "fraud-types",
    FraudType,
    _l("诈骗类型"),
    _l(
        "导入时按名称或别名识别诈骗类型。已有案件使用的类型不能删除,可以停用;改名时已有案件随之改名。"
    ),
    "fraud_type",
)
GROUPS = ListKind(
    "occupations",
    OccupationGroup,
    _l("职业分组"),
    _l(
        "受害人职业按原文保存,统计时按别名归入分组(如“在校大学生”→学生)。修改后所有案件立即重新归组。"
    ),
    "occupation_group",
)


async def _rows(kind: ListKind) -> list[queries.ListEntry]:
    return await (queries.fraud_types() if kind.is_types else queries.occupation_groups())


async def _entry(kind: ListKind, entry_id: int) -> queries.ListEntry:
    row = await (
        queries.fraud_type(entry_id) if kind.is_types else queries.occupation_group(entry_id)
    )
    if row is None:
        raise NotFoundException(_("没有这一项"))
    return row


class ReferenceListController(Controller):
    path = "/cases"
    opt = {"roles": (ADMIN,)}
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        kind: ListKind,
        values: dict | None = None,
        errors: dict | None = None,
        editing: queries.ListEntry | None = None,
    ) -> object:
        rows = await _rows(kind)
        if wants_xlsx(request):
            return xlsx_response(
                str(kind.title),
                [_("名称"), _("别名"), _("案件数"), _("状态")],
                (
                    [
                        r["name"],
                        r["aliases"],
                        r["cases"],
                        _("停用") if not r.get("active", True) else _("启用"),
                    ]
                    for r in rows
                ),
            )
        return Template(
            template_name="cases/lists.html",
            context={
                "kind": kind,
                "rows": rows,
                "values": values or {"name": "", "aliases": "", "active": True},
                "errors": errors or {},
                "editing": editing,
                "active_nav": "cases",
            },
            status_code=400 if errors else 200,
            media_type=MediaType.HTML,
        )

    async def _save(
        self, request: Request, kind: ListKind, old: queries.ListEntry | None
    ) -> Template | Redirect | object:
        user = current_user(request)
        values = forms.list_entry_form(await request.form(), kind.is_types, old is not None)
        others = [
            (r["name"], r["aliases"]) for r in await _rows(kind) if not old or r["id"] != old["id"]
        ]
        if errors := rules.list_entry_errors(values["name"], values["aliases"], others):
            return await self._page(request, kind, values, errors, old)
        await queries.save_list_entry(
            kind.is_types, kind.audit, str(kind.title), old, values, user, client_ip(request)
        )
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/cases/{kind.key}")

    async def _delete(self, request: Request, kind: ListKind, entry_id: int) -> object:
        old = await _entry(kind, entry_id)
        used = next((r["cases"] for r in await _rows(kind) if r["id"] == entry_id), 0)
        if used:
            flash(
                request,
                _("“%(name)s”有 %(n)s 起案件在用,不能删除", name=old["name"], n=used)
                + (_(",可以停用") if kind.is_types else ""),
                "error",
            )
            return Redirect(path=f"/cases/{kind.key}/{entry_id}")
        await queries.delete_list_entry(
            kind.is_types,
            kind.audit,
            str(kind.title),
            old,
            current_user(request),
            client_ip(request),
        )
        flash(request, _("已删除"), "success")
        return Redirect(path=f"/cases/{kind.key}")

    @get("/fraud-types")
    async def fraud_types(self, request: Request) -> object:
        return await self._page(request, TYPES)

    @post("/fraud-types")
    async def add_fraud_type(self, request: Request) -> object:
        return await self._save(request, TYPES, None)

    @get("/fraud-types/{entry_id:int}")
    async def fraud_type(self, request: Request, entry_id: FromPath[int]) -> object:
        row = await _entry(TYPES, entry_id)
        return await self._page(request, TYPES, dict(row), editing=row)

    @post("/fraud-types/{entry_id:int}")
    async def edit_fraud_type(self, request: Request, entry_id: FromPath[int]) -> object:
        return await self._save(request, TYPES, await _entry(TYPES, entry_id))

    @post("/fraud-types/{entry_id:int}/delete")
    async def delete_fraud_type(self, request: Request, entry_id: FromPath[int]) -> object:
        return await self._delete(request, TYPES, entry_id)

    @get("/occupations")
    async def occupations(self, request: Request) -> object:
        return await self._page(request, GROUPS)

    @post("/occupations")
    async def add_occupation(self, request: Request) -> object:
        return await self._save(request, GROUPS, None)

    @get("/occupations/{entry_id:int}")
    async def occupation(self, request: Request, entry_id: FromPath[int]) -> object:
        row = await _entry(GROUPS, entry_id)
        return await self._page(request, GROUPS, dict(row), editing=row)

    @post("/occupations/{entry_id:int}")
    async def edit_occupation(self, request: Request, entry_id: FromPath[int]) -> object:
        return await self._save(request, GROUPS, await _entry(GROUPS, entry_id))

    @post("/occupations/{entry_id:int}/delete")
    async def delete_occupation(self, request: Request, entry_id: FromPath[int]) -> object:
        return await self._delete(request, GROUPS, entry_id)
