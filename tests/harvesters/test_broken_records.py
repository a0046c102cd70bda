"""Broken records are refused at the door: by every reader, each with a reason in the run's rejects.

An entity reference nobody expanded, a character XML 1.0 forbids and invalid UTF-8 would be
stored as they came and then break the record's MARCXML (and, before, its pages). Each reader
(ISO 2709 and MARCXML files, SRU, OAI-PMH) refuses such a record, names the field and the
character, and keeps the good records of the same source.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harvesters.run import harvest_all
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.harvested import RecordProblem
from libnet.records.marc import MARC_NS
from libnet.store import RecordStore, open_store
from tests.builders import book, iso2709, raw_book
from tests.peers.http_faults import FaultServer, marcxml_record, sru_catalogue
from tests.peers.oai_faults import ScriptedServer, list_records, marc_record, repository

DTD = b'<!DOCTYPE collection [<!ENTITY foo "expanded elsewhere">]>\n'


def harvest(tmp_path: Path, code: str, source: SourceConfig) -> tuple[RecordStore, list[str]]:
    """Harvest one library; the store and the reasons of its run's rejects."""
    config = Config(
        tmp_path / "config.toml",
        StorageConfig(tmp_path / "var"),
        (LibraryConfig(code, code.title(), source),),
    )
    store = open_store(config.storage.url, config.storage.data_dir)
    (report,) = harvest_all(config, store)
    assert report.ok, report.error
    run = store.runs(code, limit=1)[0]
    return store, [problem.reason for problem in store.rejects(run.id)]


def stored_ids(store: RecordStore) -> list[str]:
    return sorted(record.local_id for record in store.iter_changes(0))


def marc_file(tmp_path: Path, name: str, data: bytes) -> SourceConfig:
    (tmp_path / name).write_bytes(data)
    return SourceConfig("marc", str(tmp_path / name))


def collection(*records: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog
        + f'<collection xmlns="{MARC_NS}">'.encode() + b"".join(records) + b"</collection>"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        (b"Glocke \x07 im Titel", "field 245 $a: character U+0007, which XML does not allow"),
        (b"Form\x0cfeed", "field 245 $a: character U+000C, which XML does not allow"),
        (b"Nicht\xef\xbf\xbeZeichen", "field 245 $a: character U+FFFE, which XML does not allow"),
        (b"Escape \x1b in UTF-8", "field 245 $a: character U+001B, which XML does not allow"),
        (b"Kaputt \xff UTF-8", "field 245: invalid UTF-8 (byte 0xff)"),
    ],
)
def test_an_iso2709_record_with_a_character_xml_forbids_is_a_reject_naming_field_and_character(
    tmp_path: Path, title: bytes, reason: str
) -> None:
    utf8 = "00000cam a2200000 i 4500"
    data = raw_book("bad", title, leader=utf8) + iso2709(book("good"))
    store, reasons = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.mrc", data))
    assert reasons == [reason]
    assert stored_ids(store) == ["good"]


def test_a_marc8_record_with_a_stray_control_character_is_refused_too(tmp_path: Path) -> None:
    marc8 = "00000cam  2200000 i 4500"
    data = raw_book("bad", b"M\xe8uller \x01 und", leader=marc8) + iso2709(book("good"))
    store, reasons = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.mrc", data))
    assert reasons == ["field 245 $a: character U+0001, which XML does not allow"]
    assert stored_ids(store) == ["good"]


def test_a_marcxml_file_with_a_dtd_has_its_unexpanded_entity_refused_by_field(
    tmp_path: Path,
) -> None:
    data = collection(
        marcxml_record("bad", "Vorher &foo; nachher"), marcxml_record("good"), prolog=DTD
    )
    store, reasons = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.xml", data))
    assert reasons == ["field 245 $a: unexpanded entity reference &foo;"]
    assert stored_ids(store) == ["good"]


def test_a_marcxml_file_with_an_undeclared_entity_refuses_that_record_only(
    tmp_path: Path,
) -> None:
    data = collection(marcxml_record("bad", "Vorher &foo; nachher"), marcxml_record("good"))
    store, reasons = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.xml", data))
    assert len(reasons) == 1 and "Entity 'foo' not defined" in reasons[0]
    assert stored_ids(store) == ["good"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b"Steuer\x02zeichen", "invalid Char value 2"),
        (b"Kaputt \xc3( UTF-8", "Invalid bytes in character encoding"),
    ],
)
def test_a_marcxml_file_with_a_forbidden_character_or_bad_utf8_refuses_that_record_only(
    tmp_path: Path, text: bytes, reason: str
) -> None:
    bad = marcxml_record("bad", "PLACEHOLDER").replace(b"PLACEHOLDER", text)
    data = collection(bad, marcxml_record("good"))
    store, reasons = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.xml", data))
    assert len(reasons) == 1 and reason in reasons[0]
    assert stored_ids(store) == ["good"]


def test_an_sru_answer_with_an_unexpanded_entity_has_that_record_refused(
    tmp_path: Path, fault_server: FaultServer
) -> None:
    records = [marcxml_record("good1"), marcxml_record("bad", "A &foo; B"), marcxml_record("good2")]
    page = sru_catalogue(records)

    def with_dtd(args: dict[str, str]):
        answer = page(args)
        body = answer.body.replace(b"?>\n", b"?>\n" + DTD.replace(b"collection", b"zs:x"), 1)
        return type(answer)(body)

    fault_server.answer(with_dtd)
    source = SourceConfig("sru", fault_server.url, retries=0, backoff=0.0, timeout=5.0)
    store, reasons = harvest(tmp_path, "herten", source)
    assert reasons == ["field 245 $a: unexpanded entity reference &foo;"]
    assert stored_ids(store) == ["good1", "good2"]


def test_an_oai_answer_with_an_unexpanded_entity_has_that_record_refused(
    tmp_path: Path, scripted_oai: Callable[..., ScriptedServer]
) -> None:
    def pages(args: dict[str, str]):
        answer = list_records(
            marc_record("oai:x:1", "Gut") + marc_record("oai:x:2", "A &foo; B")
            + marc_record("oai:x:3", "Auch gut")
        )  # fmt: skip
        dtd = DTD.replace(b"collection", b"OAI-PMH")
        return type(answer)(answer.body.replace(b"?>\n", b"?>\n" + dtd, 1))

    server = scripted_oai(repository(pages))
    source = SourceConfig("oai", server.url, retries=0, backoff=0.0, timeout=5.0)
    store, reasons = harvest(tmp_path, "dorsten", source)
    assert reasons == ["field 245 $a: unexpanded entity reference &foo;"]
    assert stored_ids(store) == ["oai:x:1", "oai:x:3"]


def test_the_reject_keeps_the_records_id_for_the_library(tmp_path: Path) -> None:
    data = raw_book("kaputt-17", b"Glocke \x07", leader="00000cam a2200000 i 4500")
    store, _ = harvest(tmp_path, "marl", marc_file(tmp_path, "marl.mrc", data))
    run = store.runs("marl", limit=1)[0]
    (problem,) = store.rejects(run.id)
    assert isinstance(problem, RecordProblem) and problem.local_id == "kaputt-17"
