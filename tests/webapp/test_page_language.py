"""Every page in one language: German pages hold no English interface words, and English ones
no German words, for an anonymous visitor, a patron, a librarian and the administrator.

The walk asks for every GET route of the app's URL map (as tests/webapp/test_private_answers.py
does), plus the error pages (404, 403, 405), with the language chosen by the `lang` cookie, and
keeps each HTML answer but redirects (a browser follows them; their target is walked itself).
What a person reads of it is its text nodes and the attributes read out or shown (aria-label,
title, placeholder, alt, a button's value), leaving out <script>, <style> and code samples
(<code>, <pre>, <kbd>, <samp>: CQL and field names are the same in every language) and the
element marked with a lang= of the other language (the language switch).

Record data is no interface text: titles, authors, subjects and MARC fields of the catalogue,
library names and the people's names and cards are written as the libraries and people wrote
them, in any language. So every value of every stored MARC field and every account's name,
card and e-mail address is cut out of a text before it is read, after folding both the same
way (lower case, accents off, spaces collapsed), which also catches the folded title keys the
staff view shows as a match's evidence. What remains is interface: it fails the test if it holds
one of the other language's common interface words (WORDS below) as a whole word. The word
lists hold only words that are not also words of the page's own language ("Status", "Format",
"in" and "an" are both German and English and are left out).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pymarc
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.exceptions import Conflict, Forbidden, Gone, HTTPException

from index.document import STATUS_NOTES
from libnet.loans import timers
from libnet.store.schema import users
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in
from tests.webapp.test_private_answers import LOGINS, every_get_path
from webapp.catalogue.blueprint import iso_day, seconds
from webapp.errors import error_page, own_description
from webapp.labels import event_note

# the other language's interface words a page must not hold, by the page's language
WORDS = {
    "de": (
        "the", "and", "not", "of", "for", "with", "your", "you", "from", "this", "is", "are",
        "to", "by", "at", "or", "search", "library", "libraries", "log in", "log out", "request",
        "requests", "copies", "copy", "page", "found", "back", "title", "author", "year", "loan",
        "account", "password", "patron", "librarian", "administrator", "cancel", "order",
        "next", "previous", "available", "error", "settings", "save", "delete", "forbidden",
        "method", "allowed", "access", "denied", "due", "working days", "shared", "same",
        "agree", "overdue", "received", "shipped", "subject", "language", "published", "show",
        "more", "all", "record", "records", "cluster of", "joined", "matches", "seconds",
        "harvest", "failed", "running", "unknown", "none", "yes", "no", "new", "edit",
        "january", "february", "march", "may", "june", "july", "october", "december",
    ),
    "en": (
        "der", "die", "das", "und", "nicht", "sie", "ihre", "ihr", "mit", "von", "für", "ist",
        "oder", "auf", "zur", "zum", "ein", "eine", "einer", "bibliothek", "bibliotheken",
        "suche", "suchen", "anmelden", "abmelden", "bestellen", "bestellt", "seite", "katalog",
        "konto", "ausleihe", "verfügbar", "zurück", "weiter", "jahr", "verfasser", "exemplare",
        "anfrage", "anfragen", "leser", "speichern", "löschen", "fehler", "einstellungen",
        "nicht gefunden", "fällig", "gleiche", "datensatz", "sekunden", "unbekannt",
        "ja", "nein", "neu", "januar", "februar", "märz", "mai", "juni", "juli", "oktober",
        "dezember",
    ),
}  # fmt: skip
SKIPPED = {"script", "style", "code", "pre", "kbd", "samp"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")
# blueprints that answer in a protocol's or a format's own words (JSON, XML, feeds), not pages
NOT_PAGES = ("api.", "loans_api.", "sru.", "oai.", "feeds.", "health.")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


def fold(text: str) -> str:
    """Lower case, accents off, whitespace collapsed: the same for record data and pages."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


