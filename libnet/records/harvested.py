"""What a harvester hands over: one record as its source delivered it, or one problem."""

from __future__ import annotations

from dataclasses import dataclass

import pymarc

ISO2709 = "iso2709"
MARCXML = "marcxml"


REPAIRED = "repaired"  # the field is kept, mended in a way that has only one reading
LEFT_OUT = "left out"  # the field, or the part of it that could not be read, is not kept


@dataclass(frozen=True, slots=True)
class FieldRepair:
    """One malformed field of a record that was kept all the same: repaired, or left out.

    `position` and `local_id` say which record, once it is known (prepare() fills them in).
    """

    tag: str
    action: str  # REPAIRED or LEFT_OUT
    reason: str  # what was wrong and what was done: "indicators '10 ' cut to two ('10')"
    field: int = 0  # the field's place in the record, 1 for the first; 0 when not known
    position: str = ""
    local_id: str = ""

    def __str__(self) -> str:
        return f"field {self.tag}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as delivered, kept byte for byte, with its decoded form.

    `data` is the ISO 2709 record, or the MARCXML <record> element as UTF-8; `record` is
    None only for a deletion that came without a record (an OAI-PMH deleted header).
    """

    data: bytes
    syntax: str
    record: pymarc.Record | None
    position: str  # where it came from: "marl-0001.mrc #17", "page 3 record 12"
    source_id: str = ""  # the source's own identifier (OAI-PMH header), "" for files
    deleted: bool = False
    # for a MARCXML record cut out of a file as bytes: the file's XML declaration and root
    # start tag, whose namespaces and encoding the record's bytes need to be read
    context: bytes = b""
    # the malformed fields the decoder repaired or left out (libnet.records.iso_fields)
    repairs: tuple[FieldRepair, ...] = ()


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """A record that could not be used: skipped, counted and reported; the harvest goes on."""

    position: str
    reason: str
    local_id: str = ""
    excerpt: str = ""


def excerpt(data: bytes | str, limit: int = 200) -> str:
    """A short printable excerpt of a bad record for the reject list."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = "".join(ch if ch.isprintable() else "\u00b7" for ch in text[: limit * 2])
    return text[:limit]
