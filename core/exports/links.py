"""Streamed downloads: large files through a short-lived signed link.

Streamlit's download button keeps the whole file in the server's memory for the session. A file
of more than STREAM_ABOVE_ROWS rows is offered as a link to `/download/<token>` instead
(`core/web/http.py`), which streams it from `stream_export` as it is written. The token names
the export request and is signed (HMAC-SHA256) with the server's secret
(`core.platform.secret_key`); it expires after DOWNLOAD_LINK_MINUTES and is bound to the
signed-in browser session that asked for it, so a copied link is worthless to anyone else, and
signing out ends it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.exports import services
from core.exports.access import resolve_account_id
from core.exports.request import ExportPlan, ExportRequest, _validate
from core.exports.streaming import stream_writes
from core.identity import auth
from core.identity.auth import CurrentUser, require_account
from core.platform import clock, secret_key
from core.platform.db import Database
from core.platform.errors import PortalError

STREAM_ABOVE_ROWS = 20_000
DOWNLOAD_LINK_MINUTES = 10


class DownloadLinkInvalid(PortalError):
    """Tampered with, made for another user or session, or signed out since."""

    key = "export.link.invalid"


class DownloadLinkExpired(PortalError):
    key = "export.link.expired"


def streams(rows: int) -> bool:
    """Whether a file of this many rows is offered as a streamed link (not a download button
    that would keep the whole file in the server's memory). PORTAL_STREAM_ABOVE_ROWS changes
    the threshold."""
    configured = os.environ.get("PORTAL_STREAM_ABOVE_ROWS", "").strip()
    return rows > (int(configured) if configured.isdigit() else STREAM_ABOVE_ROWS)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(body: str) -> str:
    return _b64(hmac.new(secret_key.secret_key(), body.encode("ascii"), hashlib.sha256).digest())


def download_token(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> str:
    """A signed token for `/download/<token>`: this export, for this user's signed-in session,
    valid for DOWNLOAD_LINK_MINUTES. Cheap (no query): every check of the export itself is made
    when the link is opened (`open_download`)."""
    account_id = resolve_account_id(actor, account_id)
    actor = require_account(actor, account_id)
    req = _validate(request)
    payload = {
        "a": account_id,
        "w": req.what,
        "f": req.fmt,
        "i": list(req.search_ids) if req.search_ids is not None else None,
        "c": list(req.columns) if req.columns is not None else None,
        "o": req.scope,
        "n": req.invoice,
        "l": lang,
    }
    return sign_download(actor, "export", payload, now=now)


def sign_download(
    user: CurrentUser, kind: str, payload: dict[str, Any], *, now: dt.datetime | None = None
) -> str:
    """A token for `/download/<token>` standing for `payload` (a download of `kind`), bound to
    the user's signed-in session and valid for DOWNLOAD_LINK_MINUTES; HMAC-signed. It checks
    nothing: its callers (`download_token`, `analytics.answers_download_token`) have checked
    the user may have the file, and the opener checks again."""
    expires = clock.now(now) + dt.timedelta(minutes=DOWNLOAD_LINK_MINUTES)
    claims = {**payload, "k": kind, "u": user.id, "s": user.session_id}
    claims["e"] = int(expires.timestamp())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_signature(body)}"


def download_kind(token: str) -> str:
    """What kind of download a token claims to be (not checked: `open_signed` checks it)."""
    try:
        return str(json.loads(_unb64((token or "").partition(".")[0])).get("k", "export"))
    except (ValueError, TypeError, AttributeError):
        return "export"


def open_signed(
    db: Database,
    token: str,
    session_token: str | None,
    kind: str,
    *,
    now: dt.datetime | None = None,
) -> tuple[CurrentUser, dict[str, Any]]:
    """The signed-in user and the payload of a genuine, unexpired token of `kind`, opened by
    the browser session it was made for."""
    body, _, signature = (token or "").partition(".")
    if not body or not hmac.compare_digest(signature.encode(), _signature(body).encode()):
        raise DownloadLinkInvalid()
    try:
        payload = json.loads(_unb64(body))
        expires, user_id, session_id = int(payload["e"]), int(payload["u"]), int(payload["s"])
        claimed = str(payload.get("k", "export"))
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise DownloadLinkInvalid() from None
    if claimed != kind:
        raise DownloadLinkInvalid()
    if clock.now(now).timestamp() >= expires:
        raise DownloadLinkExpired()
    user = auth.user_for_token(db, session_token, now=now)
    if user is None or user.id != user_id or user.session_id != session_id:
        raise DownloadLinkInvalid()
    return user, payload


@dataclass(frozen=True)
class DownloadGrant:
    """What a valid link lets its owner download, checked again at the time of the download."""

    user: CurrentUser
    account_id: int
    lang: str
    plan: ExportPlan


def open_download(
    db: Database, token: str, session_token: str | None, *, now: dt.datetime | None = None
) -> DownloadGrant:
    """The export a link stands for, if the link is genuine, not expired, and opened by the
    browser session it was made for; the user must still be allowed to export it."""
    user, payload = open_signed(db, token, session_token, "export", now=now)
    try:
        search_ids = payload["i"]
        columns = payload["c"]
        request = ExportRequest(
            str(payload["w"]),
            str(payload["f"]),
            tuple(int(i) for i in search_ids) if search_ids is not None else None,
            tuple(str(c) for c in columns) if columns is not None else None,
            str(payload["o"]),
            str(payload["n"]) if payload.get("n") is not None else None,
        )
        account_id = int(payload["a"])
        lang = str(payload["l"])
    except (ValueError, KeyError, TypeError):  # cannot happen with a genuine signature
        raise DownloadLinkInvalid() from None
    plan = services.plan_export(db, user, request, account_id, now=now)
    return DownloadGrant(user, account_id, lang, plan)


def stream_export(
    db: Database,
    actor: CurrentUser | None,
    request: ExportRequest,
    account_id: int | None = None,
    *,
    lang: str = "en",
    now: dt.datetime | None = None,
) -> Iterator[bytes]:
    """The file of `write_export` as chunks of about STREAM_CHUNK bytes, while it is written
    (see `stream_writes`)."""
    return stream_writes(
        lambda sink: services.write_export(db, actor, request, sink, account_id, lang=lang, now=now)
    )
