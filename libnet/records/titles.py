"""Titles and volumes: the title proper and its parts, other titles, the edition, the series."""

from __future__ import annotations

import pymarc

from libnet.records.gathered import FieldReader, Gathered
from libnet.records.text import bare_title, clean, first


def read_title(gathered: Gathered, field: pymarc.Field) -> None:
    if gathered.has_245:
        return
    gathered.has_245 = True
    firsts = dict(reversed(field.subfields))
    gathered.title = bare_title(firsts.get("a", "")) or bare_title(firsts.get("k", ""))
    gathered.subtitle = bare_title(firsts.get("b", ""))
    gathered.responsibility = clean(firsts.get("c", ""))
    if "n" in firsts or "p" in firsts:
        numbers = [clean(v) for c, v in field.subfields if c == "n"]
        names = [bare_title(v) for c, v in field.subfields if c == "p"]
        gathered.part_number = ", ".join(n for n in numbers if n)
        gathered.part_name = ", ".join(n for n in names if n)


def read_other_title(gathered: Gathered, field: pymarc.Field) -> None:
    """A uniform (130, 240) or varying (246) title: the title when 245 has none."""
    if not gathered.other_title:
        gathered.other_title = bare_title(first(field, "a"))


def read_edition(gathered: Gathered, field: pymarc.Field) -> None:
    if not gathered.edition:
        # the final period of "2nd ed." or "2. Aufl." is an abbreviation's: keep it
        gathered.edition = clean(first(field, "a"), " /:;=,")


def read_series_statement(gathered: Gathered, field: pymarc.Field) -> None:
    firsts = dict(reversed(field.subfields))
    title, volume = firsts.get("a", ""), firsts.get("v", "")
    if not volume and " ; " in title:  # "Her Waste ; pt. 1"
        title, volume = title.rsplit(" ; ", 1)
    _add_series(gathered, title, volume)


def read_series_entry(gathered: Gathered, field: pymarc.Field) -> None:
    # 800/810/811 give the author in $a and the series in $t; 830 the series in $a
    firsts = dict(reversed(field.subfields))
    _add_series(gathered, firsts.get("t") or firsts.get("a", ""), firsts.get("v", ""))


def _add_series(gathered: Gathered, title: str, volume: str) -> None:
    title, volume = bare_title(title), clean(volume)
    if not title:
        return
    key = title.casefold()
    known = gathered.series.get(key)
    if known is None or (volume and not known[1]):
        gathered.series[key] = (known[0] if known else title, volume)


READERS: dict[str, FieldReader] = {
    "130": read_other_title,
    "240": read_other_title,
    "245": read_title,
    "246": read_other_title,
    "250": read_edition,
    "440": read_series_statement,
    "490": read_series_statement,
    "800": read_series_entry,
    "810": read_series_entry,
    "811": read_series_entry,
    "830": read_series_entry,
}
