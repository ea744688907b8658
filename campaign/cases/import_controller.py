"""The administrator's case upload: check (dry run) → preview of added, changed and rejected
rows → confirm. A large file runs as a job whose progress the page polls with htmx."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from campaign import jobs
from campaign.accounts.rules import ADMIN
from campaign.cases import queries, rules
from campaign.cases.imports import import_file, result_of_summary
from campaign.cases.jobs import import_job_key, run_case_import
from campaign.i18n import _
from campaign.importing import (
    MAX_UPLOAD_BYTES,
    ImportRejected,
    confirmed_upload,
    estimated_rows,
    import_upload,
    keep_upload,
    purge_stale_uploads,
    upload_filename,
)
from campaign.web import client_ip, current_user

#: Files estimated above this many rows are checked and imported as a background job.
JOB_ROWS = 20_000
EXAMPLE = (
    (
        "A3302822026070901",
        "2026-07-09 14:30",
        "330282005002",
        "",
        "刷单返利",
        "1200.50",
        "在校大学生",
        "20",
    ),
    ("A3302822026070902", "2026-07-09", "330282108", "PS330282108", "投资理财", "50000", "", ""),
)
COLUMN_HELP = {
    "case_no": "反诈平台的案件编号,不超过 64 个字符;重复导入时按编号更新",
    "occurred_at": "日期或日期时间(北京时间),如 2026-07-09、2026-07-09 14:30、2026/7/9;Excel 日期亦可。不能晚于今天,不能早于数据起始日",
    "region_code": "村社 12 位代码;只知道镇街时填镇街 9 位代码(或 12 位、末尾 000)",
    "station_code": "可不填:按村社所属派出所或镇街唯一的派出所确定;填写时村社须在其辖区内",
    "fraud_type": "类型名称或其别名(见“诈骗类型”管理页)",
    "loss_yuan": "元,不小于 0,最多两位小数;可带千分位逗号",
    "victim_occupation": "照原文保存,统计时按职业分组归类;不得包含姓名等身份信息",
    "victim_age": "0–120 的整数",
    "victim_phone": "可不填:只保存加密摘要和脱敏号码,用于识别此前已被预警的受害人(劝阻失败)",
}


def template_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.label for column in rules.CASE_COLUMNS])
    writer.writerows(EXAMPLE)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _rejected(rejected: ImportRejected) -> list[dict]:
    return [{"row": e.row, "column": e.column, "reason": e.reason} for e in rejected.errors]


class CaseImportController(Controller):
    path = "/cases/import"
    opt = {"roles": (ADMIN,)}
    include_in_schema = False

    def _page(self, status: int = 200, **context) -> Template:
        return Template(
            template_name="cases/import.html",
            context={
                "columns": rules.CASE_COLUMNS,
                "column_help": COLUMN_HELP,
                "example": EXAMPLE,
                "field_labels": rules.FIELD_LABELS,
                "dry_run": True,
                "errors": {},
                "active_nav": "cases",
                **context,
            },
            status_code=status,
        )

    @get("/")
    async def page(self) -> Template:
        purge_stale_uploads()
        return self._page()

    @post("/", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request) -> Template | Redirect:
        purge_stale_uploads()
        dry_run, upload, errors = import_upload(await request.form())
        if upload is None:
            return self._page(400, dry_run=dry_run, errors=errors)
        return await self._run(
            request, upload_filename(upload.filename), await upload.read(), dry_run
        )

    @post("/confirm")
    async def confirm(self, request: Request) -> Template | Redirect:
        filename, data, errors = confirmed_upload(await request.form())
        if data is None:
            return self._page(400, errors=errors)
        return await self._run(request, filename, data, False)

    async def _run(
        self, request: Request, filename: str, data: bytes, dry_run: bool
    ) -> Template | Redirect:
        user = current_user(request)
        if estimated_rows(filename, data) > JOB_ROWS:
            job_id = await queries.create_import_job(
                {
                    "kind": "cases",
                    "filename": filename,
                    "dry_run": dry_run,
                    "upload_token": keep_upload(data),
                    "created_by": user.id,
                }
            )
            await jobs.enqueue(run_case_import, job_id, job_id=import_job_key(job_id))
            return Redirect(path=f"/cases/import/jobs/{job_id}")
        context: dict[str, Any] = {"filename": filename, "dry_run": dry_run}
        try:
            summary = await import_file(
                "cases", filename, data, dry_run=dry_run, actor=user, ip=client_ip(request)
            )
        except ImportRejected as rejected:
            return self._page(
                400, result={"status": "rejected", "errors": _rejected(rejected)}, **context
            )
        result = {"status": "done", **result_of_summary(summary)}
        if dry_run and (summary.added or summary.changed):
            result["token"] = keep_upload(data)
        return self._page(result=result, **context)

    @get("/jobs/{job_id:int}")
    async def job(self, request: Request, job_id: FromPath[int]) -> Template:
        """The job's page; htmx polls the same URL for the progress fragment until it is done."""
        job = await queries.import_job(job_id)
        if job is None:
            raise NotFoundException(_("没有这个导入任务"))
        page = (
            "cases/_import_job.html" if request.headers.get("hx-request") else "cases/import.html"
        )
        return Template(
            template_name=page,
            context={
                "job": job,
                "filename": job["filename"],
                "dry_run": job["dry_run"],
                "field_labels": rules.FIELD_LABELS,
                "columns": rules.CASE_COLUMNS,
                "column_help": COLUMN_HELP,
                "example": EXAMPLE,
                "errors": {},
                "active_nav": "cases",
            },
        )

    @get("/template.csv")
    async def template(self) -> Response:
        return Response(
            content=template_csv(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="cases-template.csv"'},
        )
