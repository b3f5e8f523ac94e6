"""The retention playbook's versions through `core` (drafts, publishing, the playbook a flow
gets), on SQLite and PostgreSQL: what an admin saves is what customers are offered, bad input
is refused with its message and changes nothing, every change is in the audit log."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import replace

import pytest
from sqlalchemy import select

from core.platform import i18n
from core.platform.errors import InvalidInput, NotAuthorized, NotFound
from core.platform.models import AuditEntry, PlaybookVersion
from core.retention import experiments, playbook
from core.retention.experiments import Variant
from core.retention.playbook import PlaybookInvalid, VersionFrozen
from core.rules import offers
from core.rules.offers import DEFAULT_PLAYBOOK, Playbook, Rule
from core.rules.vocabulary import ACTION_PLAYBOOK_PUBLISHED, ACTION_PLAYBOOK_SAVED
from tests.support import factories
from tests.support.env import NOW
from tests.support.playbooks import DISCOUNT, DOWN, PAUSE

BOOK = Playbook(
    offers=(PAUSE, DISCOUNT, DOWN),
    rules=(
        Rule(reason="too_expensive", offers=("half_off", "to_starter"), plans=("growth",)),
        Rule(reason="*", offers=("pause_2",)),
    ),
)
DISCOUNT_ONLY = Playbook(offers=(DISCOUNT,), rules=(Rule(reason="*", offers=("half_off",)),))


@pytest.fixture
def shop(db):
    return factories.shop(db, now=NOW, with_bob=True)


def stored(db) -> tuple:
    """Every playbook version and every audit entry: what bad input must leave alone."""
    with db.transaction() as s:
        versions = s.execute(
            select(
                PlaybookVersion.number,
                PlaybookVersion.status,
                PlaybookVersion.content,
                PlaybookVersion.note,
            ).order_by(PlaybookVersion.number)
        ).all()
        entries = s.execute(select(AuditEntry.action, AuditEntry.after).order_by(AuditEntry.id))
        return tuple(map(tuple, versions)), tuple(map(tuple, entries.all()))


def audit_entries(db, action):
    with db.transaction() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return [(e.actor, json.loads(e.before), json.loads(e.after)) for e in rows]


# --- drafts and publishing -------------------------------------------------------------------


def test_a_draft_is_saved_numbered_and_audited(db, shop):
    _, users = shop
    boss = users["boss"]
    first = playbook.save_draft(db, boss, BOOK, note="  Pause for everyone  ", now=NOW)
    assert (first.number, first.status, first.published) == (1, "draft", False)
    assert first.playbook == BOOK
    assert first.note == "Pause for everyone"
    assert first.author == "boss@example.com"
    assert first.created_at == NOW and first.published_at is None
    second = playbook.save_draft(db, boss, DISCOUNT_ONLY, now=NOW)
    assert second.number == 2
    assert [v.number for v in playbook.versions(db, boss)] == [2, 1]  # newest first
    assert playbook.version(db, boss, 1).playbook == BOOK
    # nothing is live until a version is published
    assert playbook.live_version(db, now=NOW) is None
    assert audit_entries(db, ACTION_PLAYBOOK_SAVED) == [
        (
            "boss@example.com",
            {},
            {"version": 1, "offers": 3, "rules": 2, "note": "Pause for everyone"},
        ),
        ("boss@example.com", {}, {"version": 2, "offers": 1, "rules": 1, "note": ""}),
    ]


def test_saving_a_draft_again_replaces_it(db, shop):
    _, users = shop
    boss = users["boss"]
    playbook.save_draft(db, boss, BOOK, now=NOW)
    later = NOW + dt.timedelta(hours=1)
    again = playbook.save_draft(db, boss, DISCOUNT_ONLY, number=1, note="discount", now=later)
    assert again.number == 1 and again.playbook == DISCOUNT_ONLY and again.note == "discount"
    assert [v.number for v in playbook.versions(db, boss)] == [1]
    assert playbook.version(db, boss, 1).playbook == DISCOUNT_ONLY
    saved = audit_entries(db, ACTION_PLAYBOOK_SAVED)
    assert saved[-1][1] == {"version": 1, "offers": 3, "rules": 2, "note": ""}
    assert saved[-1][2] == {"version": 1, "offers": 1, "rules": 1, "note": "discount"}


def test_publishing_makes_a_version_live_and_freezes_it(db, shop):
    _, users = shop
    boss = users["boss"]
    playbook.save_draft(db, boss, BOOK, now=NOW)
    published = playbook.publish(db, boss, 1, now=NOW + dt.timedelta(minutes=5))
    assert (published.status, published.published) == ("published", True)
    assert published.published_at == NOW + dt.timedelta(minutes=5)
    live = playbook.live_version(db, now=NOW)
    assert live is not None and live.number == 1 and live.playbook == BOOK
    assert audit_entries(db, ACTION_PLAYBOOK_PUBLISHED) == [
        ("boss@example.com", {"version": 1}, {"version": 1, "note": ""})
    ]
    before = stored(db)
    with pytest.raises(VersionFrozen) as frozen:
        playbook.save_draft(db, boss, DISCOUNT_ONLY, number=1, now=NOW)
    assert frozen.value.key == "playbook.error.frozen"
    assert i18n.t(frozen.value.key, "en", **frozen.value.params).startswith(
        "Version 1 is published and can no longer be changed"
    )
    with pytest.raises(VersionFrozen):
        playbook.publish(db, boss, 1, now=NOW)
    assert stored(db) == before  # editing a published version changed nothing
    # a new draft does not replace what customers see until it is published
    playbook.save_draft(db, boss, DISCOUNT_ONLY, now=NOW)
    assert playbook.live_version(db, now=NOW).number == 1
    playbook.publish(db, boss, 2, now=NOW + dt.timedelta(hours=1))
    assert playbook.live_version(db, now=NOW).playbook == DISCOUNT_ONLY


def test_the_version_published_last_is_live(db, shop):
    _, users = shop
    boss = users["boss"]
    playbook.save_draft(db, boss, BOOK, now=NOW)
    playbook.save_draft(db, boss, DISCOUNT_ONLY, now=NOW)
    playbook.publish(db, boss, 2, now=NOW)
    playbook.publish(db, boss, 1, now=NOW + dt.timedelta(hours=1))  # the older draft, later
    assert playbook.live_version(db).number == 1


def test_unknown_versions_are_not_found(db, shop):
    _, users = shop
    with pytest.raises(NotFound) as missing:
        playbook.version(db, users["boss"], 9)
    assert missing.value.key == "playbook.error.not_found"
    before = stored(db)
    with pytest.raises(NotFound):
        playbook.publish(db, users["boss"], 9, now=NOW)
    with pytest.raises(NotFound):
        playbook.save_draft(db, users["boss"], BOOK, number=9, now=NOW)
    assert stored(db) == before


# --- bad input -------------------------------------------------------------------------------


def pause_of(cycles: int) -> Playbook:
    return replace(BOOK, offers=(replace(PAUSE, cycles=cycles), DISCOUNT, DOWN))


BAD = {
    "a pause of 0 cycles": (pause_of(0), "playbook.error.pause_cycles"),
    "a pause of 7 cycles": (pause_of(7), "playbook.error.pause_cycles"),
    "a discount over 100%": (
        replace(BOOK, offers=(PAUSE, replace(DISCOUNT, percent=120), DOWN)),
        "playbook.error.discount_percent",
    ),
    "a downgrade to the current plan": (
        replace(BOOK, offers=(PAUSE, DISCOUNT, replace(DOWN, plan_code="growth"))),
        "playbook.error.downgrade_not_cheaper",
    ),
    "a downgrade to a dearer plan": (
        replace(BOOK, offers=(PAUSE, DISCOUNT, replace(DOWN, plan_code="enterprise"))),
        "playbook.error.downgrade_not_cheaper",
    ),
    "a rule for an unknown reason": (
        replace(BOOK, rules=(*BOOK.rules, Rule(reason="bored", offers=("pause_2",)))),
        "playbook.error.rule_reason",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_playbooks_are_refused_with_their_message_and_change_nothing(db, shop, case):
    _, users = shop
    boss = users["boss"]
    playbook.save_draft(db, boss, BOOK, now=NOW)
    bad, key = BAD[case]
    before = stored(db)
    for number in (None, 1):  # neither a new draft nor in place of draft 1
        with pytest.raises(PlaybookInvalid) as refused:
            playbook.save_draft(db, boss, bad, number=number, now=NOW)
        assert refused.value.key == key
        assert [p.key for p in refused.value.problems] == [key]
        assert isinstance(refused.value, InvalidInput)
        for lang in ("en", "it"):  # the message reads in the admin's language
            text = i18n.t(refused.value.key, lang, **refused.value.params)
            assert "{" not in text and text
    assert stored(db) == before


def test_the_message_names_the_first_problem_and_the_exception_holds_every_one(db, shop):
    _, users = shop
    bad = replace(
        BOOK,
        offers=(replace(PAUSE, cycles=7), replace(DISCOUNT, percent=101), DOWN),
        rules=(*BOOK.rules, Rule(reason="bored", offers=("pause_2",))),
    )
    with pytest.raises(PlaybookInvalid) as refused:
        playbook.save_draft(db, users["boss"], bad, now=NOW)
    assert [p.key for p in refused.value.problems] == [
        "playbook.error.pause_cycles",
        "playbook.error.discount_percent",
        "playbook.error.rule_reason",
    ]
    assert i18n.t(refused.value.key, "en", **refused.value.params) == (
        "Offer pause_2: a pause lasts from 1 to 3 billing cycles."
    )
    assert [playbook.problem_text(p, "it") for p in refused.value.problems] == [
        "Offerta pause_2: la sospensione dura da 1 a 3 cicli di fatturazione.",
        "Offerta half_off: lo sconto è una percentuale da 1 a 100.",
        "Regola 3: scegli un motivo del sondaggio, “nessun motivo indicato” o qualsiasi motivo.",
    ]
    assert stored(db) == ((), ())


def test_a_note_too_long_is_refused(db, shop):
    _, users = shop
    with pytest.raises(InvalidInput) as refused:
        playbook.save_draft(db, users["boss"], BOOK, note="x" * 501, now=NOW)
    assert refused.value.key == "playbook.error.note"
    assert stored(db) == ((), ())


def test_publishing_checks_the_draft_again(db, shop):
    """A draft stored before a rule changed (or by hand) is checked when it is published."""
    _, users = shop
    bad = pause_of(7)
    with db.transaction() as s:
        s.add(PlaybookVersion(number=1, status="draft", content=bad.to_json(), created_at=NOW))
    before = stored(db)
    with pytest.raises(PlaybookInvalid) as refused:
        playbook.publish(db, users["boss"], 1, now=NOW)
    assert refused.value.key == "playbook.error.pause_cycles"
    assert stored(db) == before
    assert playbook.live_version(db) is None


@pytest.mark.parametrize("who", ["alice", "bob", None])
def test_only_admins_see_or_change_the_playbook(db, shop, who):
    _, users = shop
    playbook.save_draft(db, users["boss"], BOOK, now=NOW)
    actor = users[who] if who else None
    before = stored(db)
    calls = [
        lambda: playbook.versions(db, actor),
        lambda: playbook.version(db, actor, 1),
        lambda: playbook.save_draft(db, actor, BOOK, now=NOW),
        lambda: playbook.save_draft(db, actor, DISCOUNT_ONLY, number=1, now=NOW),
        lambda: playbook.publish(db, actor, 1, now=NOW),
    ]
    for call in calls:
        with pytest.raises(NotAuthorized):
            call()
    assert stored(db) == before


def test_admins_saving_new_drafts_at_once_each_get_their_own_number(db, shop):
    _, users = shop
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def save(book: Playbook) -> None:
        start.wait()
        try:
            playbook.save_draft(db, users["boss"], book, now=NOW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(b,)) for b in (BOOK, DISCOUNT_ONLY) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(v.number for v in playbook.versions(db, users["boss"])) == [1, 2, 3, 4]
    assert len(audit_entries(db, ACTION_PLAYBOOK_SAVED)) == 4


# --- the playbook a flow gets ----------------------------------------------------------------


def chosen(db, account_id, now=NOW):
    with db.transaction() as s:
        return playbook.choose(s, account_id, now)


def test_a_flow_gets_the_custom_plan_until_a_version_is_published(db, shop):
    alice, users = shop
    assert chosen(db, alice.account_id) == playbook.Chosen(None, None, DEFAULT_PLAYBOOK)
    playbook.save_draft(db, users["boss"], BOOK, now=NOW)
    assert chosen(db, alice.account_id).playbook == DEFAULT_PLAYBOOK  # a draft is not live
    playbook.publish(db, users["boss"], 1, now=NOW)
    assert chosen(db, alice.account_id) == playbook.Chosen(1, None, BOOK)


def test_a_flow_gets_its_variants_version_while_an_experiment_runs(db, shop):
    _, users = shop
    boss = users["boss"]
    for book in (BOOK, DISCOUNT_ONLY):
        number = playbook.save_draft(db, boss, book, now=NOW).number
        playbook.publish(db, boss, number, now=NOW)
    live = playbook.Chosen(2, None, DISCOUNT_ONLY)
    trial = experiments.create(
        db, boss, "Pause or discount", [Variant("pause", 1, 50), Variant("discount", 2, 50)]
    )
    experiments.start(db, boss, trial.id, now=NOW)
    shares = [("pause", 50), ("discount", 50)]
    seen = set()
    for account_id in range(1, 41):  # accounts need not exist: the split is by number
        expected = offers.variant_for(trial.id, account_id, shares)
        got = chosen(db, account_id)
        assert got.variant == expected
        assert got.version == (1 if expected == "pause" else 2)
        assert got.playbook == (BOOK if expected == "pause" else DISCOUNT_ONLY)
        assert chosen(db, account_id) == got  # the same on every reload
        seen.add(expected)
    assert seen == {"pause", "discount"}
    experiments.stop(db, boss, trial.id, now=NOW + dt.timedelta(days=1))
    for account_id in range(1, 41):
        assert chosen(db, account_id, NOW + dt.timedelta(days=2)) == live


def test_the_copy_and_the_note_are_stored_as_typed_without_unstorable_characters(db, shop):
    _, users = shop
    copy = replace(
        PAUSE,
        title={"en": "  Take a <b>break</b> ⏸️\x00 ", "it": "Sospendi\ud800 l'abbonamento"},
        body={"en": "Line one\nline\ttwo\x07", "it": "مرحبا 👩‍👩‍👧"},
    )
    book = replace(BOOK, offers=(copy, DISCOUNT, DOWN))
    saved = playbook.save_draft(db, users["boss"], book, note="\x1b[31mred\x00 ", now=NOW)
    again = playbook.version(db, users["boss"], saved.number)
    offer = again.playbook.offer("pause_2")
    assert offer.title == {"en": "Take a <b>break</b> ⏸️", "it": "Sospendi l'abbonamento"}
    assert offer.body == {"en": "Line one\nline\ttwo", "it": "مرحبا 👩‍👩‍👧"}
    assert again.note == "[31mred"
    # a title of nothing but unstorable characters is no title
    blank = replace(BOOK, offers=(replace(PAUSE, title={"en": "\x00", "it": "x"}), DISCOUNT, DOWN))
    with pytest.raises(PlaybookInvalid) as refused:
        playbook.save_draft(db, users["boss"], blank, now=NOW)
    assert refused.value.key == "playbook.error.title"


def test_the_audit_log_tells_support_what_changed_in_words(db, shop):
    from core import support_desk
    from core.support_desk import audit_trail

    _, users = shop
    boss = users["boss"]
    playbook.save_draft(db, boss, BOOK, note="first", now=NOW)
    playbook.save_draft(db, boss, DISCOUNT_ONLY, number=1, note="second", now=NOW)
    playbook.publish(db, boss, 1, now=NOW)
    rows = support_desk.audit_log(db, boss).rows  # newest first
    words = [
        (audit_trail.action_name(r.action, lang), audit_trail.describe(r, lang))
        for r in rows
        for lang in ("en", "it")
    ]
    assert words == [
        ("Playbook published", "Version: 1; Note: second"),
        ("Playbook pubblicato", "Versione: 1; Nota: second"),
        ("Playbook draft saved", "Version: 1; Offers: 3 → 1; Rules: 2 → 1; Note: first → second"),
        (
            "Bozza del playbook salvata",
            "Versione: 1; Offerte: 3 → 1; Regole: 2 → 1; Nota: first → second",
        ),
        ("Playbook draft saved", "Version: 1; Offers: 3; Rules: 2; Note: first"),
        ("Bozza del playbook salvata", "Versione: 1; Offerte: 3; Regole: 2; Nota: first"),
    ]
    assert {r.actor for r in rows} == {"boss@example.com"}
