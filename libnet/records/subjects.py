"""What a record is about: subject headings (6XX), German RSWK chains (689), the summary (520)."""

from __future__ import annotations

import pymarc

from libnet.records.gathered import FieldReader, Gathered
from libnet.records.text import clean, first

_CHILDREN_FORMS = (  # genre terms (655 $a, 6xx $v), casefolded
    "juvenile",
    "children's",
    "kinderbuch",
    "jugendbuch",
    "bilderbuch",
    "kindersachbuch",
    "jugendsachbuch",
    "erstlesebuch",
    "picture book",
)
_SUBDIVISIONS = frozenset("vxyz")
_HEADING_CODES = frozenset("abcdfgklmnopqrst")


def read_subject(gathered: Gathered, field: pymarc.Field) -> None:
    heading, parts = [], []
    for code, value in field.subfields:
        if code in _SUBDIVISIONS:
            part = clean(value)
            if part:
                parts.append(part)
                if code == "v" and part.casefold().startswith(_CHILDREN_FORMS):
                    gathered.children_form = True
        elif code in _HEADING_CODES:
            heading.append(value)
    text = clean(" ".join(heading))
    if text:
        parts.insert(0, text)
        if field.tag == "655" and text.casefold().startswith(_CHILDREN_FORMS):
            gathered.children_form = True
    if parts:
        gathered.subjects.append(" / ".join(parts))


def read_subject_chain(gathered: Gathered, field: pymarc.Field) -> None:
    # German RSWK: 689 ind1 numbers the chain, one field per link
    term = clean(first(field, "a"))
    if term:
        gathered.chains.setdefault(field.indicator1, []).append(term)


def read_summary(gathered: Gathered, field: pymarc.Field) -> None:
    text = " ".join(first(field, "a").split())
    if text:
        gathered.descriptions.append(text)


READERS: dict[str, FieldReader] = {
    "520": read_summary,
    "600": read_subject,
    "610": read_subject,
    "611": read_subject,
    "630": read_subject,
    "650": read_subject,
    "651": read_subject,
    "655": read_subject,
    "689": read_subject_chain,
}
