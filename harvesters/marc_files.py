"""MARC file exports: ISO 2709 or MARCXML files, recognised by their content, streamed."""

from __future__ import annotations

import glob
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from harvesters.base import Source
from harvesters.errors import SourceError
from libnet.errors import RecordError
from libnet.harvested import ISO2709, MARCXML, RawRecord, RecordProblem, excerpt
from libnet.marc import (
    MARC_NS,
    RECORD_END,
    marcxml_001,
    marcxml_element_bytes,
    parse_iso2709,
    parse_marcxml,
)

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
            raise SourceError(f"no file matches {self.pattern}")
        return files

    def __iter__(self) -> Iterator[RawRecord | RecordProblem]:
        for path in self.files():
            yield from read_marc_file(path)


def read_marc_file(path: Path) -> Iterator[RawRecord | RecordProblem]:
    """Records of one file, ISO 2709 or MARCXML whatever its name says."""
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
    """Split a stream into records and decode each; a broken one is reported, reading goes on.

    A record is taken by the length in its leader when that length ends on a record
    terminator; otherwise up to the next terminator, so one broken length costs one record.
    """
    buffer = b""
    offset = 0  # file offset of buffer[0]
    number = 0
    eof = False
    while True:
        if not eof and len(buffer) < _MAX_RECORD + 1:
            block = fh.read(_BLOCK)
            eof = not block
            buffer += block
        stripped = buffer.lstrip(b" \t\r\n\x00\x1a")  # padding and newlines between records
        offset += len(buffer) - len(stripped)
        buffer = stripped
        if not buffer:
            if eof:
                return
            continue
        end = _record_end(buffer)
        if end is None:
            if not eof and len(buffer) <= _MAX_RECORD:
                continue  # the record goes on in the next block
            end = len(buffer)
        chunk, buffer = buffer[:end], buffer[end:]
        number += 1
        position = f"{name} #{number} (byte {offset})"
        offset += end
        try:
            yield RawRecord(chunk, ISO2709, parse_iso2709(chunk), position)
        except RecordError as exc:
            yield RecordProblem(position, str(exc), _control_001(chunk), excerpt(chunk))


def _record_end(buffer: bytes) -> int | None:
    """Where the first record in the buffer ends, or None when it is not all there yet."""
    head = buffer[:5]
    if head.isdigit():
        length = int(head)
        if 24 < length <= len(buffer) and buffer[length - 1] == RECORD_END:
            return length
    terminator = buffer.find(bytes([RECORD_END]))
    return None if terminator < 0 else terminator + 1


def _control_001(chunk: bytes) -> str:
    """The 001 of a broken record when it can still be found, for the reject list."""
    try:
        base = int(chunk[12:17])
        directory = chunk[24 : base - 1]
        for i in range(0, len(directory), 12):
            if directory[i : i + 3] == b"001":
                start = base + int(directory[i + 7 : i + 12])
                length = int(directory[i + 3 : i + 7])
                return chunk[start : start + length - 1].decode("ascii").strip()
    except (ValueError, UnicodeDecodeError):
        pass
    return ""


def read_marcxml(fh: BinaryIO, name: str) -> Iterator[RawRecord | RecordProblem]:
    """Stream <record> elements of a MARCXML collection (or a lone record), namespaced or not."""
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
            try:
                record = parse_marcxml(element)
            except RecordError as exc:
                data = marcxml_element_bytes(element)
                yield RecordProblem(position, str(exc), marcxml_001(element), excerpt(data))
            else:
                yield RawRecord(marcxml_element_bytes(element), MARCXML, record, position)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        yield RecordProblem(
            f"{name} (line {exc.lineno})",
            f"XML is not well-formed, the rest of the file is lost: {exc.msg}",
        )
