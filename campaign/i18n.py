"""Translations with Babel: zh_CN is the source language and default, en is the other catalog.

Catalogs are read from the .po files at start-up and compiled in memory, so no binary .mo file
is committed and the two can never disagree. The locale of the request being served lives in a
context variable set by the authorisation guard (or the error handler).
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, NullTranslations, Translations

LOCALES = {"zh_CN": "中文", "en": "English"}
DEFAULT_LOCALE = "zh_CN"
LOCALE_COOKIE = "campaign_lang"
TRANSLATIONS_DIR = Path(__file__).parent / "translations"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    po = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def locale_from_cookie(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE


def gettext(message: str, **variables: object) -> str:
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    return text % variables if variables else text


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level labels: translated when shown, in the locale of that request."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext
