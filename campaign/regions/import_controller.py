"""The administrator's page for importing region and station files (docs/import-formats.md).

A dry run keeps the uploaded bytes under var/uploads/<random hex token> for an hour, so that
"确认导入" imports exactly the file that was checked without uploading it again."""

from __future__ import annotations

import csv
import io

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from campaign.accounts.rules import ADMIN
from campaign.i18n import _
from campaign.importing import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    keep_upload,
    purge_stale_uploads,
    upload_filename,
)
from campaign.regions import forms, rules
from campaign.regions.forms import KINDS
from campaign.regions.imports import import_file
from campaign.web import client_ip, current_user

COLUMNS = {"regions": rules.REGION_COLUMNS, "stations": rules.STATION_COLUMNS}
EXAMPLES = {
    "regions": (
        ("330282", "慈溪市", "区县", "", "", ""),
        ("330282005", "白沙路街道", "镇街", "330282", "", ""),
        ("330282005004", "白沙社区", "村社", "330282005", "8600", "PS330282005"),
    ),
    "stations": (
        ("PS330282005", "白沙路派出所", "330282", "330282005"),
        ("PS330282108", "附海派出所", "330282", "330282108;330282109"),
    ),
}
SHOWN_CODES = 50


def template_csv(kind: str) -> bytes:
    """An import template: the header row and the example rows, UTF-8 with a BOM for Excel."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in COLUMNS[kind]])
    writer.writerows(EXAMPLES[kind])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


class RegionImportController(Controller):
    path = "/admin/import"
    opt = {"roles": (ADMIN,)}
    include_in_schema = False

    def _page(self, values: dict, status: int = 200, **extra) -> Template:
        return Template(
            template_name="admin/import.html",
            context={
                "values": values,
                "errors": extra.pop("errors", {}),
                "kinds": KINDS,
                "columns": COLUMNS,
                "examples": EXAMPLES,
                "shown_codes": SHOWN_CODES,
                "active_nav": "admin",
                **extra,
            },
            status_code=status,
        )

    @get("/")
    async def page(self) -> Template:
        purge_stale_uploads()
        return self._page({"kind": "regions", "dry_run": True})

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request) -> Template:
        purge_stale_uploads()
        values, upload, errors = forms.import_form(await request.form())
        if errors or upload is None:  # no file is an error
            return self._page(values, 400, errors=errors)
        data = await upload.read()
        return await self._import(request, values, upload_filename(upload.filename), data)

    @post("/confirm")
    async def confirm(self, request: Request) -> Template:
        values, filename, data, errors = forms.confirm_form(await request.form())
        if data is None:
            return self._page({**values, "dry_run": True}, 400, errors=errors)
        return await self._import(request, values, filename, data)

    async def _import(self, request: Request, values: dict, filename: str, data: bytes) -> Template:
        try:
            summary = await import_file(
                values["kind"],
                filename,
                data,
                dry_run=values["dry_run"],
                actor=current_user(request),
                ip=client_ip(request),
            )
        except ImportRejected as rejected:
            return self._page(values, 400, rejected=rejected, filename=filename)
        pending = values["dry_run"] and bool(summary.added or summary.changed)
        return self._page(
            values,
            summary=summary,
            filename=filename,
            token=keep_upload(data) if pending else None,
        )

    @get("/template/{filename:str}")
    async def template(self, filename: FromPath[str]) -> Response:
        kind = filename.removesuffix(".csv")
        if not filename.endswith(".csv") or kind not in KINDS:
            raise NotFoundException(_("没有这个模板"))
        return Response(
            content=template_csv(kind),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{kind}-template.csv"'},
        )
