"""Phone numbers of people at risk and of victims (DESIGN §3 privacy): never stored as written.

A number is kept as a keyed hash, which lets a later case be matched to an earlier warning of the
same person without the number being readable from the database, plus a masked form
(138****1234) for people to recognise. The key is PHONE_HASH_KEY, else the app's SECRET_KEY: keep
it stable, or earlier hashes stop matching. Shared by the cases and warnings domains.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from dataclasses import dataclass

from campaign.accounts.rules import mask_phone
from campaign.settings import get_settings

#: Mainland mobile numbers (1 + 10 digits) and landlines with area code (0 + 9 to 11 digits).
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{9,11}")
_SEPARATORS = re.compile(r"[\s\-()()]")


@dataclass(frozen=True, slots=True)
class KeptPhone:
    hash: str
    masked: str


def normalise_phone(raw: object) -> str:
    """The digits of a valid mainland mobile or landline number; ValueError otherwise.
    Spaces, dashes, brackets and a +86/86 prefix are dropped; Excel's 13812345678.0 is read too."""
    if isinstance(raw, float) and raw.is_integer():
        raw = str(int(raw))
    text = _SEPARATORS.sub("", str(raw or "").strip())
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if _MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text):
        return text
    raise ValueError("phone")


def phone_hash(digits: str, key: str | None = None) -> str:
    key = key or os.environ.get("PHONE_HASH_KEY") or get_settings().secret_key
    return hmac.new(key.encode(), b"phone:" + digits.encode(), hashlib.sha256).hexdigest()


def keep_phone(raw: object) -> KeptPhone:
    """What is stored of a phone number; ValueError for a malformed one."""
    digits = normalise_phone(raw)
    return KeptPhone(hash=phone_hash(digits), masked=mask_phone(digits))
