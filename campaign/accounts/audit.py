"""The audit log's writing side, and the one home for writes: `audited` owns a use case's write
transaction and its audit entry. It sits below every domain (it imports only the audit table and
the database), so any domain's queries.py may use it."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from piccolo.utils.encoding import dump_json

from campaign import generations
from campaign.accounts.rules import CurrentUser
from campaign.accounts.tables import AuditEntry
from campaign.db import Query, insert_returning, ride, write_transaction


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def record_audit(
    actor: CurrentUser | None,
    action: str,
    target: str,
    summary: str,
    detail: dict | None = None,
    ip: str | None = None,
) -> None:
    """Append one entry; call it inside the transaction of the change it describes (one plain
    INSERT: every write use case pays for it, some hundreds of times a second). On PostgreSQL
    it rides along with the transaction's next batched statement (campaign.db.ride): recorded
    before a case write, it costs no round trip of its own."""
    row = (
        now(),
        actor.id if actor else None,
        actor.username if actor else "system",
        action,
        target,
        summary[:300],
        dump_json(detail or {}),
        ip,
    )
    if not ride(Query(_INSERT, row)):
        await insert_returning(AuditEntry, _COLUMNS, [row])


_COLUMNS = ("at", "actor_id", "actor_name", "action", "target", "summary", "detail", "ip")
_INSERT = 'INSERT INTO "{}" ({}) VALUES ({})'.format(
    AuditEntry._meta.tablename,
    ", ".join(f'"{column}"' for column in _COLUMNS),
    ", ".join("?" for _ in _COLUMNS),
)


@dataclass
class Audit:
    """The audit side of one write use case (see `audited`): `record` adds an entry in the same
    transaction as the change it describes."""

    actor: CurrentUser | None
    ip: str | None
    entries: list[str] = field(default_factory=list)
    unchanged: bool = False

    async def record(
        self, action: str, target: str, summary: str, detail: dict | None = None
    ) -> None:
        await record_audit(self.actor, action, target, summary, detail, self.ip)
        self.entries.append(action)

    def nothing_changed(self) -> None:
        """Say so when the use case found nothing to change: it then commits without an entry."""
        self.unchanged = True


class UnauditedWrite(RuntimeError):
    """A write use case finished without recording what it changed."""


@asynccontextmanager
async def audited(
    actor: CurrentUser | None, ip: str | None = None, *domains: str, one_statement: bool = False
) -> AsyncIterator[Audit]:
    """The one home for writes: a write transaction (IMMEDIATE on SQLite) that must record at
    least one audit entry before it commits. An exception inside rolls back change and entry.
    `domains` are write_transaction's (none: every domain's kept views are dropped), and so is
    `one_statement` (PostgreSQL: the entry and the change sent as one statement, no BEGIN).

        async with audited(actor, ip) as audit:
            case_id = await insert_case(values)
            await audit.record("case.create", f"case:{case_id}", _("登记案件 …"), values)
    """
    audit = Audit(actor, ip)
    async with write_transaction(*domains, one_statement=one_statement):
        yield audit
        if not audit.entries and not audit.unchanged:
            raise UnauditedWrite("a write use case recorded no audit entry")
    # committed (write_transaction has moved the generations): the session users of every
    # process are read anew when an account, token or unit changed
    if any(action.startswith(ACCOUNT_ACTIONS) for action in audit.entries):
        await generations.bump(generations.ACCOUNTS)


#: Audit actions that change what the per-session user cache holds (role, unit, unit name).
ACCOUNT_ACTIONS = ("user.", "token.", "region.")
