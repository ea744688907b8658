"""Login, the person's own account, user administration, the audit log, and /api/v1/me."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.flash import flash
from litestar.response import Redirect, Template

from campaign.accounts import forms, queries
from campaign.accounts.rules import ADMIN, ROLES, UNIT_KIND_LABELS
from campaign.i18n import _
from campaign.parsing import form_flag
from campaign.regions import queries as regions
from campaign.web import (
    COUNT_CAP,
    client_ip,
    current_user,
    list_filters,
    pager,
    render,
    start_session,
    wants_xlsx,
    xlsx_response,
)


def _safe_next(target: str | None) -> str:
    """Only local paths, so the login form cannot be used to bounce people to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


class AccountController(Controller):
    include_in_schema = False

    @get("/login", opt={"public": True})
    async def login_page(self, request: Request) -> Template:
        if request.state.user:
            return Redirect(path="/")  # type: ignore[return-value]
        expired = request.query_params.get("expired") == "1"
        return Template(
            template_name="accounts/login.html",
            context={
                "next": request.query_params.get("next", "/"),
                "expired": expired,
                "username": "",
            },
        )

    @post("/login", opt={"public": True})
    async def login(self, request: Request) -> Template | Redirect:
        login = forms.login_form(await request.form())
        result = await queries.attempt_login(login.username, login.password, client_ip(request))
        if result.user_id is None:
            error = (
                _("尝试次数过多,请 %(s)s 秒后再试", s=result.wait_seconds)
                if result.wait_seconds
                else _("用户名或密码错误,或账户已停用")
            )
            return Template(
                template_name="accounts/login.html",
                context={"next": login.next, "error": error, "username": login.username},
                status_code=429 if result.wait_seconds else 400,
            )
        start_session(request, {"uid": result.user_id, "stamp": result.stamp})
        return Redirect(path=_safe_next(login.next))

    @post("/logout")
    async def logout(self, request: Request) -> Redirect:
        if (uid := request.session.get("uid")) is not None:
            queries.forget_session_user(uid, request.session.get("stamp"))
        request.clear_session()
        return Redirect(path="/login")

    @get("/account")
    async def account(self, request: Request) -> Template:
        return await self._account_page(request)

    async def _account_page(self, request: Request, **extra) -> Template:
        user = current_user(request)
        return render(
            request,
            "accounts/account.html",
            user=user,
            tokens=await queries.tokens_of(user.id),
            errors=extra.pop("errors", {}),
            **extra,
        )

    @post("/account/password")
    async def change_password(self, request: Request) -> Template | Redirect:
        user = current_user(request)
        old, new, problem = forms.password_change(await request.form())
        errors = {}
        if problem:
            errors["new"] = problem
        else:
            stamp = await queries.change_own_password(user, old, new, client_ip(request))
            if stamp is None:
                errors["old"] = _("原密码不正确")
        if errors:
            response = await self._account_page(request, errors=errors)
            response.status_code = 400
            return response
        start_session(request, {"uid": user.id, "stamp": stamp})
        flash(request, _("密码已修改,其他设备上的登录已失效"), "success")
        return Redirect(path="/account")

    @post("/account/tokens")
    async def create_token(self, request: Request) -> Template:
        user = current_user(request)
        name = forms.token_name(await request.form())
        token = await queries.create_own_token(user, name, client_ip(request))
        return await self._account_page(request, new_token=token)

    @post("/account/tokens/{token_id:int}/revoke")
    async def revoke_token(self, request: Request, token_id: FromPath[int]) -> Redirect:
        user = current_user(request)
        if not await queries.revoke_own_token(user, token_id, client_ip(request)):
            raise NotFoundException(_("令牌不存在或已撤销"))
        flash(request, _("令牌已撤销"), "success")
        return Redirect(path="/account")


