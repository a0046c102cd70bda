"""MARC file exports: ISO 2709 or MARCXML files, recognised by their content, streamed."""

from __future__ import annotations

import glob
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from harvesters.base import Source
from harvesters.errors import SourceError
from libnet.errors import RecordError
from libnet.records.harvested import ISO2709, MARCXML, RawRecord, RecordProblem, excerpt
from libnet.records.marc import (
    MARC_NS,
    RECORD_END,
    decode,
    marcxml_001,
    marcxml_element_bytes,
    parse_marcxml,
)
from libnet.redact import redact_url

_BLOCK = 1 << 20
_MAX_RECORD = 99_999  # the largest record ISO 2709's five-digit length can describe
_RECORD_TAGS = (f"{{{MARC_NS}}}record", "record")


class MarcFiles(Source):
    """Every file matching a path or glob; the whole set is the library's catalogue."""

    snapshot = True

    def __init__(self, pattern: str, base_dir: Path) -> None:
        self.pattern = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)

    def files(self) -> list[Path]:
        paths = sorted(Path(p) for p in glob.glob(self.pattern, recursive=True))
        files = [p for p in paths if p.is_file()]
        if not files:
            raise SourceError(f"no file matches {redact_url(self.pattern)}")
        return files

    def __iter__(self) -> Iterator[RawRecord | RecordProblem]:
        """Records cut out of the files but not decoded: prepare() decodes them, in parallel."""
        for path in self.files():
            yield from split_marc_file(path)


def read_marc_file(path: Path) -> Iterator[RawRecord | RecordProblem]:
    """Records of one file, decoded; a broken one becomes a RecordProblem."""
    for item in split_marc_file(path):
        yield item if isinstance(item, RecordProblem) else decode(item)


