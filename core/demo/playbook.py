"""The demo's retention playbook: two published versions (1: the custom plan for everyone; 2:
offers by reason, copy in English and Italian), a running experiment "Pause first" splitting
accounts between them, when each was published or started, which offer a saved customer takes,
and how long saved customers go on paying (a pause lasts better than a discount).

The rows are written as the use cases of `core.retention.playbook` and
`core.retention.experiments` store them: `content` is `Playbook.to_json()`, an experiment's
variants are JSON `[{"name", "version", "share"}]`."""

from __future__ import annotations

import datetime as dt
import json
import random

from core.platform.models import Experiment, PlaybookVersion
from core.rules.offers import DEFAULT_PLAYBOOK, Offer, Playbook, Rule, match, variant_for
from core.rules.vocabulary import (
    ANY,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
)

from .draft import Draft, Row

MONTH = dt.timedelta(days=365.25 / 12)

CUSTOM_PLAN = Offer(
    key="custom_plan",
    kind=OFFER_KIND_CUSTOM_PLAN,
    title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
    body={
        "en": "Pay only for what you use.",
        "it": "Paga solo quello che usi.",
    },
)
DISCOUNT = Offer(
    key="discount_30",
    kind=OFFER_KIND_DISCOUNT,
    cycles=3,
    percent=30,
    title={"en": "A lower price for a while", "it": "Un prezzo più basso per un po'"},
    body={
        "en": "Stay on your plan and pay less while you sort out your budget.",
        "it": "Resta sul tuo piano e paga meno mentre sistemi il budget.",
    },
)
PAUSE = Offer(
    key="pause_2",
    kind=OFFER_KIND_PAUSE,
    cycles=2,
    title={
        "en": "Take a break",
        "it": "Sospendi l'abbonamento",
    },
    body={
        "en": "No invoices while paused: your lists, campaigns and reports wait for you.",
        "it": "Nessuna fattura durante la sospensione: liste, campagne e report ti aspettano.",
    },
)
DOWNGRADE = Offer(
    key="downgrade_starter",
    kind=OFFER_KIND_DOWNGRADE,
    plan_code="starter",
    title={"en": "Move to Starter", "it": "Passa al piano Starter"},
    body={
        "en": "Keep the essentials for less from your next billing cycle.",
        "it": "Mantieni l'essenziale a un prezzo più basso dal prossimo ciclo di fatturazione.",
    },
)
VERSION_1 = Playbook(offers=(CUSTOM_PLAN,), rules=(Rule(reason=ANY, offers=("custom_plan",)),))
VERSION_2 = Playbook(
    offers=(CUSTOM_PLAN, DISCOUNT, PAUSE, DOWNGRADE),
    rules=(
        Rule(reason="too_expensive", offers=("discount_30", "pause_2")),
        Rule(reason="not_using", offers=("pause_2",)),
        Rule(reason="one_campaign", offers=("pause_2",)),
        Rule(reason="missing_features", offers=("custom_plan",)),
        Rule(reason="switching_tool", offers=("custom_plan",)),
        Rule(reason=ANY, offers=("custom_plan", "downgrade_starter")),
    ),
)
VERSIONS = {1: VERSION_1, 2: VERSION_2}
NOTES = {
    1: "The custom plan for everyone, as before playbooks.",
    2: "Offers by reason: a discount or a pause for price, a pause for low use.",
}
EXPERIMENT_NAME = "Pause first"
VARIANTS = (("control", 1, 50), ("pause_first", 2, 50))  # name, version, share in percent
# When, before now: version 1 published, version 2 published, the experiment started.
VERSION_1_AGO, VERSION_2_AGO, EXPERIMENT_AGO = 13 * MONTH, 6 * MONTH, 3 * MONTH

