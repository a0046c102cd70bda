"""Volumes of a multi-volume work: which volume a record is, and the order volumes go in.

A multi-volume work ("Der Mann ohne Eigenschaften" in three volumes) is catalogued one record
per volume. MARC 21 names the volume in 245 $n (its number: "Bd. 2", "Band 2", "2") and $p (its
own title: "Aus dem Nachlass"); BibRecord keeps them as catalogued in part_number and
part_name, and calls them `volume` and `part` for everything a patron sees.

Some libraries leave 245 $n empty and number the volume as a series instead: 245 "Der Mann
ohne Eigenschaften", 490 "Der Mann ohne Eigenschaften ; 2". A series whose title is the
record's own title proper is then the work itself, and its numbering ($v) is the volume. The
numbering of any other series (a paperback series, "Fischer-Taschenbücher ; 1234") is no
volume: it stays the series' number.

Volumes sort by their number as a number where it is one: "Band 2" before "Band 10".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_DIGITS = re.compile(r"\d+")
_WORD_AND_NUMBER = re.compile(r"(?:[^\W\d]+\.?\s*)?(\d+)")  # "Bd. 2", "Band 2", "Teil 2", "2"
_NUMBER_WIDTH = 9  # digits a number is padded to in a sort key


def volume_of(title: str, part_number: str, series: Sequence[tuple[str, str]]) -> str:
    """The volume a record is (see the module's docstring): 245 $n, else the numbering of a
    series named like the title proper, else ""."""
    if part_number:
        return part_number
    own = title.casefold()
    return next((number for name, number in series if number and name.casefold() == own), "")


def volume_key(volume: str) -> str:
    """A key that sorts volumes as a reader counts them: every run of digits padded to the
    same width, so "Bd. 2" < "Bd. 10" and "Teil 1, 3" < "Teil 1, 12"; case does not count."""
    return _DIGITS.sub(lambda m: m.group().lstrip("0").rjust(_NUMBER_WIDTH, "0"), volume.casefold())


def volume_number(volume: str) -> str:
    """The volume as a citation gives it, the style adding its own word ("Bd.", "Vol."): the
    number of "Bd. 2" or "Teil 2"; a volume that is more than a word and a number ("A - K",
    "2,1", "Bd. 2, Teil 1") as catalogued."""
    match = _WORD_AND_NUMBER.fullmatch(volume.strip())
    return match.group(1) if match else volume
