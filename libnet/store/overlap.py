"""The SQL of the holdings-overlap report (libnet/overlap.py): who holds each cluster, how
often each was ordered through the loan network, and the titles of the clusters shown.

One aggregated pass over the records (from their index ix_records_overlap) and their
cluster membership gives, per cluster, how many
libraries hold it, whether the library asked about is one of them, its subject and decade
(the records' overlap keys, libnet.records.overlap_keys: the largest subject of its members,
so that one with a subject wins over one without, and the earliest decade) and its first
record, whose short title the lists show.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    distinct,
    false,
    func,
    literal,
    or_,
    select,
)

from libnet.store.clusters import current_id
from libnet.store.schema import cluster_members, clusters, loan_requests, records

CHUNK = 900  # ids in one IN (...): below SQLite's 999 variables of old versions


@dataclass(frozen=True, slots=True)
class Held:
    """One cluster as the report counts it."""

    cluster_id: int
    libraries: int  # how many libraries hold it
    here: bool  # the library asked about holds it (always False for the county)
    subject: str
    decade: int | None
    first_record: int  # the member whose short title stands for the cluster


def holdings(conn: Connection, library: str | None, n: int) -> Iterator[Held]:
    """The clusters held by one library alone or by `n` or more, in cluster id order; with a
    library, only those it holds. A million records hold a few hundred thousand clusters: the
    database leaves out those on no list."""
    query = _aggregate(library)
    libraries = func.count(distinct(records.c.library))
    either = or_(libraries == 1, libraries >= n)
    if library is not None:
        query = query.having(and_(_here(library) == 1, either))
    else:
        query = query.having(either)
    yield from _held(conn, query)


def holdings_of(
    conn: Connection, library: str | None, cluster_ids: Iterable[int]
) -> Iterator[Held]:
    """The clusters of `cluster_ids` that have live members."""
    for chunk in _chunks(cluster_ids):
        query = _aggregate(library, by_member=False)
        yield from _held(conn, query.where(cluster_members.c.cluster_id.in_(chunk)))


def _aggregate(library: str | None, by_member: bool = True) -> Select:
    """Per cluster: libraries, here, subject, decade, first record. `by_member`: read every
    live record, from ix_records_overlap; otherwise the caller names the clusters, and their
    members' rows are looked up."""
    # "+ 0": SQLite would otherwise look up each member's wide row (raw MARC, JSON) by its id;
    # so it reads the records from ix_records_overlap and their clusters by record id
    record_id = records.c.id + 0 if by_member else records.c.id
    return (
        select(
            cluster_members.c.cluster_id,
            func.count(distinct(records.c.library)),
            _here(library),
            func.max(records.c.subject),
            func.min(records.c.decade),
            func.min(records.c.id),
        )
        .select_from(records.join(cluster_members, cluster_members.c.record_id == record_id))
        .where(records.c.deleted == false())
        .group_by(cluster_members.c.cluster_id)
        .order_by(cluster_members.c.cluster_id)
    )


def _here(library: str | None) -> ColumnElement:
    if library is None:
        return literal(0)
    return func.max(case((records.c.library == library, 1), else_=0))


def _held(conn: Connection, query: Select) -> Iterator[Held]:
    for cluster_id, libraries, is_here, subject, decade, first in conn.execute(query):
        yield Held(cluster_id, libraries, bool(is_here), subject or "", decade, first)


def orders(conn: Connection, since: datetime, library: str | None) -> dict[int, int]:
    """Loan requests placed since `since` (by the patrons of `library`, or of any library) per
    cluster, counting only those whose requesting library does not hold the title. A request
    for a cluster merged into another since counts for that one (clusters.current_id)."""
    query = (
        select(loan_requests.c.cluster_id, clusters.c.members,
               loan_requests.c.requesting_library, func.count())
        .select_from(loan_requests.join(clusters, clusters.c.id == loan_requests.c.cluster_id))
        .where(loan_requests.c.created_at >= since)
    )  # fmt: skip
    if library is not None:
        query = query.where(loan_requests.c.requesting_library == library)
    query = query.group_by(loan_requests.c.cluster_id, clusters.c.members,
                           loan_requests.c.requesting_library)  # fmt: skip
    counted: list[tuple[int, str, int]] = []
    followed: dict[int, int | None] = {}
    for cluster_id, members, requester, count in conn.execute(query):
        if members:
            target: int | None = cluster_id
        else:
            if cluster_id not in followed:
                followed[cluster_id] = current_id(conn, cluster_id)
            target = followed[cluster_id]
        if target is not None:
            counted.append((target, requester, count))
    holders = _holders(conn, {target for target, _, _ in counted})
    found: dict[int, int] = defaultdict(int)
    for target, requester, count in counted:
        if requester not in holders.get(target, ()):
            found[target] += count
    return dict(found)


def short_titles(conn: Connection, record_ids: Iterable[int]) -> dict[int, str]:
    """record id -> its short title."""
    found: dict[int, str] = {}
    for chunk in _chunks(record_ids):
        query = select(records.c.id, records.c.short_title).where(records.c.id.in_(chunk))
        found.update({row_id: title for row_id, title in conn.execute(query)})
    return found


def _holders(conn: Connection, cluster_ids: Iterable[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(cluster_ids):
        query = (
            select(cluster_members.c.cluster_id, records.c.library)
            .select_from(cluster_members.join(records, records.c.id == cluster_members.c.record_id))
            .where(cluster_members.c.cluster_id.in_(chunk), records.c.deleted == false())
        )
        for cluster_id, library in conn.execute(query):
            found[cluster_id].add(library)
    return found


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]
