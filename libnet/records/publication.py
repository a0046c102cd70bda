"""Publication and extent: place, publisher, year (260/264), pages (300), online address (856)."""

from __future__ import annotations

import re

import pymarc

from libnet.records.gathered import FieldReader, Gathered
from libnet.records.text import abbreviated, filled, first

FIRST_YEAR, LAST_YEAR = 1000, 2099  # "2345 [2013?]" is a typo, 008 "9999" means "not known"

_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# the count right before the unit: "XII, 312 p.", "[4], 312 S.", "1 Online-Ressource (312 Seiten)"
_PAGES = re.compile(
    r"(\d+)\]?\s*(?:S\.|S\b|Seiten\b|p\.|p\b|pages?\b|pagine\b|sivua\b|sidor\b|s\.)"
)
_NOT_GIVEN = frozenset(
    (
        "s.l",
        "s.n",
        "o.o",
        "o.v",
        "sine loco",
        "sine nomine",
        "erscheinungsort nicht ermittelbar",
        "verlag nicht ermittelbar",
        "place of publication not identified",
        "publisher not identified",
    )
)


def read_imprint(gathered: Gathered, field: pymarc.Field) -> None:
    if field.tag == "260":
        if gathered.old_imprint == ("", "", ""):
            gathered.old_imprint = _imprint(field)
    elif field.indicator2 == "1" and gathered.imprint == ("", "", ""):
        gathered.imprint = _imprint(field)


def read_extent(gathered: Gathered, field: pymarc.Field) -> None:
    if gathered.physical_description:
        return
    parts = [v for c, v in field.subfields if c in ("a", "b", "c")]
    gathered.physical_description = " ".join(" ".join(parts).split()).rstrip(" +:;,")
    match = _PAGES.search(first(field, "a"))
    if match:
        gathered.pages = int(match.group(1))


def read_url(gathered: Gathered, field: pymarc.Field) -> None:
    gathered.urls.extend(filled(field, "u"))


READERS: dict[str, FieldReader] = {
    "260": read_imprint,
    "264": read_imprint,
    "300": read_extent,
    "856": read_url,
}


def year_of(text: str) -> int | None:
    """The first plausible four-digit year in "c2019", "[2019]", "2019?", "[1968, c1962]"."""
    bare = text.strip(" []c?.©")
    if len(bare) == 4 and bare.isascii() and bare.isdigit():  # the usual case, done quickly
        year = int(bare)
        return year if FIRST_YEAR <= year <= LAST_YEAR else None
    for match in _YEAR.finditer(text):
        year = int(match.group())
        if FIRST_YEAR <= year <= LAST_YEAR:
            return year
    return None


def _imprint(field: pymarc.Field) -> tuple[str, str, str]:
    place = publisher = date = ""
    for code, value in field.subfields:
        if code == "a" and not place:
            place = _supplied(value)
        elif code == "b" and not publisher:
            publisher = _supplied(value)
        elif code == "c" and not date:
            date = value
    return place, publisher, date


def _supplied(value: str) -> str:
    """Place or publisher without the brackets of supplied data; "" for "[S.l.]", "[s.n.]"."""
    text = abbreviated(value.replace("[", "").replace("]", ""))
    return "" if text.casefold().rstrip(".") in _NOT_GIVEN else text
