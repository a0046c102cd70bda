"""The persons and bodies responsible: main entry (1XX) first, then added entries (7XX)."""

from __future__ import annotations

import pymarc

from libnet.records.gathered import FieldReader, Gathered
from libnet.records.text import abbreviated


def read_main_author(gathered: Gathered, field: pymarc.Field) -> None:
    name = _name(field)
    if name[:8].isdigit() and field.tag == "100":
        # UNIMARC's 100 is coded data ("19961119d1996    ..."), MARC 21's a name
        gathered.unimarc_100 = True
    elif name:
        gathered.main_authors.append(name)


def read_added_author(gathered: Gathered, field: pymarc.Field) -> None:
    name = _name(field)
    if name:
        gathered.added_authors.append(name)


def _name(field: pymarc.Field) -> str:
    """$a of a name field, with $b for corporate bodies; dates and roles left out."""
    corporate = field.tag in ("110", "710")
    parts = [v for c, v in field.subfields if c == "a" or (corporate and c == "b")]
    if not parts:
        return ""
    if not corporate:
        parts = parts[:1]
    return abbreviated(" ".join(parts))


READERS: dict[str, FieldReader] = {
    "100": read_main_author,
    "110": read_main_author,
    "111": read_main_author,
    "700": read_added_author,
    "710": read_added_author,
    "711": read_added_author,
}
