"""Reading MARC export files: format by content, streaming, broken records reported."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from pymarc import Field, Indicators, Subfield

from harvesters.errors import SourceError
from harvesters.marc_files import MarcFiles, read_marc_file, split_marc_file
from libnet.records.harvested import RawRecord, RecordProblem
from libnet.records.marc import decode, parse_marcxml_bytes
from tests.builders import book, iso2709, marcxml, raw_book


def decoded(items):
    """What a harvest makes of a source's records: each decoded, or its problem."""
    return [item if isinstance(item, RecordProblem) else decode(item) for item in items]


def split(items):
    good = [i for i in items if isinstance(i, RawRecord)]
    bad = [i for i in items if isinstance(i, RecordProblem)]
    return good, bad


def ids(records: list[RawRecord]) -> list[str]:
    return [r.record.get("001").data for r in records]


def test_iso2709_records_are_read_with_their_exact_bytes(tmp_path: Path) -> None:
    data = iso2709(book("a1"), book("a2"), book("a3"))
    path = tmp_path / "export.mrc"
    path.write_bytes(data)
    good, bad = split(list(read_marc_file(path)))
    assert ids(good) == ["a1", "a2", "a3"] and not bad
    assert b"".join(r.data for r in good) == data
    assert good[1].position == f"export.mrc #2 (byte {len(good[0].data)})"


def test_the_format_is_recognised_by_content_not_by_name(tmp_path: Path) -> None:
    (tmp_path / "really-iso.xml").write_bytes(iso2709(book("i1")))
    (tmp_path / "really-xml.mrc").write_bytes(marcxml(book("x1"), book("x2")))
    good, bad = split(decoded(MarcFiles("*", tmp_path)))
    assert sorted(ids(good)) == ["i1", "x1", "x2"] and not bad
    assert {r.syntax for r in good} == {"iso2709", "marcxml"}


def test_marcxml_without_namespace_and_a_lone_record_are_read(tmp_path: Path) -> None:
    plain = marcxml(book("p1")).replace(b' xmlns="http://www.loc.gov/MARC21/slim"', b"")
    (tmp_path / "plain.xml").write_bytes(plain)
    lone = (
        b'<record xmlns="http://www.loc.gov/MARC21/slim">'
        + marcxml(book("l1")).split(b"<record>")[1].split(b"</collection>")[0]
    )
    (tmp_path / "lone.xml").write_bytes(lone)
    good, bad = split(decoded(MarcFiles("*.xml", tmp_path)))
    assert sorted(ids(good)) == ["l1", "p1"] and not bad


def test_a_broken_iso2709_record_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    first, second, third = (iso2709(book(f"b{i}")) for i in range(3))
    wrong_length = b"99999" + second[5:]  # the leader's length points past the file
    path = tmp_path / "broken.mrc"
    path.write_bytes(first + wrong_length + third + b"garbage without terminator")
    good, bad = split(list(read_marc_file(path)))
    assert ids(good) == ["b0", "b2"]
    assert len(bad) == 2
    assert bad[0].position.startswith("broken.mrc #2") and "length" in bad[0].reason
    assert bad[0].local_id == "b1"
    assert bad[1].position.startswith("broken.mrc #4")


def test_newlines_between_records_are_not_records(tmp_path: Path) -> None:
    path = tmp_path / "lines.mrc"
    path.write_bytes(iso2709(book("n1")) + b"\n" + iso2709(book("n2")) + b"\r\n\n")
    good, bad = split(list(read_marc_file(path)))
    assert ids(good) == ["n1", "n2"] and not bad


def test_invalid_utf8_in_a_utf8_record_is_rejected(tmp_path: Path) -> None:
    data = iso2709(book("u1", title="Gr\u00fcn"))
    bad_bytes = data.replace("Grün".encode(), b"Gr\xfcn ")  # latin-1 where UTF-8 belongs
    path = tmp_path / "latin1.mrc"
    path.write_bytes(bad_bytes + iso2709(book("u2")))
    good, bad = split(list(read_marc_file(path)))
    assert ids(good) == ["u2"]
    assert "invalid UTF-8" in bad[0].reason


def test_marc8_records_are_decoded(tmp_path: Path) -> None:
    raw = raw_book("m1", b"Gr\xe8un")  # MARC-8: the umlaut comes before its letter
    (tmp_path / "marc8.mrc").write_bytes(raw)
    good, bad = split(list(read_marc_file(tmp_path / "marc8.mrc")))
    assert not bad
    assert good[0].record.get("245").get("a") == "Grün"
    assert good[0].data == raw


def test_a_record_in_an_unknown_legacy_encoding_is_rejected(tmp_path: Path) -> None:
    raw = raw_book("c1", "Сказки".encode("cp1251"))  # 0xd1 is no MARC-8 character
    (tmp_path / "cp1251.mrc").write_bytes(raw)
    good, bad = split(list(read_marc_file(tmp_path / "cp1251.mrc")))
    assert not good and "neither UTF-8 nor MARC-8" in bad[0].reason


