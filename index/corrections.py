"""A librarian's corrections of the clusters: split a record out, join two clusters, undo.

The matcher (index/editions.py) can be wrong both ways. A librarian who sees two editions in
one cluster splits a record out: it must never share a cluster with the others (one "never"
pair with each). One who sees one edition in two clusters joins them: every member of both
must share one cluster (an "always" pair from the first member of the cluster acted on to
each other member, so no rule's conflict can pull a member away again). The pairs are kept
in the store (libnet.store.clusters.add_override) and respected by every regrouping after;
each correction is a row of the audit log (libnet.store.corrections) that its pairs name, so
an undo takes exactly those pairs away and the clusters are grouped by the rules again.

Every correction is first shown as a preview: the clusters as they are and as they will be.
The preview names the change number of each cluster it shows; saving refuses ("changed")
when one has changed since, so of two librarians correcting one cluster at once the second
is told and nothing of the first is lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from index.errors import CorrectionRefused
from index.grouping import Regrouping, regroup, regrouping
from libnet.accounts import Account
from libnet.store import RecordStore
from libnet.store import clusters as store_clusters
from libnet.store import corrections as log
from libnet.store.clusters import ALWAYS, NEVER, Override

MAX_REASON = 500  # characters: a sentence or two, shown in the cluster's explanation


@dataclass(frozen=True, slots=True)
class Group:
    """A cluster in a preview: the id it has or keeps (None: a new cluster) and its records."""

    cluster_id: int | None
    records: tuple[tuple[str, str], ...]  # (library, local id), in library order


@dataclass(frozen=True, slots=True)
class Preview:
    """What a split or join will do: the clusters now (before) and after saving."""

    kind: str  # split, join
    cluster_id: int
    other: str  # split: the member "library:local id"; join: the other cluster's id
    before: tuple[Group, ...]
    after: tuple[Group, ...]
    versions: str  # "cluster id:change number,..." of the clusters shown, checked on saving


@dataclass(frozen=True, slots=True)
class Saved:
    correction_id: int
    cluster_id: int  # where the first record named now is
    changed: frozenset[int]  # clusters whose members changed


def preview(conn: Connection, kind: str, cluster_id: int, other: str) -> Preview:
    """The effect of splitting member `other` ("library:local id") out of the cluster, or of
    joining the cluster with cluster `other`; CorrectionRefused when it cannot be made."""
    overrides, shown = _overrides(conn, kind, cluster_id, other)
    found = regrouping(conn, _record_ids(conn, overrides), overrides)
    before = tuple(
        Group(
            cid, tuple(sorted((m.library, m.local_id) for m in store_clusters.members(conn, cid)))
        )
        for cid in shown
    )
    versions = ",".join(
        f"{cid}:{store_clusters.cluster_info(conn, cid).change_no}" for cid in shown
    )
    return Preview(kind, cluster_id, other, before, _after(found), versions)


def save(
    store: RecordStore,
    kind: str,
    cluster_id: int,
    other: str,
    *,
    reason: str,
    versions: str,
    by: Account,
    now: datetime,
) -> Saved:
    """Make a previewed correction, if no cluster it showed has changed since (`versions`)."""
    reason = _checked(reason)
    seen = dict(_versions(versions))
    with store.write() as conn:
        # locked first: of two librarians saving at once, the second finds the change made
        found = store_clusters.locked_change_numbers(conn, seen)
        overrides, shown = _overrides(conn, kind, cluster_id, other)
        for cid in shown:
            if cid not in found or seen[cid] != found[cid]:
                raise CorrectionRefused("changed", f"cluster {cid} was changed meanwhile")
        records = tuple(dict.fromkeys(pair for o in overrides for pair in (o.a, o.b)))
        made = log.Made(kind, cluster_id, shown[1] if kind == "join" else None, records,
                        reason, by.id, by.name, by.library, now)  # fmt: skip
        correction_id = log.add(conn, made)
        for override in overrides:
            store_clusters.add_override(
                conn, Override(override.kind, override.a, override.b, reason, by.name, now,
                               correction_id),
            )  # fmt: skip
        changed = regroup(conn, _record_ids(conn, overrides))
        return Saved(correction_id, _where(conn, records[0]), frozenset(changed))


def undo(
    store: RecordStore, correction_id: int, *, reason: str, by: Account, now: datetime
) -> Saved:
    """Take a correction back, as a correction of its own; the clusters follow the rules again."""
    reason = _checked(reason)
    with store.write() as conn:
        undone = log.get(conn, correction_id)
        if undone is None:
            raise CorrectionRefused("no-correction", f"no correction {correction_id}")
        if undone.kind == "undo":
            raise CorrectionRefused("undo", "an undo is not undone: make the correction again")
        if undone.undone_by is not None:
            raise CorrectionRefused("undone", f"correction {correction_id} was undone already")
        named = log.remove_overrides(conn, correction_id)
        where = _where(conn, undone.records[0])
        made = log.Made("undo", where or undone.cluster_id, None, undone.records, reason,
                        by.id, by.name, by.library, now, undoes=correction_id)  # fmt: skip
        undo_id = log.add(conn, made)
        if not log.mark_undone(conn, correction_id, undo_id):  # the other click won
            raise CorrectionRefused("undone", f"correction {correction_id} was undone already")
        ids = store_clusters.record_ids(conn, [*named, *undone.records]).values()
        changed = regroup(conn, ids)
        return Saved(undo_id, _where(conn, undone.records[0]), frozenset(changed))


def _overrides(
    conn: Connection, kind: str, cluster_id: int, other: str
) -> tuple[list[Override], list[int]]:
    """The pairs a correction says, and the clusters it changes (the one acted on first)."""
    if kind == "split":
        members = _members(conn, cluster_id)
        library, _, local_id = other.partition(":")
        if (library, local_id) not in members:
            raise CorrectionRefused("not-member", f"{other} is no record of cluster {cluster_id}")
        if len(members) < 2:
            raise CorrectionRefused("alone", f"{other} is the only record of its cluster")
        rest = [pair for pair in members if pair != (library, local_id)]
        return [Override(NEVER, (library, local_id), pair) for pair in rest], [cluster_id]
    if kind == "join":
        joined = _cluster_number(conn, other)
        if joined == cluster_id:
            raise CorrectionRefused("same-cluster", "a cluster cannot be joined with itself")
        first, *rest = _members(conn, cluster_id)
        rest += _members(conn, joined)
        return [Override(ALWAYS, first, pair) for pair in rest], [cluster_id, joined]
    raise CorrectionRefused("kind", f"no correction {kind!r}")


def _members(conn: Connection, cluster_id: int) -> list[tuple[str, str]]:
    """A live cluster's records, first the first in record id order; no-cluster for none."""
    info = store_clusters.cluster_info(conn, cluster_id)
    if info is None or not info.members:
        raise CorrectionRefused("no-cluster", f"no cluster {cluster_id}")
    found = sorted(store_clusters.members(conn, cluster_id), key=lambda m: m.record_id)
    return [(m.library, m.local_id) for m in found]


