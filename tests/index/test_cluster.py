"""Clusters kept in the store from the change feed: one hit per edition, stable ids."""

from __future__ import annotations

from pathlib import Path

import pymarc
import pytest

from harvesters.run import harvest_all
from index.cluster import apply_override, update_clusters
from libnet import clusters
from libnet.cli import main
from libnet.clusters import ALWAYS, NEVER, Override
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.store import RecordStore, open_store
from tests.builders import book, iso2709

KEHLMANN_13 = "978-3-498-03528-0"
KEHLMANN_10 = "3-498-03528-2"


def audiobook(local_id: str) -> pymarc.Record:
    record = book(local_id, leader="00000cim a2200000 i 4500", isbn="978-3-8398-1234-1")
    record.add_ordered_field(
        pymarc.Field(tag="338", indicators=pymarc.Indicators(" ", " "),
                     subfields=[pymarc.Subfield("a", "Audiodisk"), pymarc.Subfield("b", "sd")])
    )  # fmt: skip
    return record


class Catalogue:
    """Libraries whose exports the tests write, harvested into one store."""

    def __init__(self, tmp_path: Path) -> None:
        self.dir = tmp_path
        self.exports: dict[str, list[pymarc.Record]] = {}
        self.store: RecordStore = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path)

    def export(self, library: str, *records: pymarc.Record) -> None:
        self.exports[library] = list(records)

    def harvest(self) -> None:
        libraries = []
        for code, records in self.exports.items():
            path = self.dir / f"{code}.mrc"
            path.write_bytes(iso2709(*records))
            libraries.append(LibraryConfig(code, code, SourceConfig("marc", str(path)),
                                           max_delete_share=1.0))  # fmt: skip
        config = Config(self.dir / "config.toml", StorageConfig(self.dir), tuple(libraries))
        assert all(r.ok for r in harvest_all(config, self.store))
        update_clusters(self.store)

    def cluster_of(self, library: str, local_id: str) -> int | None:
        with self.store.engine.connect() as conn:
            rid = clusters.record_ids(conn, [(library, local_id)]).get((library, local_id))
            return clusters.cluster_of(conn, [rid]).get(rid) if rid else None

    def members(self, cluster_id: int) -> list[tuple[str, str, str]]:
        with self.store.engine.connect() as conn:
            return [(m.library, m.local_id, m.rule) for m in clusters.members(conn, cluster_id)]


@pytest.fixture
def catalogue(tmp_path: Path) -> Catalogue:
    return Catalogue(tmp_path)


def test_one_edition_held_by_two_libraries_is_one_cluster(catalogue: Catalogue) -> None:
    catalogue.export("marl", book("m1", isbn=KEHLMANN_10), audiobook("m2"))
    catalogue.export("herten", book("h1", isbn=KEHLMANN_13))
    catalogue.harvest()
    kehlmann = catalogue.cluster_of("marl", "m1")
    assert kehlmann == catalogue.cluster_of("herten", "h1")
    assert catalogue.cluster_of("marl", "m2") not in (None, kehlmann)
    members = catalogue.members(kehlmann)
    assert [m[:2] for m in members] == [("herten", "h1"), ("marl", "m1")]
    assert {m[2] for m in members} == {"first", "isbn"}


def test_a_deleted_record_leaves_its_cluster_and_an_empty_cluster_is_gone(catalogue) -> None:
    catalogue.export("marl", book("m1"), book("m9", title="Ruhm", isbn=""))
    catalogue.export("herten", book("h1"))
    catalogue.harvest()
    kehlmann, ruhm = catalogue.cluster_of("marl", "m1"), catalogue.cluster_of("marl", "m9")
    catalogue.export("marl", book("m1"))
    catalogue.harvest()
    assert catalogue.cluster_of("marl", "m9") is None
    with catalogue.store.engine.connect() as conn:
        assert clusters.current_id(conn, ruhm) is None
    catalogue.export("herten", book("h2", title="Tyll", isbn=""))
    catalogue.harvest()
    assert catalogue.cluster_of("marl", "m1") == kehlmann
    assert [m[:2] for m in catalogue.members(kehlmann)] == [("marl", "m1")]


