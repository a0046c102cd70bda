"""Harvesting by SRU: from a real Zebra, from a misbehaving server and from recorded answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pymarc
import pytest

from harvesters.errors import SourceError
from harvesters.marc_files import read_marc_file
from harvesters.sru import SruSource
from libnet.config import SourceConfig
from libnet.records.harvested import RawRecord, RecordProblem
from libnet.records.marc import parse_marcxml_bytes
from tests.harvesters.conftest import Catalogue, catalogue_records
from tests.peers.http_faults import (
    Answer,
    FaultServer,
    marcxml_record,
    sru_catalogue,
    sru_endless,
    sru_page,
    sru_stuck_on_first_page,
    surrogate_diagnostic,
)

NOW = datetime(2024, 10, 1, 6, 30, tzinfo=UTC)
INCREMENTAL = "rec.lastModificationDate>={since}"


def sru(url: str, **settings) -> SourceConfig:
    settings = {"retries": 0, "backoff": 0.0, "timeout": 5.0, **settings}
    return SourceConfig(type="sru", url=url, **settings)


def harvest(source: SruSource) -> tuple[list[RawRecord], list[RecordProblem]]:
    items = list(source)
    good = [i for i in items if isinstance(i, RawRecord)]
    return good, [i for i in items if isinstance(i, RecordProblem)]


def ids(records: list[RawRecord]) -> list[str]:
    return [r.record["001"].data for r in records]


# --- a real Zebra -------------------------------------------------------------------------------


@pytest.mark.zebra
@pytest.mark.parametrize("version", ["1.1", "1.2", "2.0"])
@pytest.mark.parametrize("page_size", [100, 7, 1000])
def test_a_full_harvest_pages_through_every_record_once(
    zebra_catalogue: Catalogue, version: str, page_size: int
) -> None:
    source = SruSource(sru(zebra_catalogue.url, version=version, page_size=page_size), now=NOW)
    good, bad = harvest(source)
    assert bad == []
    assert sorted(ids(good)) == [r["001"].data for r in zebra_catalogue.records]
    assert source.expected == 250
    assert source.snapshot is True
    assert source.cursor == "20241001"


@pytest.mark.zebra
def test_harvested_records_are_the_indexed_records_field_for_field(
    zebra_catalogue: Catalogue,
) -> None:
    good, _ = harvest(SruSource(sru(zebra_catalogue.url, page_size=50), now=NOW))
    by_id = {r.record["001"].data: r for r in good}
    for original in zebra_catalogue.records[:20]:
        harvested = by_id[original["001"].data]
        assert harvested.syntax == "marcxml"
        assert harvested.record.as_marc() == original.as_marc()
        assert parse_marcxml_bytes(harvested.data).as_marc() == original.as_marc()
        assert harvested.data.startswith(b'<record xmlns="http://www.loc.gov/MARC21/slim"')
        assert b"zing" not in harvested.data  # nothing of the SRU envelope is kept
    assert by_id["kr0007"].record["100"]["a"] == "Müller, Jörg 7"


@pytest.mark.zebra
def test_an_incremental_harvest_gets_only_records_changed_on_or_after_the_date(
    zebra_catalogue: Catalogue,
) -> None:
    config = sru(zebra_catalogue.url, incremental_query=INCREMENTAL, page_size=30)
    source = SruSource(config, since="20240601", now=NOW)
    good, bad = harvest(source)
    wanted = [r["001"].data for r in zebra_catalogue.records if r["005"].data >= "20240601"]
    assert bad == []
    assert len(wanted) == 98
    assert sorted(ids(good)) == wanted
    assert source.snapshot is False
    assert source.expected == 98
    assert source.cursor == "20241001"


@pytest.mark.zebra
def test_without_an_incremental_query_every_harvest_is_full(zebra_catalogue: Catalogue) -> None:
    source = SruSource(sru(zebra_catalogue.url, page_size=500), since="20240601", now=NOW)
    good, _ = harvest(source)
    assert len(good) == 250
    assert source.snapshot is True


@pytest.mark.zebra
def test_a_record_changed_after_a_harvest_comes_with_the_next_incremental_harvest(
    zebra,
) -> None:
    records = catalogue_records(30)
    server = zebra({"catalogue.xml": records})
    config = sru(server.url, incremental_query=INCREMENTAL, page_size=10)
    first = SruSource(config, now=datetime(2024, 3, 1, tzinfo=UTC))
    assert len(harvest(first)[0]) == 30
    changed = records[4]
    changed["005"].data = "20240302090000.0"
    changed["245"]["a"] = "Stadtgeschichte Band 5, verbessert"
    server.put("catalogue.xml", records)
    second = SruSource(config, since=first.cursor, now=datetime(2024, 3, 3, tzinfo=UTC))
    good, _ = harvest(second)
    assert ids(good) == ["kr0005"]
    assert good[0].record["245"]["a"] == "Stadtgeschichte Band 5, verbessert"
    assert second.cursor == "20240303"


@pytest.mark.zebra
def test_records_indexed_from_iso2709_are_harvested_as_marcxml(zebra) -> None:
    records = catalogue_records(12)
    server = zebra({"export.mrc": records})
    good, bad = harvest(SruSource(sru(server.url, page_size=5), now=NOW))
    assert bad == []
    assert sorted(ids(good)) == [r["001"].data for r in records]
    assert good[0].record["100"]["a"].startswith("Müller, Jörg")


@pytest.mark.zebra
def test_a_query_that_finds_nothing_is_a_clean_empty_harvest(zebra_catalogue: Catalogue) -> None:
    source = SruSource(sru(zebra_catalogue.url, query="dc.title=Kochbuch"), now=NOW)
    assert list(source) == []
    assert source.expected == 0
    assert source.cursor == "20241001"


@pytest.mark.zebra
def test_bad_cql_fails_with_the_servers_diagnostic(zebra_catalogue: Catalogue) -> None:
    source = SruSource(sru(zebra_catalogue.url, query="dc.title=("))
    with pytest.raises(SourceError, match=r"SRU diagnostic 10 \(Query syntax error\)"):
        list(source)


@pytest.mark.zebra
@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_an_unknown_index_fails_with_the_servers_diagnostic(
    zebra_catalogue: Catalogue, version: str
) -> None:
    source = SruSource(sru(zebra_catalogue.url, version=version, query="dc.shelf=Rom"))
    with pytest.raises(SourceError, match=r"SRU diagnostic 16 \(Unsupported index\)"):
        list(source)
    assert source.cursor is None


@pytest.mark.zebra
def test_a_record_schema_the_server_does_not_know_fails_with_its_diagnostic(
    zebra_catalogue: Catalogue,
) -> None:
    source = SruSource(sru(zebra_catalogue.url, record_schema="dc"))
    with pytest.raises(SourceError, match=r"SRU diagnostic 66 \(Unknown schema for retrieval\)"):
        list(source)


# --- a misbehaving server -----------------------------------------------------------------------


def books(count: int, prefix: str = "b") -> list[bytes]:
    return [marcxml_record(f"{prefix}{n}", f"Buch {n}") for n in range(1, count + 1)]


def test_every_request_asks_for_a_page_size_and_marcxml_unescaped(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(sru_catalogue(books(5)))
    list(SruSource(sru(fault_server.url, page_size=2, version="1.1")))
    first, *_, last = fault_server.requests
    assert len(fault_server.requests) == 3
    assert first == {"operation": "searchRetrieve", "version": "1.1",
                     "query": "cql.allRecords=1", "recordSchema": "marcxml",
                     "startRecord": "1", "maximumRecords": "2", "recordPacking": "xml"}  # fmt: skip
    assert last["startRecord"] == "5"
    fault_server.answer(sru_catalogue(books(5), version="2.0"))
    list(SruSource(sru(fault_server.url, version="2.0")))
    assert fault_server.requests[0]["recordXMLEscaping"] == "xml"
    assert "recordPacking" not in fault_server.requests[0]


def test_a_server_that_sends_the_first_page_again_and_again_is_stopped(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(sru_stuck_on_first_page(books(10), total=100))
    source = SruSource(sru(fault_server.url, page_size=10))
    with pytest.raises(SourceError, match=r"paging does not advance: page 2 repeats .* page 1"):
        list(source)
    assert len(fault_server.requests) == 2


def test_a_page_without_records_before_the_end_stops_the_harvest(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(Answer(sru_page(books(10), 100)), Answer(sru_page([], 100)))
    with pytest.raises(SourceError, match=r"paging does not advance: page 2 \(startRecord 11\)"):
        list(SruSource(sru(fault_server.url, page_size=10)))


def test_a_record_count_that_jumps_between_pages_stops_the_harvest(
    fault_server: FaultServer,
) -> None:
    page_two = [marcxml_record(f"c{n}") for n in range(11, 21)]
    fault_server.answer(Answer(sru_page(books(10), 100)), Answer(sru_page(page_two, 5000)))
    with pytest.raises(SourceError, match="numberOfRecords went from 100 to 5000"):
        list(SruSource(sru(fault_server.url, page_size=10)))


def test_a_server_whose_pages_never_end_is_stopped_after_max_pages(
    fault_server: FaultServer,
) -> None:
    fault_server.answer(sru_endless(page_size=5))
    source = SruSource(sru(fault_server.url, page_size=5, max_pages=4))
    with pytest.raises(SourceError, match="paging does not advance: more than 4 pages"):
        list(source)
    assert len(fault_server.requests) == 4
    assert source.expected == 10**9


def test_a_broken_record_is_reported_and_the_others_of_its_page_kept(
    fault_server: FaultServer,
) -> None:
    pages = [*books(2), marcxml_record("x9", leader="00000nam"), *books(3, prefix="c")]
    fault_server.answer(sru_catalogue(pages))
    good, bad = harvest(SruSource(sru(fault_server.url, page_size=4)))
    assert ids(good) == ["b1", "b2", "c1", "c2", "c3"]
    assert [(p.position, p.local_id) for p in bad] == [("page 1 record 3 (startRecord 1)", "x9")]
    assert "leader has 8 characters" in bad[0].reason
    assert "00000nam" in bad[0].excerpt


def test_a_surrogate_diagnostic_in_place_of_a_record_is_reported(
    fault_server: FaultServer,
) -> None:
    page = [books(1)[0], surrogate_diagnostic(64, "Record temporarily unavailable", "kr17")]
    fault_server.answer(Answer(sru_page(page, 2)))
    good, bad = harvest(SruSource(sru(fault_server.url)))
    assert ids(good) == ["b1"]
    assert bad[0].position == "page 1 record 2 (startRecord 1)"
    assert bad[0].reason == "SRU diagnostic 64 (Record temporarily unavailable): kr17"


@pytest.mark.parametrize("version", ["1.2", "2.0"])
def test_records_sent_as_escaped_strings_are_read(fault_server: FaultServer, version: str) -> None:
    fault_server.answer(sru_catalogue(books(7), packing="string", version=version))
    good, bad = harvest(SruSource(sru(fault_server.url, page_size=3, version=version)))
    assert bad == []
    assert ids(good) == [f"b{n}" for n in range(1, 8)]


def test_dublin_core_records_mean_the_source_is_misconfigured(fault_server: FaultServer) -> None:
    dc = b'<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"/>'
    fault_server.answer(Answer(sru_page([dc], 1, schema="info:srw/schema/1/dc-v1.1")))
    with pytest.raises(SourceError, match=r"records are not MARCXML \(recordSchema 'info:srw/"):
        list(SruSource(sru(fault_server.url)))


@pytest.mark.parametrize("count", ["²", "9" * 4301, "-1", ""])
def test_a_number_of_records_that_is_no_number_fails_the_source(
    fault_server: FaultServer, count: str
) -> None:
    """Found by tests/fuzz: "²".isdigit() is true, but int("²") raises ValueError, and int()
    refuses a string of more than 4300 digits."""
    fault_server.answer(Answer(sru_page([], count, version="1.1")))
    with pytest.raises(SourceError, match="numberOfRecords is '"):
        list(SruSource(sru(fault_server.url)))


def test_an_answer_that_is_not_sru_fails(fault_server: FaultServer) -> None:
    fault_server.answer(Answer(b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'/>"))
    with pytest.raises(SourceError, match="not an SRU searchRetrieveResponse"):
        list(SruSource(sru(fault_server.url)))


def test_a_server_error_is_tried_again_before_the_harvest_goes_on(
    fault_server: FaultServer,
) -> None:
    catalogue = sru_catalogue(books(4))
    fault_server.answer(catalogue, Answer(status=503), catalogue)
    config = sru(fault_server.url, page_size=2, retries=2, backoff=0.01)
    good, _ = harvest(SruSource(config))
    assert ids(good) == ["b1", "b2", "b3", "b4"]
    assert [r["startRecord"] for r in fault_server.requests] == ["1", "3", "3"]


# --- recorded answers of real servers (shared corpus) -------------------------------------------


@pytest.mark.corpus
def test_a_recorded_answer_with_dublin_core_labelled_marcxml_is_refused(
    fault_server: FaultServer, corpus_dir: Path
) -> None:
    """The recorded answer says recordSchema marcxml but carries Dublin Core in recordData."""
    fault_server.serve_file(corpus_dir / "sru" / "sruthi-test_searchretrieve_slice.xml")
    with pytest.raises(SourceError, match=r"records are not MARCXML .*marcxml-v1\.1.* <dc>"):
        list(SruSource(sru(fault_server.url)))


@pytest.mark.corpus
def test_real_marcxml_records_served_over_sru_are_harvested_as_read_from_file(
    fault_server: FaultServer, corpus_dir: Path
) -> None:
    from_files = [
        item
        for path in sorted((corpus_dir / "marcxml").glob("*.xml"))
        for item in read_marc_file(path)
        if isinstance(item, RawRecord)
    ]
    fault_server.answer(sru_catalogue([r.data for r in from_files]))
    good, bad = harvest(SruSource(sru(fault_server.url, page_size=4)))
    assert bad == []
    assert len(good) == len(from_files) > 5
    for harvested, read in zip(good, from_files, strict=True):
        assert harvested.record.as_marc() == read.record.as_marc()
    assert all(isinstance(r.record, pymarc.Record) for r in good)
