"""libnet index and libnet search: the index follows the store, a hit per edition."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.run import harvest_all
from index.document import ClusterDoc
from index.search import UnionIndex
from index.update import index_path, update_index
from libnet.cli import main
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.demo import DEMO_LIBRARIES, generate
from libnet.store import open_store
from tests.builders import book, iso2709, kehlmann_in_two_libraries
from tests.harvesters.test_run import ROOT, _processes_of, export, write_config
from tests.index.test_grouping import KEHLMANN_10, KEHLMANN_13, Catalogue, audiobook


def search(catalogue: Catalogue, text: str):
    return UnionIndex(index_path(catalogue.dir)).search(text)


def test_the_index_follows_harvests_changes_and_deletions(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1", isbn=KEHLMANN_10), audiobook("m2"))
    catalogue.export("herten", book("h1", isbn=KEHLMANN_13), book("h9", title="Ruhm", isbn=""))
    catalogue.harvest()
    report = update_index(catalogue.store, tmp_path)
    assert report.total == 3 and report.rebuilt and (report.added, report.changed) == (3, 0)
    result = search(catalogue, "vermessung der welt")
    assert result.total == 2  # the book (two libraries) and its audiobook
    book_hit = next(hit for hit in result.hits if hit.format == "book")
    assert {h.library for h in book_hit.holdings} == {"marl", "herten"}

    catalogue.export("herten", book("h1", isbn=KEHLMANN_13))  # Ruhm withdrawn
    catalogue.export("marl", book("m1", title="Die Vermessung der Welt : Roman"), audiobook("m2"))
    catalogue.harvest()
    report = update_index(catalogue.store, tmp_path)
    assert report.removed >= 1 and report.total == 2
    assert search(catalogue, "ruhm").total == 0
    assert search(catalogue, "Kehlmann").total == 2

    catalogue.export("herten", book("h1", isbn=KEHLMANN_13), book("h5", title="Tyll", isbn=""))
    catalogue.harvest()
    report = update_index(catalogue.store, tmp_path)
    assert not report.rebuilt and report.added == 1 and report.total == 3
    assert report.added + report.changed == report.written


def test_a_full_rebuild_keeps_cluster_ids(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1"), book("m3", title="Ruhm", isbn=""))
    catalogue.harvest()
    update_index(catalogue.store, tmp_path)
    before = sorted((hit.id, hit.title) for hit in search(catalogue, "Kehlmann").hits)
    old_folder = index_path(tmp_path).resolve()
    update_index(catalogue.store, tmp_path, full=True)
    assert sorted((hit.id, hit.title) for hit in search(catalogue, "Kehlmann").hits) == before
    assert index_path(tmp_path).resolve() != old_folder and not old_folder.exists()


def test_libnet_search_json_has_the_contract_fields(tmp_path: Path, capsys) -> None:
    config = kehlmann_in_two_libraries(tmp_path)
    assert main(["search", "welt", "--config", config]) == 1
    assert "run `libnet index`" in capsys.readouterr().err
    assert main(["harvest", "--config", config]) == 0
    assert main(["index", "--config", config]) == 0
    capsys.readouterr()
    assert main(["search", "--json", "--home", "herten", "3-498-03528-2", "--config", config]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["total"] == 1 and set(answer) == {"total", "hits", "facets", "suggestion"}
    hit = answer["hits"][0]
    assert {"id", "title", "authors", "year", "format", "isbns", "holdings"} <= set(hit)
    assert hit["holdings"][0]["library"] == "herten"
    assert {"library", "local_id", "call_number", "status"} <= set(hit["holdings"][0])
    assert main(["search", "Kehlmann", "--config", config]) == 0
    assert capsys.readouterr().out.startswith("1 hit\n")


def test_an_index_of_another_schema_version_is_rebuilt(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1"))
    catalogue.harvest()
    update_index(catalogue.store, tmp_path)
    folder = index_path(tmp_path).resolve()
    cursor = folder / "libnet-index.json"
    cursor.write_text(json.dumps({"cluster_change_no": 99, "schema": 1}))
    update_index(catalogue.store, tmp_path)
    assert index_path(tmp_path).resolve() != folder
    assert search(catalogue, "Kehlmann").total == 1


def test_search_suggests_when_it_finds_little(tmp_path: Path, capsys) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1"))
    catalogue.harvest()
    update_index(catalogue.store, tmp_path)
    assert search(catalogue, "Kehlman").suggestion == "Kehlmann"


def test_a_title_corrected_in_place_reaches_the_index(tmp_path: Path) -> None:
    """The record stays in its cluster, yet the cluster's document must be written again."""
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1"), book("m2", title="Ruhm", isbn=""))
    catalogue.harvest()
    update_index(catalogue.store, tmp_path)
    catalogue.export(
        "marl", book("m1"), book("m2", title="Ruhm : ein Roman in neun Geschichten", isbn="")
    )
    catalogue.harvest()
    update_index(catalogue.store, tmp_path)
    assert search(catalogue, "Geschichten").total == 1
    assert search(catalogue, "Kehlmann").total == 2


