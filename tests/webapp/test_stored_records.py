"""No stored record makes a page or an export answer 5xx: every record of the shared corpus
(LIBNET_CORPUS) and of the fuzzers' inputs, stored and indexed, through every page and export.

The harvest refuses a broken record today; a store may still hold one from before. So every
record is stored here even where the harvest would refuse it ("through the back door"): as
the reader decodes it, else with its bytes as they came and the fields of a stand-in book.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from harvesters.marc_files import split_marc_file
from index.update import update_index
from libnet import accounts
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.errors import RecordError
from libnet.records.bib import normalise
from libnet.records.harvested import ISO2709, MARCXML, RawRecord, RecordProblem
from libnet.records.marc import MARC_NS, marcxml_element_bytes, parse_stored
from libnet.records.prepare import Prepared, prepare
from libnet.store import clusters, open_store
from tests.builders import book, raw_book
from tests.fuzz.seeds import SEEDS
from tests.webapp.conftest import GENEROUS_LIMITS, STAFF_PASSWORD
from tests.webapp.test_login import log_in
from webapp import create_app
from webapp.limits import EXPORT_FORMATS
from webapp.oai.records import ID_PREFIX

ROOT = Path(__file__).resolve().parents[2]
SAVED_INPUTS = ROOT / "tests" / "artifacts" / "fuzz"  # what `make fuzz` grew; not in git
MAX_SAVED = 300  # saved inputs per fuzz target, to keep the walk within its half minute
FALLBACK = normalise(book("stand-in", "Ersatztitel"), "x", id_field="001")
# what a record made of nothing but an entity reference looked like in a store of last year
ENTITY_RECORD = (
    f'<record xmlns="{MARC_NS}"><leader>00000nam a2200000 a 4500</leader>'
    '<controlfield tag="001">entity</controlfield><datafield tag="245" ind1="0" ind2="0">'
    '<subfield code="a">Vorher &foo; nachher</subfield></datafield></record>'
).encode()


def _fuzz_inputs(target: str) -> Iterator[bytes]:
    yield from SEEDS[target]
    for folder in ("corpus", "crashes"):
        saved = sorted((SAVED_INPUTS / folder / target).glob("*"))[:MAX_SAVED]
        yield from (path.read_bytes() for path in saved if path.is_file())


def _xml_records(answer: bytes) -> Iterator[bytes]:
    """The MARCXML records inside an SRU or OAI-PMH answer, as a harvest would store them."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True)
    try:
        root = etree.fromstring(answer, parser)
    except etree.XMLSyntaxError:
        return
    if root is None:
        return
    for element in root.iter(f"{{{MARC_NS}}}record", "record"):
        if any(etree.QName(c).localname == "leader" for c in element if isinstance(c.tag, str)):
            yield marcxml_element_bytes(element)


def raw_inputs(corpus: Path | None, tmp: Path) -> Iterator[tuple[str, RawRecord]]:
    """(library, raw record) for every record of the corpus and of the fuzzers' inputs."""
    files: list[tuple[str, Path]] = []
    if corpus is not None:
        for path in sorted(corpus.rglob("*")):
            if path.suffix in (".dat", ".mrc", ".xml") and path.parent.name != "sru":
                files.append(("corpus", path))
            elif path.parent.name == "sru":
                for n, data in enumerate(_xml_records(path.read_bytes())):
                    yield "corpus", RawRecord(data, MARCXML, None, f"{path.name} #{n}")
    for n, data in enumerate(_fuzz_inputs("marc_file")):
        path = tmp / f"fuzz-{n}.mrc"
        path.write_bytes(data)
        files.append(("fuzz", path))
    for library, path in files:
        for item in split_marc_file(path):
            if isinstance(item, RawRecord):
                yield library, item
    for target, syntax in (("iso2709_record", ISO2709), ("marcxml_record", MARCXML)):
        for n, data in enumerate(_fuzz_inputs(target)):
            yield "fuzz", RawRecord(data, syntax, None, f"{target} #{n}")
    for target in ("sru_answer", "oai_answer"):
        for data in _fuzz_inputs(target):
            for n, record in enumerate(_xml_records(data)):
                yield "fuzz", RawRecord(record, MARCXML, None, f"{target} #{n}")
    yield "fuzz", RawRecord(ENTITY_RECORD, MARCXML, None, "entity")
    bell = raw_book("bell", b"Glocke \x07 im Titel", leader="00000cam a2200000 i 4500")
    yield "fuzz", RawRecord(bell, ISO2709, None, "bell")
    yield "fuzz", RawRecord(b"00042cam  2200000 i 4500\x1ekaputt\x1d", ISO2709, None, "broken")


