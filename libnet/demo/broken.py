"""The broken records the demo adds on purpose, one early in every library and then about
0.2 %: what a harvest must report and step over. Which way a record breaks depends on its
library's syntax and encoding."""

from __future__ import annotations

import random

from pymarc import Record, Subfield

from libnet.demo.description import df
from libnet.demo.holdings import Shelf
from libnet.demo.libraries import DemoLibrary

_BROKEN_SHARE = 0.002
_FIRST_BROKEN_AFTER = 5  # every library gets one broken record early, so small runs have one

_ISO_BREAKS = ("directory_past_end", "wrong_length", "invalid_utf8", "no_001")
_MARC8_BREAKS = ("directory_past_end", "wrong_length", "marc8_labelled_utf8", "no_001")
_XML_BREAKS = ("datafield_without_tag", "no_001", "junk_element")


NON_ASCII_PLACEHOLDER = "\x01"  # one byte in UTF-8, like the Latin-1 byte that replaces it


def choose_damage(rng: random.Random, lib: DemoLibrary, shelf: Shelf, broken: bool) -> str | None:
    """Which way to break this record, or None; one early per library, then about 0.2 %."""
    chance = rng.random()  # drawn always, so broken=False changes nothing else
    if not broken:
        return None
    due = shelf.broken == 0 and shelf.good >= _FIRST_BROKEN_AFTER
    if not (due or chance < _BROKEN_SHARE):
        return None
    if lib.syntax == "marcxml":
        kinds = _XML_BREAKS
    else:
        kinds = _MARC8_BREAKS if lib.encoding == "marc-8" else _ISO_BREAKS
    return kinds[(shelf.broken + len(lib.code)) % len(kinds)]


def mark_non_ascii(record: Record, placeholder: bool) -> str:
    """Make sure the record has a non-ASCII letter; in UTF-8 swap the first for a placeholder."""
    for f in record.fields:
        if f.control_field or f.tag in ("952", "924"):
            continue
        for i, s in enumerate(f.subfields):
            letter = next((c for c in s.value if c in "äöüÄÖÜßéè"), None)
            if letter:
                if placeholder:
                    f.subfields[i] = Subfield(
                        s.code, s.value.replace(letter, NON_ASCII_PLACEHOLDER, 1)
                    )
                return letter
    note = "Geschenk des F" + (NON_ASCII_PLACEHOLDER if placeholder else "ö") + "rdervereins"
    record.add_ordered_field(df("500", "  ", [("a", note)]))
    return "ö"


def break_iso2709(data: bytes, damage: str | None) -> bytes:
    """Written ISO 2709 bytes broken as asked: a wrong leader, length or directory entry."""
    if damage == "marc8_labelled_utf8":
        data = data[:9] + b"a" + data[10:]
    elif damage == "wrong_length":
        data = f"{len(data) + 120:05d}".encode() + data[5:]
    elif damage == "directory_past_end":
        base = int(data[12:17])
        entry = base - 1 - 12  # the last directory entry
        past = len(data) - base + 500
        data = data[: entry + 7] + f"{past:05d}".encode() + data[entry + 12 :]
    return data
