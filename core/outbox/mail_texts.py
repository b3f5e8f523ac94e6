"""What each event's e-mail says, in the customer's language: a `Letter` of plain blocks
(paragraphs, facts, a list, a quoted message, a link) that `core.outbox.mail` lays out as
text and as HTML. Every date and amount comes from the event's data, never typed; the receipt
PDFs are the ones the portal offers for download (`core.documents.receipt`), rebuilt from the
same data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.documents import receipt
from core.platform.config import Settings
from core.platform.i18n import fmt_date, fmt_datetime, fmt_money, fmt_number, t
from core.retention.cancellation import Scheduled
from core.retention.offers import Accepted
from core.retention.records import Dates
from core.retention.terms import OfferTerms
from core.rules.pricing import CURRENCY, UNIT_NAMES
from core.rules.vocabulary import (
    EVENT_ACCOUNT_ERASED,
    EVENT_ACCOUNT_REACTIVATED,
    EVENT_CANCELLATION_SAVED,
    EVENT_CANCELLATION_SCHEDULED,
    EVENT_CANCELLATION_UNDONE,
    EVENT_PASSWORD_RESET,
    EVENT_SUBSCRIPTION_ENDED,
    EVENT_SUBSCRIPTION_PAUSED,
    EVENT_SUBSCRIPTION_RESUMED,
    EVENT_SUPPORT_REQUEST,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KINDS,
    REQUEST_CUSTOM_PLAN,
    REQUEST_KINDS,
    REQUEST_OTHER,
)

PDF = "application/pdf"
ERASED_ITEMS = ("lists", "campaigns", "reports", "searches", "account", "invoices", "sign_in")

# A block of a letter: ("p", text), ("facts", ((label, value), ...)), ("list", (item, ...)),
# ("quote", text), ("link", (label, url)).
Block = tuple[str, Any]


@dataclass(frozen=True)
class Letter:
    subject: str
    heading: str
    blocks: tuple[Block, ...]
    attachments: tuple[tuple[str, str, bytes], ...] = ()


# --- reading the event's data ----------------------------------------------------------------


def _day(data: dict[str, Any], key: str) -> dt.date:
    """A date the e-mail states: KeyError when the data lacks it (never "None" in a text)."""
    value = data.get(key)
    if not value:
        raise KeyError(key)
    return dt.date.fromisoformat(value[:10])


def _day_or_none(data: dict[str, Any], key: str) -> dt.date | None:
    return _day(data, key) if data.get(key) else None


def _time(data: dict[str, Any], key: str) -> dt.datetime:
    value = data.get(key)
    if not value:
        raise KeyError(key)
    when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return "" if value is None else str(value)


def _portal(lang: str, settings: Settings) -> Block:
    return ("link", (t("mail.portal_link", lang), settings.public_url))


# --- one function per event type -------------------------------------------------------------


def _scheduled(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    number = _text(data, "confirmation_number")
    requested = _time(data, "requested_at")
    effective = _day(data, "effective_on")
    deleted = _day(data, "data_deleted_on")
    reactivate = _day(data, "reactivate_until")
    dates = Dates(effective_on=effective, data_deleted_on=deleted, reactivate_until=reactivate)
    resume = _day_or_none(data, "resume_until") or dates.resume_until
    company, plan = _text(data, "company"), _text(data, "plan_name")
    info = Scheduled(
        flow_id=_text(data, "flow_id"),
        confirmation_number=number,
        requested_at=requested,
        dates=dates,
        company=company,
        plan_name=plan,
    )
    facts = (
        (t("cancel.confirmation", lang), number),
        (t("receipt.account", lang), company),
        (t("receipt.plan", lang), plan),
        (t("receipt.requested", lang), fmt_datetime(requested, lang) + " UTC"),
        (t("cancel.effective", lang), fmt_date(effective, lang)),
        (t("cancel.deleted_on", lang), fmt_date(deleted, lang)),
        (t("mail.fact.resume_until", lang), fmt_date(resume, lang)),
        (t("cancel.reactivate_until", lang), fmt_date(reactivate, lang)),
    )
    return Letter(
        subject=t("mail.scheduled.subject", lang, number=number),
        heading=t("mail.scheduled.heading", lang),
        blocks=(
            (
                "p",
                t(
                    "mail.scheduled.intro",
                    lang,
                    company=company,
                    plan=plan,
                    requested=requested,
                    number=number,
                ),
            ),
            ("facts", facts),
            ("p", t("mail.scheduled.effective", lang, effective=effective)),
            ("p", t("mail.scheduled.deleted", lang, deleted=deleted)),
            ("p", t("mail.scheduled.undo", lang, resume_until=resume, reactivate_until=reactivate)),
            _portal(lang, settings),
            ("p", t("mail.scheduled.attached", lang)),
        ),
        attachments=((receipt.file_name(info), PDF, receipt.render(info, lang)),),
    )


def _saved(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    offer = data.get("offer") or {}
    company = _text(data, "company")
    heading = t("mail.saved.heading", lang)
    if offer.get("kind") == OFFER_KIND_CUSTOM_PLAN or not offer.get("terms"):
        if offer.get("kind") == OFFER_KIND_CUSTOM_PLAN:
            price = fmt_money(int(offer.get("monthly_price_cents") or 0), CURRENCY, lang)
            said = t("mail.saved.custom_plan", lang, company=company, price=price)
        else:  # kept: nothing changed
            said = t("mail.saved.kept", lang, company=company)
        blocks = (("p", said), _portal(lang, settings))
        return Letter(t("mail.saved.subject_plain", lang), heading, blocks)
    number = _text(data, "confirmation_number")
    accepted_at = _time(data, "accepted_at")
    terms = OfferTerms.from_json(offer["terms"])
    info = Accepted(
        flow_id=_text(data, "flow_id"),
        kind=terms.kind,
        confirmation_number=number,
        accepted_at=accepted_at,
        terms=terms,
        company=company,
        plan_name=_text(data, "plan_name_before") or _text(data, "plan_name"),
    )
    kind = terms.kind if terms.kind in OFFER_KINDS else ""
    facts = (
        (t("cancel.confirmation", lang), number),
        (t("receipt.account", lang), company),
        (t("receipt.plan", lang), info.plan_name),
        (t("offers.receipt.accepted", lang), fmt_datetime(accepted_at, lang) + " UTC"),
        *(((t("offers.receipt.offer", lang), t(f"offers.kind.{kind}", lang)),) if kind else ()),
    )
    return Letter(
        subject=t("mail.saved.subject", lang, number=number),
        heading=heading,
        blocks=(
            ("p", t("mail.saved.intro", lang, accepted=accepted_at, company=company)),
            ("facts", facts),
            ("p", receipt.offer_summary(terms, lang)),
            ("p", t("offers.receipt.change", lang)),
            _portal(lang, settings),
            ("p", t("mail.saved.attached", lang)),
        ),
        attachments=((receipt.offer_file_name(info), PDF, receipt.render_offer(info, lang)),),
    )


def _undone(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    key = "mail.undone.support" if data.get("by") == "support" else "mail.undone.customer"
    said = t(
        key,
        lang,
        company=_text(data, "company"),
        plan=_text(data, "plan_name"),
        date=_day(data, "was_effective_on"),
    )
    subject = t("mail.undone.subject", lang)
    return Letter(subject, subject, (("p", said), _portal(lang, settings)))


def _reactivated(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    said = t(
        "mail.reactivated.body",
        lang,
        company=_text(data, "company"),
        plan=_text(data, "plan_name"),
        start=_day(data, "period_start"),
        end=_day(data, "period_end"),
    )
    subject = t("mail.reactivated.subject", lang)
    return Letter(subject, subject, (("p", said), _portal(lang, settings)))


def _paused(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    until = _day(data, "paused_until")
    said = t(
        "mail.paused.body",
        lang,
        company=_text(data, "company"),
        start=_day(data, "paused_from"),
        until=until,
    )
    return Letter(
        t("mail.paused.subject", lang, until=until),
        t("mail.paused.heading", lang),
        (("p", said), ("p", t("mail.paused.resume", lang)), _portal(lang, settings)),
    )


def _resumed(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    company, day = _text(data, "company"), _day(data, "resumed_on")
    end = _day_or_none(data, "period_end")
    if data.get("by") == "customer" and end is not None:
        said = t("mail.resumed.customer", lang, company=company, date=day, end=end)
    else:
        said = t("mail.resumed.lifecycle", lang, company=company, date=day)
    return Letter(
        t("mail.resumed.subject", lang),
        t("mail.resumed.heading", lang),
        (("p", said), _portal(lang, settings)),
    )


def _ended(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    ended, export = _day(data, "ended_on"), _day_or_none(data, "export_until")
    blocks: list[Block] = [
        ("p", t("mail.ended.body", lang, company=_text(data, "company"), date=ended))
    ]
    if export is not None and export >= ended:
        blocks.append(("p", t("mail.ended.export", lang, until=export)))
    blocks += [
        ("p", t("mail.ended.reactivate", lang, until=_day(data, "reactivate_until"))),
        ("p", t("mail.ended.deleted", lang, date=_day(data, "data_deleted_on"))),
        _portal(lang, settings),
    ]
    subject = t("mail.ended.subject", lang)
    return Letter(subject, subject, tuple(blocks))


def _erased(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    said = t(
        "mail.erased.body",
        lang,
        ended=_day(data, "ended_on"),
        erased=_day(data, "erased_on"),
        account=_text(data, "account_id"),
    )
    items = tuple(t(f"mail.erased.item.{name}", lang) for name in ERASED_ITEMS)
    subject = t("mail.erased.subject", lang)
    return Letter(
        subject,
        subject,
        (
            ("p", said),
            ("list", items),
            ("p", t("mail.erased.kept", lang)),
            ("p", t("mail.erased.last", lang)),
        ),
    )


def _custom_plan(message: str, lang: str) -> list[Block]:
    """A custom-plan request's message is its configuration as JSON: shown as facts."""
    try:
        values = json.loads(message)
        price = int(values["monthly_price_cents"])
    except (ValueError, TypeError, KeyError):
        return [("p", t("mail.request.message", lang)), ("quote", message)]
    facts = tuple(
        (t(f"offer.unit.{name}", lang), fmt_number(values[name], lang))
        for name in UNIT_NAMES
        if isinstance(values.get(name), int)
    )
    said = t("mail.request.custom_plan", lang, price=fmt_money(price, CURRENCY, lang))
    return [("p", said), ("facts", facts)]


