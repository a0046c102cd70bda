"""The demo catalogue: reproducible, readable, broken where meant, and true to truth.tsv."""

from __future__ import annotations

import csv
import dataclasses
import random
from collections import defaultdict
from pathlib import Path

import pymarc
import pytest
from lxml import etree
from stdnum import isbn

from libnet.demo import DEMO_LIBRARIES, DemoLibrary, DemoSummary, generate, to_marc8
from libnet.demo.standard_numbers import Numbers

MARC_NS = "http://www.loc.gov/MARC21/slim"
TITLES = 300
SPELL_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                           "ß": "ss"})  # fmt: skip

Read = tuple[pymarc.Record | None, str | None]  # a record, or None and why it is broken


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoSummary]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, titles=TITLES, seed=1)


def iso_problem(chunk: bytes) -> str | None:
    """Why one ISO 2709 record (leader to 0x1D) is broken, or None."""
    if int(chunk[:5]) != len(chunk):
        return "leader length is wrong"
    base = int(chunk[12:17])
    directory = chunk[24 : base - 1]
    for i in range(0, len(directory), 12):
        length, start = int(directory[i + 3 : i + 7]), int(directory[i + 7 : i + 12])
        if base + start + length > len(chunk) - 1:
            return "directory points past the end"
    reader = pymarc.MARCReader(chunk, permissive=True, to_unicode=True)
    record = next(reader)
    if record is None:
        return f"pymarc: {reader.current_exception!r}"
    return None if record.get_fields("001") else "no 001"


def read_iso(path: Path) -> list[Read]:
    # resynchronise on the record terminator: a wrong length must cost one record only
    reads: list[Read] = []
    for raw in path.read_bytes().split(b"\x1d")[:-1]:
        chunk = raw + b"\x1d"
        problem = iso_problem(chunk)
        record = None if problem else next(pymarc.MARCReader(chunk, to_unicode=True))
        reads.append((record, problem))
    return reads


def xml_problem(element: etree._Element) -> str | None:
    tags = []
    for child in element:
        qname = etree.QName(child)
        if qname.namespace != MARC_NS or qname.localname not in (
            "leader", "controlfield", "datafield"
        ):  # fmt: skip
            return f"unexpected element <{qname.localname}>"
        if child.get("tag") is None and qname.localname != "leader":
            return "field without tag"
        tags.append(child.get("tag"))
    return None if "001" in tags else "no 001"


def xml_record(element: etree._Element) -> pymarc.Record:
    record = pymarc.Record()
    for child in element:
        name = etree.QName(child).localname
        if name == "leader":
            record.leader = pymarc.Leader(child.text)
        elif name == "controlfield":
            record.add_field(pymarc.Field(child.get("tag"), data=child.text))
        else:
            indicators = pymarc.Indicators(child.get("ind1"), child.get("ind2"))
            subfields = [pymarc.Subfield(s.get("code"), s.text or "") for s in child]
            record.add_field(pymarc.Field(child.get("tag"), indicators, subfields))
    return record


def read_xml(path: Path) -> list[Read]:
    reads: list[Read] = []
    for _event, element in etree.iterparse(str(path), tag=f"{{{MARC_NS}}}record"):
        problem = xml_problem(element)
        reads.append((None if problem else xml_record(element), problem))
    return reads


def read_library(out: Path, lib: DemoLibrary) -> list[Read]:
    reader = read_xml if lib.syntax == "marcxml" else read_iso
    return [read for path in sorted((out / lib.code).iterdir()) for read in reader(path)]


def good_records(out: Path, lib: DemoLibrary) -> list[pymarc.Record]:
    return [record for record, _problem in read_library(out, lib) if record is not None]


