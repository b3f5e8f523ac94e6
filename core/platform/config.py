"""Settings read from the environment, with safe defaults for a local demo."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_COOKIE = "portal_lang"  # the language last chosen in this browser
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'data' / 'portal.db'}"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    demo_mode: bool = True
    session_days: int = 14
    max_failed_sign_ins: int = 5
    lockout_minutes: int = 15
    reactivation_months: int = 2
    # After a subscription ends, its data can still be exported (read-only) for this many days,
    # counted from the day it ends (the EU Data Act's retrieval period is 30 days); 0: no window.
    export_days_after_end: int = 30
    cookie_name: str = "portal_session"
    # An account that took a retention offer of a kind within this many months is not offered
    # that kind again.
    offer_cooldown_months: int = 12
    # Events out (core.outbox). E-mail goes through this SMTP server ("smtp://host:port",
    # "smtp://user:password@host:587?starttls=1", "smtps://..."); empty (the demo's default):
    # e-mails are kept and shown on the support desk, not sent.
    smtp_url: str = ""
    mail_from: str = "Influencer Portal <no-reply@portal.invalid>"
    # The address people reach the portal at: the links inside e-mails start with it.
    public_url: str = "http://localhost:8501"
    # Webhook URLs on private, loopback or link-local addresses are refused unless this is on
    # (the demo and the tests send to a receiver on loopback).
    webhooks_allow_private: bool = False


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Settings from PORTAL_* environment variables (or the mapping given)."""
    env = os.environ if environ is None else environ
    url = env.get("PORTAL_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    return Settings(
        database_url=url,
        demo_mode=_flag(env.get("PORTAL_DEMO_MODE"), True),
        session_days=int(env.get("PORTAL_SESSION_DAYS", "14")),
        export_days_after_end=_whole(env.get("PORTAL_EXPORT_DAYS_AFTER_END"), 30),
        offer_cooldown_months=_whole(env.get("PORTAL_OFFER_COOLDOWN_MONTHS"), 12),
        smtp_url=env.get("PORTAL_SMTP_URL", "").strip(),
        mail_from=env.get("PORTAL_MAIL_FROM", "").strip() or Settings.mail_from,
        public_url=(env.get("PORTAL_PUBLIC_URL", "").strip() or Settings.public_url).rstrip("/"),
        # on by default in demo mode (a receiver on this machine), off otherwise
        webhooks_allow_private=_flag(
            env.get("PORTAL_WEBHOOKS_ALLOW_PRIVATE"), _flag(env.get("PORTAL_DEMO_MODE"), True)
        ),
    )


def _whole(value: str | None, default: int) -> int:
    """A whole number (0 or more) of days or months; empty means the default."""
    if value is None or value.strip() == "":
        return default
    days = int(value.strip())
    if days < 0:
        raise ValueError(f"this setting cannot be negative: {value!r}")
    return days