def _request(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    number = _text(data, "request_id")
    kind = data.get("kind") if data.get("kind") in REQUEST_KINDS else REQUEST_OTHER
    message = _text(data, "message")
    blocks: list[Block] = [
        ("p", t("mail.request.body", lang, number=number, company=_text(data, "company"))),
        (
            "facts",
            (
                (t("mail.fact.request", lang), number),
                (t("desk.audit.field.kind", lang), t(f"journey.requests.kind.{kind}", lang)),
            ),
        ),
    ]
    if kind == REQUEST_CUSTOM_PLAN:
        blocks += _custom_plan(message, lang)
    elif message:
        blocks += [("p", t("mail.request.message", lang)), ("quote", message)]
    blocks.append(_portal(lang, settings))
    return Letter(
        t("mail.request.subject", lang, number=number),
        t("mail.request.heading", lang),
        tuple(blocks),
    )


def _reset(data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    subject = t("mail.reset.subject", lang)
    blocks: list[Block] = [("p", t("mail.reset.body", lang))]
    url = _text(data, "reset_url")
    if url:  # blanked once sent: only the hash of the token is kept
        blocks.append(("link", (t("mail.reset.link", lang), url)))
    until = _time(data, "expires_at")
    minutes = data.get("valid_minutes")  # the use case may say how long, in minutes
    if isinstance(minutes, int) and minutes > 0:
        blocks.append(("p", t("mail.reset.valid_for", lang, minutes=minutes, until=until)))
    else:
        blocks.append(("p", t("mail.reset.valid", lang, until=until)))
    blocks.append(("p", t("mail.reset.ignore", lang)))
    return Letter(subject, subject, tuple(blocks))


LETTERS: dict[str, Callable[[dict[str, Any], str, Settings], Letter]] = {
    EVENT_CANCELLATION_SCHEDULED: _scheduled,
    EVENT_CANCELLATION_SAVED: _saved,
    EVENT_CANCELLATION_UNDONE: _undone,
    EVENT_ACCOUNT_REACTIVATED: _reactivated,
    EVENT_SUBSCRIPTION_PAUSED: _paused,
    EVENT_SUBSCRIPTION_RESUMED: _resumed,
    EVENT_SUBSCRIPTION_ENDED: _ended,
    EVENT_ACCOUNT_ERASED: _erased,
    EVENT_SUPPORT_REQUEST: _request,
    EVENT_PASSWORD_RESET: _reset,
}


def letter(event_type: str, data: dict[str, Any], lang: str, settings: Settings) -> Letter:
    """The e-mail of an event, as blocks; ValueError for a type that has none."""
    try:
        write = LETTERS[event_type]
    except KeyError:
        raise ValueError(f"no e-mail for event type {event_type!r}") from None
    try:
        return write(data, lang, settings)
    except (TypeError, KeyError, AttributeError) as exc:  # a value missing or of a wrong type
        raise ValueError(f"the {event_type} event's data is incomplete: {exc}") from exc