def truth(out: Path) -> dict[tuple[str, str], tuple[str, str]]:
    with (out / "truth.tsv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {(r["library"], r["local_id"]): (r["edition_id"], r["work_id"]) for r in rows}


def by_edition(out: Path) -> dict[str, list[tuple[str, pymarc.Record]]]:
    editions = truth(out)
    grouped: dict[str, list[tuple[str, pymarc.Record]]] = defaultdict(list)
    for lib in DEMO_LIBRARIES:
        for record in good_records(out, lib):
            grouped[editions[(lib.code, record["001"].data)][0]].append((lib.code, record))
    return grouped


def all_bytes(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_writes_identical_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", titles=TITLES, seed=7)
    generate(tmp_path / "b", titles=TITLES, seed=7)
    generate(tmp_path / "c", titles=TITLES, seed=8)
    first = all_bytes(tmp_path / "a")
    assert first == all_bytes(tmp_path / "b")
    assert first != all_bytes(tmp_path / "c")


def test_files_are_laid_out_per_library(demo: tuple[Path, DemoSummary]) -> None:
    out, summary = demo
    expected = [
        out / lib.code / f"{lib.code}-0001.{'xml' if lib.syntax == 'marcxml' else 'mrc'}"
        for lib in DEMO_LIBRARIES
    ]
    assert list(summary.files) == expected
    assert (
        (out / "truth.tsv")
        .read_text(encoding="utf-8")
        .startswith("library\tlocal_id\tedition_id\twork_id\n")
    )


def test_good_records_are_exactly_those_in_truth_and_broken_ones_are_counted(
    demo: tuple[Path, DemoSummary],
) -> None:
    out, summary = demo
    good, broken = set(), 0
    for lib in DEMO_LIBRARIES:
        reads = read_library(out, lib)
        assert len(reads) == summary.per_library[lib.code]
        ids = [record["001"].data for record, _ in reads if record is not None]
        assert len(ids) == len(set(ids)), f"{lib.code}: a local id twice"
        good |= {(lib.code, local_id) for local_id in ids}
        broken += sum(1 for record, _ in reads if record is None)
    assert good == set(truth(out))
    assert broken == summary.broken
    assert summary.records == len(good) + broken
    assert 2.0 < len(good) / TITLES < 3.0  # about 2.5 holding libraries per edition


def test_every_library_has_a_broken_record_and_reading_goes_on_after_it(
    demo: tuple[Path, DemoSummary],
) -> None:
    out, _summary = demo
    problems = set()
    for lib in DEMO_LIBRARIES:
        reads = read_library(out, lib)
        first_broken = next(i for i, (record, _) in enumerate(reads) if record is None)
        assert any(record is not None for record, _ in reads[first_broken + 1 :]), lib.code
        problems |= {problem.split(":")[0] for _, problem in reads if problem}
    expected = {"leader length is wrong", "directory points past the end", "no 001", "pymarc",
                "field without tag", "unexpected element <div>"}  # fmt: skip
    assert expected <= problems


def test_marcxml_files_are_well_formed(demo: tuple[Path, DemoSummary]) -> None:
    _out, summary = demo
    for path in summary.files:
        if path.suffix == ".xml":
            root = etree.parse(str(path)).getroot()
            assert root.tag == f"{{{MARC_NS}}}collection"


def test_shared_editions_differ_in_isbn_form_and_umlaut_spelling(
    demo: tuple[Path, DemoSummary],
) -> None:
    out, _summary = demo
    shared = {e: recs for e, recs in by_edition(out).items() if len({c for c, _ in recs}) > 1}
    assert len(shared) > TITLES // 4
    isbn_lengths, spelt_pairs = set(), 0
    for records in shared.values():
        lengths = set()
        for _code, record in records:
            for field in record.get_fields("020"):
                digits = "".join(ch for ch in field["a"].split(" ")[0] if ch.isalnum())
                lengths.add(len(digits))
        if {10, 13} <= lengths:
            isbn_lengths.add(frozenset(lengths))
        names = {record["100"]["a"] for _code, record in records if record.get_fields("100")}
        spelt_pairs += any(n != n.translate(SPELL_OUT) and n.translate(SPELL_OUT) in names
                           for n in names)  # fmt: skip
    assert isbn_lengths, "no edition written as ISBN-10 in one library and ISBN-13 in another"
    assert spelt_pairs, "no edition with Müller in one library and Mueller in another"


def test_formats_children_and_deduplication_traps_are_present(
    demo: tuple[Path, DemoSummary],
) -> None:
    out, _summary = demo
    editions = truth(out)
    kinds, children, total = set(), 0, 0
    work_carriers: dict[str, set[str]] = defaultdict(set)
    title_works: dict[str, set[str]] = defaultdict(set)
    series_volumes: dict[str, set[str]] = defaultdict(set)
    for lib in DEMO_LIBRARIES:
        for record in good_records(out, lib):
            edition, work = editions[(lib.code, record["001"].data)]
            f008, carrier = record["008"].data, record["338"]["b"]
            kind = {"nc": "book", "cr": "ebook", "vd": "dvd"}.get(carrier, record.leader[6])
            kinds.add(kind)
            assert len(f008) == 40 and len(str(record.leader)) == 24
            if kind == "ebook":
                assert f008[23] == "o" and record["007"].data.startswith("cr")
                assert record.get_fields("856")
            if kind == "i":
                assert record["336"]["b"] == "spw" and record["007"].data.startswith("sd")
            if kind == "dvd":
                assert record.leader[6] == "g" and record["007"].data.startswith("vd")
            children += f008[22] == "j"
            total += 1
            work_carriers[work].add(kind)
            title_works[record["245"]["a"].rstrip(" :/=.")].add(work)
            for series in record.get_fields("490"):
                series_volumes[series["a"].rstrip(" ;")].add(edition)
    assert {"book", "ebook", "i", "dvd"} <= kinds  # i: audiobooks
    assert children / total > 0.15
    assert any(len(carriers) > 1 for carriers in work_carriers.values())
    assert any(len(works) > 1 for works in title_works.values())
    assert any(len(volumes) > 1 for volumes in series_volumes.values())


def test_koha_libraries_have_952_items_and_the_others_924(
    demo: tuple[Path, DemoSummary],
) -> None:
    out, _summary = demo
    for lib in DEMO_LIBRARIES:
        barcodes = set()
        for record in good_records(out, lib):
            if lib.holdings == "koha":
                items = record.get_fields("952")
                assert items and not record.get_fields("924")
                assert {item["a"] for item in items} == {lib.code}
                barcodes |= {item["p"] for item in items}
                assert all(item["7"] in ("0", "1") and item["1"] in ("0", "1") for item in items)
            else:
                items = record.get_fields("924")
                assert items and not record.get_fields("952")
                assert {item["b"] for item in items} == {lib.isil}
                assert all(item["d"] in "abcde" and item["g"] for item in items)
        if lib.holdings == "koha":
            assert len(barcodes) == sum(len(r.get_fields("952")) for r in good_records(out, lib))


def test_marc8_records_decode_to_the_same_text_as_their_utf8_twins(tmp_path: Path) -> None:
    dorsten = next(lib for lib in DEMO_LIBRARIES if lib.encoding == "marc-8")
    twin = dataclasses.replace(dorsten, encoding="utf-8")
    generate(tmp_path / "marc8", titles=TITLES, libraries=(dorsten,))
    generate(tmp_path / "utf8", titles=TITLES, libraries=(twin,))
    marc8 = good_records(tmp_path / "marc8", dorsten)
    utf8 = good_records(tmp_path / "utf8", twin)
    assert marc8
    assert {r.leader[9] for r in marc8} == {" "}
    for a, b in zip(marc8, utf8, strict=True):
        assert [str(f) for f in a.fields] == [str(f) for f in b.fields]
    text = " ".join(str(f) for r in marc8 for f in r.fields)
    assert {"ä", "ö", "ü", "ß"} <= set(text)
    raw = (tmp_path / "marc8" / "dorsten" / "dorsten-0001.mrc").read_bytes()
    assert b"\xe8u" in raw and "ü".encode() not in raw  # ANSEL: the diaeresis, then the u


def test_to_marc8_puts_diacritics_before_the_letter() -> None:
    assert to_marc8("Müller, Groß, Hélène") == b"M\xe8uller, Gro\xc7, H\xe2el\xe1ene"
    assert pymarc.marc8_to_unicode(to_marc8("Şahin Öztürk, Françoise")) == "Şahin Öztürk, Françoise"


def test_files_are_split_at_records_per_file(tmp_path: Path) -> None:
    summary = generate(tmp_path, titles=TITLES, records_per_file=20)
    for lib in DEMO_LIBRARIES:
        files = [p for p in summary.files if p.parent.name == lib.code]
        reader = read_xml if lib.syntax == "marcxml" else read_iso
        counts = [len(reader(path)) for path in files]
        assert [p.name[-8:-4] for p in files] == [f"{n:04d}" for n in range(1, len(files) + 1)]
        assert counts[:-1] == [20] * (len(files) - 1) and 0 < counts[-1] <= 20
        assert sum(counts) == summary.per_library[lib.code]


def test_a_smaller_rerun_leaves_no_stale_files(tmp_path: Path) -> None:
    generate(tmp_path, titles=TITLES, records_per_file=20)
    summary = generate(tmp_path, titles=TITLES)
    on_disk = {p for p in tmp_path.rglob("*-0*") if p.is_file()}
    assert on_disk == set(summary.files)


def test_without_broken_records_the_same_records_are_all_intact(tmp_path: Path) -> None:
    with_broken = generate(tmp_path / "with", titles=TITLES)
    without = generate(tmp_path / "without", titles=TITLES, broken=False)
    assert without.broken == 0 and without.records == with_broken.records
    assert len(truth(tmp_path / "without")) == without.records
    assert set(truth(tmp_path / "with")) < set(truth(tmp_path / "without"))


def test_marcxml_in_marc8_is_refused(tmp_path: Path) -> None:
    wrong = dataclasses.replace(DEMO_LIBRARIES[1], encoding="marc-8")
    with pytest.raises(ValueError, match="MARC-8"):
        generate(tmp_path, titles=10, libraries=(wrong,))


def test_isbn_ranges_last_for_a_million_records() -> None:
    """bench/search.py --records 1000000 makes about 400,000 editions, 8,000 of them Bloomsbury's.

    Its first prefix (1-4088) ran out after about 6,600; the next ones follow it.
    """
    numbers = Numbers(random.Random(1))
    made = [numbers.isbn("bloomsbury") for _ in range(15_000)]
    assert len({number for number, _, _ in made}) == len(made)
    assert all(isbn.is_valid(number) for number, _, _ in made)
    assert {number[:8] for number, _, _ in made} == {"97814088", "97814729", "97815266"}
    assert {publisher for _, _, publisher in made} == {"bloomsbury"}
