"""Reading import files (docs/import-formats.md): CSV in UTF-8, UTF-8 with BOM or GB18030, or XLSX, with
Chinese or English headers. Domains describe their columns and validate rows; this module turns
bytes into numbered rows and collects every problem so a file is taken whole or not at all."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import operator
import re
import secrets
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, BinaryIO

from litestar.datastructures import UploadFile

from campaign.files import write_atomically
from campaign.i18n import _
from campaign.parsing import MAX_COUNT, form_flag, parse_int
from campaign.settings import get_settings

MAX_IMPORT_BYTES = 200 * 1024 * 1024
MAX_REPORTED_ERRORS = 200
#: Spreadsheet bombs: an .xlsx is a ZIP of XML, and 1.5 MB can expand to hundreds of MB. These
#: caps are checked from the ZIP directory before any XML is parsed (zipfile never inflates a
#: member beyond its declared size, so the declared sizes are binding).
MAX_XLSX_EXPANDED = 600 * 1024 * 1024
MAX_XLSX_RATIO = 100  # expanded / compressed, for members over 10 MB; real sheets stay near 10
MAX_XLSX_MEMBERS = 1000
MAX_ROWS = 1_100_000
MAX_COLUMNS = 200


@dataclass(frozen=True)
class Column:
    key: str
    names: tuple[str, ...]
    required: bool = True

    @property
    def label(self) -> str:
        return self.names[0]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def describe(self) -> str:
        where = _("第 %(row)s 行", row=self.row) if self.row else _("文件")
        if self.column:
            where += _(",列「%(col)s」", col=self.column)
        return f"{where}:{self.reason}"


class ImportRejected(Exception):
    """The file is refused; nothing was written. Carries every problem found."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} problem(s)")
        self.errors = list(errors)

    def __reduce__(self):  # sent from a child process whole (cases.import_check)
        return (type(self), (self.errors,))

    def report(self) -> str:
        lines = [_("导入被拒绝,未写入任何数据。共 %(n)s 处问题:", n=len(self.errors))]
        lines += [f"  {error.describe()}" for error in self.errors[:MAX_REPORTED_ERRORS]]
        if len(self.errors) > MAX_REPORTED_ERRORS:
            lines.append(_("  ……其余 %(n)s 处未列出", n=len(self.errors) - MAX_REPORTED_ERRORS))
        return "\n".join(lines)


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> tuple[int, int, int]:
        """How many rows were (or would be) added, changed and left unchanged."""
        return len(self.added), len(self.changed), self.unchanged

    def describe(self, dry_run: bool = False) -> str:
        added, changed, unchanged = self.counts()
        text = _("新增 %(a)s 条,更新 %(c)s 条,未变 %(u)s 条", a=added, c=changed, u=unchanged)
        return (_("【试运行,未写入】") + text) if dry_run else text


Row = tuple[int, dict[str, object]]
#: A row as the streaming reader gives it: (row number, cells in the order of Table.keys).
TupleRow = tuple[int, tuple]
#: An import file: its bytes, or its path (read as a stream, never whole).
Source = bytes | Path
#: Rows per chunk of a streamed table.
CHUNK_ROWS = 50_000


def read_table(filename: str, data: Source, columns: Sequence[Column]) -> list[Row]:
    """Rows as (row number as a spreadsheet shows it, {column key: value}); blank rows skipped.
    Raises ImportRejected for an unreadable file or missing columns."""
    table = open_table(filename, data, columns)
    return [(n, dict(zip(table.keys, cells, strict=True))) for chunk in table for n, cells in chunk]


@dataclass
class Table:
    """A file's rows streamed in chunks of (row number, cells as a tuple in `keys` order): a
    10^6-row import never holds the whole file as row objects, nor its decoded text. Iterating
    raises ImportRejected for a malformed line, or when there was no data row at all."""

    keys: tuple[str, ...]
    positions: tuple[int, ...]
    body: Iterator[tuple[int, list]]
    chunk_rows: int = CHUNK_ROWS
    #: Every cell is text or None (a CSV file; a spreadsheet's cells are numbers and dates too).
    text_only: bool = False

    def __iter__(self) -> Iterator[list[TupleRow]]:
        width = max(self.positions) + 1
        pick = (
            operator.itemgetter(*self.positions)
            if len(self.positions) > 1
            else lambda cells: (cells[self.positions[0]],)
        )
        chunk: list[TupleRow] = []
        empty = True
        for number, cells in self.body:  # the hot loop of a 10^6-row import: keep it lean
            if len(cells) >= width:
                values = pick(cells)
            else:
                values = tuple(cells[i] if i < len(cells) else None for i in self.positions)
            for value in values:
                if not _blank(value):
                    chunk.append((number, values))
                    break
            if len(chunk) >= self.chunk_rows:
                empty = False
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        elif empty:
            raise ImportRejected([RowError(0, "", _("文件中没有数据行"))])