class Interface(HTMLParser):
    """The texts a person reads on a page, but those in skipped elements."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language, self.texts, self.stack = language, [], []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        other = given.get("lang") not in (None, self.language)
        if tag not in VOID:
            self.stack.append(tag in SKIPPED or other)
        if any(self.stack) or other:
            return
        self.texts.extend(given[name] or "" for name in READ_ATTRIBUTES if name in given)
        if tag == "input" and given.get("type") in ("submit", "button"):
            self.texts.append(given.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.texts.append(data)


class Walk:
    """The served loan network, its record data, and the pages of each person in each
    language."""

    def __init__(self, folder: Path) -> None:
        self.network = Served(folder)
        self.loan = self.network.placed()["id"]
        data = set()
        for path in folder.glob("*.mrc"):
            with path.open("rb") as handle:
                for record in pymarc.MARCReader(handle, to_unicode=True):
                    data.update(field.value() for field in record.get_fields())
                    for field in record.get_fields():
                        data.update(s.value for s in getattr(field, "subfields", ()))
        with self.network.engine.connect() as conn:
            for row in conn.execute(select(users.c.name, users.c.card, users.c.email)):
                data.update(value for value in row if value)
        data.update(code.title() for code in ("herten", "datteln", "dorsten", "marl"))
        # the union record (MARC view, exports) notes its copies' statuses in 852 $z in the
        # catalogue's own words, as a library's record would: record data, not interface
        data.update(STATUS_NOTES.values())
        folded = {fold(value) for value in data}
        self.data = sorted((v for v in folded if len(v) >= 3), key=len, reverse=True)

    def pages(self, who: str, language: str) -> dict[str, str]:
        """Each HTML page this person gets (any status but a redirect's), by path."""
        client: FlaskClient = self.network.client.application.test_client()
        if who != "anonymous":
            assert log_in(client, LOGINS[who]).status_code == 302
        client.set_cookie("lang", language)
        every = every_get_path(client, self.network, self.loan)
        paths = sorted(
            path for endpoint, path in every.items() if not endpoint.startswith(NOT_PAGES)
        )
        paths += ["/no-such-page", "/logout", "/staff/requests", "/admin/accounts"]
        found = {}
        for path in paths:
            answer = client.get(path)
            if answer.mimetype == "text/html" and not 300 <= answer.status_code < 400:
                found[path] = answer.get_data(as_text=True)
        return found

    def foreign_words(self, page: str, language: str) -> set[str]:
        """The other language's interface words in the page's interface text."""
        parser = Interface(language)
        parser.feed(page)
        text = fold(" | ".join(parser.texts))
        for value in self.data:
            text = text.replace(value, " ")
        return {
            w for w in WORDS[language] if re.search(rf"(?<!\w){re.escape(fold(w))}(?!\w)", text)
        }


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Walk:
    return Walk(tmp_path_factory.mktemp("language"))


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("who", ["anonymous", *sorted(LOGINS)])
def test_every_page_speaks_the_chosen_language_only(walk: Walk, who: str, language: str) -> None:
    pages = walk.pages(who, language)
    assert len(pages) >= 10  # the walk reached the pages, not just the login form
    foreign = {path: sorted(walk.foreign_words(page, language)) for path, page in pages.items()}
    assert {path: words for path, words in foreign.items() if words} == {}


def test_the_check_finds_english_on_a_german_page_and_leaves_record_data_alone(
    walk: Walk,
) -> None:
    page = ('<html><h1>Die Vermessung der Welt</h1><p>Zur Suche</p>'
            '<a lang="en">English</a><code>title=welt</code><p>{}</p></html>')  # fmt: skip
    assert walk.foreign_words(page.format("Seite nicht gefunden"), "de") == set()
    assert walk.foreign_words(page.format("Page not found"), "de") == {"page", "not", "found"}
    assert walk.foreign_words(page.format("Seite nicht gefunden"), "en") >= {"seite", "nicht"}


def page(walk: Walk, path: str, language: str, who: str | None = None) -> tuple[int, str]:
    client = walk.network.client.application.test_client()
    if who:
        assert log_in(client, LOGINS[who]).status_code == 302
    client.set_cookie("lang", language)
    answer = client.get(path)
    return answer.status_code, answer.get_data(as_text=True)


def test_a_forbidden_page_is_libnets_own_in_the_visitors_language(walk: Walk) -> None:
    status, german = page(walk, "/staff/accounts", "de", who="patron")
    assert status == 403 and "<h1>Zugriff verweigert</h1>" in german
    assert "permission" not in german and "Forbidden" not in german  # no Werkzeug text
    status, english = page(walk, "/staff/accounts", "en", who="patron")
    assert status == 403 and "<h1>Access denied</h1>" in english


def test_a_wrong_method_and_a_missing_page_answer_in_the_visitors_language(walk: Walk) -> None:
    status, german = page(walk, "/logout", "de")
    assert status == 405 and "<h1>Diese Aktion ist hier nicht möglich</h1>" in german
    assert "Method Not Allowed" not in german and "Fehler 405" in german
    status, german = page(walk, "/no-such-page", "de")
    assert status == 404 and "<h1>Seite nicht gefunden</h1>" in german


def in_language(walk: Walk, language: str):
    context = walk.network.client.application.test_request_context("/")
    context.push()
    g.language = language
    return context


@pytest.mark.parametrize(
    ("error", "code", "heading"),
    [(Gone(), 410, "Diese Seite gibt es nicht mehr"), (None, 500, "Bei uns ist etwas"),
     (None, 503, "Bei uns ist etwas"), (Conflict(), 409, "Zurzeit nicht möglich")],
)  # fmt: skip
def test_every_error_status_has_a_german_page(
    walk: Walk, error: HTTPException | None, code: int, heading: str
) -> None:
    context = in_language(walk, "de")
    try:
        html = error_page(error, code)
    finally:
        context.pop()
    assert f"<h1>{heading}" in html
    assert not walk.foreign_words(html, "de")


def test_a_description_libnet_gave_is_shown_and_werkzeugs_own_is_not() -> None:
    assert own_description(Forbidden()) is None
    assert own_description(Conflict("Die Ernte läuft auf dem Ernteknoten.")) == (
        "Die Ernte läuft auf dem Ernteknoten."
    )


@pytest.mark.parametrize(
    ("language", "day", "duration", "overdue", "silent"),
    [("de", "05.12.2026", "1.234,5", "fällig am 05.12.2026", "keine Antwort in 5 Werktagen"),
     ("en", "Dec 5, 2026", "1,234.5", "due on Dec 5, 2026", "no answer in 5 working days")],
)  # fmt: skip
def test_dates_seconds_and_timer_notes_take_the_pages_language(
    walk: Walk, language: str, day: str, duration: str, overdue: str, silent: str
) -> None:
    context = in_language(walk, language)
    try:
        assert iso_day("2026-12-05") == day and iso_day(None) == ""
        assert seconds(1234.5) == duration and seconds(None) == "–"
        assert seconds(0.4) == ("0,4" if language == "de" else "0.4")
        assert event_note("due 2026-12-05") == overdue
        assert event_note("no answer in 5 working days") == silent
        assert event_note("Bitte bis Freitag") == "Bitte bis Freitag"  # a librarian's own note
    finally:
        context.pop()


def test_the_timers_notes_are_the_ones_the_pages_read_back() -> None:
    """The notes run_timers writes (libnet.loans.timers) are the shapes timer_note knows."""
    assert timers.timer_note(timers._NO_ANSWER.format(3)) == ("no_answer", 3)
    assert timers.timer_note(timers._DUE.format("2027-01-11")) == ("due", date(2027, 1, 11))
    assert timers.timer_note("due soon") == ("", "due soon")
