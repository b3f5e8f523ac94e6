"""Webhooks: the endpoints admins keep (table `webhook_endpoints`), the signed body, and sending
it without letting a URL reach what it must not.

- An endpoint is a URL, a secret ("whsec_" and 32 random characters, shown once), the event
  types it wants and whether it is enabled. Adding, changing, rotating the secret and deleting
  are an admin's, each audited (never with the secret).
- A URL is checked when it is saved (`check_url`) and again at every send (`send`): http or
  https only, at most 2048 characters, no user:password, and a host whose every address is
  public, unless `Settings.webhooks_allow_private` (the demo and the tests send to loopback).
  Cloud metadata addresses, unspecified and multicast addresses are refused even then.
- The body is `{"id", "type", "created", "data"}`; the header `Portal-Signature:
  t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>` is the scheme Stripe documents, so a
  receiver can reuse its code (`verify` is what the README shows).
- `send` resolves the name at send time, checks every address, connects to the checked one
  (no second look-up: the name cannot point elsewhere in between; Host and TLS SNI keep the
  name), follows no redirect, reads at most 64 KB of the answer and gives up at one deadline
  however slowly the receiver trickles (the connection itself: `core.outbox.safe_http`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.outbox import safe_http
from core.platform import audit, clock
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound
from core.platform.i18n import catalog, normalise_language, t
from core.platform.outbox import DeliveryError
from core.platform.outbox_tables import OutboxDelivery, WebhookEndpoint
from core.platform.text import has_unstorable, storable
from core.rules.vocabulary import (
    ACTION_WEBHOOK_DELETED,
    ACTION_WEBHOOK_SAVED,
    WEBHOOK_EVENTS,
)

MAX_URL = 2048  # the column's size
MAX_DESCRIPTION = 200
SECRET_PREFIX = "whsec_"
URL_SAFE = "/:@!$&'()*+,;=?%[]~"  # kept as they are in a path or query (RFC 3986)
LOOKUP_SECONDS = 10.0  # a name's look-up when an admin saves a URL
USER_AGENT = "InfluencerPortal-Webhooks/1.0"
SIGNATURE_HEADER = "Portal-Signature"
EVENT_ID_HEADER = "Portal-Event-Id"


@dataclass(frozen=True)
class Endpoint:
    id: int
    url: str
    event_types: tuple[str, ...]
    enabled: bool
    description: str
    created_at: dt.datetime
    secret_hint: str  # the secret's last 4 characters, to tell two secrets apart


# --- the endpoints, kept by admins ------------------------------------------------------------


def endpoints(db: Database, actor: CurrentUser | None) -> list[Endpoint]:
    """Every endpoint, oldest first."""
    require_admin(actor)
    with db.transaction() as s:
        return [
            _endpoint(row)
            for row in s.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id))
        ]


def save_endpoint(
    db: Database,
    actor: CurrentUser | None,
    *,
    url: str,
    event_types: list[str] | tuple[str, ...],
    enabled: bool = True,
    description: str = "",
    endpoint_id: int | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> tuple[Endpoint, str | None]:
    """Add an endpoint (`endpoint_id` None) or change one. A new endpoint's secret is returned
    once, as the second item (None when changing one: `rotate_secret` makes a new one)."""
    require_admin(actor)
    now = clock.now(now)
    settings = settings or load_settings()
    types = _event_types(event_types)
    text = _description(description)
    cleaned = check_url(url, settings)  # before the transaction: a look-up may take seconds
    with db.transaction(write=True) as s:
        secret = None
        if endpoint_id is None:
            secret = _new_secret()
            row = WebhookEndpoint(secret=secret, created_at=now)
            before: dict[str, Any] = {}
            s.add(row)
        else:
            row = _row(s, endpoint_id)
            before = _described(row)
        row.url, row.event_types = cleaned, json.dumps(list(types))
        row.enabled, row.description = bool(enabled), text
        s.flush()
        _audit(s, actor, ACTION_WEBHOOK_SAVED, before, _described(row), now)
        return _endpoint(row), secret


def rotate_secret(
    db: Database, actor: CurrentUser | None, endpoint_id: int, *, now: dt.datetime | None = None
) -> str:
    """A new secret for the endpoint, returned once; the old one signs nothing from now on."""
    require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        row = _row(s, endpoint_id)
        row.secret = _new_secret()
        described = _described(row)
        _audit(s, actor, ACTION_WEBHOOK_SAVED, described, {**described, "secret": "new"}, now)
        return row.secret


def delete_endpoint(
    db: Database, actor: CurrentUser | None, endpoint_id: int, *, now: dt.datetime | None = None
) -> None:
    """Delete the endpoint. Its deliveries stay listed (with the URL they were made for); the
    pending ones are no longer sent (the worker marks them failed)."""
    require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        row = _row(s, endpoint_id)
        before = _described(row)
        s.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.endpoint_id == row.id)
            .values(endpoint_id=None)
            .execution_options(synchronize_session=False)
        )
        s.delete(row)
        _audit(s, actor, ACTION_WEBHOOK_DELETED, before, {}, now)


def event_type_label(type: str, lang: str) -> str:
    """An event type in words ("Cancellation scheduled"); an unknown type as it is."""
    key = f"webhooks.event.{type}"
    return t(key, lang) if key in catalog(normalise_language(lang)) else type


def _row(s: Session, endpoint_id: int) -> WebhookEndpoint:
    row = s.get(WebhookEndpoint, endpoint_id) if isinstance(endpoint_id, int) else None
    if row is None:
        raise NotFound("webhooks.error.not_found")
    return row


def _endpoint(row: WebhookEndpoint) -> Endpoint:
    return Endpoint(
        id=row.id,
        url=row.url,
        event_types=tuple(json.loads(row.event_types or "[]")),
        enabled=bool(row.enabled),
        description=row.description or "",
        created_at=row.created_at,
        secret_hint=row.secret[-4:],
    )


def _described(row: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint: everything but its secret."""
    return {
        "endpoint": row.id,
        "url": row.url,
        "event_types": json.loads(row.event_types or "[]"),
        "enabled": bool(row.enabled),
        "description": row.description or "",
    }