def split_marc_file(path: Path) -> Iterator[RawRecord | RecordProblem]:
    """Records of one file, ISO 2709 or MARCXML whatever its name says, not yet decoded."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        yield RecordProblem(path.name, f"cannot open file: {exc.strerror}")
        return
    with fh:
        head = fh.read(512)
        fh.seek(0)
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not start:
            return
        if start.startswith(b"<"):
            yield from read_marcxml(fh, path.name)
        elif start[:5].isdigit():
            yield from read_iso2709(fh, path.name)
        else:
            yield RecordProblem(
                path.name, "not a MARC file: neither ISO 2709 nor XML", "", excerpt(head, 80)
            )


def read_iso2709(fh: BinaryIO, name: str) -> Iterator[RawRecord | RecordProblem]:
    """Split a stream into records; one with a broken length costs only itself.

    A record is taken by the length in its leader when that length ends on a record
    terminator; otherwise up to the next terminator, so one broken length costs one record.
    The buffer is read by position and compacted only when it is refilled: cutting records off
    its front would copy it once per record.
    """
    buffer, pos, base = b"", 0, 0  # base: the file offset of buffer[0]
    number, eof = 0, False
    while True:
        pos = _PADDING.match(buffer, pos).end()  # newlines and padding between records
        if not eof and len(buffer) - pos <= _MAX_RECORD:
            block = fh.read(_BLOCK)
            eof = not block
            buffer, base, pos = buffer[pos:] + block, base + pos, 0
            continue
        if pos >= len(buffer):
            return
        end = _record_end(buffer, pos)
        number += 1
        yield RawRecord(buffer[pos:end], ISO2709, None, f"{name} #{number} (byte {base + pos})")
        pos = end


_PADDING = re.compile(rb"[ \t\r\n\x00\x1a]*")


def _record_end(buffer: bytes, pos: int) -> int:
    """Where the record starting at pos ends: by its length, else at the next terminator."""
    head = buffer[pos : pos + 5]
    if head.isdigit():
        end = pos + int(head)
        if pos + 24 < end <= len(buffer) and buffer[end - 1] == RECORD_END:
            return end
    terminator = buffer.find(b"\x1d", pos)
    return len(buffer) if terminator < 0 else terminator + 1


def read_marcxml(fh: BinaryIO, name: str) -> Iterator[RawRecord | RecordProblem]:
    """The records of a MARCXML file, cut out as bytes when the file is a plain collection.

    Cutting is cheap and leaves the parsing to prepare(), in the worker processes of a big
    harvest; it also confines a broken record to itself. Anything unusual (a DOCTYPE, a
    root other than collection) is read with a full XML parser instead.
    """
    head = fh.read(_HEAD)
    fh.seek(0)
    layout = _collection_layout(head)
    if layout is None:
        yield from _parse_marcxml(fh, name)
    else:
        yield from _cut_marcxml(fh, name, *layout)


_HEAD = 1 << 16
_PROLOG = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?(?:\s|<!--.*?-->|<\?(?!xml)[^>]*\?>)*"
    rb"(<((?:[\w.-]+:)?)collection(?:\s[^>]*)?>)",
    re.S,
)


def _collection_layout(head: bytes) -> tuple[bytes, bytes, int] | None:
    """(context, record tag, where the records start) of a plain MARCXML collection, else None."""
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        return None  # entities could stand for anything: the parser must see the whole file
    prolog = _PROLOG.match(head)
    if prolog is None or prolog.group(2).endswith(b"/>"):
        return None
    declaration = prolog.group(1) or b""
    first = re.compile(rb"<((?:[\w.-]+:)?)record[\s>]").search(head, prolog.end())
    prefix = first.group(1) if first else prolog.group(3)
    return declaration + prolog.group(2), prefix + b"record", prolog.end()


def _cut_marcxml(
    fh: BinaryIO, name: str, context: bytes, tag: bytes, start: int
) -> Iterator[RawRecord | RecordProblem]:
    opening = re.compile(b"<" + re.escape(tag) + rb"[\s>]")
    closing = b"</" + tag + b">"
    buffer, pos, base = fh.read(_BLOCK), start, 0
    number, eof = 0, False
    while True:
        found = opening.search(buffer, pos)
        end = buffer.find(closing, found.start()) if found else -1
        if end < 0:
            if eof:
                break
            block = fh.read(_BLOCK)
            eof = not block
            keep = found.start() if found else max(pos, len(buffer) - 64)  # a tag cut in two
            buffer, base, pos = buffer[keep:] + block, base + keep, 0
            continue
        end += len(closing)
        number += 1
        position = f"{name} #{number} (byte {base + found.start()})"
        yield RawRecord(buffer[found.start() : end], MARCXML, None, position, context=context)
        pos = end
    if found:
        yield RecordProblem(
            f"{name} #{number + 1} (byte {base + found.start()})",
            "the file ends inside a record (cut off?)", "", excerpt(buffer[found.start() :]),
        )  # fmt: skip


def _parse_marcxml(fh: BinaryIO, name: str) -> Iterator[RawRecord | RecordProblem]:
    """Stream <record> elements of any MARCXML document (or a lone record) with a parser.

    Each record is decoded here, while its element is at hand: a document with a DTD can
    hold entity references that only the element shows (see parse_marcxml).
    """
    parser = etree.iterparse(
        fh,
        events=("end",),
        tag=_RECORD_TAGS,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    )
    number = 0
    try:
        for _event, element in parser:
            number += 1
            position = f"{name} #{number} (line {element.sourceline})"
            yield _decoded(element, position)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        yield RecordProblem(
            f"{name} (line {exc.lineno})",
            f"XML is not well-formed, the rest of the file is lost: {exc.msg}",
        )


def _decoded(element: etree._Element, position: str) -> RawRecord | RecordProblem:
    data = marcxml_element_bytes(element)
    try:
        return RawRecord(data, MARCXML, parse_marcxml(element), position)
    except RecordError as exc:
        return RecordProblem(position, str(exc), marcxml_001(element), excerpt(data))
