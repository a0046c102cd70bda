"""Grouping: the records of all libraries that are one edition gathered into clusters, kept
up to date from the store.

`update_clusters` reads the store's change feed since the last run. For each batch of changed
records it finds the candidates that share a blocking key with them (never the whole
catalogue), regroups the clusters those records touch with the matching rules of
index/match.py and the librarians' overrides, and writes the result in one transaction. Cluster
ids stay stable (libnet/store/clusters.py), so permalinks and loan requests keep working.

A full regrouping, or a run where most of the catalogue changed (the first one), regroups all
live records in one pass instead: re-loading each batch's candidates and their clusters costs
far more than clustering everything at once in memory.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from index import evidence
from index.blocking import MAX_BLOCK, blocking_keys
from index.document import most_complete
from index.editions import cluster_facts
from index.errors import UnknownRecord
from index.facts import Facts, record_facts
from libnet.records.bib import BibRecord
from libnet.store import RecordStore, grouping_feed
from libnet.store import clusters as store_clusters
from libnet.store.clusters import ALWAYS, NEVER, Grouped, Override
from libnet.store.published import MemberRecord

log = logging.getLogger("libnet.cluster")

BATCH = 2000  # changed records regrouped per transaction
CHUNK = 10_000  # records loaded, or blocking keys inserted, per statement in one pass

#: progress(records done, records to do)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ClusterReport:
    records: int = 0  # changed records looked at
    changed: frozenset[int] = field(default_factory=frozenset)  # cluster ids changed
    skipped_keys: int = 0  # keys too common to block on
    one_pass: bool = False  # all live records were regrouped at once


def update_clusters(
    store: RecordStore,
    *,
    full: bool = False,
    one_pass: bool | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ClusterReport:
    """Bring the clusters up to the store's latest change; `full` regroups every record.

    `one_pass` None decides by itself: a full regrouping, or changes to more than half of the
    live records, regroup everything at once; True or False forces one way. `now`: the time
    the changes are written at (a record back within a year of leaving takes its old id).
    """
    with store.write() as conn:
        previous = store_clusters.state(conn, "clustered_change_no")
        since = 0 if full else previous
        target = store_clusters.state(conn, "change_no")
        todo = grouping_feed.count_changes(conn, since, target)
        if one_pass is None:
            one_pass = full or todo > grouping_feed.count_live(conn) / 2
        if one_pass:
            # One transaction from first read to last write, so no harvest slips in between
            # and a reader never sees half a regrouping. It holds the write lock throughout
            # (about 19 s for 100,000 records, so minutes for 1,000,000): acceptable for now.
            changed, skipped = _regroup_all(conn, progress, now)
            edited = _changed_records(conn, previous, target, limit=None)
            live = [rid for _no, rid, deleted in edited if not deleted]
            changed |= store_clusters.touch(conn, live, changed, now)
            store_clusters.set_state(conn, "clustered_change_no", target)
            return ClusterReport(todo, frozenset(changed), skipped, one_pass=True)
        if full:
            store_clusters.set_state(conn, "clustered_change_no", 0)
    done, changed, skipped = 0, set(), 0
    while since < target:
        with store.write() as conn:
            batch = _changed_records(conn, since, target)
            if not batch:
                break
            result = _regroup(conn, batch, previous, now)
            changed |= result[0]
            skipped += result[1]
            since = batch[-1][0]
            store_clusters.set_state(conn, "clustered_change_no", since)
        done += len(batch)
        if progress:
            progress(done, todo)
    return ClusterReport(done, frozenset(changed), skipped)


def _regroup_all(
    conn: Connection, progress: Progress | None, now: datetime | None
) -> tuple[set[int], int]:
    """Regroup every live record at once; replaces all blocking keys and all clusters.

    Only each live record's matching facts and name stay in memory, not the record: about
    3 GB at 1,000,000 records all told. `before` is the whole membership, so each cluster
    keeps its id by the rule of assign_ids, and one whose members all left (deleted records)
    becomes a tombstone or points where they went. `progress` counts live records loaded.
    """
    with _page_cache(conn):
        loaded, skipped = _load_all(conn, progress)
        before = grouping_feed.all_members(conn)
        groups = group(loaded, _pairs(conn, store_clusters.overrides(conn), set(loaded.facts)))
        return store_clusters.write_groups(conn, groups, before, now, cluster_title), skipped


@contextmanager
def _page_cache(conn: Connection) -> Iterator[None]:
    """A big page cache for this SQLite connection while it writes millions of index entries.

    They go in at random places: with SQLite's default cache (2 MB) each is a trip to the
    disk, with 256 MB the writes take half the time. Other databases stay as they are.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
    conn.exec_driver_sql(f"PRAGMA cache_size={-256 * 1024}")
    try:
        yield
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")