def test_a_cluster_keeps_its_id_while_one_member_survives(catalogue: Catalogue) -> None:
    catalogue.export("marl", book("m1"))
    catalogue.export("herten", book("h1"))
    catalogue.export("datteln", book("d1"))
    catalogue.harvest()
    first = catalogue.cluster_of("herten", "h1")
    catalogue.export("marl", book("m0", title="Ruhm", isbn=""))
    catalogue.export("herten", book("h0", title="Tyll", isbn=""))
    catalogue.harvest()
    assert catalogue.cluster_of("datteln", "d1") == first


def test_cluster_ids_survive_a_full_regrouping(catalogue: Catalogue) -> None:
    catalogue.export("marl", book("m1"), audiobook("m2"), book("m3", title="Ruhm", isbn=""))
    catalogue.export("herten", book("h1"), book("h3", title="Ruhm", isbn=""))
    catalogue.harvest()
    before = {key: catalogue.cluster_of(*key) for key in
              [("marl", "m1"), ("marl", "m2"), ("marl", "m3"), ("herten", "h1")]}  # fmt: skip
    report = update_clusters(catalogue.store, full=True)
    assert report.records == 5 and report.changed == frozenset()
    assert {key: catalogue.cluster_of(*key) for key in before} == before


def test_a_librarian_splits_and_joins_and_it_survives_reharvest(catalogue: Catalogue) -> None:
    catalogue.export("marl", book("m1"), book("m5", title="Der Vermesser", isbn=""))
    catalogue.export("herten", book("h1"))
    catalogue.harvest()
    assert catalogue.cluster_of("marl", "m1") == catalogue.cluster_of("herten", "h1")
    apply_override(catalogue.store, Override(NEVER, ("marl", "m1"), ("herten", "h1"), "Fehler"))
    assert catalogue.cluster_of("marl", "m1") != catalogue.cluster_of("herten", "h1")
    apply_override(catalogue.store, Override(ALWAYS, ("marl", "m5"), ("herten", "h1")))
    assert catalogue.cluster_of("marl", "m5") == catalogue.cluster_of("herten", "h1")
    catalogue.export("herten", book("h1", title="Die Vermessung der Welt : Roman"))
    catalogue.harvest()
    update_clusters(catalogue.store, full=True)
    assert catalogue.cluster_of("marl", "m1") != catalogue.cluster_of("herten", "h1")
    assert catalogue.cluster_of("marl", "m5") == catalogue.cluster_of("herten", "h1")
    rules = {m[:2]: m[2] for m in catalogue.members(catalogue.cluster_of("marl", "m5"))}
    assert "librarian" in rules.values()


def test_an_override_for_an_unknown_record_is_refused(catalogue: Catalogue) -> None:
    catalogue.export("marl", book("m1"))
    catalogue.harvest()
    with pytest.raises(LookupError, match="no record 'x9' of library 'marl'"):
        apply_override(catalogue.store, Override(NEVER, ("marl", "m1"), ("marl", "x9")))


def test_clusters_show_explains_every_member(tmp_path: Path, capsys) -> None:
    (tmp_path / "marl.mrc").write_bytes(iso2709(book("m1", isbn=KEHLMANN_10)))
    (tmp_path / "herten.mrc").write_bytes(iso2709(book("h1")))
    text = '[storage]\ndata_dir = "var"\n'
    for code in ("marl", "herten"):
        text += f'[[libraries]]\ncode = "{code}"\nname = "{code}"\n'
        text += f'[libraries.source]\ntype = "marc"\nurl = "{code}.mrc"\n'
    (tmp_path / "config.toml").write_text(text)
    config = str(tmp_path / "config.toml")
    assert main(["harvest", "--config", config]) == 0
    assert main(["clusters", "update", "--config", config]) == 0
    capsys.readouterr()
    assert main(["clusters", "show", "marl:m1", "--config", config]) == 0
    out = capsys.readouterr().out
    assert "2 records" in out and "herten:h1" in out and "[isbn] ISBN 9783498035280 shared" in out
    assert main(["clusters", "split", "marl:m1", "herten:h1", "--config", config]) == 0
    assert "kept apart from now on" in capsys.readouterr().out
    assert main(["clusters", "show", "marl:m1", "--config", config]) == 0
    assert "1 records" in capsys.readouterr().out
    with pytest.raises(SystemExit) as usage:
        main(["clusters", "join", "marl:m1", "nowhere", "--config", config])
    assert usage.value.code == 2 and "is not CODE:ID" in capsys.readouterr().err
