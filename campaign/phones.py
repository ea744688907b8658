"""Phone numbers of people at risk and of victims (privacy, docs/definitions.md): never stored as written.

A number is kept as a keyed hash (accounts.rules.phone_digest with the app's SECRET_KEY, the same
hash the volunteers domain stores), which lets a later case be matched to an earlier warning of
the same person without the number being readable from the database, plus a masked form
(138****1234) for people to recognise. Keep SECRET_KEY stable, or earlier hashes stop matching.
Shared by the cases and warnings domains.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from campaign.accounts.rules import mask_phone, normalize_phone, phone_digest
from campaign.settings import get_settings

#: Landlines with their area code (0 + 9 to 11 digits): the platform warns those too.
_LANDLINE = re.compile(r"0\d{9,11}")
_SEPARATORS = re.compile(r"[\s\-()()]")


@dataclass(frozen=True, slots=True)
class KeptPhone:
    hash: str
    masked: str


def normalise_phone(raw: object) -> str:
    """The digits of a valid mainland mobile (accounts.rules.normalize_phone) or landline number;
    ValueError otherwise. Excel's 13812345678.0 is read too."""
    if isinstance(raw, float) and raw.is_integer():
        raw = str(int(raw))
    text = _SEPARATORS.sub("", str(raw or "").strip())
    if not text or not text.lstrip("+").isdigit():
        raise ValueError("phone")
    if mobile := normalize_phone(text):
        return mobile
    if _LANDLINE.fullmatch(text):
        return text
    raise ValueError("phone")


def phone_hash(digits: str) -> str:
    return phone_digest(digits, get_settings().secret_key)


def keep_phone(raw: object) -> KeptPhone:
    """What is stored of a phone number; ValueError for a malformed one."""
    digits = normalise_phone(raw)
    return KeptPhone(hash=phone_hash(digits), masked=mask_phone(digits))
