"""Every record of the shared corpus that pymarc's permissive reader keeps, libnet keeps too,
with the same fields, save those it reports as repaired or left out; unless the record's
structure or encoding is broken, which libnet refuses rather than guess."""

from __future__ import annotations

from pathlib import Path

import pymarc

from harvesters.marc_files import read_marc_file
from libnet.records.harvested import RawRecord, RecordProblem

# what libnet refuses where pymarc guesses: a broken structure or character set
BROKEN = (
    "neither UTF-8 nor MARC-8",
    "invalid UTF-8",
    "leader",
    "directory",
    "base address",
    "record terminator",
    "longer than the 9999 bytes",
    "which XML does not allow",
    "record has no fields",
    "record length",
)


def pymarc_records(path: Path) -> list[pymarc.Record | None]:
    if path.suffix == ".xml":
        try:
            return pymarc.parse_xml_to_array(str(path))
        except pymarc.exceptions.PymarcException:
            return []  # a file pymarc's XML reader gives up on keeps nothing
    data = path.read_bytes()
    try:  # unflagged but UTF-8 (libnet decides by the bytes; pymarc needs telling)
        utf8 = b"\x1b" not in data and bool(data.decode("utf-8"))
    except UnicodeDecodeError:
        utf8 = False
    with path.open("rb") as fh:
        return list(pymarc.MARCReader(fh, permissive=True, to_unicode=True, force_utf8=utf8))


def key(record: pymarc.Record) -> str:
    return str(record.get("001")) + str(record.get("245"))


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(
        p
        for p in corpus.glob("*/*")
        if p.suffix in (".dat", ".mrc", ".xml")
        and "sru" not in p.parts
        # UNIMARC: another format, refused when prepared; its MARC-8 non-sort marks differ
        and "unimarc" not in p.name
    )


def test_libnet_keeps_every_record_pymarc_keeps_unless_it_is_broken(corpus_dir: Path) -> None:
    for path in corpus_files(corpus_dir):
        theirs = [r for r in pymarc_records(path) if r is not None]
        ours = list(read_marc_file(path))
        kept = [r for r in ours if isinstance(r, RawRecord)]
        refused = [r.reason for r in ours if isinstance(r, RecordProblem)]
        assert all(any(word in reason for word in BROKEN) for reason in refused), (path, refused)
        assert len(kept) + len(refused) >= len(theirs), path
        by_key = {key(r.record): r for r in kept}
        for record in theirs:
            mine = by_key.get(key(record))
            if mine is None:
                continue  # refused for a broken structure or encoding (checked above)
            places = {repair.field for repair in mine.repairs}
            tags = {repair.tag for repair in mine.repairs}
            same = [
                str(f)
                for place, f in enumerate(record.fields, start=1)
                if place not in places and f.tag not in tags
            ]
            assert [str(f) for f in mine.record.fields if f.tag not in tags] == same, path