def test_xml_that_breaks_mid_file_keeps_the_records_before(tmp_path: Path) -> None:
    data = marcxml(book("x1"), book("x2")).replace(b"</collection>", b"<record><leader>")
    (tmp_path / "cut.xml").write_bytes(data)
    good, bad = split(list(read_marc_file(tmp_path / "cut.xml")))
    assert ids(good) == ["x1", "x2"]
    assert "the file ends inside a record" in bad[0].reason


def test_a_marcxml_record_with_a_bad_field_is_reported(tmp_path: Path) -> None:
    data = marcxml(book("y1"), book("y2"), book("y3"))
    data = data.replace(
        b'<datafield ind1="1" ind2=" " tag="100">', b'<datafield ind1="1" ind2=" ">', 1
    )
    (tmp_path / "badtag.xml").write_bytes(data)
    good, bad = split(list(read_marc_file(tmp_path / "badtag.xml")))
    assert ids(good) == ["y2", "y3"]
    assert bad[0].local_id == "y1" and "bad tag" in bad[0].reason


def test_a_file_that_is_not_marc_is_reported(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("Inventur 2026\n")
    good, bad = split(list(read_marc_file(tmp_path / "notes.txt")))
    assert not good and "not a MARC file" in bad[0].reason


def test_no_matching_file_fails_the_source(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no file matches"):
        list(MarcFiles("exports/*.mrc", tmp_path))


def test_reading_a_large_file_keeps_memory_flat(tmp_path: Path) -> None:
    record = book("r")
    record.add_field(
        Field(
            tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", "Inhalt " * 1200)]
        )
    )
    one = iso2709(record)
    path = tmp_path / "big.mrc"
    with path.open("wb") as fh:
        for _ in range(1_500):
            fh.write(one)
    tracemalloc.start()
    count = sum(1 for _ in read_marc_file(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 1_500
    assert path.stat().st_size > 10 * 2**20
    assert peak < 4 * 2**20  # two read blocks and one record, whatever the file's size


def test_a_broken_record_in_a_collection_costs_only_itself(tmp_path: Path) -> None:
    data = marcxml(book("z1"), book("z2"), book("z3"))
    data = data.replace(b'<subfield code="a">Kehlmann', b'<subfield code="a"><b>Kehlmann', 1)
    (tmp_path / "cut.xml").write_bytes(data)
    good, bad = split(list(read_marc_file(tmp_path / "cut.xml")))
    assert ids(good) == ["z2", "z3"]
    assert bad[0].position.startswith("cut.xml #1") and "not well-formed" in bad[0].reason


def test_prefixed_and_latin1_collections_are_read_and_stored_standalone(tmp_path: Path) -> None:
    body = marcxml(book("p1", title="Grün")).decode().split("<collection", 1)[1].split(">", 1)[1]
    body = body.replace("</collection>", "").replace("<", "<marc:").replace("<marc:/", "</marc:")
    latin1 = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<marc:collection xmlns:marc="http://www.loc.gov/MARC21/slim">'
        + body + "</marc:collection>\n"
    ).encode("latin-1")  # fmt: skip
    (tmp_path / "latin1.xml").write_bytes(latin1)
    good, bad = split(list(read_marc_file(tmp_path / "latin1.xml")))
    assert not bad and good[0].record.get("245").get("a") == "Grün"
    assert good[0].data.startswith(b'<marc:record xmlns:marc="http://www.loc.gov/MARC21/slim"')
    assert parse_marcxml_bytes(good[0].data).get("001").data == "p1"


@pytest.mark.parametrize(
    ("attribute", "kept_as_sent"),
    [
        ('xsi:schemaLocation="x"', False),
        ('xmlns:x = "urn:x"', False),
        ('type="Bibliographic"', True),
    ],
)
def test_a_record_with_a_prefixed_attribute_is_written_anew_and_one_without_kept_as_sent(
    tmp_path: Path, attribute: str, kept_as_sent: bool
) -> None:
    data = marcxml(book("a1", title="Zeit: eine Frage=Antwort http://x.de/?a=b"))
    data = data.replace(b"<record>", f"<record\n  {attribute}>".encode(), 1)
    data = data.replace(b"<collection", b'<collection xmlns:xsi="urn:xsi"', 1)
    (tmp_path / "attr.xml").write_bytes(data)
    cut = list(split_marc_file(tmp_path / "attr.xml"))
    good, bad = split([decode(item) for item in cut])
    assert not bad and ids(good) == ["a1"]
    assert (good[0].data == cut[0].data) is kept_as_sent


def test_a_collection_with_a_doctype_is_read_by_the_full_parser(tmp_path: Path) -> None:
    data = marcxml(book("d1")).replace(
        b"<collection", b'<!DOCTYPE collection [<!ENTITY ort "Reinbek">]>\n<collection', 1
    )
    (tmp_path / "doctype.xml").write_bytes(data)
    good, bad = split(list(read_marc_file(tmp_path / "doctype.xml")))
    assert ids(good) == ["d1"] and not bad
