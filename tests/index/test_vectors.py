"""The fast search path gives Whoosh's own answers: hits in order, totals, facet counts.

The catalogue is the demo data (a few hundred editions in eleven libraries), indexed, then
partly rewritten so the index has several segments and deleted documents, as after nightly
updates. Every query runs through search() and through Whoosh's own searcher
(tests/index/whoosh_reference.py).
"""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import select

from harvesters.run import harvest_all
from index.columns import sort_keys
from index.search import UnionIndex
from index.update import _documents, index_path, update_index
from index.vectors import Snapshot
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.demo import DEMO_LIBRARIES, generate
from libnet.store import open_store
from libnet.store.schema import cluster_members
from tests.index.whoosh_reference import search_with_whoosh

VARIANTS = (
    ({}, "relevance"),
    ({}, "year_desc"),
    ({}, "title"),
    ({"format": ["book"]}, "relevance"),
    ({"library": ["marl", "herten"]}, "year_asc"),
    ({"available": ["dorsten"], "language": ["ger"]}, "relevance"),
)


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> UnionIndex:
    tmp = tmp_path_factory.mktemp("vectors")
    generate(tmp / "demo", titles=500, seed=11)
    libraries = tuple(
        LibraryConfig(lib.code, lib.code, SourceConfig("marc", str(tmp / "demo" / lib.code / "*")))
        for lib in DEMO_LIBRARIES
    )
    config = Config(tmp / "config.toml", StorageConfig(tmp), libraries)
    store = open_store(f"sqlite:///{tmp / 'store.sqlite3'}", tmp)
    harvest_all(config, store)
    update_index(store, tmp)
    index = UnionIndex(index_path(tmp))
    # rewrite a tenth of the clusters in two commits: new segments, deleted documents
    with store.engine.connect() as conn:
        ids = sorted(conn.scalars(select(cluster_members.c.cluster_id).distinct()))
        docs = _documents(conn, ids)
    random.Random(5).shuffle(docs)
    index.write(docs[: len(docs) // 20])
    index.write(docs[len(docs) // 20 : len(docs) // 10])
    return index


def queries(index: UnionIndex) -> list[str]:
    """Words, names, phrases and operators taken from the catalogue itself."""
    rng = random.Random(3)
    stored = [json.loads(fields["doc"]) for fields in index._index.searcher().all_stored_fields()]
    rng.shuffle(stored)
    found = ["der", "die welt", "geschichte", "roman", "NOT roman", "krimi OR mord", "welt*"]
    found += ["year:[1990 TO 2005]", "year:2001", "title:liebe", 'author:"müller"', "zzzz"]
    found += ["* NOT roman"]  # "*" itself: test_everything_is_every_live_document_...
    found += ['"der der"', '"die die welt"', '"welt die"~3', 'title:"die welt" OR "der welt"']
    for doc in stored[:12]:
        words = doc["title"].split()
        found.append(words[0])
        found.append(" ".join(words[:2]))
        found.append(f'"{" ".join(words[:2])}"')
        found.append(f'"{" ".join(words[:3])}"')
        found.append(f'"{words[0]} {words[-1]}"~4')
        found.append(doc["title"])
        if doc["authors"]:
            found.append(doc["authors"][0].split(",")[0])
        if doc["isbns"]:
            found.append(doc["isbns"][0])
        found.append(f"{words[0][:3]}* NOT {words[-1]}")
    return found


def test_the_index_has_segments_and_deletions(catalogue: UnionIndex) -> None:
    with catalogue._index.searcher() as searcher:
        assert len(searcher.leaf_searchers()) > 1
        assert searcher.reader().has_deletions()


@pytest.mark.parametrize(("filters", "sort"), VARIANTS, ids=[f"{f}-{s}" for f, s in VARIANTS])
def test_search_answers_as_whoosh_does(catalogue: UnionIndex, filters: dict, sort: str) -> None:
    """One variant of filters and sort a test, so that parallel workers share the work."""
    checked = 0
    for text in queries(catalogue):
        for page in (1, 2):
            fast = catalogue.search(text, filters=filters, sort=sort, page=page, page_size=7)
            slow = search_with_whoosh(
                catalogue, text, filters=filters, sort=sort, page=page, page_size=7
            )
            where = f"{text!r} {filters} {sort} page {page}"
            assert fast.total == slow.total, where
            if sort != "relevance" or "*" not in text:
                # Whoosh scores a prefix by segment size (index/vectors.py, _multiterm)
                assert [h.id for h in fast.hits] == [h.id for h in slow.hits], where
            assert fast.facets == slow.facets, where
            assert fast.suggestion == slow.suggestion, where
            checked += fast.total > 0
    assert checked > 20  # most queries find something, so the comparison means something


def test_a_whole_field_answers_as_whoosh_does(catalogue: UnionIndex) -> None:
    """`FIELD:*` is every document with a word in FIELD, the numeric year too (no prefix "")."""
    for text in ("year:*", "title:*", "year:* NOT roman"):
        fast, slow = catalogue.search(text), search_with_whoosh(catalogue, text)
        assert fast.total == slow.total > 0, text


def test_phrases_are_answered_without_whoosh_matchers(catalogue: UnionIndex, monkeypatch) -> None:
    def refuse(self, q):
        raise AssertionError(f"{q!r} went through Whoosh's matcher")

    monkeypatch.setattr(Snapshot, "_by_whoosh", refuse)
    assert catalogue.search('"die welt"').total == search_with_whoosh(catalogue, '"die welt"').total
    assert catalogue.search('title:"der der" OR "welt die"~3').total >= 0


def test_everything_is_every_live_document_without_whoosh(
    catalogue: UnionIndex, monkeypatch
) -> None:
    """ "*" (the home page's counts, a search by filters alone) costs no walk over postings."""
    slow = search_with_whoosh(catalogue, "*", filters={"format": ["book"]})
    monkeypatch.setattr(Snapshot, "_by_whoosh", refuse_whoosh)
    assert catalogue.search("*").total == catalogue.count()
    fast = catalogue.search("*", filters={"format": ["book"]})
    assert (fast.total, fast.facets) == (slow.total, slow.facets)


def refuse_whoosh(self, q):
    raise AssertionError(f"{q!r} went through Whoosh's matcher")


@pytest.mark.parametrize("field", ["year", "title_sort"])
def test_sort_columns_read_in_blocks_hold_what_whoosh_s_readers_give(
    catalogue: UnionIndex, field: str
) -> None:
    with catalogue._leased() as snapshot:
        assert len(snapshot._leaves) > 1, "the catalogue should have several segments"
        keys = sort_keys(snapshot._leaves, field)
        values: list = []
        for leaf, _ in snapshot._leaves:
            values.extend(leaf.reader().column_reader(field))
    assert len(keys) == len(values) == snapshot.doc_count_all
    # each document's key orders the documents as Whoosh's own values do
    assert sorted(range(len(values)), key=lambda d: (values[d], d)) == sorted(
        range(len(keys)), key=lambda d: (keys[d], d)
    )
