"""Harvest runs: one row per harvest of one library, its counts and outcome, the records it
rejected with the reason, and the malformed fields of records it kept (repaired or left out).

A run's error and a reject's reason may name the source's URL: they are kept, and read back,
with its secrets hidden (libnet.redact), whatever the harvester put into them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, Row, func, select, update

from libnet.records.harvested import FieldRepair, RecordProblem
from libnet.redact import redact_text
from libnet.store.database import aware, transaction, utcnow
from libnet.store.schema import harvest_runs, rejects, repairs


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    library: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    full: bool
    added: int
    changed: int
    unchanged: int
    deleted: int
    rejected: int
    error: str | None
    cursor: str | None
    repaired: int = 0  # records kept with a malformed field repaired or left out

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class HarvestRuns:
    """The record store's harvest runs (a part of RecordStore)."""

    engine: Engine

    def start_run(self, library: str, full: bool, now: datetime | None = None) -> int:
        with transaction(self.engine) as conn:
            result = conn.execute(
                harvest_runs.insert().values(
                    library=library,
                    started_at=now or utcnow(),
                    outcome="running",
                    full=full,
                    added=0,
                    changed=0,
                    unchanged=0,
                    deleted=0,
                    rejected=0,
                )
            )
            return result.inserted_primary_key[0]

    def fail_run(
        self, run_id: int, outcome: str, error: str, problems: Iterable[RecordProblem] = ()
    ) -> None:
        """Close a run that wrote no records, keeping the problems it had found."""
        with transaction(self.engine) as conn:
            rejected = insert_rejects(conn, run_id, problems)
            conn.execute(
                update(harvest_runs)
                .where(harvest_runs.c.id == run_id)
                .values(
                    outcome=outcome,
                    error=redact_text(error),
                    finished_at=utcnow(),
                    rejected=rejected,
                )
            )

    def close_interrupted_runs(self) -> int:
        """Runs still marked running when no harvest runs (the caller holds the lock) died."""
        with transaction(self.engine) as conn:
            result = conn.execute(
                update(harvest_runs)
                .where(harvest_runs.c.outcome == "running")
                .values(
                    outcome="interrupted",
                    error="the harvest stopped before it finished",
                )
            )
            return result.rowcount

    def last_cursor(self, library: str) -> str | None:
        """The cursor of the library's last successful harvest, for an incremental one."""
        with self.engine.connect() as conn:
            return conn.execute(
                select(harvest_runs.c.cursor)
                .where(harvest_runs.c.library == library, harvest_runs.c.outcome == "ok")
                .order_by(harvest_runs.c.id.desc())
                .limit(1)
            ).scalar()

    def last_harvests(self) -> dict[str, datetime]:
        """When each library was last harvested successfully (as the database hands it back)."""
        query = (
            select(harvest_runs.c.library, func.max(harvest_runs.c.finished_at))
            .where(harvest_runs.c.outcome == "ok")
            .group_by(harvest_runs.c.library)
        )
        with self.engine.connect() as conn:
            return {library: finished for library, finished in conn.execute(query) if finished}

    def runs(self, library: str | None = None, limit: int = 20) -> list[Run]:
        query = select(harvest_runs).order_by(harvest_runs.c.id.desc()).limit(limit)
        if library:
            query = query.where(harvest_runs.c.library == library)
        with self.engine.connect() as conn:
            return [_run(row) for row in conn.execute(query)]

    def run(self, run_id: int) -> Run | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(harvest_runs).where(harvest_runs.c.id == run_id)).first()
        return _run(row) if row else None

    def rejects(self, run_id: int, limit: int | None = None) -> list[RecordProblem]:
        """The records a run rejected, in the order it met them; the first `limit` of them."""
        query = (
            select(rejects.c.position, rejects.c.reason, rejects.c.local_id, rejects.c.excerpt)
            .where(rejects.c.run_id == run_id)
            .order_by(rejects.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [RecordProblem(*row) for row in conn.execute(query)]

    def repairs(self, run_id: int, limit: int | None = None) -> list[FieldRepair]:
        """The malformed fields of the records a run kept, in the order it met them."""
        c = repairs.c
        query = (
            select(c.tag, c.action, c.reason, c.field, c.position, c.local_id)
            .where(c.run_id == run_id)
            .order_by(c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [FieldRepair(*row) for row in conn.execute(query)]


def _run(row: Row) -> Run:
    """A run as stored; an error kept before libnet hid secrets is hidden now."""
    values = aware(row._mapping)
    return Run(**values | {"error": values["error"] and redact_text(values["error"])})


def insert_rejects(conn: Connection, run_id: int, problems: Iterable[RecordProblem]) -> int:
    """Keep a run's rejected records; how many there were."""
    rows = [
        {
            "run_id": run_id,
            "position": p.position[:400],
            "local_id": p.local_id[:200],
            "reason": redact_text(p.reason),
            "excerpt": p.excerpt,
        }
        for p in problems
    ]
    if rows:
        conn.execute(rejects.insert(), rows)
    return len(rows)


def insert_repairs(conn: Connection, run_id: int, found: Iterable[FieldRepair]) -> int:
    """Keep the repaired or left-out fields of a run's records; how many fields there were."""
    rows = [
        {
            "run_id": run_id,
            "position": r.position[:400],
            "local_id": r.local_id[:200],
            "tag": r.tag[:10],
            "field": r.field,
            "action": r.action,
            "reason": redact_text(r.reason),
        }
        for r in found
    ]
    if rows:
        conn.execute(repairs.insert(), rows)
    return len(rows)
