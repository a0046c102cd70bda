"""The demo libraries' export files: MARC-8 or UTF-8 ISO 2709, or MARCXML collections, a new
file every records_per_file records."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from pymarc import Record, Subfield

from libnet.demo.broken import NON_ASCII_PLACEHOLDER, break_iso2709, mark_non_ascii
from libnet.demo.libraries import DemoLibrary

MARC_NS = "http://www.loc.gov/MARC21/slim"

# fmt: off
_MARC8_SPACING = {"ß": 0xC7, "Ø": 0xA2, "ø": 0xB2, "Æ": 0xA5, "æ": 0xB5, "Œ": 0xA6, "œ": 0xB6,
                  "Ł": 0xA1, "ł": 0xB1, "ı": 0xB8, "©": 0xC3, "°": 0xC0, "€": 0xC8}
# combining marks: grave, acute, circumflex, tilde, breve, diaeresis, ring, caron, cedilla
_MARC8_COMBINING = {"\u0300": 0xE1, "\u0301": 0xE2, "\u0302": 0xE3, "\u0303": 0xE4,
                    "\u0306": 0xE6, "\u0308": 0xE8, "\u030a": 0xEA, "\u030c": 0xE9,
                    "\u0327": 0xF0}
# fmt: on


def to_marc8(text: str) -> bytes:
    """Text as MARC-8 (ANSEL): combining marks go before their letter, ü is 0xE8 'u'."""
    out = bytearray()
    for char in text:
        if char < "\x80":
            out.append(ord(char))
        elif char in _MARC8_SPACING:
            out.append(_MARC8_SPACING[char])
        else:
            base, *marks = unicodedata.normalize("NFD", char)
            if base >= "\x80" or not marks or any(m not in _MARC8_COMBINING for m in marks):
                raise ValueError(f"no MARC-8 for {char!r} in the demo's small table")
            out += bytes(_MARC8_COMBINING[m] for m in marks)
            out.append(ord(base))
    return bytes(out)


def _iso2709(record: Record, lib: DemoLibrary, damage: str | None) -> bytes:
    """The record in ISO 2709, in the library's encoding, broken on purpose if asked."""
    latin1 = ""
    if damage in ("invalid_utf8", "marc8_labelled_utf8"):
        latin1 = mark_non_ascii(record, lib.encoding == "utf-8")
    if lib.encoding == "marc-8":
        for f in record.fields:
            if not f.control_field:
                # pymarc writes leader/09 " " records as Latin-1: pass the MARC-8 bytes as such
                f.subfields = [
                    Subfield(s.code, to_marc8(s.value).decode("latin-1")) for s in f.subfields
                ]
        record.to_unicode = False  # else pymarc sets leader/09 to "a" and writes UTF-8
    data = record.as_marc()
    if latin1:
        data = data.replace(NON_ASCII_PLACEHOLDER.encode(), latin1.encode("latin-1"))
    return break_iso2709(data, damage)


def _marcxml(record: Record, damage: str | None) -> bytes:
    """One <record> element, without namespace (the collection declares it).

    Written by hand: pymarc's record_to_xml_node and ElementTree took most of the run time.
    """
    out = [f"<record><leader>{record.leader}</leader>"]
    for f in record.fields:
        if f.control_field:
            out.append(f'<controlfield tag="{f.tag}">{escape(f.data)}</controlfield>')
            continue
        if damage == "junk_element":
            out.append(
                '<div xmlns="http://www.w3.org/1999/xhtml">'
                "Fehler beim Export: Datensatz gesperrt (Zeitüberschreitung)</div>"
            )
            break
        tag = "" if damage == "datafield_without_tag" and f.tag == "245" else f' tag="{f.tag}"'
        out.append(f'<datafield{tag} ind1="{f.indicator1}" ind2="{f.indicator2}">')
        out += [f'<subfield code="{s.code}">{escape(s.value)}</subfield>' for s in f.subfields]
        out.append("</datafield>")
    out.append("</record>\n")
    return "".join(out).encode("utf-8")


class Output:
    """One library's files: a new one every records_per_file records."""

    def __init__(self, directory: Path, lib: DemoLibrary, per_file: int) -> None:
        self.directory = directory
        self.lib = lib
        self.per_file = per_file
        self.files: list[Path] = []
        self.handle: BinaryIO | None = None
        self.in_file = 0
        self.records = 0
        self.broken = 0
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"{lib.code}-[0-9][0-9][0-9][0-9]*"):
            old.unlink()  # a smaller rerun must not leave a stale tail behind

    def write(self, data: bytes) -> None:
        if self.handle is None or self.in_file == self.per_file:
            self._next_file()
        assert self.handle is not None
        self.handle.write(data)
        self.in_file += 1
        self.records += 1

    def _next_file(self) -> None:
        self.close()
        suffix = "xml" if self.lib.syntax == "marcxml" else "mrc"
        path = self.directory / f"{self.lib.code}-{len(self.files) + 1:04d}.{suffix}"
        self.handle = path.open("wb")
        self.files.append(path)
        self.in_file = 0
        if self.lib.syntax == "marcxml":
            self.handle.write(
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<collection xmlns="' + MARC_NS.encode() + b'">\n'
            )

    def close(self) -> None:
        if self.handle is not None:
            if self.lib.syntax == "marcxml":
                self.handle.write(b"</collection>\n")
            self.handle.close()
            self.handle = None


def serialise(record: Record, lib: DemoLibrary, damage: str | None) -> bytes:
    if damage == "no_001":
        record.remove_fields("001", "999")
    if lib.syntax == "marcxml":
        return _marcxml(record, damage)
    return _iso2709(record, lib, damage)