def open_table(
    filename: str, data: Source, columns: Sequence[Column], chunk_rows: int = CHUNK_ROWS
) -> Table:
    """The header checked and the rows ready to stream. Raises ImportRejected for an empty,
    oversized or unreadable file or missing columns."""
    head = data[:65536] if isinstance(data, bytes) else _head(data)
    size = len(data) if isinstance(data, bytes) else data.stat().st_size
    if not head.strip() and size <= len(head):
        raise ImportRejected([RowError(0, "", _("文件是空的"))])
    if size > MAX_IMPORT_BYTES:
        raise ImportRejected(
            [RowError(0, "", _("文件超过 %(n)s MB", n=MAX_IMPORT_BYTES // 1024 // 1024))]
        )
    body: Iterable[tuple[int, list[Any]]]
    spreadsheet = head[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm"))
    if spreadsheet:
        whole = data if isinstance(data, bytes) else data.read_bytes()
        header, body = _xlsx_rows(whole)
    else:
        header, body = _csv_rows(data)
    index = _map_header(header, columns)
    return Table(tuple(index), tuple(index.values()), iter(body), chunk_rows, not spreadsheet)


#: An .xlsx row takes roughly this many bytes zipped (used to estimate rows without opening it).
XLSX_BYTES_PER_ROW = 40


def estimated_rows(filename: str, data: Source) -> int:
    """About how many rows a file holds, without parsing it (for progress and for choosing a
    background job): its lines, read block by block."""
    head = data[:4] if isinstance(data, bytes) else _head(data)[:4]
    if head == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        size = len(data) if isinstance(data, bytes) else data.stat().st_size
        return size // XLSX_BYTES_PER_ROW
    if isinstance(data, bytes):
        return data.count(b"\n")
    lines = 0
    with data.open("rb") as file:
        while block := file.read(1 << 20):
            lines += block.count(b"\n")
    return lines


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(65536)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _encoding(stream: BinaryIO) -> str:
    """UTF-8 when the whole stream decodes as UTF-8, else GB18030 (which covers GBK and GB2312);
    checked block by block (nothing kept), then the stream is rewound."""
    first = stream.read(4096)
    if b"\x00" in first:
        raise ImportRejected(
            [RowError(0, "", _("这不是 CSV 或 Excel 文件(含二进制内容),请上传 .csv 或 .xlsx"))]
        )
    for encoding in ("utf-8", "gb18030"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := stream.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise ImportRejected(
        [RowError(0, "", _("无法识别文件编码,请另存为 UTF-8 或 GB18030(GBK)编码的 CSV"))]
    )


def _csv_rows(data: Source) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
    text = io.TextIOWrapper(stream, encoding=_encoding(stream), newline="")
    sample = text.read(8192)
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    text.seek(0)
    if text.read(1) != "\ufeff":  # the BOM of UTF-8
        text.seek(0)
    reader = csv.reader(text, dialect)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRejected([RowError(1, "", _("无法读取表头"))]) from None

    def body() -> Iterator[tuple[int, list[Any]]]:
        try:
            for cells in reader:
                yield reader.line_num, cells
        except csv.Error as problem:
            raise ImportRejected(
                [RowError(reader.line_num, "", _("CSV 格式错误:%(e)s", e=problem))]
            ) from None
        finally:
            text.close()

    return header, body()


def _check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook whose XML would expand beyond the caps, before openpyxl reads it."""
    bomb = ImportRejected(
        [RowError(0, "", _("Excel 文件解压后过大或压缩比异常,已拒绝(请另存为 CSV 后再导入)"))]
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook reports an unreadable file in its own words
    if len(members) > MAX_XLSX_MEMBERS:
        raise bomb
    if sum(m.file_size for m in members) > MAX_XLSX_EXPANDED:
        raise bomb
    for member in members:
        if member.file_size > 10 * 1024 * 1024 and member.file_size > MAX_XLSX_RATIO * max(
            member.compress_size, 1
        ):
            raise bomb


def _xlsx_rows(data: bytes) -> tuple[list[str], list[tuple[int, list[object]]]]:
    from openpyxl import load_workbook

    _check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ImportRejected(
            [RowError(0, "", _("无法打开 Excel 文件,文件可能已损坏或不是 .xlsx 格式"))]
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
        if header_row is None:
            raise ImportRejected([RowError(0, "", _("文件是空的"))])
        if (sheet.max_column or 0) > MAX_COLUMNS or len(header_row) > MAX_COLUMNS:
            raise ImportRejected(
                [RowError(1, "", _("列数超过 %(n)s,请删除多余的列", n=MAX_COLUMNS))]
            )
        header = ["" if cell is None else str(cell) for cell in header_row]
        body = []
        for number, cells in enumerate(rows, start=2):
            if number > MAX_ROWS + 1 or len(cells) > MAX_COLUMNS:
                raise ImportRejected(
                    [
                        RowError(
                            number,
                            "",
                            _(
                                "行数超过 %(n)s 或列数超过 %(c)s,请分成几个文件导入",
                                n=MAX_ROWS,
                                c=MAX_COLUMNS,
                            ),
                        )
                    ]
                )
            body.append((number, list(cells)))
    finally:
        workbook.close()
    return header, body


def _normal(name: str) -> str:
    return name.strip().lstrip("\ufeff").lower().replace(" ", "").replace("_", "")


def _map_header(header: list[str], columns: Sequence[Column]) -> dict[str, int]:
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    by_name = {_normal(name): column for column in columns for name in column.names}
    for i, name in enumerate(header):
        column = by_name.get(_normal(name))
        if column is None:
            continue
        if column.key in positions:
            errors.append(RowError(1, name, _("表头重复")))
        positions[column.key] = i
    for column in columns:
        if column.required and column.key not in positions:
            errors.append(
                RowError(
                    1,
                    column.label,
                    _("缺少此列(可用表头:%(names)s)", names=" / ".join(column.names)),
                )
            )
    if errors:
        raise ImportRejected(errors)
    return positions


# -- Cell helpers for domain validators ------------------------------------------------------


def text(value: object) -> str:
    """A cell as trimmed text; Excel's integral floats (330282.0) lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def optional_int(value: object, hi: int = MAX_COUNT) -> int | None:
    """None for a blank cell; ValueError for anything that is not a whole number 0 … hi written
    in ASCII digits (an Excel number such as 1234.0 counts as whole)."""
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer() and 0 <= value <= hi):
            raise ValueError(value)
        return int(value)
    raw = text(value).replace(",", "").replace("\uff0c", "")
    if not raw:
        return None
    number = parse_int(re.sub(r"\.0+$", "", raw), 0, hi)
    if number is None:
        raise ValueError(raw)
    return number


# -- Staging an uploaded file between a dry run and its confirmation ---------------------------
# A dry run keeps the bytes under var/uploads/<random hex token> for an hour, so that "确认导入"
# imports exactly the file that was checked without uploading it again.

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_TTL_SECONDS = 3600
TOKEN = re.compile(r"[0-9a-f]{32}")


def uploads_folder() -> Path:
    folder = get_settings().var_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def purge_stale_uploads() -> None:
    cutoff = time.time() - UPLOAD_TTL_SECONDS
    for path in uploads_folder().iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def keep_upload(data: bytes) -> str:
    token = secrets.token_hex(16)
    write_atomically(uploads_folder() / token, data)
    return token


def peek_upload(token: str) -> bytes | None:
    """The kept bytes, left in place (a job removes them with discard_upload once it has
    finished, so a job interrupted by a crash can be run again); None like take_upload."""
    if not TOKEN.fullmatch(token):
        return None
    path = uploads_folder() / token
    if not path.is_file() or path.stat().st_mtime < time.time() - UPLOAD_TTL_SECONDS:
        return None
    return path.read_bytes()


def discard_upload(token: str | None) -> None:
    if token and TOKEN.fullmatch(token):
        (uploads_folder() / token).unlink(missing_ok=True)


def take_upload(token: str) -> bytes | None:
    """The kept bytes, removed as they are taken; None for a malformed, unknown or stale token."""
    if not TOKEN.fullmatch(token):
        return None
    path = uploads_folder() / token
    if not path.is_file() or path.stat().st_mtime < time.time() - UPLOAD_TTL_SECONDS:
        path.unlink(missing_ok=True)
        return None
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    return data


def upload_filename(raw: str) -> str:
    """Only the last part of what the browser sent: it names the format, never a path here."""
    return PurePath(raw.replace("\\", "/")).name[:120] or "upload.csv"


def uploaded_table(form: Mapping[str, Any]) -> tuple[UploadFile | None, dict[str, str]]:
    """The CSV or XLSX file of an import form, or the field error that sends the form back."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, {"file": _("请选择要上传的文件")}
    if not upload.filename.lower().endswith((".csv", ".xlsx")):
        return None, {"file": _("只支持 .csv 或 .xlsx 文件")}
    return upload, {}


def import_upload(form: Mapping[str, Any]) -> tuple[bool, UploadFile | None, dict[str, str]]:
    """An import form: whether it is only a dry run, its file, and the file's field error."""
    return form_flag(form, "dry_run"), *uploaded_table(form)


def expired_upload() -> dict[str, str]:
    """The field error of a confirmation whose kept upload is gone."""
    return {"file": _("待确认的文件已过期(超过 1 小时)或已导入,请重新上传")}


def confirmed_upload(form: Mapping[str, Any]) -> tuple[str, bytes | None, dict[str, str]]:
    """The file name and kept bytes an import's confirmation names, or the field error when the
    upload has expired or was already imported."""
    data = take_upload(str(form.get("token", "")))
    filename = upload_filename(str(form.get("filename", "")))
    if data is None:
        return filename, None, expired_upload()
    return filename, data, {}
