"""The volumes of a multi-volume work in the union index: the cluster document, the hit, the
title sort and the search for all volumes of a work."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from index.document import cluster_doc
from index.search import UnionIndex, result_json
from index.writer import _fields
from libnet.records.bib import normalise
from tests.builders import book

MUSIL = "Der Mann ohne Eigenschaften"


def volume(cluster_id: int, number: str, part: str = "", title: str = MUSIL):
    record = book(f"m{cluster_id}", title, author="Musil, Robert", isbn="", volume=number,
                  part=part)  # fmt: skip
    return cluster_doc(cluster_id, [normalise(record, "marl")])


@pytest.fixture
def catalogue(tmp_path: Path) -> UnionIndex:
    union = UnionIndex(tmp_path / "index")
    union.write([
        volume(1, "Band 10"),
        volume(2, "Band 2", "Aus dem Nachlass"),
        volume(3, "Band 1"),
        volume(4, "", title=f"Über den {MUSIL}"),
        volume(5, "", title="Der Mann"),
    ])  # fmt: skip
    return union


def test_the_cluster_document_keeps_the_volume_and_its_title() -> None:
    doc = volume(2, "Band 2", "Aus dem Nachlass")
    assert (doc.title, doc.volume, doc.part) == (MUSIL, "Band 2", "Aus dem Nachlass")


def test_hits_and_the_stored_document_carry_the_volume(catalogue: UnionIndex) -> None:
    hit = catalogue.search("nachlass").hits[0]  # the volume's own title is searched
    assert (hit.id, hit.volume, hit.part) == (2, "Band 2", "Aus dem Nachlass")
    assert result_json(catalogue.search("nachlass"))["hits"][0]["volume"] == "Band 2"
    doc = catalogue.get(2)
    assert doc is not None and (doc.volume, doc.part) == ("Band 2", "Aus dem Nachlass")


def test_the_title_sort_orders_a_works_volumes_by_number(catalogue: UnionIndex) -> None:
    hits = catalogue.search("mann", sort="title").hits
    assert [(hit.title, hit.volume) for hit in hits] == [
        ("Der Mann", ""),
        (MUSIL, "Band 1"),
        (MUSIL, "Band 2"),
        (MUSIL, "Band 10"),
        (f"Über den {MUSIL}", ""),
    ]


def test_all_volumes_is_the_exact_title_proper_in_volume_order(catalogue: UnionIndex) -> None:
    hits = catalogue.search(f'work:"{MUSIL}"', sort="title").hits
    assert [hit.volume for hit in hits] == ["Band 1", "Band 2", "Band 10"]


def test_a_document_indexed_before_volumes_reads_with_none(tmp_path: Path) -> None:
    union = UnionIndex(tmp_path / "index")
    old = volume(7, "Band 3")
    values = _fields(old)
    stored = json.loads(values["doc"])
    del stored["volume"], stored["part"]  # what an older libnet stored
    values["doc"] = json.dumps(stored)
    writer = union._index.writer()
    writer.add_document(**values)
    writer.commit()
    doc = union.get(7)
    assert doc is not None and (doc.title, doc.volume, doc.part) == (MUSIL, "", "")
    hit = union.search("eigenschaften").hits[0]
    assert (hit.id, hit.volume) == (7, "") and asdict(hit)["part"] == ""
