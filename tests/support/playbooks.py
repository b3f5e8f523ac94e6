"""Sample retention offers the playbook's tests share: a two-cycle pause, half off three
invoices, a move to Starter, each with its copy in English and Italian."""

from __future__ import annotations

from core.rules.offers import Offer

PAUSE = Offer(
    key="pause_2",
    kind="pause",
    cycles=2,
    title={"en": "Take a break", "it": "Sospendi l'abbonamento"},
    body={"en": "Two cycles without an invoice.", "it": "Due cicli senza fattura."},
)
DISCOUNT = Offer(
    key="half_off",
    kind="discount",
    cycles=3,
    percent=50,
    title={"en": "50% off", "it": "Sconto del 50%"},
)
DOWN = Offer(
    key="to_starter",
    kind="downgrade",
    plan_code="starter",
    title={"en": "Move to Starter", "it": "Passa a Starter"},
)