class AdminController(Controller):
    """User administration and the audit log; admins only."""

    path = "/admin"
    opt = {"roles": (ADMIN,)}
    include_in_schema = False

    @get("/users")
    async def users(self, request: Request) -> object:
        filters = list_filters(request, "q", "role", "active")
        if wants_xlsx(request):
            rows = await queries.users(filters, limit=None)
            return xlsx_response(
                _("用户列表"),
                [
                    _("用户名"),
                    _("姓名"),
                    _("角色"),
                    _("所属单位"),
                    _("宣传团队"),
                    _("状态"),
                    _("最近登录"),
                ],
                (
                    [
                        r["username"],
                        r["display_name"],
                        str(ROLES.get(r["role"], r["role"])),
                        r["unit_name"] or _("全市"),
                        r["team"] or "",
                        _("启用") if r["active"] else _("停用"),
                        str(r["last_login"] or ""),
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.user_count(filters))
        return render(
            request,
            "admin/users.html",
            "admin/_user_rows.html",
            users=await queries.users(filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            roles=ROLES,
            active_nav="admin",
        )

    async def _user_form(
        self,
        request: Request,
        values: dict,
        errors: dict,
        user_id: int | None = None,
        status: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/user_form.html",
            context={
                "values": values,
                "errors": errors,
                "user_id": user_id,
                "roles": ROLES,
                # a picker (GET /pick/unit): a province has ~2,700 districts, towns, stations
                "unit_choice": await regions.chosen("unit", values.get("unit")),
                "unit_kinds": UNIT_KIND_LABELS,
                "active_nav": "admin",
            },
            status_code=status,
        )

    @get("/users/new")
    async def new_user(self, request: Request) -> Template:
        return await self._user_form(request, {"role": "coordinator"}, {})

    @post("/users/new")
    async def create_user(self, request: Request) -> Template | Redirect:
        form = await request.form()
        values, errors = await forms.validate_user(form, creating=True)
        if errors:
            return await self._user_form(request, values, errors, status=400)
        user_id = await queries.add_user(
            values,
            forms.new_password(form),
            forms.split_unit(values["unit"]),
            current_user(request),
            client_ip(request),
        )
        flash(request, _("已创建用户 %(name)s", name=values["username"]), "success")
        return Redirect(path=f"/admin/users/{user_id}")

    async def _existing(self, user_id: int) -> queries.UserRow:
        row = await queries.user_detail(user_id)
        if row is None:
            raise NotFoundException(_("用户不存在"))
        return row

    @get("/users/{user_id:int}")
    async def edit_user(self, request: Request, user_id: FromPath[int]) -> Template:
        row = await self._existing(user_id)
        unit = f"{row['unit_kind']}:{row['unit_code']}" if row["unit_kind"] else ""
        return await self._user_form(request, {**row, "unit": unit}, {}, user_id)

    @post("/users/{user_id:int}")
    async def update_user(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        row = await self._existing(user_id)
        values, errors = await forms.validate_user(await request.form(), creating=False)
        values["username"] = row["username"]
        if errors:
            return await self._user_form(request, {**row, **values}, errors, user_id, status=400)
        kind, code = forms.split_unit(values["unit"])
        changes = {
            "display_name": values["display_name"],
            "role": values["role"],
            "unit_kind": kind,
            "unit_code": code,
            "team": values["team"] or None,
        }
        await queries.change_user(row, changes, current_user(request), client_ip(request))
        flash(request, _("已保存"), "success")
        return Redirect(path=f"/admin/users/{user_id}")

    @post("/users/{user_id:int}/active")
    async def toggle_active(self, request: Request, user_id: FromPath[int]) -> Redirect:
        row = await self._existing(user_id)
        actor = current_user(request)
        activate = form_flag(await request.form(), "active")
        if actor.id == user_id and not activate:
            flash(request, _("不能停用自己的账户"), "error")
            return Redirect(path=f"/admin/users/{user_id}")
        await queries.activate_user(row, activate, actor, client_ip(request))
        flash(
            request, _("已启用") if activate else _("已停用,该用户的登录和令牌立即失效"), "success"
        )
        return Redirect(path=f"/admin/users/{user_id}")

    @post("/users/{user_id:int}/password")
    async def reset_password(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        row = await self._existing(user_id)
        password, problem = forms.password_reset(await request.form())
        if problem:
            unit = f"{row['unit_kind']}:{row['unit_code']}" if row["unit_kind"] else ""
            return await self._user_form(
                request, {**row, "unit": unit}, {"password": problem}, user_id, status=400
            )
        await queries.reset_password(row, password, current_user(request), client_ip(request))
        flash(request, _("密码已重置,该用户需用新密码重新登录"), "success")
        return Redirect(path=f"/admin/users/{user_id}")

    @get("/audit")
    async def audit(self, request: Request) -> object:
        filters = list_filters(request, "q", "actor", "action")
        if wants_xlsx(request):
            rows = await queries.audit_entries(filters, limit=None)
            return xlsx_response(
                _("审计日志"),
                [_("时间"), _("操作人"), _("操作"), _("对象"), _("摘要"), _("IP")],
                (
                    [
                        str(r["at"]),
                        r["actor_name"],
                        r["action"],
                        r["target"],
                        r["summary"],
                        r["ip"] or "",
                    ]
                    for r in rows
                ),
            )
        p = pager(request, await queries.audit_count(filters, COUNT_CAP), cap=COUNT_CAP)
        return render(
            request,
            "admin/audit.html",
            "admin/_audit_rows.html",
            entries=await queries.audit_entries(filters, p.offset, p.per_page),
            pager=p,
            filters=filters,
            active_nav="admin",
        )


class ApiAccountController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @get("/me")
    async def me(self, request: Request) -> dict:
        """The caller: username, role and the unit whose data they may see."""
        user = current_user(request)
        return {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "unit_kind": user.scope.kind,
            "unit_code": user.scope.code,
            "unit_name": user.unit_name,
        }
