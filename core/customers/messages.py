"""Messages from customers to the support queue."""

from __future__ import annotations

import datetime as dt

from core.identity.auth import CurrentUser, require_signed_in
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import SupportRequest
from core.platform.text import storable

MAX_MESSAGE = 2000


def clean_message(raw: str | None) -> str:
    """Trim, drop control characters (but keep line breaks and tabs) and lone surrogates,
    enforce the limit (see `core.platform.text`)."""
    text = storable(raw)
    if len(text) > MAX_MESSAGE:
        raise InvalidInput("error.message_too_long", limit=MAX_MESSAGE)
    return text


def request_custom_plan(
    db: Database, actor: CurrentUser | None, note: str | None, *, now: dt.datetime | None = None
) -> int:
    """Ask support for a custom plan; returns the request's number."""
    actor = require_signed_in(actor)
    if actor.account_id is None:  # only a customer asks for their own account
        raise NotAuthorized()
    message = clean_message(note)
    with db.transaction() as s:
        request = SupportRequest(
            account_id=actor.account_id,
            user_id=actor.id,
            kind="custom_plan",
            message=message,
            created_at=now or dt.datetime.now(dt.UTC),
        )
        s.add(request)
        s.flush()
        return request.id
