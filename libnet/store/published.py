"""What the catalogue publishes: the clusters, each with its datestamp, in change order, and
their member records (member_records: for the index, SRU, OAI-PMH and the record page).

One cluster is one published record. Its datestamp is clusters.changed_at, which
libnet.store.clusters sets whenever the cluster's members or their rules change (write_groups) or a
member's record changes in place (touch). A cluster left without members, gone or merged into
another, is published as deleted: its row is never removed. A gone cluster whose record comes
back within a year lives again under its id (libnet.store.cluster_history).

Lists run in cluster change order (change_no): unique, indexed, handed out in commit order, and
a cluster that changes takes a new, higher number. Paging after the last number seen thus
never skips a cluster, whatever the clock did; a cluster changed during a harvest comes again
later in the same list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, or_, select, true

from libnet.records.bib import BibRecord
from libnet.store.schema import cluster_members, clusters, records
from libnet.times import utc


@dataclass(frozen=True, slots=True)
class PublishedCluster:
    id: int
    datestamp: datetime  # UTC
    deleted: bool
    change_no: int
    libraries: tuple[str, ...]  # codes of the holding libraries; () for a deleted cluster


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """A member of a cluster with its record as stored: as harvested and normalised."""

    record_id: int
    library: str
    local_id: str
    rule: str  # the rule that joined it to the cluster, with its one-line evidence
    evidence: str
    deleted: bool  # deleted at its library since the cluster was last grouped
    syntax: str  # libnet.records.harvested.ISO2709 or MARCXML
    raw: bytes  # as harvested; b"" when read with member_records(raw=False)
    bib: BibRecord
    first_seen: datetime  # UTC
    last_changed: datetime


@dataclass(frozen=True, slots=True)
class Selection:
    """Which clusters a list holds: changed in [since, before), and held by `library`.

    A deleted cluster belongs to every library's set: which libraries held it is not kept,
    and a harvester of one library must still learn that a cluster it took is gone.
    """

    since: datetime | None = None
    before: datetime | None = None
    library: str | None = None


_DELETED = or_(clusters.c.members == 0, clusters.c.merged_into.is_not(None))


def earliest_datestamp(conn: Connection) -> datetime | None:
    """The oldest datestamp of any cluster; None when there are no clusters yet."""
    found = conn.execute(select(func.min(clusters.c.changed_at))).scalar()
    return None if found is None else utc(found)


def count(conn: Connection, selection: Selection) -> int:
    """How many clusters the selection holds."""
    query = select(func.count()).select_from(clusters).where(_condition(selection))
    return conn.execute(query).scalar_one()


def page(conn: Connection, selection: Selection, after: int, limit: int) -> list[PublishedCluster]:
    """The next `limit` clusters of the selection whose change number is above `after`."""
    query = (
        select(*_COLUMNS)
        .where(_condition(selection), clusters.c.change_no > after)
        .order_by(clusters.c.change_no)
        .limit(limit)
    )
    return _published(conn, conn.execute(query).all())


def cluster(conn: Connection, cluster_id: int) -> PublishedCluster | None:
    """One cluster, live or deleted; None when there never was such a cluster."""
    rows = conn.execute(select(*_COLUMNS).where(clusters.c.id == cluster_id)).all()
    found = _published(conn, rows)
    return found[0] if found else None


def member_records(
    conn: Connection, cluster_ids: Iterable[int], *, raw: bool = True
) -> dict[int, list[MemberRecord]]:
    """cluster id -> its members with their records, in record id order (the index's order).

    The one query that joins the members of clusters with their records. `raw=False` leaves
    the records' harvested bytes unread (b""): building index documents needs only the fields.
    """
    wanted = list(dict.fromkeys(cluster_ids))
    found: dict[int, list[MemberRecord]] = {cid: [] for cid in wanted}
    columns = [
        cluster_members.c.cluster_id, records.c.id, records.c.library, records.c.local_id,
        cluster_members.c.rule, cluster_members.c.evidence, records.c.deleted, records.c.syntax,
        records.c.fields, records.c.first_seen, records.c.last_changed,
    ]  # fmt: skip
    if raw:
        columns.append(records.c.raw)
    for start in range(0, len(wanted), 500):  # SQLite allows only so many parameters
        query = (
            select(*columns)
            .join(records, records.c.id == cluster_members.c.record_id)
            .where(cluster_members.c.cluster_id.in_(wanted[start : start + 500]))
            .order_by(cluster_members.c.cluster_id, records.c.id)
        )
        for row in conn.execute(query):
            bib = BibRecord.from_dict(json.loads(row.fields))
            found[row.cluster_id].append(
                MemberRecord(
                    row.id, row.library, row.local_id, row.rule, row.evidence, row.deleted,
                    row.syntax, row.raw if raw else b"", bib, utc(row.first_seen),
                    utc(row.last_changed),
                )
            )  # fmt: skip
    return found


_COLUMNS = (clusters.c.id, clusters.c.changed_at, _DELETED.label("deleted"), clusters.c.change_no)


def _condition(selection: Selection) -> Any:
    conditions = []
    if selection.since is not None:
        conditions.append(clusters.c.changed_at >= selection.since)
    if selection.before is not None:
        conditions.append(clusters.c.changed_at < selection.before)
    if selection.library is not None:
        held = exists().where(
            cluster_members.c.cluster_id == clusters.c.id,
            records.c.id == cluster_members.c.record_id,
            records.c.library == selection.library,
        )
        conditions.append(or_(_DELETED, held))
    return and_(true(), *conditions)


def _published(conn: Connection, rows: list[Any]) -> list[PublishedCluster]:
    """Rows of _COLUMNS as published clusters, with the libraries of the live ones.

    A cluster whose member records were all deleted since it was last grouped (between a
    harvest and the grouping after it) is deleted too: it describes nothing any more.
    """
    live = [row.id for row in rows if not row.deleted]
    libraries: dict[int, set[str]] = {cid: set() for cid in live}
    has_live_record: set[int] = set()
    for start in range(0, len(live), 500):
        query = (
            select(cluster_members.c.cluster_id, records.c.library, records.c.deleted)
            .join(records, records.c.id == cluster_members.c.record_id)
            .where(cluster_members.c.cluster_id.in_(live[start : start + 500]))
            .distinct()
        )
        for cid, library, deleted in conn.execute(query):
            libraries[cid].add(library)
            if not deleted:
                has_live_record.add(cid)
    return [
        PublishedCluster(
            row.id, utc(row.changed_at), row.id not in has_live_record, row.change_no,
            tuple(sorted(libraries[row.id])) if row.id in has_live_record else (),
        )
        for row in rows
    ]  # fmt: skip
