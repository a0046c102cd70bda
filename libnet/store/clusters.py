"""The cluster tables of the record store: which records are one edition, and why.

Deciding what belongs together is the union index's work (index/grouping.py); this module
keeps the result so that cluster ids outlive re-harvests and re-indexes: permalinks and loan
requests point at them. A regrouping hands each new group the id of the old cluster that
gave it most members; an old cluster left without members is kept as a tombstone, and one
whose members all went to another cluster points there (merged_into). What became of each id,
and which cluster a departed record left, is kept by libnet/store/cluster_history.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from libnet.store import cluster_history
from libnet.store.database import utcnow
from libnet.store.published import MemberRecord, member_records
from libnet.store.schema import (
    MAX_ID,
    cluster_members,
    cluster_overrides,
    clusters,
    records,
    store_state,
)

NEVER, ALWAYS = "never", "always"


@dataclass(frozen=True, slots=True)
class Member:
    """One record of a cluster and the rule that joined it."""

    record_id: int
    library: str
    local_id: str
    rule: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Grouped:
    """A record placed in a group by the matcher, with the rule and its one-line evidence."""

    record_id: int
    rule: str
    evidence: str


@dataclass(frozen=True, slots=True)
class Override:
    kind: str  # never, always
    a: tuple[str, str]  # (library, local id)
    b: tuple[str, str]
    note: str = ""
    made_by: str = ""  # the librarian's name ("" from the command line)
    made_at: datetime | None = None  # when it was said (None: not yet stored)
    correction_id: int | None = None  # the web correction it is part of (catalogue_corrections)


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    id: int
    members: int
    merged_into: int | None
    created_at: datetime
    changed_at: datetime
    change_no: int


def state(conn: Connection, key: str) -> int:
    return conn.execute(select(store_state.c.value).where(store_state.c.key == key)).scalar_one()


def set_state(conn: Connection, key: str, value: int) -> None:
    conn.execute(update(store_state).where(store_state.c.key == key).values(value=value))


def cluster_of(conn: Connection, record_ids: Iterable[int]) -> dict[int, int]:
    """record id -> cluster id, for those of the records that have a cluster."""
    return _membership(conn, cluster_members.c.record_id, record_ids)


def members_of(conn: Connection, cluster_ids: Iterable[int]) -> dict[int, int]:
    """record id -> cluster id for every member of these clusters."""
    return _membership(conn, cluster_members.c.cluster_id, cluster_ids)


def _membership(conn: Connection, column: Any, values: Iterable[int]) -> dict[int, int]:
    """record id -> cluster id of the members whose `column` is one of `values`."""
    wanted = list(values)
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):  # SQLite allows only so many parameters
        query = select(cluster_members.c.record_id, cluster_members.c.cluster_id).where(
            column.in_(wanted[start : start + 500])
        )
        found.update(dict(conn.execute(query).all()))
    return found


def overrides(conn: Connection) -> list[Override]:
    query = select(cluster_overrides).order_by(cluster_overrides.c.id)
    return [
        Override(
            row.kind,
            (row.library_a, row.local_id_a),
            (row.library_b, row.local_id_b),
            row.note,
            row.made_by,
            row.created_at,
            row.correction_id,
        )
        for row in conn.execute(query)
    ]


def add_override(conn: Connection, override: Override) -> None:
    """Record a librarian's correction; the same pair said again replaces the earlier word."""
    a, b = sorted((override.a, override.b))
    conn.execute(
        delete(cluster_overrides).where(
            cluster_overrides.c.library_a == a[0], cluster_overrides.c.local_id_a == a[1],
            cluster_overrides.c.library_b == b[0], cluster_overrides.c.local_id_b == b[1],
        )
    )  # fmt: skip
    conn.execute(
        insert(cluster_overrides).values(
            kind=override.kind, library_a=a[0], local_id_a=a[1], library_b=b[0],
            local_id_b=b[1], created_at=override.made_at or utcnow(), note=override.note,
            made_by=override.made_by, correction_id=override.correction_id,
        )
    )  # fmt: skip


def assign_ids(groups: list[list[Grouped]], before: Mapping[int, int]) -> list[int | None]:
    """Each group's cluster id: that of the old cluster giving it most members, or None (new).

    Greedy over (members shared, older id first): an old cluster's id goes to one group only,
    the one that kept most of it, so a split leaves the id with its larger part.
    """
    shares = Counter(
        (index, before[g.record_id]) for index, group in enumerate(groups) for g in group
        if g.record_id in before
    )  # fmt: skip
    result: list[int | None] = [None] * len(groups)
    taken: set[int] = set()
    for (index, cluster_id), _count in sorted(shares.items(), key=lambda s: (-s[1], s[0][1])):
        if result[index] is None and cluster_id not in taken:
            result[index] = cluster_id
            taken.add(cluster_id)
    return result


def first_title(members: list[MemberRecord]) -> str:
    """The title of a cluster's first member; grouping names it by its describing record."""
    return members[0].bib.title if members else ""


