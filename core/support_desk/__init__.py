"""The support desk: what the cancellation window sends to support, and what support does.

  queue        what waits: scheduled cancellations, requests by kind, ended accounts inside
               their reactivation window, open requests by kind
  actions      what support does, one entry point each: `undo`, `reactivate`, `mark_handled`
  audit_trail  the audit log searched, and each entry in words; `parse_account_number`

Undo and reactivate change the subscription through `core.retention.way_back`, which
checks its state and writes the audit log; the requests they answer are closed in the same
transaction. Every function refuses anyone who is not an admin (`require_admin`), first thing.
The names below are the ones the pages use as `support_desk.<name>`.
"""

from core.rules.vocabulary import REQUEST_HANDLED as HANDLED
from core.rules.vocabulary import REQUEST_KINDS as KINDS
from core.rules.vocabulary import REQUEST_OPEN as OPEN
from core.support_desk.actions import mark_handled, reactivate, undo
from core.support_desk.audit_trail import (
    MAX_ACTOR_SEARCH,
    MAX_AUDIT_ROWS,
    AuditPage,
    AuditQuery,
    AuditRow,
    account_label,
    action_name,
    actor_label,
    audit_actions,
    audit_log,
    describe,
    parse_account_number,
)
from core.support_desk.queue import (
    EndedAccount,
    Request,
    ScheduledCancellation,
    open_request_counts,
    reactivation_window,
    requests,
    scheduled_cancellations,
)

__all__ = [
    "HANDLED",
    "KINDS",
    "MAX_ACTOR_SEARCH",
    "MAX_AUDIT_ROWS",
    "OPEN",
    "AuditPage",
    "AuditQuery",
    "AuditRow",
    "EndedAccount",
    "Request",
    "ScheduledCancellation",
    "account_label",
    "action_name",
    "actor_label",
    "audit_actions",
    "audit_log",
    "describe",
    "mark_handled",
    "open_request_counts",
    "parse_account_number",
    "reactivate",
    "reactivation_window",
    "requests",
    "scheduled_cancellations",
    "undo",
]
