"""Every sentence about dates on the way to a cancellation names the computed date it speaks of:
access ends on `effective_on`, data is deleted on `data_deleted_on`, reactivation until
`reactivate_until`. The consent step and the start page are read in both languages, each date
found in a sentence is checked against what that sentence is about; and no text of the
journey says data is deleted "at the end of the billing cycle"."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from core.customers import accounts
from core.platform import i18n
from core.retention import records
from tests.support.pages import open_app, open_page

# What a sentence is about, by its words (checked in this order: a deletion sentence may also
# say until when something else is possible, so each date is matched to the nearest subject).
SUBJECTS = {
    "en": {
        "reactivate_until": r"reactivat",
        "data_deleted_on": r"delet",
        "effective_on": r"access|billing cycle ends|takes effect",
    },
    "it": {
        "reactivate_until": r"riattiv",
        "data_deleted_on": r"elimin",
        "effective_on": r"accedere|accesso|termina|effetto",
    },
}
JOURNEY_PREFIXES = ("consent.", "cancel.", "decide.", "receipt.", "status.", "billing.", "journey.")
END_OF_CYCLE = {
    "en": r"(at|after) the end of (the|your) billing cycle",
    "it": r"(al|alla) (termine|fine) del (tuo )?ciclo di fatturazione",
}
DELETION = {"en": r"delet", "it": r"elimin"}


def date_names(lang: str, around: dt.date) -> dict[str, dt.date]:
    """Every long date of two years around `around`, as the page writes it."""
    out = {}
    for n in range(-400, 400):
        day = around + dt.timedelta(days=n)
        out[i18n.fmt_date(day, lang)] = day
    return out


def dated_sentences(text: str, lang: str, around: dt.date) -> list[tuple[str, dt.date, int]]:
    """(sentence, date, position of the date in it) for every date written in the text."""
    names = date_names(lang, around)
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    found = []
    for sentence in re.split(r"(?<=[.!?;])\s+|\n", text):  # sentences and clauses
        for match in pattern.finditer(sentence):
            found.append((sentence, names[match.group()], match.start()))
    return found


def subject_of(sentence: str, position: int, lang: str) -> str | None:
    """The subject whose words come nearest before the date (or after it, if none before)."""
    best, best_distance = None, None
    for subject, words in SUBJECTS[lang].items():
        for match in re.finditer(words, sentence, flags=re.IGNORECASE):
            distance = position - match.start()
            if distance < 0:
                distance = 10_000 - distance  # after the date: only when nothing comes before
            if best_distance is None or distance < best_distance:
                best, best_distance = subject, distance
    return best


def check_dates(text: str, lang: str, dates: records.Dates) -> set[str]:
    seen = set()
    for sentence, day, position in dated_sentences(text, lang, dates.effective_on):
        subject = subject_of(sentence, position, lang)
        assert subject is not None, (lang, sentence)
        expected = getattr(dates, subject)
        assert day == expected, (lang, subject, sentence, day, expected)
        seen.add(subject)
    return seen


def page_text(at) -> str:
    parts = [str(e.value) for kind in ("markdown", "info", "caption") for e in getattr(at, kind)]
    parts += [c.label for c in at.checkbox]
    return "\n".join(parts).replace("**", "")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_consent_step_names_the_computed_dates(site, lang):
    db, _made = site
    at = open_app(lang, as_user="alice@example.com")
    open_page(at, "cancel").run()
    at.button(key="start").click().run()
    at.button(key="survey_skip_inline").click().run()
    at.button(key="continue").click().run()
    assert at.subheader[0].value == i18n.t("consent.title", lang)
    end = accounts.overview_by_email(db, "alice@example.com").period_end
    dates = records.dates_for(end)
    assert dates.data_deleted_on > dates.effective_on  # two months later, not at the end
    seen = check_dates(page_text(at), lang, dates)
    # the consent itself names the deletion date, and the step says when access ends
    assert seen >= {"data_deleted_on", "effective_on"}, seen
    body = next(
        m.value for m in at.markdown if m.value.startswith(i18n.t("consent.body", lang)[:8])
    )
    assert i18n.fmt_date_text(dates.data_deleted_on, lang, "il") in body


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_start_page_names_the_computed_dates(site, lang):
    db, _made = site
    at = open_app(lang, as_user="alice@example.com")
    open_page(at, "cancel").run()
    end = accounts.overview_by_email(db, "alice@example.com").period_end
    dates = records.dates_for(end)
    seen = check_dates(page_text(at), lang, dates)
    assert seen == {"effective_on", "data_deleted_on", "reactivate_until"}, seen


@pytest.mark.parametrize("lang", ["en", "it"])
def test_a_wrong_date_in_a_deletion_sentence_is_caught(lang):
    """The check itself: the old consent promise, with the end of the cycle as deletion date."""
    dates = records.dates_for(dt.date(2026, 12, 11))
    wrong = i18n.t("consent.body", lang, deleted=dates.effective_on)
    with pytest.raises(AssertionError):
        check_dates(wrong, lang, dates)
    right = i18n.t("consent.body", lang, deleted=dates.data_deleted_on)
    assert check_dates(right, lang, dates) == {"data_deleted_on"}


@pytest.mark.parametrize("lang", ["en", "it"])
def test_no_journey_text_deletes_at_the_end_of_the_billing_cycle(lang):
    offending = []
    for key, text in i18n.catalog(lang).items():
        if not key.startswith(JOURNEY_PREFIXES):
            continue
        for sentence in re.split(r"(?<=[.!?;:])\s+|\n", text):
            end_of_cycle = re.search(END_OF_CYCLE[lang], sentence, flags=re.IGNORECASE)
            if end_of_cycle and re.search(DELETION[lang], sentence, flags=re.IGNORECASE):
                offending.append((key, sentence))
    assert not offending, offending


def test_the_old_promise_would_be_caught():
    old = "Per annullare, conferma che al termine del ciclo di fatturazione verranno eliminati:"
    assert re.search(END_OF_CYCLE["it"], old) and re.search(DELETION["it"], old)
    old = "To cancel, confirm that at the end of the billing cycle all of this will be deleted:"
    assert re.search(END_OF_CYCLE["en"], old) and re.search(DELETION["en"], old)
