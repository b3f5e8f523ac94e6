"""The customer's e-mail of an event: rendered in their language (plain text and HTML, with
the receipt PDF for a cancellation or an offer taken), made into a message whose headers no
value can break, and sent over SMTP.

`render` lays out the letter `core.outbox.mail_texts` writes for the event; `message` adds
From, To, Subject, Date and a Message-ID derived from the event's id (a message sent again
is recognisably the same one); `send` delivers it to `Settings.smtp_url`:
- `smtp://host:port` plain SMTP (a local relay);
- `smtp://user:password@host:587?starttls=1` STARTTLS, then login;
- `smtps://user:password@host:465` TLS from the first byte.
User and password are percent-decoded (`%40` for "@"). Certificates are verified against the
system's authorities (or the file named by `SSL_CERT_FILE`). Any failure is a `DeliveryError`
with a short reason, which the worker records as the delivery's last error.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from core.outbox.mail_texts import Letter, letter
from core.platform import clock
from core.platform.config import Settings
from core.platform.i18n import normalise_language, t
from core.platform.outbox import DeliveryError


@dataclass(frozen=True)
class Mail:
    subject: str
    text: str  # plain text
    html: str  # HTML; every value escaped, simple inline styles
    attachments: tuple[tuple[str, str, bytes], ...] = ()  # (file name, MIME type, content)


# --- rendering -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # all but tab and newline
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _body_text(value: str) -> str:
    """Text for a body: no control characters but newline and tab, no lone surrogates."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATE.sub("\ufffd", _CONTROL.sub(" ", value))


def _e(value: Any) -> str:
    return html.escape(_body_text(str(value)), quote=True)


STYLE_BODY = (
    "margin:0 auto;max-width:600px;padding:16px;font-family:Arial,Helvetica,sans-serif;"
    "font-size:15px;line-height:1.5;color:#1f1f29;background:#ffffff"
)
STYLE_H1 = "font-size:20px;color:#5b3df5;margin:0 0 16px"
STYLE_TH = "text-align:left;padding:4px 16px 4px 0;vertical-align:top;font-weight:bold"
STYLE_TD = "padding:4px 0;vertical-align:top"
STYLE_LINK = (
    "display:inline-block;padding:10px 16px;background:#5b3df5;color:#ffffff;"
    "text-decoration:none;border-radius:4px"
)
STYLE_QUOTE = "margin:0 0 16px;padding:8px 12px;border-left:3px solid #c9c9d6;color:#45455a"
STYLE_FOOT = "margin-top:24px;font-size:12px;color:#6b6b7b"


def _block_text(kind: str, value: Any) -> str:
    if kind == "p":
        return _body_text(value)
    if kind == "facts":
        return "\n".join(f"{_body_text(label)}: {_body_text(v)}" for label, v in value)
    if kind == "list":
        return "\n".join(f"- {_body_text(item)}" for item in value)
    if kind == "quote":
        return "\n".join(f"> {line}" for line in _body_text(value).split("\n"))
    if kind == "link":
        label, url = value
        return f"{_body_text(label)}: {_body_text(url)}"
    raise ValueError(f"unknown block {kind!r}")


def _block_html(kind: str, value: Any) -> str:
    if kind == "p":
        return f"<p>{_e(value)}</p>"
    if kind == "facts":
        rows = "".join(
            f'<tr><th scope="row" style="{STYLE_TH}">{_e(label)}</th>'
            f'<td style="{STYLE_TD}">{_e(v)}</td></tr>'
            for label, v in value
        )
        return f'<table role="presentation" style="border-collapse:collapse">{rows}</table>'
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in value) + "</ul>"
    if kind == "quote":
        lines = "<br>".join(_e(line) for line in _body_text(value).split("\n"))
        return f'<blockquote style="{STYLE_QUOTE}">{lines}</blockquote>'
    if kind == "link":
        label, url = value
        if not str(url).lower().startswith(("https://", "http://")):
            return f"<p>{_e(label)}: {_e(url)}</p>"  # never a javascript: or data: link
        return f'<p><a href="{_e(url)}" style="{STYLE_LINK}">{_e(label)}</a></p>'
    raise ValueError(f"unknown block {kind!r}")


def _text(letter_: Letter, footer: str) -> str:
    parts = [_body_text(letter_.heading)]
    parts += [_block_text(kind, value) for kind, value in letter_.blocks]
    parts.append("-- \n" + _body_text(footer))
    return "\n\n".join(parts) + "\n"


def _html(letter_: Letter, footer: str, lang: str) -> str:
    body = "\n".join(_block_html(kind, value) for kind, value in letter_.blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}">\n<head><meta charset="utf-8">'
        f"<title>{_e(letter_.subject)}</title></head>\n"
        f'<body style="{STYLE_BODY}">\n<h1 style="{STYLE_H1}">{_e(letter_.heading)}</h1>\n'
        f'{body}\n<p style="{STYLE_FOOT}">{_e(footer)}</p>\n</body>\n</html>\n'
    )


def render(event_type: str, data: dict[str, Any], lang: str, settings: Settings) -> Mail:
    """The e-mail of an event in `lang` ('en' or 'it'; anything else reads as English).
    ValueError for a type without an e-mail or data it cannot read."""
    lang = normalise_language(lang)
    written = letter(event_type, data, lang, settings)
    footer = t("mail.footer", lang, url=settings.public_url)
    return Mail(
        subject=_header(written.subject),
        text=_text(written, footer),
        html=_html(written, footer, lang),
        attachments=written.attachments,
    )


# --- the message -----------------------------------------------------------------------------

