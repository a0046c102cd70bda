"""The nightly runs as the store keeps them: one row a run of `libnet nightly`, its outcome and
its whole report as JSON (libnet/nightly_report.py), for the operators' pages and the health check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from libnet.redact import redact_json
from libnet.store.record_store import RecordStore
from libnet.store.schema import MAX_ID, nightly_runs
from libnet.times import utc


def start_run(store: RecordStore, at: datetime) -> int:
    """A new run, marked running; its id."""
    with store.write() as conn:
        return conn.execute(
            insert(nightly_runs).values(started_at=at, outcome="running", report="{}")
        ).inserted_primary_key[0]


def finish_run(
    store: RecordStore, run_id: int, finished_at: datetime, outcome: str, report: dict[str, Any]
) -> None:
    """Close a run with its outcome and its whole report (libnet.nightly_report's `to_json()`)."""
    text = json.dumps(redact_json(report), ensure_ascii=False)
    with store.write() as conn:
        conn.execute(
            update(nightly_runs)
            .where(nightly_runs.c.id == run_id)
            .values(finished_at=finished_at, outcome=outcome, report=text)
        )


def close_interrupted(store: RecordStore) -> list[int]:
    """Mark the runs still marked running as interrupted (the caller holds the lock)."""
    with store.write() as conn:
        ids = list(
            conn.scalars(select(nightly_runs.c.id).where(nightly_runs.c.outcome == "running"))
        )
        if ids:
            conn.execute(
                update(nightly_runs).where(nightly_runs.c.id.in_(ids)).values(outcome="interrupted")
            )
    return ids


@dataclass(frozen=True, slots=True)
class StoredRun:
    """A nightly run as the store keeps it."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    outcome: str  # running, ok, failed, interrupted
    report: dict[str, Any]


def recent_runs(conn: Connection, limit: int = 10) -> list[StoredRun]:
    """The latest nightly runs, newest first."""
    query = select(nightly_runs).order_by(nightly_runs.c.id.desc()).limit(limit)
    return [_stored(row) for row in conn.execute(query).mappings()]


def get_run(conn: Connection, run_id: int) -> StoredRun | None:
    if not 0 < run_id <= MAX_ID:  # no row has such an id, and PostgreSQL refuses to look
        return None
    row = conn.execute(select(nightly_runs).where(nightly_runs.c.id == run_id)).mappings().first()
    return _stored(row) if row else None


def last_finished(conn: Connection) -> StoredRun | None:
    """The nightly run that finished last (ok or failed), None before the first."""
    query = (
        select(nightly_runs)
        .where(nightly_runs.c.finished_at.is_not(None))
        .order_by(nightly_runs.c.finished_at.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return _stored(row) if row else None


def _stored(row: Any) -> StoredRun:
    """A run as stored; a report kept before libnet hid secrets (libnet.redact) is hidden now."""
    return StoredRun(row["id"], utc(row["started_at"]), utc(row["finished_at"]), row["outcome"],
                     redact_json(json.loads(row["report"] or "{}")))  # fmt: skip
