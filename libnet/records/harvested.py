"""What a harvester hands over: one record as its source delivered it, or one problem."""

from __future__ import annotations

from dataclasses import dataclass

import pymarc

ISO2709 = "iso2709"
MARCXML = "marcxml"


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