SUBJECT_MAX = 200  # characters; a subject is a line, not a place for a whole company name


def _header(value: str, limit: int = 0) -> str:
    """A header value on one line: every control character (CR and LF too), and every run of
    white space, is one space; no lone surrogates; at most `limit` characters. "=?" becomes
    "= ?": the email package decodes an RFC 2047 encoded word in a value it is given
    ("=?utf-8?q?=0D=0ABcc:...?=") and would write the line break it hides as a real one."""
    line = " ".join(_SURROGATE.sub("\ufffd", _CONTROL.sub(" ", value)).split())
    line = line.replace("=?", "= ?")
    if limit and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def _recipient(to: str) -> Address:
    """Exactly one address, or DeliveryError (a value with a comma or a name in it is not
    sent anywhere)."""
    cleaned = _header(to)
    try:
        address = Address(addr_spec=cleaned)
    except (ValueError, IndexError, TypeError) as exc:
        raise DeliveryError(f"invalid recipient address: {cleaned[:80]!r}") from exc
    if not address.username or not address.domain:
        raise DeliveryError(f"invalid recipient address: {cleaned[:80]!r}")
    return address


def _sender(mail_from: str) -> Address:
    """From: the display name and address of settings.mail_from, built as parts (an encoded
    word in the name stays text; it is never decoded into a line break)."""
    line = _header(mail_from)
    name, bracket, rest = line.rpartition("<")
    address = rest.removesuffix(">").strip() if bracket else line
    name = name.strip().strip('"').strip() if bracket else ""
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError, TypeError) as exc:
        raise DeliveryError(f"PORTAL_MAIL_FROM is not an address: {address[:80]!r}") from exc


def message_id(event_id: str) -> str:
    """The Message-ID of an event's e-mail: the same for every attempt."""
    return "<" + (re.sub(r"[^A-Za-z0-9_.-]", "", event_id) or "event") + "@portal>"


def message(
    mail: Mail,
    *,
    to: str,
    event_id: str,
    settings: Settings,
    now: dt.datetime | None = None,
) -> EmailMessage:
    """The message to send: From (settings.mail_from), To, Subject, Date, Message-ID, the text
    with its HTML alternative, the attachments. A control character in any value (CR, LF in
    a company name or a subject) becomes a space: it can never start a header of its own.
    DeliveryError when `to` is not exactly one address."""
    now = clock.now(now)
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _sender(settings.mail_from)
    msg["To"] = _recipient(to)
    msg["Subject"] = _header(mail.subject, SUBJECT_MAX)
    msg["Date"] = format_datetime(now.astimezone(dt.UTC))
    msg["Message-ID"] = message_id(event_id)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office answers, please
    msg.set_content(_body_text(mail.text), charset="utf-8")
    msg.add_alternative(_body_text(mail.html), subtype="html", charset="utf-8")
    for name, mime, content in mail.attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(
            content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=_header(name, 120) or "attachment",
        )
    return msg


# --- sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    starttls: bool
    user: str
    password: str


_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def smtp_target(url: str) -> SmtpTarget:
    """What an SMTP URL says; ValueError (without the password) for one it cannot read."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise ValueError("the SMTP URL must start with smtp:// or smtps://")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError("the SMTP URL has a port that is not a number") from None
    if not host:
        raise ValueError("the SMTP URL names no host")
    starttls = False
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key.lower() != "starttls" or value.lower() not in _TRUE | _FALSE:
            raise ValueError("the SMTP URL's only option is starttls=1")
        starttls = value.lower() in _TRUE
    if starttls and scheme == "smtps":
        raise ValueError("smtps:// is TLS already: starttls=1 goes with smtp://")
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if password and not user:
        raise ValueError("the SMTP URL has a password without a user")
    default_port = 465 if scheme == "smtps" else (587 if starttls else 25)
    return SmtpTarget(host, port or default_port, scheme == "smtps", starttls, user, password)


def _reason(exc: BaseException) -> str:
    """A short reason for the delivery's last error (never a password)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_said(text)}" for code, text in exc.recipients.values()]
        return "recipient refused: " + "; ".join(codes)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"login refused: {exc.smtp_code} {_said(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"sender refused: {exc.smtp_code} {_said(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP error {exc.smtp_code}: {_said(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"not supported by the server: {exc}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):  # smtplib's word for a read timeout too
        if isinstance(exc.__context__, TimeoutError):
            return "timed out"
        return "the server closed the connection"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not accepted: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc}"[:200]


def _said(text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return _header(text, 160)


def send(msg: EmailMessage, settings: Settings, *, timeout: float = 30) -> None:
    """Deliver the message to settings.smtp_url (see the module's docstring). DeliveryError
    with a short reason on any failure (refused, timed out, login, a recipient rejected);
    ValueError for a URL it cannot read."""
    target = smtp_target(settings.smtp_url)
    sender = msg["From"].addresses[0].addr_spec if msg["From"] else ""
    recipients = [a.addr_spec for a in msg["To"].addresses] if msg["To"] else []
    if not recipients:
        raise DeliveryError("no recipient")
    context = ssl.create_default_context()
    try:
        if target.implicit_tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with smtp:
            smtp.ehlo()
            if target.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if target.user:
                smtp.login(target.user, target.password)
            refused = smtp.send_message(msg, from_addr=sender, to_addrs=recipients)
        if refused:  # some recipients refused, others not: this one has just one
            raise smtplib.SMTPRecipientsRefused(refused)
    except DeliveryError:
        raise
    except (smtplib.SMTPException, OSError, ssl.SSLError, UnicodeError) as exc:
        raise DeliveryError(_reason(exc)) from exc
