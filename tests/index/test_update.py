"""libnet index and libnet search: the index follows the store, a hit per edition."""

from __future__ import annotations

import json
from pathlib import Path

from index.engine import UnionIndex
from index.update import index_path, update_index
from libnet.cli import main
from tests.builders import book, kehlmann_in_two_libraries
from tests.index.test_cluster import KEHLMANN_10, KEHLMANN_13, Catalogue, audiobook


def search(catalogue: Catalogue, text: str):
    return UnionIndex(index_path(catalogue.dir)).search(text)


def test_the_index_follows_harvests_changes_and_deletions(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", book("m1", isbn=KEHLMANN_10), audiobook("m2"))
    catalogue.export("herten", book("h1", isbn=KEHLMANN_13), book("h9", title="Ruhm", isbn=""))
    catalogue.harvest()
    report = update_index(catalogue.store, tmp_path)
    assert report.total == 3
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
    assert (
        main(["search", "--json", "--library", "herten", "3-498-03528-2", "--config", config]) == 0
    )
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
