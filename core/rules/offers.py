"""The retention playbook's rules: the offers a leaving customer may be made (a custom plan, a
pause, a discount, a downgrade), the rules that match them to the survey's reason and the
customer's segment, what makes a playbook valid, how an account falls into an experiment's
variant, and the statistics the experiments are judged by (Wilson's interval, a two-proportion
test). Pure: the use cases in `core.retention.playbook` and `core.retention.offers` store and
apply these; the admin page, the demo and the tests build them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.rules import billing
from core.rules.pricing import PLANS
from core.rules.vocabulary import (
    ANY,
    NO_REASON,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OFFER_KINDS,
    REASONS,
    TENURE_BANDS,
)

LANGUAGES = ("en", "it")
PAUSE_CYCLES = (1, 2, 3)  # a pause lasts one, two or three billing cycles
DISCOUNT_PERCENT = (1, 100)  # least and most, inclusive
DISCOUNT_CYCLES = (1, 12)
MAX_OFFERS_PER_RULE = 3  # step 2 stays readable
MAX_TITLE = 80
MAX_BODY = 400
MAX_RULES = 50
MAX_OFFERS = 20
KEY_PATTERN = re.compile(r"[a-z0-9_]{1,40}")
COUNTRY_PATTERN = re.compile(r"[A-Z]{2}")
RULE_REASONS = (*REASONS, NO_REASON, ANY)
PLAN_CODES = tuple(p.code for p in PLANS)
VARIANTS = (2, 4)  # an experiment has two to four variants
SPLIT_BUCKETS = 10_000  # an account's place in an experiment: 0..9999, shares in percent


@dataclass(frozen=True)
class Offer:
    """One offer of a playbook. `title` and `body` hold the admin's copy per language; the
    terms (how long, how much, from when) are never typed: the screens compute them."""

    key: str
    kind: str
    cycles: int = 0  # pause: 1-3 cycles; discount: how many invoices it applies to
    percent: int = 0  # discount: percent off
    plan_code: str = ""  # downgrade: the plan it moves to
    title: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        """What the offer does, without its copy (stored with each offer shown)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.kind in (OFFER_KIND_PAUSE, OFFER_KIND_DISCOUNT):
            out["cycles"] = self.cycles
        if self.kind == OFFER_KIND_DISCOUNT:
            out["percent"] = self.percent
        if self.kind == OFFER_KIND_DOWNGRADE:
            out["plan_code"] = self.plan_code
        return out


@dataclass(frozen=True)
class Rule:
    """Which offers (keys, in the order shown) a flow gets for a reason (one of REASONS,
    NO_REASON or ANY) and a segment; an empty tuple of plans, bands or countries matches all."""

    reason: str
    offers: tuple[str, ...]
    plans: tuple[str, ...] = ()
    tenure_bands: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()

    def matches(self, reason: str | None, plan_code: str, tenure_band: str, country: str) -> bool:
        wanted = reason or NO_REASON
        return (
            self.reason in (ANY, wanted)
            and (not self.plans or plan_code in self.plans)
            and (not self.tenure_bands or tenure_band in self.tenure_bands)
            and (not self.countries or country in self.countries)
        )


