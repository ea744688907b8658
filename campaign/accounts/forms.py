"""Validation of the account forms: returns clean values and Chinese errors per field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from campaign.accounts import queries
from campaign.accounts.rules import ROLES
from campaign.i18n import _

USERNAME = re.compile(r"^[A-Za-z0-9_.\-]{3,40}$")
MIN_PASSWORD = 8


def password_error(password: str, confirm: str | None = None) -> str | None:
    if len(password) < MIN_PASSWORD:
        return _("密码至少 %(n)s 位", n=MIN_PASSWORD)
    if password.isdigit() or password.isalpha():
        return _("密码须同时包含字母和数字")
    if confirm is not None and password != confirm:
        return _("两次输入的密码不一致")
    return None


@dataclass(frozen=True, slots=True)
class Login:
    username: str
    password: str
    #: where to go afterwards (checked by the controller: local paths only)
    next: str


def login_form(form: Mapping[str, Any]) -> Login:
    return Login(
        str(form.get("username", "")).strip(),
        str(form.get("password", "")),
        str(form.get("next", "/")),
    )


def password_change(form: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """The own-password form: the old password, the new one and what is wrong with the new one
    (None when it is acceptable and typed twice alike)."""
    new = str(form.get("new", ""))
    return str(form.get("old", "")), new, password_error(new, str(form.get("new2", "")))


def password_reset(form: Mapping[str, Any]) -> tuple[str, str | None]:
    """An administrator's password reset: the new password and what is wrong with it."""
    password = str(form.get("password", ""))
    return password, password_error(password, str(form.get("password2", "")))


def token_name(form: Mapping[str, Any]) -> str:
    """The label a person gives a new API token (at most 60 characters; "API" when blank)."""
    return str(form.get("name", "")).strip()[:60] or "API"


def split_unit(value: str) -> tuple[str | None, str | None]:
    """The unit select sends "kind:code"; empty means the whole city."""
    if not value or ":" not in value:
        return None, None
    kind, code = value.split(":", 1)
    return kind or None, code or None


def new_password(form: Mapping[str, Any]) -> str:
    """The password typed for a new user (validate_user has checked it)."""
    return dict(form.items())["password"]


async def validate_user(form: Mapping[str, Any], creating: bool) -> tuple[dict, dict[str, str]]:
    """The user form's values (the last of repeated fields) and errors by field."""
    form = dict(form.items())
    values = {
        "username": form.get("username", "").strip(),
        "display_name": form.get("display_name", "").strip(),
        "role": form.get("role", ""),
        "unit": form.get("unit", ""),
        "team": form.get("team", "").strip(),
    }
    errors: dict[str, str] = {}
    if creating:
        if not USERNAME.match(values["username"]):
            errors["username"] = _("用户名为 3–40 位字母、数字、下划线、点或连字符")
        elif await queries.username_taken(values["username"]):
            errors["username"] = _("用户名已被使用")
        if problem := password_error(form.get("password", ""), form.get("password2", "")):
            errors["password"] = problem
    if not values["display_name"]:
        errors["display_name"] = _("请填写姓名")
    elif len(values["display_name"]) > 50:
        errors["display_name"] = _("姓名不超过 50 字")
    if values["role"] not in ROLES:
        errors["role"] = _("请选择角色")
    else:
        kind, code = split_unit(values["unit"])
        if problem := await queries.check_unit(values["role"], kind, code):
            errors["unit"] = problem
    return values, errors