def write_groups(
    conn: Connection,
    groups: list[list[Grouped]],
    before: Mapping[int, int],
    now: datetime | None = None,
    title: Callable[[list[MemberRecord]], str] = first_title,
) -> set[int]:
    """Store a regrouping; return the ids of the clusters whose members or rules changed.

    `before` maps every member of the clusters being regrouped to its old cluster; `groups`
    place every record that stays or arrives. An old member placed nowhere has left.
    `title` names a cluster by its members, for the history of the ids that go.
    """
    now = now or utcnow()
    old_rules = {
        row.record_id: (row.cluster_id, row.rule, row.evidence)
        for start in range(0, len(before), 500)
        for row in conn.execute(
            select(cluster_members).where(
                cluster_members.c.record_id.in_(list(before)[start : start + 500])
            )
        )
    }
    old_sizes = Counter(cluster_id for cluster_id, _rule, _evidence in old_rules.values())
    ids = assign_ids(groups, before)
    # a record back in its library's export takes the id it left, while that id is free
    fresh = {i: [g.record_id for g in groups[i]] for i, cid in enumerate(ids) if cid is None}
    back = cluster_history.returning(conn, fresh, {c for c in ids if c is not None}, now)
    for index, cluster_id in back.items():
        ids[index] = cluster_id
    retiring = set(before.values()) - set(ids)
    titles = {cid: title(found) for cid, found in
              member_records(conn, sorted(retiring), raw=False).items()}  # fmt: skip
    regrouped = [*before, *(g.record_id for group in groups for g in group)]
    for start in range(0, len(regrouped), 500):
        chunk = regrouped[start : start + 500]
        conn.execute(delete(cluster_members).where(cluster_members.c.record_id.in_(chunk)))
    feed = _Feed(conn)
    changed: set[int] = set()
    new: list[dict[str, object]] = []  # clusters to insert, in the order of their groups
    renewed: list[dict[str, object]] = []  # clusters whose members or rules changed
    for index, (group, cluster_id) in enumerate(zip(groups, ids, strict=True)):
        if cluster_id is None:
            new.append({"created_at": now, "changed_at": now, "members": len(group),
                        "change_no": feed.next(), "index": index})  # fmt: skip
        elif old_sizes[cluster_id] != len(group) or any(
            old_rules.get(g.record_id) != (cluster_id, g.rule, g.evidence) for g in group
        ):
            renewed.append({"cid": cluster_id, "changed_at": now, "members": len(group),
                            "merged_into": None, "change_no": feed.next()})  # fmt: skip
            changed.add(cluster_id)
    events = [cluster_history.Event(cid, cluster_history.RETURNED, None, now) for cid in
              back.values()]  # fmt: skip
    if new:
        # one statement for all: 400,000 single inserts (a full regrouping) take most of a
        # minute; the ids come back in the order of the rows
        inserted = conn.execute(
            insert(clusters).returning(clusters.c.id, sort_by_parameter_order=True),
            [{k: v for k, v in row.items() if k != "index"} for row in new],
        ).scalars()
        for row, cluster_id in zip(new, inserted, strict=True):
            ids[row["index"]] = cluster_id
            changed.add(cluster_id)
            parts = {before[g.record_id] for g in groups[row["index"]] if g.record_id in before}
            events.extend(cluster_history.Event(old, cluster_history.SPLIT, cluster_id, now)
                          for old in sorted(parts - retiring))  # fmt: skip
    final: dict[int, int] = {}
    rows: list[dict[str, object]] = []
    for group, cluster_id in zip(groups, ids, strict=True):
        rows.extend(
            {"record_id": g.record_id, "cluster_id": cluster_id, "rule": g.rule,
             "evidence": g.evidence}
            for g in group
        )  # fmt: skip
        final.update((g.record_id, cluster_id) for g in group)
    for start in range(0, len(rows), 5000):
        conn.execute(insert(cluster_members), rows[start : start + 5000])
    old_members: dict[int, list[int]] = {}
    for record_id, old_id in before.items():
        old_members.setdefault(old_id, []).append(record_id)
    for old_id in sorted(retiring):
        heirs = {final[rid] for rid in old_members[old_id] if rid in final}
        heir = heirs.pop() if len(heirs) == 1 else None
        renewed.append({"cid": old_id, "changed_at": now, "members": 0, "merged_into": heir,
                        "change_no": feed.next()})  # fmt: skip
        changed.add(old_id)
        event = cluster_history.GONE if heir is None else cluster_history.MERGED
        events.append(cluster_history.Event(old_id, event, heir, now, titles.get(old_id, "")))
    if renewed:
        conn.execute(update(clusters).where(clusters.c.id == bindparam("cid")), renewed)
    cluster_history.note(conn, events)
    cluster_history.depart(conn, {r: c for r, c in before.items() if r not in final}, now)
    cluster_history.arrive(conn, [r for r in final if r not in before], now)
    feed.save()
    return changed