# Which of the offers shown a customer saved by an offer takes, by kind (weights).
TAKE_WEIGHTS = {
    OFFER_KIND_CUSTOM_PLAN: 5,
    OFFER_KIND_PAUSE: 4,
    OFFER_KIND_DISCOUNT: 5,
    OFFER_KIND_DOWNGRADE: 3,
}
# The chance a saved customer leaves in each billing cycle after the save, by what saved them:
# a pause keeps them best, a discount least (many leave when it ends, see DISCOUNT_END_HAZARD).
CYCLE_HAZARD = {
    "kept": 0.10,
    OFFER_KIND_CUSTOM_PLAN: 0.05,
    OFFER_KIND_PAUSE: 0.04,
    OFFER_KIND_DISCOUNT: 0.08,
    OFFER_KIND_DOWNGRADE: 0.06,
}
DISCOUNT_END_HAZARD = 0.30  # in the first cycle at the full price again
NEVER = 10_000  # cycles: a customer who stays


def cycles_kept(rng: random.Random, kind: str) -> int:
    """How many invoices a saved customer pays after the save before leaving (NEVER: stays)."""
    hazard = CYCLE_HAZARD.get(kind, CYCLE_HAZARD["kept"])
    for n in range(48):
        risk = hazard
        if kind == OFFER_KIND_DISCOUNT and n == DISCOUNT.cycles:
            risk = DISCOUNT_END_HAZARD
        if rng.random() < risk:
            return n
    return NEVER


class Schedule:
    """The demo's versions and experiment in time: which version and variant a flow saw."""

    def __init__(self, now: dt.datetime, experiment_id: int) -> None:
        self.published = {
            1: (now - VERSION_1_AGO).replace(microsecond=0),
            2: (now - VERSION_2_AGO).replace(microsecond=0),
        }
        self.experiment_started = (now - EXPERIMENT_AGO).replace(microsecond=0)
        self.experiment_id = experiment_id

    def seen(self, account_id: int, at: dt.datetime) -> tuple[int | None, str | None]:
        """(version, variant) of a flow of this account started at `at`."""
        if at >= self.experiment_started:
            shares = [(name, share) for name, _v, share in VARIANTS]
            name = variant_for(self.experiment_id, account_id, shares)
            return next(v for n, v, _s in VARIANTS if n == name), name
        if at >= self.published[2]:
            return 2, None
        if at >= self.published[1]:
            return 1, None
        return None, None

    @staticmethod
    def offers(
        version: int | None, reason: str | None, plan: str, band: str, country: str
    ) -> tuple[Offer, ...]:
        playbook = VERSIONS.get(version, DEFAULT_PLAYBOOK) if version else DEFAULT_PLAYBOOK
        return match(playbook, reason=reason, plan_code=plan, tenure_band=band, country=country)


def add_rows(draft: Draft) -> Schedule:
    """The two published versions and the running experiment (unless the database holds a
    playbook already: seeding more keeps it), and the schedule flows follow."""
    experiment_id = draft.existing.experiment_id
    if experiment_id is not None:
        return Schedule(draft.now, experiment_id)
    schedule = Schedule(draft.now, draft.new_id(Experiment))
    for number, playbook in VERSIONS.items():
        published = schedule.published[number]
        draft.add(
            PlaybookVersion,
            {
                "id": draft.new_id(PlaybookVersion),
                "number": number,
                "status": "published",
                "content": playbook.to_json(),
                "note": NOTES[number],
                "created_at": published - dt.timedelta(days=2, hours=3),
                "created_by": draft.admin_id or None,
                "published_at": published,
                "published_by": draft.admin_id or None,
            },
        )
    started = schedule.experiment_started
    variants: list[Row] = [{"name": n, "version": v, "share": s} for n, v, s in VARIANTS]
    draft.add(
        Experiment,
        {
            "id": schedule.experiment_id,
            "name": EXPERIMENT_NAME,
            "variants": json.dumps(variants),
            "created_at": started - dt.timedelta(hours=20),
            "started_at": started,
            "stopped_at": None,
        },
    )
    return schedule