def test_a_new_folder_written_in_parallel_parts_is_the_one_written_whole(tmp_path: Path) -> None:
    """Each part keeps its place: the same documents under the same numbers, the same answers."""
    generate(tmp_path / "demo", titles=300, seed=3)
    libraries = tuple(
        LibraryConfig(
            lib.code, lib.code, SourceConfig("marc", str(tmp_path / "demo" / lib.code / "*"))
        )
        for lib in DEMO_LIBRARIES
    )
    store = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path)
    config = Config(tmp_path / "config.toml", StorageConfig(tmp_path), libraries)
    assert all(r.ok for r in harvest_all(config, store))
    report = update_index(store, tmp_path / "whole", workers=1)
    assert update_index(store, tmp_path / "parts", full=True, workers=3).written == report.written
    whole, parts = (
        UnionIndex(index_path(tmp_path / "whole")),
        UnionIndex(index_path(tmp_path / "parts")),
    )
    with whole._index.searcher() as one, parts._index.searcher() as three:
        assert len(one.leaf_searchers()) == 1 and len(three.leaf_searchers()) == 3
        assert list(one.all_stored_fields()) == list(three.all_stored_fields())
    for text in ("der", "welt", "krimi OR mord", '"die welt"', "müller", "geschichte"):
        assert whole.search(text, page_size=50) == parts.search(text, page_size=50)
    assert whole.complete("d") == parts.complete("d")


def test_a_failed_part_leaves_the_new_folder_empty(tmp_path: Path) -> None:
    def broken() -> Iterator[ClusterDoc]:
        raise ValueError("the store went away")
        yield

    union = UnionIndex(tmp_path / "index-1")
    with pytest.raises(RuntimeError, match="writer process failed"):
        union.write(fresh=True, parts=[broken()])
    assert union.count() == 0


def _libnet(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "libnet.cli", *args, "--config", str(config)]


def _kill_midway(command: list[str], delays: tuple[float | None, ...], check) -> int:
    """Run command, kill -9 it after each delay until one run finishes (a delay of None waits
    for the end, however busy the machine); check after each."""
    killed = 0
    for delay in delays:
        process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:  # a run that finishes before its delay is over ends the waiting at once
            process.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
            process.wait()
        assert _processes_of(Path(command[-1])) == [], "index writers outlived the kill"
        check()
        if finished:
            break
    return killed


def _titles_in(data_dir: Path, count: int) -> tuple[int, int]:
    """The clusters found as 'alt' and as 'neu'; each of the count clusters exactly once."""
    union = UnionIndex(index_path(data_dir))
    assert union.count() == count
    every = union.search("titel", page_size=1)
    assert every.total == count, "a replaced cluster shows twice or a cluster is missing"
    return union.search("alt", page_size=1).total, union.search("neu", page_size=1).total


def test_kill_9_during_an_update_or_a_rebuild_leaves_a_searchable_index(tmp_path: Path) -> None:
    """Old or newer clusters, each once, after every kill; the next run catches up."""
    count = 6_000  # enough clusters that indexing takes seconds on a fast machine too

    def titled(word: str) -> bytes:
        return iso2709(*(book(f"m{i}", title=f"{word} Titel {i}", isbn="") for i in range(count)))

    export(tmp_path, "marl.mrc", titled("Alt"))
    config = write_config(tmp_path, ("marl", "exports/marl.mrc"))
    data_dir = tmp_path / "var"
    for args in (("harvest",), ("index",)):
        subprocess.run(_libnet(config, *args), check=True, capture_output=True, cwd=ROOT)
    export(tmp_path, "marl.mrc", titled("Neu"))
    subprocess.run(_libnet(config, "harvest"), check=True, capture_output=True, cwd=ROOT)

    seen: list[tuple[int, int]] = []
    delays = (1.0, 2.5, 4.0, None)  # the last lets the run finish

    def consistent() -> None:
        alt, neu = _titles_in(data_dir, count)
        assert alt + neu == count
        seen.append((alt, neu))

    killed = _kill_midway(_libnet(config, "index"), delays, consistent)
    assert killed, "the index update finished before it could be killed"
    assert seen[-1] == (0, count), "the run after the kills did not catch up"

    link_target = index_path(data_dir).resolve()

    def unchanged_until_switched() -> None:
        assert _titles_in(data_dir, count) == (0, count)

    killed = _kill_midway(_libnet(config, "index", "--full"), delays, unchanged_until_switched)
    assert killed, "the rebuild finished before it could be killed"
    assert index_path(data_dir).resolve() != link_target
    builds = sorted(p.name for p in data_dir.glob("index-*"))
    assert builds == [index_path(data_dir).resolve().name], "a killed build's folder remains"