@dataclass(frozen=True)
class Playbook:
    """The offers and the rules, in order: the first rule that matches a flow decides."""

    offers: tuple[Offer, ...]
    rules: tuple[Rule, ...]

    def offer(self, key: str) -> Offer | None:
        return next((o for o in self.offers if o.key == key), None)

    def to_json(self) -> str:
        return json.dumps(
            {
                "offers": [
                    {
                        "key": o.key,
                        "kind": o.kind,
                        "cycles": o.cycles,
                        "percent": o.percent,
                        "plan_code": o.plan_code,
                        "title": dict(o.title),
                        "body": dict(o.body),
                    }
                    for o in self.offers
                ],
                "rules": [
                    {
                        "reason": r.reason,
                        "offers": list(r.offers),
                        "plans": list(r.plans),
                        "tenure_bands": list(r.tenure_bands),
                        "countries": list(r.countries),
                    }
                    for r in self.rules
                ],
            },
            ensure_ascii=False,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Playbook:
        """The playbook a stored (or uploaded) JSON text holds. ValueError if it is not one
        (its values are checked by `problems`)."""
        try:
            data = json.loads(text)
            offers = tuple(
                Offer(
                    key=str(o["key"]),
                    kind=str(o["kind"]),
                    cycles=int(o.get("cycles") or 0),
                    percent=int(o.get("percent") or 0),
                    plan_code=str(o.get("plan_code") or ""),
                    title={str(k): str(v) for k, v in dict(o.get("title") or {}).items()},
                    body={str(k): str(v) for k, v in dict(o.get("body") or {}).items()},
                )
                for o in data["offers"]
            )
            rules = tuple(
                Rule(
                    reason=str(r["reason"]),
                    offers=tuple(str(k) for k in r["offers"]),
                    plans=tuple(str(p) for p in r.get("plans") or ()),
                    tenure_bands=tuple(str(b) for b in r.get("tenure_bands") or ()),
                    countries=tuple(str(c) for c in r.get("countries") or ()),
                )
                for r in data["rules"]
            )
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
            raise ValueError(f"not a playbook: {exc}") from exc
        return cls(offers=offers, rules=rules)


@dataclass(frozen=True)
class Problem:
    """Why a playbook (or an experiment's split) cannot be saved: an i18n key and its values."""

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


def plan_price(plan_code: str) -> int | None:
    """The catalogue's monthly price of a plan, in cents (None: no such plan)."""
    return next((p.monthly_price_cents for p in PLANS if p.code == plan_code), None)


def offer_problems(offer: Offer) -> list[Problem]:
    out: list[Problem] = []
    if not KEY_PATTERN.fullmatch(offer.key):
        out.append(Problem("playbook.error.offer_key", {"offer": offer.key[:40]}))
    if offer.kind not in OFFER_KINDS:
        out.append(Problem("playbook.error.offer_kind", {"offer": offer.key}))
    if offer.kind == OFFER_KIND_PAUSE and offer.cycles not in PAUSE_CYCLES:
        out.append(
            Problem(
                "playbook.error.pause_cycles",
                {"offer": offer.key, "least": PAUSE_CYCLES[0], "most": PAUSE_CYCLES[-1]},
            )
        )
    if offer.kind == OFFER_KIND_DISCOUNT:
        least, most = DISCOUNT_PERCENT
        if not least <= offer.percent <= most:
            out.append(
                Problem("playbook.error.discount_percent", {"offer": offer.key, "most": most})
            )
        least, most = DISCOUNT_CYCLES
        if not least <= offer.cycles <= most:
            out.append(
                Problem(
                    "playbook.error.discount_cycles",
                    {"offer": offer.key, "least": least, "most": most},
                )
            )
    if offer.kind == OFFER_KIND_DOWNGRADE and plan_price(offer.plan_code) is None:
        out.append(Problem("playbook.error.downgrade_plan", {"offer": offer.key}))
    for lang in LANGUAGES:
        title = (offer.title.get(lang) or "").strip()
        if not title or len(title) > MAX_TITLE:
            out.append(
                Problem(
                    "playbook.error.title",
                    {"offer": offer.key, "language": lang.upper(), "most": MAX_TITLE},
                )
            )
        if len(offer.body.get(lang) or "") > MAX_BODY:
            out.append(
                Problem(
                    "playbook.error.body",
                    {"offer": offer.key, "language": lang.upper(), "most": MAX_BODY},
                )
            )
    return out


def rule_problems(rule: Rule, number: int, playbook: Playbook) -> list[Problem]:
    """What is wrong with the rule at position `number` (from 1, as the page shows it)."""
    out: list[Problem] = []
    if rule.reason not in RULE_REASONS:
        out.append(Problem("playbook.error.rule_reason", {"rule": number}))
    if any(p not in PLAN_CODES for p in rule.plans):
        out.append(Problem("playbook.error.rule_plan", {"rule": number}))
    if any(b not in TENURE_BANDS for b in rule.tenure_bands):
        out.append(Problem("playbook.error.rule_tenure", {"rule": number}))
    if any(not COUNTRY_PATTERN.fullmatch(c) for c in rule.countries):
        out.append(Problem("playbook.error.rule_country", {"rule": number}))
    if not rule.offers or len(rule.offers) > MAX_OFFERS_PER_RULE:
        out.append(
            Problem("playbook.error.rule_offers", {"rule": number, "most": MAX_OFFERS_PER_RULE})
        )
    if len(set(rule.offers)) != len(rule.offers):
        out.append(Problem("playbook.error.rule_repeats", {"rule": number}))
    for key in rule.offers:
        offer = playbook.offer(key)
        if offer is None:
            out.append(Problem("playbook.error.rule_unknown_offer", {"rule": number, "offer": key}))
        elif offer.kind == OFFER_KIND_DOWNGRADE and rule.plans:
            target = plan_price(offer.plan_code) or 0
            for plan in rule.plans:
                price = plan_price(plan)
                if price is not None and target >= price:
                    out.append(
                        Problem(
                            "playbook.error.downgrade_not_cheaper",
                            {"rule": number, "offer": key, "plan": plan},
                        )
                    )
    return out


def problems(playbook: Playbook) -> list[Problem]:
    """Everything that keeps the playbook from being saved, in the order of the page."""
    out: list[Problem] = []
    if not playbook.offers or len(playbook.offers) > MAX_OFFERS:
        out.append(Problem("playbook.error.no_offers", {"most": MAX_OFFERS}))
    if not playbook.rules or len(playbook.rules) > MAX_RULES:
        out.append(Problem("playbook.error.no_rules", {"most": MAX_RULES}))
    keys = [o.key for o in playbook.offers]
    if len(set(keys)) != len(keys):
        out.append(Problem("playbook.error.offer_repeats"))
    for offer in playbook.offers:
        out.extend(offer_problems(offer))
    for number, rule in enumerate(playbook.rules, start=1):
        out.extend(rule_problems(rule, number, playbook))
    return out


def match(
    playbook: Playbook,
    *,
    reason: str | None,
    plan_code: str,
    tenure_band: str,
    country: str,
) -> tuple[Offer, ...]:
    """The offers the first matching rule names, in its order; a downgrade is left out unless
    its plan is cheaper than `plan_code`'s. No rule matches: no offer."""
    price = plan_price(plan_code)
    for rule in playbook.rules:
        if rule.matches(reason, plan_code, tenure_band, country):
            out = []
            for key in rule.offers:
                offer = playbook.offer(key)
                if offer is None:
                    continue
                if offer.kind == OFFER_KIND_DOWNGRADE and not is_cheaper(offer.plan_code, price):
                    continue
                out.append(offer)
            return tuple(out)
    return ()


def is_cheaper(plan_code: str, than_cents: int | None) -> bool:
    """A downgrade's plan is a real step down from a plan costing `than_cents` a month."""
    price = plan_price(plan_code)
    return price is not None and than_cents is not None and price < than_cents


# --- what an offer does to the bill ----------------------------------------------------------


def pause_until(period_end: dt.date, interval: str, cycles: int) -> dt.date:
    """The day a pause of `cycles` cycles, starting when the current cycle ends on
    `period_end`, is over and billing resumes."""
    if cycles not in PAUSE_CYCLES:
        raise ValueError(f"a pause lasts 1 to 3 cycles, not {cycles}")
    return billing.add_months(period_end, billing.period_months(interval) * cycles)


def discounted_cents(amount_cents: int, percent: int | None) -> int:
    """An invoice's amount with `percent` off, rounded to the cent (half up)."""
    if not percent:
        return amount_cents
    return (amount_cents * (100 - percent) + 50) // 100


# --- experiments -----------------------------------------------------------------------------


def split_problems(shares: Sequence[tuple[str, int]]) -> list[Problem]:
    """Two to four variants, named, each with a share from 1 to 99 percent, adding up to 100."""
    out: list[Problem] = []
    names = [n.strip() if isinstance(n, str) else "" for n, _ in shares]
    if not VARIANTS[0] <= len(shares) <= VARIANTS[1]:
        out.append(
            Problem("experiment.error.variants", {"least": VARIANTS[0], "most": VARIANTS[1]})
        )
    if any(not n or len(n) > 40 for n in names) or len(set(names)) != len(names):
        out.append(Problem("experiment.error.names"))
    if any(isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= 99 for _, s in shares):
        out.append(Problem("experiment.error.share"))
    elif sum(s for _, s in shares) != 100:
        out.append(Problem("experiment.error.total", {"total": sum(s for _, s in shares)}))
    return out


def bucket(experiment_id: int, account_id: int) -> int:
    """The account's place in the experiment, 0 to 9,999: the same on every server and reload,
    and independent from one experiment to the next."""
    digest = hashlib.sha256(f"experiment:{experiment_id}:account:{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % SPLIT_BUCKETS


def variant_for(experiment_id: int, account_id: int, shares: Sequence[tuple[str, int]]) -> str:
    """The variant (by name) an account sees: shares in percent, in order, add up to 100."""
    place = bucket(experiment_id, account_id)
    edge = 0
    for name, share in shares:
        edge += share * SPLIT_BUCKETS // 100
        if place < edge:
            return name
    return shares[-1][0]


Z_95 = 1.959963984540054  # the two-sided 95% quantile of the normal distribution


def wilson(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a proportion (95% by default): (low, high), in 0..1;
    (0, 0) when there is nothing to count."""
    if n <= 0:
        return (0.0, 0.0)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def two_proportion_p(s1: int, n1: int, s2: int, n2: int) -> float | None:
    """The two-sided p-value of a pooled two-proportion z-test (None when it cannot be told:
    an empty side, or every flow saved or none)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (s1 + s2) / (n1 + n2)
    spread = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if spread <= 0:
        return None
    z = (s1 / n1 - s2 / n2) / math.sqrt(spread)
    return math.erfc(abs(z) / math.sqrt(2))


MIN_FLOWS = 30  # per variant, before an experiment's figures say anything


def enough_data(saves: int, n: int) -> bool:
    """Enough flows for the normal approximation: at least MIN_FLOWS, and at least five saves
    and five flows not saved."""
    return n >= MIN_FLOWS and saves >= 5 and n - saves >= 5


# --- the playbook before any is published ----------------------------------------------------

DEFAULT_PLAYBOOK = Playbook(
    offers=(
        Offer(
            key="custom_plan",
            kind=OFFER_KIND_CUSTOM_PLAN,
            title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
            body={
                "en": "Pay only for what you use.",
                "it": "Paga solo quello che usi.",
            },
        ),
    ),
    rules=(Rule(reason=ANY, offers=("custom_plan",)),),
)
