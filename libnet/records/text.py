"""Catalogued text as libnet keeps it: case as catalogued, no ISBD punctuation, no brackets.

Non-sorting markers and extra whitespace go as well; folding for search is the index's job.
"""

from __future__ import annotations

from unicodedata import normalize

import pymarc

ISBD_END = " /:;=,."


def first(field: pymarc.Field, wanted: str) -> str:
    """The first subfield `wanted` of a field, "" when it has none."""
    for code, value in field.subfields:
        if code == wanted:
            return value
    return ""


def filled(field: pymarc.Field, wanted: str) -> list[str]:
    """Every subfield `wanted` of a field that holds more than blanks, stripped."""
    return [value.strip() for code, value in field.subfields if code == wanted and value.strip()]


def bare_title(value: str) -> str:
    """A title as catalogued, without brackets of a supplied title."""
    if "[" in value or "]" in value:
        value = value.replace("[", "").replace("]", "")
    return clean(value)


def clean(value: str, trailing: str = ISBD_END) -> str:
    """Text without non-sorting markers, ISBD end punctuation and extra whitespace."""
    if not value:
        return ""
    if not value.isascii():
        if "\x98" in value or "\x9c" in value:
            value = value.replace("\x98", "").replace("\x9c", "")
        value = normalize("NFC", value)
    if "<<" in value:  # the German "<<Die>> Zauberflöte"
        value = value.replace("<<", "").replace(">>", "")
    value = " ".join(value.split())
    stripped = value.rstrip(trailing)
    if len(stripped) != len(value) and value.rstrip(" /:;=,").endswith("..."):
        return value.rstrip(" /:;=,")  # an ellipsis belongs to the text
    return stripped


def abbreviated(value: str) -> str:
    """Like clean, but a final initial keeps its period: "Mullin, Virginia L.", "N.Y."."""
    text = clean(value)
    if (
        len(text) >= 2
        and text[-1].isupper()
        and text[-2] in " .-"
        and value.rstrip(" /:;=,").endswith(".")
    ):
        text += "."
    return text


def unique(values: list[str]) -> tuple[str, ...]:
    """The values in their first order, each once."""
    return tuple(dict.fromkeys(values)) if len(values) > 1 else tuple(values)
