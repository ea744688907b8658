"""The region forms read back into typed values and a Chinese reason per field. The controller
reads an upload's bytes; a confirmation takes those campaign.importing kept since the dry run."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from litestar.datastructures import UploadFile

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.importing import confirmed_upload, expired_upload, import_upload
from campaign.regions import rules

KINDS = {"regions": _l("区划"), "stations": _l("派出所")}


def import_form(form: Mapping[str, Any]) -> tuple[dict, UploadFile | None, dict[str, str]]:
    """(values, the chosen file, errors) of an upload: what the file holds and whether it is
    only checked (dry run)."""
    dry_run, upload, file_errors = import_upload(form)
    kind = str(form.get("kind", ""))
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("请选择导入的是区划还是派出所")
    return {"kind": kind, "dry_run": dry_run}, upload, {**errors, **file_errors}


def confirm_form(form: Mapping[str, Any]) -> tuple[dict, str, bytes | None, dict[str, str]]:
    """(values, file name, the kept bytes, errors) of a confirmation; an unknown kind sends it
    back like an expired upload."""
    filename, data, errors = confirmed_upload(form)
    values = {"kind": form.get("kind", ""), "dry_run": False}
    if values["kind"] not in KINDS:
        return values, filename, None, expired_upload()
    return values, filename, data, errors


def region_form(
    form: Mapping[str, Any], level: str, station_codes: Collection[str]
) -> tuple[dict, dict[str, str], dict]:
    """(values as typed, errors, the columns to store) of a region's edit form: its residents,
    and for a village its station, one of `station_codes` (those whose towns include it)."""
    values = {"population": str(form.get("population", "")).strip()}
    errors = {}
    population, problem = rules.parse_population(values["population"])
    if problem:
        errors["population"] = problem
    after: dict = {"population": population}
    if level == "village":
        values["station_code"] = str(form.get("station_code", "")).strip()
        if values["station_code"] and values["station_code"] not in station_codes:
            errors["station_code"] = _("请选择辖区包含该镇街的派出所")
        after["station_code"] = values["station_code"] or None
    return values, errors, after
