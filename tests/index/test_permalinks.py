"""Cluster ids that last: a record back within a year takes its old id again, and the history
of ids says what became of each (merged into another, gone, split, returned)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymarc
import pytest
from sqlalchemy import update

from harvesters.run import harvest_all
from index.grouping import apply_override, update_clusters
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.store import cluster_history, clusters, open_store, schema
from libnet.store.cluster_history import GONE, MERGED, RETURNED, SPLIT
from libnet.store.clusters import ALWAYS, NEVER, Override
from tests.builders import book, iso2709

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
RUHM = book("m9", "Ruhm", isbn="978-3-498-03543-3", year="2009")
TYLL = book("h9", "Tyll", isbn="978-3-498-03567-9", year="2017")


class Libraries:
    """Libraries whose exports a test writes, harvested and grouped at the time it names."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.store = open_store(url, folder)
        self.exports: dict[str, list[pymarc.Record]] = {}

    def harvest(self, now: datetime) -> None:
        libraries = []
        for code, records in self.exports.items():
            (self.folder / f"{code}.mrc").write_bytes(iso2709(*records))
            source = SourceConfig("marc", str(self.folder / f"{code}.mrc"))
            libraries.append(LibraryConfig(code, code, source, max_delete_share=1.0))
        config = Config(self.folder / "config.toml", StorageConfig(self.folder), tuple(libraries))
        assert all(report.ok for report in harvest_all(config, self.store))
        update_clusters(self.store, now=now)

    def cluster_of(self, library: str, local_id: str) -> int | None:
        with self.store.engine.connect() as conn:
            rid = clusters.record_ids(conn, [(library, local_id)])[(library, local_id)]
            return clusters.cluster_of(conn, [rid]).get(rid)

    def history(self, cluster_id: int) -> list[tuple[str, int | None, str]]:
        with self.store.engine.connect() as conn:
            return [
                (e.event, e.into_id, e.title) for e in cluster_history.history(conn, cluster_id)
            ]

    def fate(self, cluster_id: int) -> cluster_history.Fate | None:
        with self.store.engine.connect() as conn:
            return cluster_history.fate(conn, cluster_id)


@pytest.fixture
def libraries(tmp_path: Path, store_url: str) -> Iterator[Libraries]:
    """On SQLite and on PostgreSQL."""
    found = Libraries(tmp_path, store_url)
    yield found
    found.store.close()


def withdraw_ruhm_and_bring_it_back(libraries: Libraries, after: timedelta) -> tuple[int, int]:
    """Ruhm leaves Marl's export, a new title arrives meanwhile, Ruhm comes back `after` later:
    (its cluster id before, its cluster id after)."""
    libraries.exports = {"marl": [book("m1"), RUHM], "herten": [book("h1")]}
    libraries.harvest(T0)
    before = libraries.cluster_of("marl", "m9")
    libraries.exports["marl"] = [book("m1")]
    libraries.harvest(T0 + timedelta(days=1))
    assert libraries.cluster_of("marl", "m9") is None
    libraries.exports["herten"] = [book("h1"), TYLL]  # a new cluster takes the next free id
    libraries.harvest(T0 + timedelta(days=2))
    libraries.exports["marl"] = [book("m1"), RUHM]
    libraries.harvest(T0 + timedelta(days=1) + after)
    return before, libraries.cluster_of("marl", "m9")


def test_a_record_back_within_a_year_gets_its_old_cluster_id(libraries: Libraries) -> None:
    before, after = withdraw_ruhm_and_bring_it_back(libraries, timedelta(days=364))
    assert after == before
    assert libraries.history(before) == [(GONE, None, "Ruhm"), (RETURNED, None, "")]
    assert libraries.fate(before) == cluster_history.Fate(before, before, "Ruhm")


def test_a_record_back_after_a_year_gets_a_new_id_and_the_old_stays_gone(
    libraries: Libraries,
) -> None:
    before, after = withdraw_ruhm_and_bring_it_back(libraries, timedelta(days=366))
    assert after not in (None, before)
    assert libraries.fate(before) == cluster_history.Fate(before, None, "Ruhm")
    assert libraries.history(before) == [(GONE, None, "Ruhm")]


def test_a_record_back_joins_the_cluster_it_matches_rather_than_its_old_id(
    libraries: Libraries,
) -> None:
    libraries.exports = {"marl": [book("m1")], "herten": [book("h1")]}
    libraries.harvest(T0)
    kehlmann = libraries.cluster_of("marl", "m1")
    libraries.exports["marl"] = []
    libraries.harvest(T0 + timedelta(days=1))
    libraries.exports["marl"] = [book("m1")]
    libraries.harvest(T0 + timedelta(days=30))
    assert libraries.cluster_of("marl", "m1") == kehlmann == libraries.cluster_of("herten", "h1")


def test_an_old_id_merged_into_another_is_not_taken_back(libraries: Libraries) -> None:
    libraries.exports = {"marl": [RUHM], "herten": [TYLL]}
    libraries.harvest(T0)
    ruhm, tyll = libraries.cluster_of("marl", "m9"), libraries.cluster_of("herten", "h9")
    apply_override(libraries.store, Override(ALWAYS, ("marl", "m9"), ("herten", "h9")))
    heir = libraries.cluster_of("marl", "m9")
    (merged,) = {ruhm, tyll} - {heir}
    assert libraries.fate(merged) == cluster_history.Fate(merged, heir, "Ruhm" if merged == ruhm
                                                          else "Tyll")  # fmt: skip
    # the librarian takes it back: the record that left the heir gets a new id, as the old
    # one leads to the heir and stays so
    apply_override(libraries.store, Override(NEVER, ("marl", "m9"), ("herten", "h9")))
    split = {libraries.cluster_of("marl", "m9"), libraries.cluster_of("herten", "h9")}
    assert heir in split and merged not in split
    (new,) = split - {heir}
    assert libraries.history(heir)[-1][:2] == (SPLIT, new)
    assert libraries.history(merged)[0][:2] == (MERGED, heir)


def test_a_chain_of_merges_that_runs_in_a_circle_leads_nowhere(libraries: Libraries) -> None:
    libraries.exports = {"marl": [RUHM], "herten": [TYLL]}
    libraries.harvest(T0)
    ruhm, tyll = libraries.cluster_of("marl", "m9"), libraries.cluster_of("herten", "h9")
    libraries.exports = {"marl": [], "herten": []}
    libraries.harvest(T0 + timedelta(days=1))
    with libraries.store.write() as conn:  # a damaged store: each points at the other
        for one, other in ((ruhm, tyll), (tyll, ruhm)):
            table = schema.clusters
            conn.execute(update(table).where(table.c.id == one).values(merged_into=other))
    assert libraries.fate(ruhm) == cluster_history.Fate(ruhm, None, "Ruhm")
    with libraries.store.engine.connect() as conn:
        assert clusters.current_id(conn, tyll) is None


def test_an_id_out_of_range_or_never_given_out_was_never_known(libraries: Libraries) -> None:
    libraries.exports = {"marl": [RUHM]}
    libraries.harvest(T0)
    ruhm = libraries.cluster_of("marl", "m9")
    for cluster_id in (0, -1, ruhm + 1, 2**31, 10**30):
        assert libraries.fate(cluster_id) is None, cluster_id
