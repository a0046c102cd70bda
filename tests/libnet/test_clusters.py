"""The cluster tables: stable ids through merges and splits, tombstones, the change feed."""

from __future__ import annotations

import pytest

from libnet.store import RecordStore, clusters
from libnet.store.clusters import Grouped, assign_ids
from tests.libnet.test_store import entry, harvest


def g(*record_ids: int, rule: str = "isbn") -> list[Grouped]:
    return [Grouped(rid, rule, f"evidence {rid}") for rid in record_ids]


def test_a_group_keeps_the_id_of_the_cluster_that_gave_it_most_members() -> None:
    before = {1: 10, 2: 10, 3: 10, 4: 20}
    assert assign_ids([g(1, 2, 4), g(3)], before) == [10, None]
    assert assign_ids([g(4), g(1, 2, 3)], before) == [20, 10]


def test_a_merge_keeps_the_older_id_when_both_give_as_many() -> None:
    assert assign_ids([g(1, 2)], {1: 30, 2: 20}) == [20]


def test_new_records_form_new_clusters() -> None:
    assert assign_ids([g(5, 6), g(7)], {}) == [None, None]


@pytest.fixture
def seeded(store: RecordStore) -> RecordStore:
    harvest(store, [entry(f"m{i}") for i in range(6)])
    return store


def ids(store: RecordStore) -> list[int]:
    """The record ids of m0 … m5."""
    with store.engine.connect() as conn:
        found = clusters.record_ids(conn, [("marl", f"m{i}") for i in range(6)])
    return [found[("marl", f"m{i}")] for i in range(6)]


def test_ids_survive_regrouping_and_merged_clusters_point_on(seeded: RecordStore) -> None:
    r = ids(seeded)
    with seeded.write() as conn:
        clusters.write_groups(conn, [g(r[0], r[1]), g(r[2]), g(r[3])], {})
    with seeded.engine.connect() as conn:
        first = clusters.cluster_of(conn, r[:4])
    a, c, d = first[r[0]], first[r[2]], first[r[3]]
    assert first[r[1]] == a and len({a, c, d}) == 3
    # r2 joins a's cluster: c is left without members and points to a
    with seeded.write() as conn:
        before = clusters.members_of(conn, {a, c})
        changed = clusters.write_groups(conn, [g(r[0], r[1], r[2])], before)
    assert changed == {a, c}
    with seeded.engine.connect() as conn:
        assert clusters.current_id(conn, c) == a
        assert clusters.cluster_info(conn, c).members == 0
        assert [m.local_id for m in clusters.members(conn, a)] == ["m0", "m1", "m2"]
        assert clusters.current_id(conn, d) == d


def test_a_split_leaves_the_id_with_the_larger_part(seeded: RecordStore) -> None:
    r = ids(seeded)
    with seeded.write() as conn:
        clusters.write_groups(conn, [g(r[0], r[1], r[2])], {})
        before = clusters.members_of(conn, set(clusters.cluster_of(conn, [r[0]]).values()))
        (old,) = set(before.values())
        clusters.write_groups(conn, [g(r[0], r[2]), g(r[1])], before)
        after = clusters.cluster_of(conn, r[:3])
    assert after[r[0]] == after[r[2]] == old and after[r[1]] != old


def test_a_cluster_whose_members_all_left_is_gone(seeded: RecordStore) -> None:
    r = ids(seeded)
    with seeded.write() as conn:
        clusters.write_groups(conn, [g(r[5])], {})
        (old,) = clusters.cluster_of(conn, [r[5]]).values()
        clusters.write_groups(conn, [], {r[5]: old})
        assert clusters.current_id(conn, old) is None
        assert clusters.cluster_of(conn, [r[5]]) == {}


def test_unchanged_groups_do_not_enter_the_feed(seeded: RecordStore) -> None:
    r = ids(seeded)
    with seeded.write() as conn:
        clusters.write_groups(conn, [g(r[0], r[1])], {})
        before = clusters.members_of(conn, set(clusters.cluster_of(conn, [r[0]]).values()))
        feed = clusters.state(conn, "cluster_change_no")
        assert clusters.write_groups(conn, [g(r[0], r[1])], before) == set()
        assert clusters.state(conn, "cluster_change_no") == feed
        changed = clusters.write_groups(conn, [g(r[0], r[1], rule="title")], before)
        assert changed == set(before.values())
        assert [c.id for c in clusters.changed_clusters(conn, feed)] == list(changed)


def test_the_feed_is_cut_into_parts_of_about_equal_weight(seeded: RecordStore) -> None:
    r = ids(seeded)
    with seeded.write() as conn:
        clusters.write_groups(conn, [g(r[0], r[1], r[2]), g(r[3]), g(r[4]), g(r[5])], {})
        feed = [c.change_no for c in clusters.changed_clusters(conn, 0)]
        last = clusters.state(conn, "cluster_change_no")
        assert clusters.live_and_gone(conn, last) == (4, 0)
        assert clusters.feed_parts(conn, last, 2) == [feed[1]]  # two clusters, then two
        assert clusters.feed_parts(conn, last, 3) == [feed[1], feed[2]]
        # weighing 4, 2, 2, 2: the cluster of three records is a part of its own
        assert clusters.feed_parts(conn, last, 3, per_member=1) == [feed[0], feed[2]]
        assert clusters.feed_parts(conn, last, 1) == []
