"""Clusters kept in the store from the change feed: one hit per edition, stable ids."""

from __future__ import annotations

from pathlib import Path

import pymarc
import pytest
from sqlalchemy import select

from harvesters.run import harvest_all
from index.grouping import ClusterReport, apply_override, update_clusters
from libnet.cli import main
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.holdings import KOHA, HoldingsProfile
from libnet.store import RecordStore, clusters, open_store, schema
from libnet.store.clusters import ALWAYS, NEVER, Override
from tests.builders import book, iso2709, kehlmann_in_two_libraries

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

    def __init__(self, tmp_path: Path, url: str = "") -> None:
        self.dir = tmp_path
        self.exports: dict[str, list[pymarc.Record]] = {}
        self.profiles: dict[str, HoldingsProfile] = {}  # a library's holdings; default Koha's
        url = url or f"sqlite:///{tmp_path / 'store.sqlite3'}"
        self.store: RecordStore = open_store(url, tmp_path)

    def export(
        self, library: str, *records: pymarc.Record, holdings: HoldingsProfile = KOHA
    ) -> None:
        self.exports[library] = list(records)
        self.profiles[library] = holdings

    def harvest(self, one_pass: bool | None = None) -> ClusterReport:
        libraries = []
        for code, records in self.exports.items():
            path = self.dir / f"{code}.mrc"
            path.write_bytes(iso2709(*records))
            libraries.append(LibraryConfig(code, code, SourceConfig("marc", str(path)),
                                           holdings=self.profiles[code],
                                           max_delete_share=1.0))  # fmt: skip
        config = Config(self.dir / "config.toml", StorageConfig(self.dir), tuple(libraries))
        assert all(r.ok for r in harvest_all(config, self.store))
        return update_clusters(self.store, one_pass=one_pass)

    def cluster_of(self, library: str, local_id: str) -> int | None:
        with self.store.engine.connect() as conn:
            rid = clusters.record_ids(conn, [(library, local_id)]).get((library, local_id))
            return clusters.cluster_of(conn, [rid]).get(rid) if rid else None

    def members(self, cluster_id: int) -> list[tuple[str, str, str]]:
        with self.store.engine.connect() as conn:
            return [(m.library, m.local_id, m.rule) for m in clusters.members(conn, cluster_id)]

    def membership(self) -> dict[tuple[str, str], tuple[int, str, str]]:
        """(library, local id) -> (cluster id, rule, evidence) of every clustered record."""
        with self.store.engine.connect() as conn:
            members, records = schema.cluster_members, schema.records
            query = select(
                records.c.library, records.c.local_id, members.c.cluster_id, members.c.rule,
                members.c.evidence,
            ).join(records, records.c.id == members.c.record_id)  # fmt: skip
            return {(row[0], row[1]): tuple(row[2:]) for row in conn.execute(query)}

    def groups(self) -> set[frozenset[tuple[str, str, str]]]:
        """The clusters as sets of (library, local id, rule), whatever their ids."""
        by_id: dict[int, set[tuple[str, str, str]]] = {}
        for (library, local_id), (cluster_id, rule, _evidence) in self.membership().items():
            by_id.setdefault(cluster_id, set()).add((library, local_id, rule))
        return {frozenset(members) for members in by_id.values()}


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


def isbn(n: int) -> str:
    """The n-th valid ISBN-13 of a made-up publisher."""
    body = f"978316{n:06d}"
    return body + str(-sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body)) % 10)


def shelf(library: str, editions: range) -> list[pymarc.Record]:
    """A library's copies of numbered editions: with an ISBN, every third without."""
    return [
        book(f"{library[0]}-{n}", f"Roman Nummer {n}", author=f"Autor{n % 37}, Anna",
             isbn="" if n % 3 == 0 else isbn(n), year=str(1950 + n % 70))
        for n in editions
    ]  # fmt: skip


def test_a_full_regrouping_in_one_pass_keeps_the_incremental_clusters_and_ids(
    catalogue: Catalogue,
) -> None:
    catalogue.export("marl", *shelf("marl", range(0, 40)), audiobook("m-audio"))
    catalogue.export("herten", *shelf("herten", range(20, 60)))
    assert not catalogue.harvest(one_pass=False).one_pass
    catalogue.export("datteln", *shelf("datteln", range(30, 50)), book("d1"))
    catalogue.export("marl", *shelf("marl", range(0, 30)), book("m1", isbn=KEHLMANN_10))
    catalogue.harvest(one_pass=False)
    apply_override(catalogue.store, Override(NEVER, ("marl", "m-25"), ("herten", "h-25")))
    apply_override(catalogue.store, Override(ALWAYS, ("datteln", "d-31"), ("herten", "h-55")))
    before = catalogue.membership()
    report = update_clusters(catalogue.store, full=True)
    assert report.one_pass and report.changed == frozenset()
    assert catalogue.membership() == before
    assert catalogue.cluster_of("marl", "m1") == catalogue.cluster_of("datteln", "d1")
    assert catalogue.cluster_of("marl", "m-25") != catalogue.cluster_of("herten", "h-25")
    assert catalogue.cluster_of("marl", "m-35") is None  # left marl's second export


def test_first_clustering_of_a_big_store_is_one_pass_and_agrees_with_batches(
    tmp_path: Path,
) -> None:
    # more records than one batch (BATCH), so the batch path really works batch by batch
    alone, batched = Catalogue(tmp_path / "one"), Catalogue(tmp_path / "batched")
    for each in (alone, batched):
        each.export("marl", *shelf("marl", range(0, 900)))
        each.export("herten", *shelf("herten", range(600, 1500)))
        each.export("datteln", *shelf("datteln", range(300, 1200)))
    first = alone.harvest()
    assert first.one_pass and first.records == 2700
    assert not batched.harvest(one_pass=False).one_pass
    assert alone.groups() == batched.groups()
    assert len(alone.groups()) == 1500


def test_a_small_change_to_a_clustered_store_goes_batch_by_batch(catalogue: Catalogue) -> None:
    catalogue.export("marl", *shelf("marl", range(0, 10)))
    catalogue.export("herten", *shelf("herten", range(0, 10)))
    assert catalogue.harvest().one_pass
    catalogue.export("herten", *shelf("herten", range(0, 9)))
    report = catalogue.harvest()
    assert not report.one_pass and report.records == 1


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
    config = kehlmann_in_two_libraries(tmp_path)
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
    for nothing in ("²", "9" * 5000, str(2**63)):  # a digit int() refuses, too many, too big
        assert main(["clusters", "show", nothing, "--config", config]) == 1
        assert "libnet: no cluster" in capsys.readouterr().err
    for half in (":", "marl:", ":m1"):  # a record named by half (found by fuzzing the CLI)
        assert main(["clusters", "show", half, "--config", config]) == 2
        assert "is not CODE:ID" in capsys.readouterr().err
