"""The retention playbook in a real browser: a leaving customer who says "too expensive" is
offered the playbook's pause in Italian (the survey pop-up, the offer on step 2 with its computed
dates, the done screen and its receipt, the pause in `python -m core account show --json`); the
demo clock starts the pause at the cycle's end and resumes it on its day; an admin publishes a
new rule in English and the next customer is offered it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from core import demo
from core.identity import auth
from core.platform.db import open_database
from core.platform.i18n import fmt_date, t
from core.retention import experiments
from core.retention import playbook as playbooks
from core.rules import billing
from core.rules.offers import Offer, Playbook, Rule
from core.rules.vocabulary import ANY
from tests.support.browser import account_show, sign_in

PAUSE = Offer(
    key="pause2",
    kind="pause",
    cycles=2,
    title={"en": "Take a break", "it": "Prenditi una pausa"},
    body={"en": "Keep your data.", "it": "Tieni i tuoi dati."},
)
CUSTOM = Offer(
    key="custom",
    kind="custom_plan",
    title={"en": "Customise your plan", "it": "Personalizza il tuo piano"},
)
PLAYBOOK = Playbook(
    offers=(PAUSE, CUSTOM),
    rules=(Rule("too_expensive", ("pause2",)), Rule(ANY, ("custom",))),
)


def stop_experiments(database_url: str) -> None:
    """Any experiment the demo runs is stopped: every account sees the newest published
    version."""
    db = open_database(database_url)
    try:
        admin = auth.sign_in(db, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD).user
        for e in experiments.experiments(db, admin):
            if e.running:
                experiments.stop(db, admin, e.id)
    finally:
        db.engine.dispose()


def publish(database_url: str) -> None:
    """The admin publishes the playbook (no experiment running)."""
    stop_experiments(database_url)
    db = open_database(database_url)
    try:
        admin = auth.sign_in(db, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD).user
        draft = playbooks.save_draft(db, admin, PLAYBOOK)
        playbooks.publish(db, admin, draft.number)
    finally:
        db.engine.dispose()


PAUSE_LABEL = {"en": "Pause for 2 months", "it": "Sospendi per 2 mesi"}
LOCALES = {"en": "en-US", "it": "it-IT"}


def to_cancel_page(page, server, lang: str) -> None:
    """The demo customer signs in and opens Cancel subscription (the first visit seeds the
    demo data)."""
    sign_in(
        page,
        server,
        demo.DEMO_CUSTOMER_EMAIL,
        demo.DEMO_CUSTOMER_PASSWORD,
        t("signin.submit", lang),
    )
    link = page.get_by_role("link", name=t("nav.cancel", lang), exact=True).first
    expect(link).to_be_visible()
    link.click()


@pytest.mark.parametrize("lang", ["it", "en"])
def test_too_expensive_is_offered_a_pause_and_takes_it(own_server, page_for, tmp_path, lang):
    server = own_server
    page = page_for(LOCALES[lang])
    to_cancel_page(page, server, lang)
    publish(server.database_url)
    end = dt.date.fromisoformat(account_show(server, demo.DEMO_CUSTOMER_EMAIL)["period_end"])
    resume = billing.add_months(end, 2)
    page.get_by_role("button", name=t("cancel.start", lang)).click()

    dialog = page.get_by_role("dialog")
    dialog.get_by_text(t("reason.too_expensive", lang), exact=True).click()
    dialog.get_by_role("button", name=t("survey.send", lang)).click()
    expect(dialog).to_have_count(0)

    # step 2: the two buttons, and the playbook's pause with its dates
    keep = page.get_by_role("button", name=t("decide.keep", lang))
    go_on = page.get_by_role("button", name=t("decide.continue", lang))
    pause = page.get_by_role("button", name=PAUSE_LABEL[lang])
    expect(pause).to_be_visible()
    assert keep.bounding_box()["x"] < go_on.bounding_box()["x"]
    assert go_on.bounding_box()["y"] < pause.bounding_box()["y"]  # the offers below them
    expect(page.get_by_text(PAUSE.title[lang])).to_be_visible()
    terms = t("retention_offer.terms.pause", lang, start=end, resume=resume)
    expect(page.get_by_text(terms)).to_be_visible()
    pause.click()

    # done: what changes and from when, the confirmation number, the receipt
    expect(page.get_by_text(t("retention_offer.done.title", lang))).to_be_visible()
    expect(pause).to_have_count(0)  # step 2 is gone once the done screen is drawn
    expect(page.get_by_text(terms)).to_be_visible()
    number = page.get_by_test_id("stMetricValue").first.inner_text()
    with page.expect_download() as download:
        page.get_by_role("button", name=t("retention_offer.done.receipt", lang)).click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    assert number in text
    assert fmt_date(resume, lang) in text

    shown = account_show(server, demo.DEMO_CUSTOMER_EMAIL)
    assert shown["status"] == "active"
    assert shown["pause_starts_on"] == end.isoformat()
    assert shown["paused_until"] == resume.isoformat()

    # the overview says when the pause starts and ends
    page.get_by_role("link", name=t("retention_offer.done.back", lang)).click()
    pending = t("retention_offer.pause_pending", lang, start=end, resume=resume)
    expect(page.get_by_text(pending)).to_be_visible()
    expect(
        page.get_by_role("button", name=t("retention_offer.cancel_pause.button", lang))
    ).to_be_visible()


def settle(page) -> None:
    """Until the script run is over and nothing on the page is stale."""
    busy = """() => Boolean(document.querySelector(
        '[data-testid="stStatusWidget"], [data-stale="true"], [data-testid="stSkeleton"]'))"""
    for _ in range(200):
        page.wait_for_timeout(150)
        if not page.evaluate(busy):
            page.wait_for_timeout(300)
            if not page.evaluate(busy):
                return


def pick(page, box, option: str) -> None:
    """Choose `option` in a select box's list as a person does with a long list: the box in full
    view, a click, its text typed, then a click on the one option left. (Typing and Enter raced
    the list's filtering under load: the box showed the text typed and kept the old choice. A
    click on a box cut by the window's bottom edge scrolls the page, and the scroll closes the
    list at once; so does scrolling to an option at the end of the list. The rule's list, below
    the rules table, also closed again within 200 ms of opening: the typing, at a person's pace,
    opens it again.)"""
    box.evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
    box.click()
    page.wait_for_timeout(500)
    page.keyboard.type(option)
    page.get_by_role("option", name=option, exact=True).click()


def choose(page, label: str, option: str) -> None:
    """Pick an option of a select box by the text a person reads; wait for the rerun."""
    box = page.get_by_role("combobox", name=label, exact=True)
    pick(page, box, option)
    expect(box).to_have_value(option)
    expect(page.get_by_role("listbox")).to_have_count(0)
    settle(page)


def test_an_admin_publishes_a_rule_and_the_next_customer_sees_it(own_server, page_for):
    server = own_server
    admin = page_for("en-US")
    sign_in(admin, server, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, "Sign in")
    stop_experiments(server.database_url)
    admin.get_by_role("link", name="Retention playbook").click()
    settle(admin)
    admin.get_by_role("button", name=re.compile("^New draft from")).click()
    expect(admin.get_by_text(re.compile(r"^Draft version \d+ created"))).to_be_visible()

    # an offer: a pause of one cycle
    settle(admin)
    admin.get_by_text("Add or change an offer").click()
    choose(admin, "Offer", "New offer")
    key = admin.get_by_role("textbox", name="Key")
    expect(key).to_have_value("")  # the new offer's empty form has replaced the first offer's
    key.fill("pause1")
    admin.get_by_role("textbox", name="Title (English)").fill("One month off")
    admin.get_by_role("textbox", name="Title (Italian)").fill("Un mese di pausa")
    admin.get_by_role("button", name="Save the offer in the draft").click()
    expect(admin.get_by_text(re.compile(r"^Draft version \d+ saved"))).to_be_visible()
    settle(admin)

    # a rule: "too expensive" gets it, checked first
    admin.get_by_text("Add or change a rule").click()
    choose(admin, "Rule", "New rule")
    expect(admin.get_by_role("button", name="Remove the rule")).to_have_count(0)  # a new one
    position = admin.get_by_role("spinbutton", name="Position")
    position.fill("1")
    expect(position).to_have_value("1")
    offers = admin.get_by_role("combobox", name="Offers, in the order shown")
    pick(admin, offers, "pause1 (Pause)")
    admin.keyboard.press("Escape")
    expect(admin.get_by_text("pause1 (Pause)").first).to_be_visible()
    admin.get_by_text("Offers, in the order shown", exact=True).click()  # the list closed
    admin.get_by_role("button", name="Save the rule in the draft").click()
    expect(admin.get_by_text(re.compile(r"^Draft version \d+ saved"))).to_be_visible()

    # published after a confirmation
    admin.get_by_role("button", name=re.compile(r"^Publish version \d+")).click()
    admin.get_by_role("button", name="Yes, do it").click()
    expect(admin.get_by_text(re.compile(r"^Version \d+ is published"))).to_be_visible()

    # the next customer who says "too expensive" is offered it
    customer = page_for("en-US")
    sign_in(customer, server, demo.DEMO_CUSTOMER_EMAIL, demo.DEMO_CUSTOMER_PASSWORD, "Sign in")
    customer.get_by_role("link", name="Cancel subscription", exact=True).first.click()
    customer.get_by_role("button", name="Start cancellation").click()
    dialog = customer.get_by_role("dialog")
    dialog.get_by_text(t("reason.too_expensive", "en"), exact=True).click()
    dialog.get_by_role("button", name=t("survey.send", "en")).click()
    expect(customer.get_by_role("button", name="Pause for 1 month")).to_be_visible()
    expect(customer.get_by_text("One month off")).to_be_visible()


def run_demo_clock(admin, day: dt.date) -> str:
    """The support desk's demo clock, run as of `day` (the Italian date field); its report."""
    # the field is a day, a month and a year, each typed in turn and read back (under load a
    # keystroke into a part still being redrawn was lost: a person sees it and types it again)
    for part, value in (("day", day.day), ("month", day.month), ("year", day.year)):
        segment = admin.locator(f".st-key-demo_as_of [role=spinbutton][data-type={part}]")
        shown = re.compile(rf"^0?{value}$")
        for _ in range(3):
            segment.click()
            admin.keyboard.type(f"{value:02d}")
            if shown.match(segment.inner_text().strip()):
                break
            settle(admin)
        expect(segment).to_have_text(shown)
    admin.get_by_role("button", name=t("demo.run", "it")).click()
    blank = dict.fromkeys(("ended", "renewed", "purged", "abandoned"), "")
    opening = t("desk.clock.done", "it", date=day, **blank).split(":")[0]  # names the day
    report = admin.get_by_test_id("stAlertContentSuccess").filter(has_text=opening)
    expect(report).to_be_visible()
    settle(admin)
    return report.inner_text()


