"""Searches at once (index/searchers.py): each thread its own searcher, none waits for another."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from index.document import ClusterDoc, cluster_doc
from index.search import SearchResult, UnionIndex
from libnet.records.bib import normalise
from tests.builders import book
from tests.index.test_pricing import TITLES

QUERIES = ("see", "die", "s*", "*e*", "welt", "sommer OR segel", '"haus am see"', "kehlman")
WAIT = 10  # seconds at most for a thread in these tests; they take milliseconds


def docs() -> list[ClusterDoc]:
    return [
        cluster_doc(n, [normalise(book(f"m{n}", title, author=author, isbn=""), "marl")])
        for n, (title, author) in enumerate(TITLES, 1)
    ]


class HeldClock:
    """A clock that stops the search of the thread named `slow` at its first reading until
    released: that search holds its searcher meanwhile."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> float:
        if threading.current_thread().name == "slow" and not self.holding.is_set():
            self.holding.set()
            assert self.release.wait(WAIT)
        return 0.0


def in_slow_thread(search: Callable[[], SearchResult]) -> tuple[threading.Thread, list]:
    answers: list = []
    thread = threading.Thread(target=lambda: answers.append(search()), name="slow")
    thread.start()
    return thread, answers


def summary(result: SearchResult) -> tuple:
    return result.total, [hit.id for hit in result.hits], result.facets, result.suggestion


def test_a_search_is_answered_while_a_slow_one_holds_its_searcher(tmp_path: Path) -> None:
    clock = HeldClock()
    catalogue = UnionIndex(tmp_path / "index", clock=clock)
    catalogue.write(docs())
    slow, answers = in_slow_thread(lambda: catalogue.search("see"))
    assert clock.holding.wait(WAIT)
    assert catalogue.search("welt").total == 1  # with one shared searcher: waits forever
    assert catalogue.complete("sommer") == ["Sommer am See"]
    clock.release.set()
    slow.join(WAIT)
    assert answers[0].total == 2


def test_a_commit_during_a_search_leaves_it_its_commit_and_the_next_sees_the_new(
    tmp_path: Path,
) -> None:
    clock = HeldClock()
    catalogue = UnionIndex(tmp_path / "index", clock=clock)
    written = docs()
    catalogue.write(written)
    slow, answers = in_slow_thread(lambda: catalogue.search("vermessung"))
    assert clock.holding.wait(WAIT)
    catalogue.write([replace(written[0], title="Ruhm")])
    assert [hit.title for hit in catalogue.search("ruhm").hits] == ["Ruhm"]
    assert catalogue.search("vermessung").total == 0
    clock.release.set()
    slow.join(WAIT)
    assert [hit.title for hit in answers[0].hits] == ["Die Vermessung der Welt"]
    assert catalogue.search("vermessung").total == 0


@pytest.mark.parametrize("threads", [2, 12])  # fewer and more than one commit's searchers
def test_searches_in_many_threads_answer_as_one_after_another(tmp_path: Path, threads: int) -> None:
    catalogue = UnionIndex(tmp_path / "index")
    catalogue.write(docs())
    expected = {text: summary(catalogue.search(text)) for text in QUERIES}
    asked = [text for _ in range(3) for text in QUERIES]
    with ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda text: summary(catalogue.search(text)), asked))
    assert answers == [expected[text] for text in asked]


def test_the_searchers_of_one_commit_read_one_copy_of_its_files(tmp_path: Path) -> None:
    catalogue = UnionIndex(tmp_path / "index")
    catalogue.write(docs())
    pool = catalogue._searchers()
    first, second = pool.take(), pool.take()
    assert first is not None and second is not None and first is not second
    postings = [s.searcher.reader()._terms._postfile for s in (first, second)]
    assert postings[0] is not postings[1]  # each its own read position ...
    assert postings[0]._buf is postings[1]._buf  # ... in the same bytes
    pool.give_back(first)
    pool.give_back(second)


def test_a_commit_s_files_are_closed_with_its_last_searcher(tmp_path: Path) -> None:
    catalogue = UnionIndex(tmp_path / "index")
    written = docs()
    catalogue.write(written)
    old = catalogue._searchers()
    held = old.take()
    catalogue.write([replace(written[0], title="Ruhm")])
    assert catalogue.search("ruhm").total == 1  # the new commit's pool retires the old one
    files = list(old._files.values())
    assert files and not any(f._compound.is_closed for f in files)  # one search still reads
    old.give_back(held)
    assert all(f._compound.is_closed for f in files)


class SlowToOpen(UnionIndex):
    """An index whose searchers of a newer commit open only once the test lets them."""

    held = False
    opening = threading.Event()
    may_open = threading.Event()

    def _open_searchers(self, ix):
        if self.held:
            self.opening.set()
            assert self.may_open.wait(WAIT)
        return super()._open_searchers(ix)


def test_a_large_index_answers_from_the_commit_before_until_the_newer_searchers_are_open(
    tmp_path: Path,
) -> None:
    catalogue = SlowToOpen(tmp_path / "index", at_once_below=0)  # every index counts as large
    catalogue.opening, catalogue.may_open = threading.Event(), threading.Event()
    written = docs()
    catalogue.write(written)
    assert catalogue.search("ruhm").total == 0  # the first searchers open at once
    catalogue.held = True
    UnionIndex(tmp_path / "index").write([replace(written[0], title="Ruhm")])  # as a nightly
    assert catalogue.search("ruhm").total == 0  # the commit before answers meanwhile
    assert catalogue.opening.is_set()
    catalogue.may_open.set()
    deadline = time.monotonic() + WAIT
    while catalogue.search("ruhm").total == 0 and time.monotonic() < deadline:
        pass  # each search waits a moment for the newer searchers
    assert [hit.title for hit in catalogue.search("ruhm").hits] == ["Ruhm"]
    assert catalogue.search("vermessung").total == 0


def test_facet_counts_after_a_commit_are_those_of_the_index_opened_anew(tmp_path: Path) -> None:
    catalogue = UnionIndex(tmp_path / "index")
    written = docs()
    catalogue.write(written)
    before = catalogue.search("*").facets["format"]
    # a new segment, and the replaced document deleted in the segment kept from before
    catalogue.write([replace(written[0], format="ebook"), replace(written[1], format="ebook")])
    after = catalogue.search("*").facets
    assert after == UnionIndex(tmp_path / "index").search("*").facets
    assert dict(after["format"])["ebook"] == 2
    assert sum(n for _, n in after["format"]) == sum(n for _, n in before)