def _load_all(conn: Connection, progress: Progress | None) -> tuple[_Loaded, int]:
    """Every live record's facts and name; replaces all blocking keys; how many are too common."""
    live = grouping_feed.count_live(conn)
    loaded = _Loaded()
    key_rows: list[tuple[str, int]] = []
    for rows in grouping_feed.live_record_pages(conn, CHUNK):
        for rid, fields in rows:
            facts = loaded.add(rid, _matching_record(fields))
            key_rows.extend((key, rid) for key in blocking_keys(facts))
        if progress:
            progress(len(loaded.facts), live)
    grouping_feed.replace_all_keys(conn, key_rows, CHUNK)
    holders = Counter(key for key, _rid in key_rows)
    return loaded, sum(1 for count in holders.values() if count > MAX_BLOCK)


def _changed_records(
    conn: Connection, since: int, target: int, limit: int | None = BATCH
) -> list[tuple[int, int, bool]]:
    """(change number, record id, deleted) of the next batch of changed records."""
    return grouping_feed.changed_records(conn, since, target, limit)


def _regroup(
    conn: Connection, batch: list[tuple[int, int, bool]], previous: int, now: datetime | None
) -> tuple[set[int], int]:
    """Regroup a batch of changed records; `previous`: changes the clusters already reflect."""
    changed_ids = [rid for _no, rid, _deleted in batch]
    live = [rid for _no, rid, deleted in batch if not deleted]
    loaded = _load(conn, live)
    keys = {rid: blocking_keys(loaded.facts[rid]) for rid in live}
    grouping_feed.replace_keys(conn, {rid: keys.get(rid, ()) for rid in changed_ids})
    holders = grouping_feed.records_with_keys(
        conn, {key for record_keys in keys.values() for key in record_keys}, MAX_BLOCK
    )
    skipped = {key for key, ids in holders.items() if len(ids) > MAX_BLOCK}
    candidates = {rid for key, ids in holders.items() if key not in skipped for rid in ids}
    touched = store_clusters.cluster_of(conn, [*changed_ids, *candidates])
    before = store_clusters.members_of(conn, set(touched.values()))
    deleted = {rid for _no, rid, is_deleted in batch if is_deleted}
    universe = (set(before) | set(live) | candidates) - deleted
    _load(conn, universe - set(loaded.facts), loaded)
    groups = group(loaded, _pairs(conn, store_clusters.overrides(conn), universe))
    changed = store_clusters.write_groups(conn, groups, before, now, cluster_title)
    edited = [rid for no, rid, deleted in batch if not deleted and no > previous]
    changed |= store_clusters.touch(conn, edited, changed, now)
    return changed, len(skipped)


def _matching_record(fields: str) -> BibRecord:
    """A record from the store's JSON as matching reads it: without items, which it never reads."""
    data = json.loads(fields)
    data["items"] = ()  # half the cost of making the record, and a regrouping makes a million
    return BibRecord.from_dict(data)


@dataclass(slots=True)
class _Loaded:
    """The records being grouped, by record id: their matching facts and (library, local id)."""

    facts: dict[int, Facts] = field(default_factory=dict)
    names: dict[int, tuple[str, str]] = field(default_factory=dict)

    def add(self, record_id: int, bib: BibRecord) -> Facts:
        facts = self.facts[record_id] = record_facts(bib)
        self.names[record_id] = (bib.library, bib.local_id)
        return facts


def _load(conn: Connection, record_ids: Iterable[int], into: _Loaded | None = None) -> _Loaded:
    """The live ones of these records, added to `into` (or to a new _Loaded)."""
    loaded = _Loaded() if into is None else into
    for rid, fields in grouping_feed.live_fields(conn, record_ids):
        loaded.add(rid, _matching_record(fields))
    return loaded


@dataclass(frozen=True, slots=True)
class Pairs:
    """The librarians' overrides among the records being grouped, as record-id pairs."""

    never: frozenset[frozenset[int]] = frozenset()
    always: tuple[tuple[int, int, str], ...] = ()  # (a, b, evidence line)
    # record id -> the evidence line of the latest split that names it, for a record left alone
    split: tuple[tuple[int, str], ...] = ()


