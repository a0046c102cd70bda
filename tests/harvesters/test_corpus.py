"""The shared corpus of real records (LIBNET_CORPUS): every record stored or refused with a reason.

Each corpus file is harvested as a library of its own, since several files share record ids.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harvesters.run import harvest_all
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.store import RecordStore, open_store

# file -> (records stored, rejected, a reason every rejection names)
EXPECTED = {
    "marc21/pymarc-marc.dat": (20, 0, ""),
    "marc21/pymarc-test.dat": (10, 0, ""),
    "marc21/pymarc-one.dat": (1, 0, ""),
    "marc21/pymarc-alphatag.dat": (1, 0, ""),
    "marc21/pymarc-diacritic.dat": (1, 0, ""),
    "marc21/pymarc-multi_isbn.dat": (1, 0, ""),
    "marc21/pymarc-marc8.dat": (1, 0, ""),
    "marc21/pymarc-utf8_with_leader_flag.dat": (1, 0, ""),
    "marc21/pymarc-utf8_without_leader_flag.dat": (1, 0, ""),
    "marc21/pymarc-1251.dat": (0, 6, "neither UTF-8 nor MARC-8"),
    "marc21/pymarc-testunimarc.dat": (0, 1, "UNIMARC"),
    "marcxml/pymarc-batch.xml": (2, 0, ""),
    "marcxml/pymarc-utf8.xml": (1, 0, ""),
    "marcxml/recordmanager-marc1.xml": (1, 0, ""),
    "marcxml/recordmanager-marc3.xml": (1, 0, ""),
    "marcxml/recordmanager-marc_alt_script.xml": (1, 0, ""),
    "marcxml/recordmanager-marc_analytical.xml": (1, 0, ""),
    "marcxml/recordmanager-marc_geo.xml": (1, 0, ""),
    "marcxml/recordmanager-marc_links.xml": (1, 0, ""),
    "malformed/pymarc-bad_eacc_encoding.dat": (0, 1, "neither UTF-8 nor MARC-8"),
    "malformed/pymarc-bad_indicator.dat": (1, 0, ""),  # a field with tag "0 2" left out
    "malformed/pymarc-bad_marc8_escape.dat": (0, 1, "unknown escape sequence"),
    "malformed/pymarc-bad_subfield_code.dat": (0, 1, "record length"),
    "malformed/pymarc-bad_tag.xml": (0, 1, "leader has 17 characters"),
    "malformed/pymarc-utf8_errors.dat": (1, 0, ""),
    "malformed/pymarc-utf8_invalid.mrc": (1, 0, ""),  # a subfield without a code left out
    "malformed/recordmanager-marc-broken.xml": (0, 1, "longer than the 9999 bytes"),
}


def _code(name: str) -> str:
    return Path(name).stem.lower().replace("_", "-")[:40]


def harvest_corpus(corpus_dir: Path, data_dir: Path) -> tuple[Config, RecordStore]:
    """Every corpus file of EXPECTED harvested as a library of its own into a new store."""
    libraries = tuple(
        LibraryConfig(_code(name), name, SourceConfig("marc", str(corpus_dir / name)))
        for name in EXPECTED
    )
    config = Config(data_dir / "config.toml", StorageConfig(data_dir), libraries)
    store = open_store(config.storage.url, data_dir)
    reports = harvest_all(config, store)
    assert all(report.ok for report in reports), [r.error for r in reports if not r.ok]
    return config, store


@pytest.fixture(scope="module")
def harvested(corpus_dir: Path, tmp_path_factory) -> RecordStore:
    return harvest_corpus(corpus_dir, tmp_path_factory.mktemp("corpus"))[1]


@pytest.mark.parametrize("name", EXPECTED)
def test_every_record_is_stored_or_refused_with_its_reason(harvested: RecordStore, name) -> None:
    stored, rejected, reason = EXPECTED[name]
    run = harvested.runs(_code(name), limit=1)[0]
    assert (run.added, run.rejected) == (stored, rejected)
    for problem in harvested.rejects(run.id):
        assert reason in problem.reason
        assert problem.position.startswith(Path(name).name)


def test_the_bad_records_file_keeps_its_two_good_records_apart_from_the_broken(
    corpus_dir: Path,
) -> None:
    """pymarc's bad_records.mrc: 2 good records (without 001) among 6 broken ones."""
    from harvesters.marc_files import read_marc_file
    from libnet.records.harvested import RawRecord

    items = list(read_marc_file(corpus_dir / "malformed" / "pymarc-bad_records.mrc"))
    good = [item for item in items if isinstance(item, RawRecord)]
    assert len(items) == 8 and len(good) == 2
    assert [g.record.get("245").get("a") for g in good] == ["The pragmatic programmer : "] * 2


def test_every_stored_record_has_a_title_and_its_id(harvested: RecordStore) -> None:
    stored = list(harvested.iter_changes(0))
    assert len(stored) == sum(expected[0] for expected in EXPECTED.values())
    for record in stored:
        assert record.local_id and record.fields["local_id"] == record.local_id
        assert record.bib().title.strip(), record.local_id


def test_marc8_and_utf8_with_or_without_the_flag_decode_alike(harvested: RecordStore) -> None:
    titles = {
        code: harvested.get(code, "2").bib()
        for code in (
            "pymarc-marc8",
            "pymarc-utf8-with-leader-flag",
            "pymarc-utf8-without-leader-flag",
        )
    }
    assert len({(b.title, b.authors, b.publisher) for b in titles.values()}) == 1


def test_several_isbns_of_one_record_are_kept_as_isbn13(harvested: RecordStore) -> None:
    record = harvested.iter_changes(0)
    multi = next(r for r in record if r.library == "pymarc-multi-isbn").bib()
    assert len(multi.isbns) > 1
    assert all(len(isbn) == 13 and isbn.startswith("978") for isbn in multi.isbns)


def test_an_iso2709_record_is_kept_byte_for_byte(harvested: RecordStore, corpus_dir: Path) -> None:
    data = (corpus_dir / "marc21" / "pymarc-marc8.dat").read_bytes()
    assert harvested.get("pymarc-marc8", "2").raw == data.rstrip(b"\n")
