"""`campaign import organisations FILE`: organisations (机关企事业单位) from CSV or XLSX, taken whole
or not at all, idempotent on 机构编码 (docs/import-formats.md)."""

from __future__ import annotations

from campaign.accounts.rules import CurrentUser
from campaign.duties import queries, rules
from campaign.i18n import _
from campaign.importing import ImportRejected, ImportSummary, RowError, read_table
from campaign.phones import keep_phone

COMPARED = (
    "name",
    "sector",
    "village_code",
    "town_code",
    "address",
    "responsible_person",
    "contact_phone_hash",
    "alliance_member",
    "alliance_joined_on",
)


def kept_phone(raw: str) -> tuple[str, str] | None:
    """(hash, mask) of a contact phone; None for a blank one; ValueError for a malformed one."""
    if not raw.strip():
        return None
    kept = keep_phone(raw)
    return kept.hash, kept.masked


async def import_file(
    kind: str,
    filename: str,
    data: bytes,
    dry_run: bool,
    actor: CurrentUser | None,
    ip: str | None = None,
) -> ImportSummary:
    """Raises ImportRejected listing every bad row; otherwise applies (unless dry_run) and reports."""
    rows = read_table(filename, data, rules.ORGANISATION_COLUMNS)
    places = await queries.known_places(
        {str(cells.get("region_code") or "").strip() for _n, cells in rows}
    )
    records, errors = rules.validate_organisations(rows, places)
    phones: dict[str, tuple[str, str] | None] = {}
    numbers = {str(cells.get("code") or "").strip(): n for n, cells in rows}
    for record in records:
        try:
            phones[record["code"]] = kept_phone(record["contact_phone"])
        except ValueError:
            errors.append(
                RowError(numbers.get(record["code"], 0), "联系电话", _("电话号码格式不对"))
            )
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row))
    existing = await queries.organisations_by_code([r["code"] for r in records])
    summary = ImportSummary(kind)
    new, changed = [], []
    for record in records:
        values = queries.stored_organisation(record, phones[record["code"]] or (None, None))
        before = existing.get(record["code"])
        if before is None:
            new.append(values)
            summary.added.append(record["code"])
        elif any(str(before[k] or "") != str(values[k] or "") for k in COMPARED):
            changed.append((before["id"], values))
            summary.changed.append(record["code"])
        else:
            summary.unchanged += 1
    if not dry_run and (new or changed):
        await queries.write_organisation_import(new, changed, actor, filename, summary, ip)
    return summary