def _cluster_number(conn: Connection, text: str) -> int:
    """The live cluster a typed id leads to (a merged one's heir); no-cluster for none."""
    number = int(text) if text.strip().isdigit() and len(text.strip()) < 12 else 0
    found = store_clusters.current_id(conn, number) if number else None
    if found is None:
        raise CorrectionRefused("no-cluster", f"no cluster {text}")
    return found


def _record_ids(conn: Connection, overrides: Sequence[Override]) -> list[int]:
    pairs = {pair for o in overrides for pair in (o.a, o.b)}
    return list(store_clusters.record_ids(conn, pairs).values())


def _after(found: Regrouping) -> tuple[Group, ...]:
    """The groups after a correction: the clusters that keep their ids first, then new ones."""
    ids = store_clusters.assign_ids(found.groups, found.before)
    groups = [
        Group(cid, tuple(sorted(found.names[g.record_id] for g in group)))
        for group, cid in zip(found.groups, ids, strict=True)
    ]
    return tuple(sorted(groups, key=lambda g: (g.cluster_id is None, g.cluster_id or 0)))


def _where(conn: Connection, record: tuple[str, str]) -> int:
    """The cluster a record is in now (0 when it has none, a deleted record)."""
    rid = store_clusters.record_ids(conn, [record]).get(record)
    return store_clusters.cluster_of(conn, [rid]).get(rid, 0) if rid else 0


def _checked(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise CorrectionRefused("reason", "a correction needs a reason")
    if len(reason) > MAX_REASON:
        raise CorrectionRefused("reason", f"a reason has at most {MAX_REASON} characters")
    return reason


def _versions(text: str) -> list[tuple[int, int]]:
    """The preview's "cluster id:change number,..." read back; pairs it cannot read are left out."""
    found = []
    for part in text.split(","):
        cid, _, change_no = part.partition(":")
        if cid.isdigit() and change_no.isdigit():
            found.append((int(cid), int(change_no)))
    return found
