"""A cluster member's evidence line read back as a code and its values, for any language.

The matcher writes each member's evidence as one English line (index/match.py's Decision
reasons, index/editions.py's librarian joins, index/grouping.py's lone and first records) and
the record store keeps that line as it is. The staff view shows it in the page's language:
it reads the line back here into a code ("isbn", "agreeing", "with", ...) with its values
(the ISBN, the format, the years, the other library's record) and words each part with the
message catalogue (webapp/labels.py). A librarian's join or split (librarian_line) names who
made it and on which day when it was made in the browser. A line of any other shape (an older
libnet's) is kept whole as the code "text", shown as it was stored. Nothing German is ever
stored.

tests/index/test_evidence.py reads back every line the matcher makes, so a new sentence in
index/match.py that this module does not know fails there, not on a librarian's screen.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from datetime import date

ALONE = "no other library's record matches"  # index/grouping.py, a cluster of one record
FIRST = "the first record of this cluster"  # index/grouping.py, a cluster's seed

_QUOTED = r"""(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""  # a Python repr() of a string
_WITH = re.compile(r"^(?P<rest>.*) \(with (?P<library>\S+) (?P<local_id>.+)\)$", re.S)
_SHARED_ISBN = re.compile(r"^ISBN (?P<isbn>\S+) shared$")
_SHARED_ID = re.compile(r"^(?P<identifier>.+) shared$")
_TITLE_AUTHOR_YEAR = re.compile(
    rf"^title (?P<title>{_QUOTED}), author (?P<author>{_QUOTED}), year (?P<year>\S+) agree$", re.S
)
_AGREEING = re.compile(
    r"^same format (?P<format>\S+), (?:year (?P<year>\S+)|years (?P<a>\S+) and (?P<b>\S+))$"
)
_LIBRARIAN = re.compile(
    r"^(?P<verb>joined|split off) by a librarian"
    r"(?: \((?P<who>.+?), (?P<on>\d{4}-\d\d-\d\d)\))?(?:: (?P<note>.*))?$",
    re.S,
)
_VERBS = {"join": "joined", "split": "split off"}


def librarian_line(kind: str, note: str = "", who: str = "", on: date | None = None) -> str:
    """The evidence line of a librarian's join or split ("join", "split"), naming who and on
    which day when known: "split off by a librarian (Team herten, 2026-12-05): andere Auflage"."""
    line = f"{_VERBS[kind]} by a librarian"
    if who and on:
        line += f" ({who}, {on.isoformat()})"
    return line + (f": {note}" if note else "")


@dataclass(frozen=True, slots=True)
class Part:
    """One part of an evidence line: what it says (code) and the values it names."""

    # alone, first, isbn, identifier, title-author-year, agreeing, librarian, split, with, text
    code: str
    values: tuple[tuple[str, str], ...] = ()

    def value(self, name: str) -> str:
        return dict(self.values).get(name, "")


def read(evidence: str) -> tuple[Part, ...]:
    """The parts of a stored evidence line, in the order they are said."""
    if evidence == ALONE:
        return (Part("alone"),)
    if evidence == FIRST:
        return (Part("first"),)
    parts: list[Part] = []
    with_ = _WITH.match(evidence)
    rest = with_["rest"] if with_ else evidence
    said = _said(rest)
    if said is None:
        return (Part("text", (("text", evidence),)),)
    parts.extend(said)
    if with_:
        parts.append(Part("with", (("library", with_["library"]), ("local_id", with_["local_id"]))))
    return tuple(parts)


def _said(text: str) -> list[Part] | None:
    """The joining rule's parts of a line without its "(with ...)"; None for an unknown line."""
    librarian = _LIBRARIAN.match(text)
    if librarian:
        code = "librarian" if librarian["verb"] == "joined" else "split"
        values = (("note", librarian["note"] or ""), ("who", librarian["who"] or ""),
                  ("on", librarian["on"] or ""))  # fmt: skip
        return [Part(code, values)]
    head, separator, tail = text.rpartition("; ")
    agreeing = _AGREEING.match(tail) if separator else None
    if agreeing is None:
        return None
    years = (agreeing["year"],) if agreeing["year"] else (agreeing["a"], agreeing["b"])
    agree = Part("agreeing", (("format", agreeing["format"]), *_years(years)))
    if match := _SHARED_ISBN.match(head):
        return [Part("isbn", (("isbn", match["isbn"]),)), agree]
    if match := _TITLE_AUTHOR_YEAR.match(head):
        title, author = ast.literal_eval(match["title"]), ast.literal_eval(match["author"])
        values = (("title", title), ("author", author), ("year", match["year"]))
        return [Part("title-author-year", values), agree]
    if match := _SHARED_ID.match(head):
        return [Part("identifier", (("identifier", match["identifier"]),)), agree]
    return None


def _years(years: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    if len(years) == 1:
        return (("year", years[0]),)
    return (("year", years[0]), ("other_year", years[1]))