def test_the_demo_clock_starts_the_pause_and_resumes_it(own_server, page_for):
    server = own_server
    page = page_for("it-IT")
    to_cancel_page(page, server, "it")
    publish(server.database_url)
    end = dt.date.fromisoformat(account_show(server, demo.DEMO_CUSTOMER_EMAIL)["period_end"])
    resume = billing.add_months(end, 2)
    page.get_by_role("button", name="Inizia l'annullamento").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(t("reason.too_expensive", "it"), exact=True).click()
    dialog.get_by_role("button", name="Invia e continua").click()
    page.get_by_role("button", name="Sospendi per 2 mesi").click()
    expect(page.get_by_text(t("retention_offer.done.title", "it"))).to_be_visible()

    admin = page_for("it-IT")
    sign_in(admin, server, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, "Accedi")
    admin.get_by_role("link", name=t("nav.support", "it")).click()
    settle(admin)
    taken = t("desk.clock.pause_taken", "it", company=demo.DEMO_COMPANY, start=end, resume=resume)
    expect(admin.get_by_text(taken)).to_be_visible()

    # the cycle ends: the pause starts
    assert re.search(r"\b[1-9]\d* abbonament[oi] sospes[oi]\b", run_demo_clock(admin, end))
    shown = account_show(server, demo.DEMO_CUSTOMER_EMAIL)
    assert (shown["status"], shown["paused_until"]) == ("paused", resume.isoformat())
    page.goto(server.url)
    expect(page.get_by_text(t("status.paused", "it", date=resume))).to_be_visible()
    expect(page.get_by_role("button", name="Riprendi ora")).to_be_visible()

    # the pause's last day is over: billing resumes, a new cycle from that day
    assert re.search(r"\b[1-9]\d* abbonament[oi] ripres[oi]\b", run_demo_clock(admin, resume))
    shown = account_show(server, demo.DEMO_CUSTOMER_EMAIL)
    assert (shown["status"], shown["period_start"]) == ("active", resume.isoformat())
