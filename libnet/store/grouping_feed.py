"""What grouping (index/grouping.py) reads and keeps in the store: the records that changed
since it last ran, the live records' normalised fields, and their blocking keys (match_keys).

Record fields come back as the stored JSON text: grouping decodes them its own way, and a full
regrouping reads a million of them page by page, never all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from sqlalchemy import Connection, delete, func, insert, select

from libnet.store.schema import cluster_members, match_keys, records


def count_changes(conn: Connection, since: int, upto: int | None = None) -> int:
    """How many records changed after change number `since` (and up to `upto`)."""
    condition = [records.c.change_no > since]
    if upto is not None:
        condition.append(records.c.change_no <= upto)
    return conn.execute(select(func.count()).select_from(records).where(*condition)).scalar_one()


def count_live(conn: Connection) -> int:
    """How many records are live (not deleted at their library)."""
    return conn.execute(select(func.count()).where(records.c.deleted.is_(False))).scalar_one()


def changed_records(
    conn: Connection, since: int, upto: int, limit: int | None
) -> list[tuple[int, int, bool]]:
    """(change number, record id, deleted) of the next `limit` records changed in (since, upto]."""
    query = (
        select(records.c.change_no, records.c.id, records.c.deleted)
        .where(records.c.change_no > since, records.c.change_no <= upto)
        .order_by(records.c.change_no)
        .limit(limit)
    )
    return [tuple(row) for row in conn.execute(query)]


def live_record_pages(conn: Connection, size: int) -> Iterator[list[tuple[int, str]]]:
    """Every live record as (record id, fields JSON), in record id order, `size` a page."""
    last = 0
    while True:
        query = (
            select(records.c.id, records.c.fields)
            .where(records.c.id > last, records.c.deleted.is_(False))
            .order_by(records.c.id)
            .limit(size)
        )
        rows = conn.execute(query).all()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def live_fields(conn: Connection, record_ids: Iterable[int]) -> Iterator[tuple[int, str]]:
    """(record id, fields JSON) of the live ones of these records."""
    ids = list(record_ids)
    for start in range(0, len(ids), 500):  # SQLite allows only so many parameters
        query = select(records.c.id, records.c.fields).where(
            records.c.id.in_(ids[start : start + 500]), records.c.deleted.is_(False)
        )
        yield from conn.execute(query)


def all_members(conn: Connection) -> dict[int, int]:
    """record id -> cluster id of every record in a cluster."""
    return dict(
        conn.execute(select(cluster_members.c.record_id, cluster_members.c.cluster_id)).all()
    )


def records_with_keys(conn: Connection, keys: Iterable[str], limit: int) -> dict[str, list[int]]:
    """key -> live record ids holding it; a key held by more than `limit` records is cut off."""
    wanted = sorted(set(keys))
    found: dict[str, list[int]] = {key: [] for key in wanted}
    for start in range(0, len(wanted), 500):
        query = select(match_keys.c.key, match_keys.c.record_id).where(
            match_keys.c.key.in_(wanted[start : start + 500])
        )
        for key, record_id in conn.execute(query):
            if len(found[key]) <= limit:
                found[key].append(record_id)
    return found


def replace_keys(conn: Connection, keys: Mapping[int, Iterable[str]]) -> None:
    """Set the blocking keys of these records (none for a deleted record)."""
    ids = list(keys)
    for start in range(0, len(ids), 500):
        conn.execute(delete(match_keys).where(match_keys.c.record_id.in_(ids[start : start + 500])))
    rows = [
        {"key": key, "record_id": rid} for rid, record_keys in keys.items() for key in record_keys
    ]
    if rows:
        conn.execute(insert(match_keys), rows)


def replace_all_keys(conn: Connection, keys: list[tuple[str, int]], chunk: int) -> None:
    """Replace every blocking key with these (key, record id) pairs, `chunk` a statement."""
    conn.execute(delete(match_keys))
    for start in range(0, len(keys), chunk):
        rows = [{"key": k, "record_id": r} for k, r in keys[start : start + chunk]]
        conn.execute(insert(match_keys), rows)
