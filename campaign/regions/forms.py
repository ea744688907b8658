"""The region forms read back into typed values and a Chinese reason per field. Pure: the
controller reads an upload's bytes, campaign.importing keeps them for the confirmation."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l
from campaign.regions import rules

KINDS = {"regions": _l("区划"), "stations": _l("派出所")}
EXTENSIONS = (".csv", ".xlsx")


def import_form(kind: str, dry_run: str, filename: str | None) -> tuple[dict, dict[str, str]]:
    """(values, errors) of an upload: what the file holds, whether it is only checked (dry
    run), and the name of the chosen file (None: no file was chosen)."""
    values = {"kind": kind, "dry_run": dry_run == "1"}
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("请选择导入的是区划还是派出所")
    if not filename:
        errors["file"] = _("请选择要上传的文件")
    elif not filename.lower().endswith(EXTENSIONS):
        errors["file"] = _("只支持 .csv 或 .xlsx 文件")
    return values, errors


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