def _pairs(conn: Connection, overrides: list[Override], universe: set[int]) -> Pairs:
    ids = store_clusters.record_ids(conn, {o.a for o in overrides} | {o.b for o in overrides})
    never, always, split = set(), [], {}
    for override in overrides:
        a, b = ids.get(override.a), ids.get(override.b)
        if a is None or b is None or (a not in universe and b not in universe):
            continue
        on = override.made_at.date() if override.made_at and override.made_by else None
        if override.kind == NEVER:
            never.add(frozenset((a, b)))
            line = evidence.librarian_line("split", override.note, override.made_by, on)
            split.update({a: line, b: line})  # in order made: the latest wins
        elif override.kind == ALWAYS and a in universe and b in universe:
            line = evidence.librarian_line("join", override.note, override.made_by, on)
            always.append((a, b, line))
    return Pairs(frozenset(never), tuple(always), tuple(split.items()))


def group(loaded: _Loaded, pairs: Pairs = Pairs()) -> list[list[Grouped]]:
    """Group records (by record id) with the matching rules and the librarians' overrides.

    The group's first record is its seed ("first"); every other member keeps the rule and
    evidence of the match that reached it (index/match.py's cluster()). A record alone after
    a librarian's split is explained by that split (rule "split").
    """
    facts, names = loaded.facts, loaded.names
    ids = sorted(facts)
    position = {rid: index for index, rid in enumerate(ids)}
    never = [
        frozenset(position[rid] for rid in pair)
        for pair in pairs.never
        if all(rid in position for rid in pair)
    ]
    always = [
        (position[a], position[b], note)
        for a, b, note in pairs.always
        if a in position and b in position
    ]
    result = cluster_facts([facts[rid] for rid in ids], never=never, always=always)
    split = dict(pairs.split)
    groups = []
    for found in result.clusters:
        first = ids[found.members[0]]
        if len(found.members) == 1:
            # alone because a librarian split it off: the explanation says so, and who
            lone = Grouped(first, "split", split[first]) if first in split else None
            groups.append([lone or Grouped(first, "alone", evidence.ALONE)])
            continue
        joins = {join.record: join for join in found.joins}
        group_members = [Grouped(first, "first", evidence.FIRST)]
        for member in found.members[1:]:
            join = joins[member]
            library, local_id = names[ids[join.matched]]
            line = f"{join.decision.reason} (with {library} {local_id})"  # index/evidence.py
            group_members.append(Grouped(ids[member], join.decision.rule, line))
        groups.append(group_members)
    return groups


def apply_override(store: RecordStore, override: Override) -> set[int]:
    """Keep a librarian's correction and regroup the two records' clusters at once."""
    with store.write() as conn:
        ids = store_clusters.record_ids(conn, [override.a, override.b])
        for pair in (override.a, override.b):
            if pair not in ids:
                raise UnknownRecord(f"no record {pair[1]!r} of library {pair[0]!r}")
        store_clusters.add_override(conn, override)
        return regroup(conn, ids.values())


@dataclass(frozen=True, slots=True)
class Regrouping:
    """The clusters of some records grouped again: the new groups, each old member's cluster
    (before) and each record's (library, local id)."""

    groups: list[list[Grouped]]
    before: dict[int, int]
    names: dict[int, tuple[str, str]]


def regrouping(
    conn: Connection, record_ids: Iterable[int], extra: Iterable[Override] = ()
) -> Regrouping:
    """The clusters of these records grouped again, `extra` overrides counted as if stored."""
    wanted = set(record_ids)
    touched = store_clusters.cluster_of(conn, wanted)
    before = store_clusters.members_of(conn, set(touched.values()))
    universe = set(before) | wanted
    loaded = _load(conn, universe)
    extra = list(extra)
    said = {frozenset((o.a, o.b)) for o in extra}  # a pair said again replaces the earlier word
    stored = [o for o in store_clusters.overrides(conn) if frozenset((o.a, o.b)) not in said]
    pairs = _pairs(conn, [*stored, *extra], universe)
    return Regrouping(group(loaded, pairs), before, loaded.names)


def regroup(conn: Connection, record_ids: Iterable[int]) -> set[int]:
    """Regroup the clusters of these records with the stored overrides; the changed clusters."""
    found = regrouping(conn, record_ids)
    return store_clusters.write_groups(conn, found.groups, found.before, title=cluster_title)


def cluster_title(members: list[MemberRecord]) -> str:
    """The title a cluster's most complete record gives it, deleted members included: a
    cluster that goes has only those; kept in the history of cluster ids for a search."""
    return most_complete([member.bib for member in members]).title if members else ""
