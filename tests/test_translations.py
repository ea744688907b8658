"""Every UI string in the code and templates has an English translation with the same placeholders.

When this fails after adding strings, run tools/update_translations.sh and translate the new
entries in campaign/translations/en/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from campaign import i18n

ROOT = Path(__file__).resolve().parent.parent
#: The same keywords tools/update_translations.sh passes to pybabel.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
#: A Python %-placeholder: %(name)s, %(rate).2f, %(pct)+.1f, or a literal %%.
PLACEHOLDER = re.compile(r"%(?:\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%)")


def extracted_messages() -> dict[str, str]:
    """msgid → first place it occurs, extracted with babel.cfg like the update script does."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def english_catalog() -> dict[str, str]:
    path = i18n.TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    return {
        message.id: "" if message.fuzzy else message.string
        for message in catalog
        if message.id and isinstance(message.id, str)
    }


def placeholders(text: str) -> Counter:
    return Counter(match.group(0) for match in PLACEHOLDER.finditer(text))


@pytest.fixture(scope="module")
def messages() -> dict[str, str]:
    return extracted_messages()


@pytest.fixture(scope="module")
def english() -> dict[str, str]:
    return english_catalog()


def test_extraction_finds_strings_in_python_and_templates(messages):
    assert "工作台" in messages  # a lazy NAV label in campaign/web.py
    assert "你好,%(name)s" in messages  # a newstyle gettext call with a keyword in home.html


def test_every_ui_string_has_an_english_translation(messages, english):
    untranslated = [
        f"{where}: {msgid}" for msgid, where in messages.items() if not english.get(msgid)
    ]
    assert not untranslated, (
        "run tools/update_translations.sh and translate in "
        "campaign/translations/en/LC_MESSAGES/messages.po:\n" + "\n".join(untranslated)
    )


def test_english_translations_keep_the_placeholders_of_the_chinese(messages, english):
    wrong = [
        f"{msgid!r} → {english[msgid]!r}"
        for msgid in messages
        if english.get(msgid) and placeholders(msgid) != placeholders(english[msgid])
    ]
    assert not wrong, "\n".join(wrong)


def test_english_catalog_is_used_at_run_time():
    token = i18n.current_locale.set("en")
    try:
        assert i18n.gettext("工作台") == "Dashboard"
        assert i18n.gettext("你好,%(name)s", name="Li") == "Hello, Li"
    finally:
        i18n.current_locale.reset(token)
    assert i18n.gettext("工作台") == "工作台"