def touch(
    conn: Connection, record_ids: Iterable[int], already: set[int], now: datetime | None = None
) -> set[int]:
    """Put the clusters of records whose content changed into the feed; their ids.

    A record edited in place (a corrected title) stays in its cluster, so the regrouping
    sees no change, yet the cluster's document in the index must be written again.
    """
    found = set(cluster_of(conn, record_ids).values()) - already
    feed = _Feed(conn)
    now = now or utcnow()
    rows = [{"cid": cid, "changed_at": now, "change_no": feed.next()} for cid in sorted(found)]
    if rows:
        conn.execute(update(clusters).where(clusters.c.id == bindparam("cid")), rows)
    feed.save()
    return found


class _Feed:
    """Hands out cluster change numbers from the store-wide counter."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.value = state(conn, "cluster_change_no")

    def next(self) -> int:
        self.value += 1
        return self.value

    def save(self) -> None:
        set_state(self.conn, "cluster_change_no", self.value)


def changed_clusters(conn: Connection, since: int, limit: int = 1000) -> list[ClusterInfo]:
    """Clusters whose members changed after cluster change number `since`, in order."""
    query = (
        select(clusters).where(clusters.c.change_no > since).order_by(clusters.c.change_no)
        .limit(limit)
    )  # fmt: skip
    return [ClusterInfo(**row._mapping) for row in conn.execute(query)]


def live_and_gone(conn: Connection, upto: int) -> tuple[int, int]:
    """Clusters with members, and clusters without (tombstones), up to change number `upto`."""

    def count(*where: Any) -> int:
        query = select(func.count()).where(clusters.c.change_no <= upto, *where)
        return conn.execute(query).scalar_one()

    return count(clusters.c.members > 0), count(clusters.c.members == 0)


def feed_parts(conn: Connection, upto: int, parts: int, per_member: float = 0.0) -> list[int]:
    """Change numbers that cut the live clusters up to `upto` into parts of about equal weight.

    A cluster weighs 1 and `per_member` for each of its members. The first part ends at the
    first number, the last starts after the last number: one number less than parts; a part
    that holds nothing starts and ends at one number.
    """
    query = (
        select(clusters.c.change_no, clusters.c.members)
        .where(clusters.c.members > 0, clusters.c.change_no <= upto)
        .order_by(clusters.c.change_no)
    )  # fmt: skip
    rows = conn.execute(query).all()
    total = sum(1 + per_member * members for _no, members in rows)
    cuts, done, part = [], 0.0, 1
    for change_no, members in rows:
        done += 1 + per_member * members
        while part < parts and done >= total * part / parts:
            cuts.append(change_no)
            part += 1
    return cuts + [cuts[-1] if cuts else 0] * (parts - 1 - len(cuts))


def count_changed_after(conn: Connection, change_no: int) -> int:
    """How many clusters, tombstones included, changed after cluster change number `change_no`."""
    query = select(func.count()).select_from(clusters).where(clusters.c.change_no > change_no)
    return conn.execute(query).scalar_one()


def latest_changed(conn: Connection, limit: int) -> list[tuple[int, datetime]]:
    """(cluster id, changed at) of the `limit` clusters with members that changed last."""
    query = (
        select(clusters.c.id, clusters.c.changed_at)
        .where(clusters.c.members > 0)
        .order_by(clusters.c.change_no.desc())
        .limit(limit)
    )
    return [tuple(row) for row in conn.execute(query)]


def cluster_info(conn: Connection, cluster_id: int) -> ClusterInfo | None:
    if not 0 < cluster_id <= MAX_ID:
        return None
    row = conn.execute(select(clusters).where(clusters.c.id == cluster_id)).first()
    return ClusterInfo(**row._mapping) if row else None


def locked_change_numbers(conn: Connection, cluster_ids: Iterable[int]) -> dict[int, int]:
    """cluster id -> change number, the rows locked until the transaction ends (PostgreSQL's
    FOR UPDATE; SQLite's write transaction locks the whole store), so a version check holds
    until the change it guards is written."""
    wanted = sorted({cid for cid in cluster_ids if 0 < cid <= MAX_ID})
    query = (
        select(clusters.c.id, clusters.c.change_no)
        .where(clusters.c.id.in_(wanted))
        .order_by(clusters.c.id)
        .with_for_update()
    )
    return dict(conn.execute(query).all()) if wanted else {}


def current_id(conn: Connection, cluster_id: int) -> int | None:
    """Where a cluster id leads now: itself, the cluster it was merged into, or None (gone)."""
    found = cluster_history.fate(conn, cluster_id)
    return None if found is None else found.current


def members(conn: Connection, cluster_id: int) -> list[Member]:
    """A cluster's members in library order, with the rule that joined each."""
    found = member_records(conn, [cluster_id], raw=False)[cluster_id]
    return sorted(
        (Member(m.record_id, m.library, m.local_id, m.rule, m.evidence) for m in found),
        key=lambda m: (m.library, m.local_id),
    )


def record_ids(conn: Connection, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """(library, local id) -> record id, for those that exist."""
    found = {}
    for library, local_id in pairs:
        query = select(records.c.id).where(
            records.c.library == library, records.c.local_id == local_id
        )
        row_id = conn.execute(query).scalar()
        if row_id is not None:
            found[(library, local_id)] = row_id
    return found
