"""For the page tests of the retention playbook: a playbook with a pause for the customers who
say "too expensive", publishing it as an admin, and a customer brought to step 2 with a reason
(the survey's pop-up is a dialog, which AppTest cannot click inside)."""

from __future__ import annotations

import os

from core.identity import auth
from core.platform.db import Database, open_database
from core.retention import cancellation
from core.retention import playbook as playbooks
from core.retention.cancellation import Survey
from core.rules.offers import Offer, Playbook, Rule
from core.rules.vocabulary import ANY
from tests.support import factories
from tests.support.pages import open_app, open_page

PAUSE = Offer(
    key="pause2",
    kind="pause",
    cycles=2,
    title={"en": "Take a break", "it": "Prenditi una pausa"},
    body={"en": "Keep your data, pay nothing.", "it": "Tieni i tuoi dati, senza pagare."},
)
DISCOUNT = Offer(
    key="thirty",
    kind="discount",
    cycles=3,
    percent=30,
    title={"en": "A better price", "it": "Un prezzo migliore"},
    body={"en": "", "it": ""},
)
CUSTOM = Offer(
    key="custom",
    kind="custom_plan",
    title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
    body={"en": "Pay only for what you use.", "it": "Paga solo quello che usi."},
)
TOO_EXPENSIVE = Playbook(
    offers=(PAUSE, DISCOUNT, CUSTOM),
    rules=(Rule("too_expensive", ("pause2", "thirty")), Rule(ANY, ("custom",))),
)


def user(db: Database, who: str):
    return auth.sign_in(db, f"{who}@example.com", factories.PASSWORD).user


def publish(db: Database, playbook: Playbook, *, admin: str = "boss") -> int:
    boss = user(db, admin)
    made = playbooks.save_draft(db, boss, playbook)
    return playbooks.publish(db, boss, made.number).number


def at_step_two(lang: str, reason: str | None, who: str = "alice"):
    """`who` starts a cancellation and answers the survey with `reason` (None: skips it), then
    opens the cancellation page: step 2."""
    db = open_database(os.environ["PORTAL_DATABASE_URL"])
    customer = user(db, who)
    flow = cancellation.start(db, customer)
    answer = Survey(reason=reason) if reason else None
    cancellation.answer_survey(db, customer, flow.flow_id, answer)
    at = open_app(lang, as_user=f"{who}@example.com")
    open_page(at, "cancel").run()
    assert not at.exception, at.exception
    return at, flow.flow_id
