"""The region import form read back into typed values and a Chinese reason per field. Pure: the
controller reads the uploaded bytes, campaign.importing keeps them for the confirmation."""

from __future__ import annotations

from campaign.i18n import _
from campaign.i18n import lazy_gettext as _l

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