def _audit(
    s: Session,
    actor: CurrentUser,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    now: dt.datetime,
) -> None:
    audit.record(
        s,
        action=action,
        account_id=None,
        before=before,
        after=after,
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(24)  # 24 bytes: 32 characters


def _event_types(chosen: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The chosen types, in the vocabulary's order; at least one, each one known."""
    if isinstance(chosen, str) or not all(isinstance(c, str) for c in chosen):
        raise InvalidInput("webhooks.error.event_types")
    unknown = [c for c in chosen if c not in WEBHOOK_EVENTS]
    if unknown:
        raise InvalidInput("webhooks.error.event_type_unknown", type=unknown[0][:60])
    if not chosen:
        raise InvalidInput("webhooks.error.event_types")
    return tuple(e for e in WEBHOOK_EVENTS if e in chosen)


def _description(raw: str | None) -> str:
    text = storable(raw).replace("\n", " ").replace("\t", " ")
    if len(text) > MAX_DESCRIPTION:
        raise InvalidInput("webhooks.error.description_too_long", max=MAX_DESCRIPTION)
    return text


# --- the URL and its addresses ----------------------------------------------------------------


def check_url(url: str, settings: Settings) -> str:
    """The URL as it is stored (scheme and host in lower case, the host in ASCII, anything not
    ASCII in the path percent-encoded, no fragment), or InvalidInput saying what is wrong."""
    parts = _parse(url)
    deadline = time.monotonic() + LOOKUP_SECONDS
    try:
        addresses = safe_http.resolve(parts.hostname or "", _port(parts), deadline)
    except DeliveryError:
        raise InvalidInput("webhooks.error.url_unresolved", host=_short(parts.hostname)) from None
    refused = safe_http.refused(addresses, settings.webhooks_allow_private)
    if refused is not None:
        never = safe_http.address_problem(refused) == safe_http.NEVER
        raise InvalidInput(f"webhooks.error.url_{'never' if never else 'private'}", address=refused)
    return urlunsplit(parts)


def _parse(url: str) -> SplitResult:
    """The URL checked for what needs no look-up, cleaned (see `check_url`)."""
    if not isinstance(url, str):
        raise InvalidInput("webhooks.error.url_scheme")
    url = url.strip()
    if len(url) > MAX_URL:
        raise InvalidInput("webhooks.error.url_too_long", max=MAX_URL, length=len(url))
    if not url:
        raise InvalidInput("webhooks.error.url_missing")
    if has_unstorable(url, keep="") or any(ch.isspace() for ch in url):
        raise InvalidInput("webhooks.error.url_characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("webhooks.error.url_port") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput("webhooks.error.url_scheme")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidInput("webhooks.error.url_credentials")
    host = parts.hostname or ""
    if not host:
        raise InvalidInput("webhooks.error.url_host")
    if port == 0:
        raise InvalidInput("webhooks.error.url_port")
    host = _ascii_host(host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    cleaned = SplitResult(
        parts.scheme.lower(), netloc, _ascii(parts.path) or "/", _ascii(parts.query), ""
    )
    if len(urlunsplit(cleaned)) > MAX_URL:
        raise InvalidInput("webhooks.error.url_too_long", max=MAX_URL, length=len(url))
    return cleaned


def _ascii_host(host: str) -> str:
    """The host as it goes on the wire: an IP address as it is, a name in IDNA ("xn--")."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidInput("webhooks.error.url_host") from None
    if not all(ch.isalnum() or ch in "-._" for ch in ascii_host):
        raise InvalidInput("webhooks.error.url_host")
    return ascii_host


def _ascii(part: str) -> str:
    """A path or query with every character a URL may not hold as it is percent-encoded (not
    ASCII, quotes, angle brackets ...); what is already encoded stays as it is."""
    return quote(part, safe=URL_SAFE)


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def _short(text: str | None) -> str:
    return (text or "")[:80]


# --- the body and its signature ---------------------------------------------------------------


def body(event_id: str, type: str, created: dt.datetime, data: dict[str, Any]) -> bytes:
    """The JSON a receiver gets, compact UTF-8: {"id", "type", "created" (unix seconds), "data"}."""
    document = {
        "id": event_id,
        "type": type,
        "created": int(created.timestamp()),
        "data": data,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=_plain).encode(
        "utf-8"
    )


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _hmac(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The Portal-Signature header: "t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>"."""
    return f"t={int(timestamp)},v1={_hmac(secret, body, int(timestamp))}"


def verify(secret: str, body: bytes, header: str, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the header's time is within `tolerance` seconds of `now` and one of
    its v1 signatures is the HMAC of "<t>." + body under `secret` (compared in constant time)."""
    timestamp, signatures = None, []
    for item in (header or "")[:2000].split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit() and len(value) < 16:
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or abs(int(now) - timestamp) > tolerance:
        return False
    expected = _hmac(secret, body, timestamp)
    return any(hmac.compare_digest(expected, s) for s in signatures if s.isascii())


# --- sending ----------------------------------------------------------------------------------


def send(
    url: str,
    secret: str,
    body: bytes,
    settings: Settings,
    *,
    now: dt.datetime,
    timeout: float = 10,
) -> int:
    """POST the signed body to `url`; its HTTP status when 2xx, else DeliveryError with a short
    reason ("HTTP 500", "timed out", "address not allowed: 10.0.0.1", ...). Nothing here takes
    longer than `timeout` seconds in all, the look-up included."""
    deadline = time.monotonic() + timeout
    try:
        parts = _parse(url)
    except InvalidInput:
        raise DeliveryError("invalid URL") from None
    host = parts.hostname or ""
    addresses = safe_http.resolve(host, _port(parts), deadline)
    refused = safe_http.refused(addresses, settings.webhooks_allow_private)
    if refused is not None:
        raise DeliveryError(f"address not allowed: {refused}")
    request = _request(parts, body, signature(secret, body, int(now.timestamp())))
    status = safe_http.post(
        addresses, host, tls=parts.scheme == "https", request=request, deadline=deadline
    )
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise DeliveryError(f"HTTP {status} (redirects are not followed)")
    raise DeliveryError(f"HTTP {status}")


def _request(parts: SplitResult, payload: bytes, signed: str) -> bytes:
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {
        "Host": parts.netloc,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
        "Content-Length": str(len(payload)),
        SIGNATURE_HEADER: signed,
        "Connection": "close",
    }
    event_id = _event_id(payload)
    if event_id:
        headers[EVENT_ID_HEADER] = event_id
    head = f"POST {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("ascii") + payload


def _event_id(payload: bytes) -> str:
    try:
        value = json.loads(payload).get("id")
    except (ValueError, AttributeError):
        return ""
    ok = isinstance(value, str) and value.isascii() and value.replace("_", "").isalnum()
    return value if ok and len(value) <= 64 else ""
