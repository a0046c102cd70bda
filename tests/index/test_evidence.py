"""Evidence lines read back as codes and values: every line the matcher makes is understood."""

from __future__ import annotations

from datetime import date

import pymarc
from pymarc import Field, Indicators, Subfield

from index import evidence
from index.match import compare
from libnet.records.bib import BibRecord, normalise
from tests.builders import book


def bib(local_id: str, record: pymarc.Record | None = None, **changes: str) -> BibRecord:
    return normalise(record or book(local_id, **changes), "herten")


def with_035(local_id: str, number: str, title: str) -> BibRecord:
    record = book(local_id, title, isbn="")
    record.add_field(Field(tag="035", indicators=Indicators(" ", " "),
                           subfields=[Subfield("a", number)]))  # fmt: skip
    return bib(local_id, record)


def line(decision_reason: str) -> str:
    return f"{decision_reason} (with dorsten 4711)"  # as index/grouping.py keeps it


def test_a_shared_isbn_reads_back_as_the_isbn_the_format_the_year_and_the_other_record() -> None:
    parts = evidence.read(line(compare(bib("1"), bib("2")).reason))
    assert [p.code for p in parts] == ["isbn", "agreeing", "with"]
    assert parts[0].value("isbn") == "9783498035280"
    assert (parts[1].value("format"), parts[1].value("year")) == ("book", "2005")
    assert (parts[2].value("library"), parts[2].value("local_id")) == ("dorsten", "4711")


def test_a_shared_identifier_reads_back_as_that_identifier() -> None:
    decision = compare(with_035("1", "(DE-101)975987461", "Vermessung der Welt"),
                       with_035("2", "(DE-101)975987461", "Vermessung"))  # fmt: skip
    assert decision.rule == "identifier"
    parts = evidence.read(line(decision.reason))
    assert parts[0].code == "identifier"
    assert "975987461" in parts[0].value("identifier")


def test_title_author_and_year_read_back_with_quotes_in_the_title_kept() -> None:
    title = "Der 'Zauberberg' und \"andere\""
    decision = compare(bib("1", title=title, isbn=""), bib("2", title=title, isbn=""))
    assert decision.rule == "title-author-year"
    parts = evidence.read(decision.reason)
    assert [p.code for p in parts] == ["title-author-year", "agreeing"]
    assert "zauberberg" in parts[0].value("title")
    assert parts[0].value("author") == "kehlmann"
    assert parts[0].value("year") == "2005"


def test_years_that_differ_read_back_as_both_years() -> None:
    parts = evidence.read(line(compare(bib("1"), bib("2", year="2006")).reason))
    assert (parts[1].value("year"), parts[1].value("other_year")) == ("2005", "2006")


def test_a_librarians_join_keeps_the_librarians_note() -> None:
    parts = evidence.read(line("joined by a librarian: same print run; see the card"))
    assert parts[0].code == "librarian"
    assert parts[0].value("note") == "same print run; see the card"


def test_a_lone_and_a_first_record_have_codes_of_their_own() -> None:
    assert evidence.read(evidence.ALONE) == (evidence.Part("alone"),)
    assert evidence.read(evidence.FIRST) == (evidence.Part("first"),)


def test_an_unknown_line_is_kept_whole_as_text() -> None:
    parts = evidence.read("matched by hand in 2019")
    assert parts == (evidence.Part("text", (("text", "matched by hand in 2019"),)),)


def test_a_librarians_split_and_join_read_back_with_who_when_and_why() -> None:
    made = date(2026, 12, 5)
    split = evidence.read(evidence.librarian_line("split", "andere Auflage", "Herten Theke", made))
    assert split == (evidence.Part("split", (("note", "andere Auflage"), ("who", "Herten Theke"),
                                             ("on", "2026-12-05"))),)  # fmt: skip
    joined = evidence.read(evidence.librarian_line("join", "Sammelband (2, 3)", "Marl, Team", made))
    assert (joined[0].code, joined[0].value("who"), joined[0].value("note")) == (
        "librarian", "Marl, Team", "Sammelband (2, 3)",
    )  # fmt: skip
    from_the_command_line = evidence.read(evidence.librarian_line("split"))
    assert from_the_command_line[0].code == "split" and from_the_command_line[0].value("who") == ""