def back_door(raw: RawRecord, library: LibraryConfig, local_id: str) -> Prepared:
    """The record as the store would keep it, whether or not the harvest refuses it now."""
    prepared = prepare(raw, library)
    data = raw.data if raw.context == b"" else b""
    if isinstance(prepared, Prepared) and not prepared.deleted:
        data = prepared.raw
    try:
        bib = normalise(parse_stored(data, raw.syntax), library.code, id_field="001")
    except RecordError:
        bib = FALLBACK
    fields = json.dumps(bib.to_dict() | {"local_id": local_id}, ensure_ascii=False)
    return Prepared(local_id, "", raw.syntax, data or b"-", local_id, fields)


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, list[int]]:
    tmp = tmp_path_factory.mktemp("stored-records")
    # without the shared corpus the walk takes the fuzzers' inputs alone
    corpus = Path(os.environ.get("LIBNET_CORPUS", ROOT.parent / "shared" / "corpus"))
    libraries = tuple(
        LibraryConfig(code, code.title(), SourceConfig("marc", str(tmp / "none")))
        for code in ("corpus", "fuzz")
    )
    # one client asks hundreds of pages: the rate limits would answer 429 and 503
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), libraries,
                    rate_limits=GENEROUS_LIMITS)  # fmt: skip
    by_code = {library.code: library for library in libraries}
    entries: dict[str, list[Prepared | RecordProblem]] = {"corpus": [], "fuzz": []}
    for n, (code, raw) in enumerate(raw_inputs(corpus if corpus.is_dir() else None, tmp)):
        entries[code].append(back_door(raw, by_code[code], f"{code}{n}"))
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        for code, prepared in entries.items():
            run = store.start_run(code, full=True)
            store.apply_harvest(run, code, prepared, snapshot=True, max_delete_share=1.0)
        update_index(store, config.storage.data_dir)
        total = sum(len(e) for e in entries.values())
        with store.engine.begin() as conn:
            cluster_ids = sorted(set(clusters.cluster_of(conn, range(1, total + 1)).values()))
            # the staff view is for staff: a librarian walks the pages
            accounts.add_user(conn, role="librarian", library="corpus", name="Team corpus",
                              password=STAFF_PASSWORD)  # fmt: skip
    finally:
        store.close()
    return create_app(config, TESTING=True), cluster_ids


def staff_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "Team corpus", STAFF_PASSWORD).status_code == 302
    return client


def urls(cluster_id: int) -> Iterator[str]:
    yield f"/record/{cluster_id}"
    yield f"/record/{cluster_id}/staff"
    yield f"/record/{cluster_id}/marc"
    for fmt in EXPORT_FORMATS:
        yield f"/record/{cluster_id}/export/{fmt}"
    yield f"/api/v1/records/{cluster_id}"
    for schema in ("marcxml", "dc"):
        yield f"/sru?query=rec.id%3D{cluster_id}&recordSchema={schema}"
    for prefix in ("marc21", "oai_dc"):
        yield f"/oai?verb=GetRecord&identifier={ID_PREFIX}{cluster_id}&metadataPrefix={prefix}"


def test_every_page_and_export_of_every_stored_record_answers_without_a_server_error(
    walked: tuple[Flask, list[int]],
) -> None:
    app, cluster_ids = walked
    assert len(cluster_ids) >= 10  # the fuzz seeds alone make more than 10; the corpus hundreds
    client = staff_client(app)
    failed = []
    for cluster_id in cluster_ids:
        for url in urls(cluster_id):
            answer = client.get(url)
            if answer.status_code >= 500:
                failed.append(f"{url}: {answer.status_code}")
            elif url.endswith("/marcxml") and answer.status_code == 200:
                etree.fromstring(answer.data)  # well-formed, whatever the record held
    assert failed == []


def test_a_stored_entity_reference_shows_as_text_and_exports_as_escaped_xml(
    walked: tuple[Flask, list[int]],
) -> None:
    app, cluster_ids = walked
    client = staff_client(app)
    for cluster_id in cluster_ids:
        export = client.get(f"/record/{cluster_id}/export/marcxml")
        if b"Vorher" in export.data:
            break
    else:
        raise AssertionError("the record with the entity reference is in no cluster")
    assert b"Vorher &amp;foo; nachher" in export.data
    etree.fromstring(export.data)  # well-formed
    staff = client.get(f"/record/{cluster_id}/staff?lang=en")
    assert staff.status_code == 200 and "Vorher &amp;foo; nachher" in staff.text
    assert client.get(f"/record/{cluster_id}/export/marc").status_code == 200
