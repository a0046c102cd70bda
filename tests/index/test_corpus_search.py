"""Every real record of the shared corpus (LIBNET_CORPUS) is findable by a word of its title."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from index.search import UnionIndex
from index.update import index_path, update_index
from libnet.store import clusters
from tests.harvesters.test_corpus import harvest_corpus

_WORD = re.compile(r"\w{3,}")


@pytest.fixture(scope="module")
def indexed(corpus_dir: Path, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("corpus-index")
    _config, store = harvest_corpus(corpus_dir, data_dir)
    update_index(store, data_dir)
    yield store, UnionIndex(index_path(data_dir))
    store.close()


def test_every_corpus_record_is_found_by_a_word_of_its_title(indexed) -> None:
    store, index = indexed
    records = [r for r in store.iter_changes(0) if not r.deleted]
    assert records
    with store.engine.connect() as conn:
        row_ids = clusters.record_ids(conn, [(r.library, r.local_id) for r in records])
        cluster_of = clusters.cluster_of(conn, row_ids.values())
    missing = []
    for record in records:
        words = _WORD.findall(record.bib().title)
        assert words, f"{record.library}:{record.local_id} has no word in its title"
        word = max(words, key=len)
        wanted = cluster_of[row_ids[(record.library, record.local_id)]]
        hits = index.search(word, page_size=100).hits
        if wanted not in {hit.id for hit in hits}:
            missing.append((record.library, record.local_id, word))
    assert not missing
