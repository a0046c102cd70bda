"""The nightly run: every library harvested, the index brought up to date, the loan timers
run, the notices sent, and a report of it all for the operators.

`run_nightly()` does the steps in that order; each step's failure is noted in the report and
the next step still runs (a library whose server is down does not keep the others' records
out of the index, nor the loan timers from running). The caller holds the data directory's
lock (libnet.lock), so exactly one run works at a time and a run still marked running in the
store was killed: the next run marks it interrupted.

The harvest and the index are stages above libnet (harvesters/, index/); the command wires
them in as the `harvest` and `index` callables, whose results this module reads by their
attributes (HarvestResult, IndexResult).

The report is kept in the store (table nightly_runs), written as JSON into
data_dir/reports/, and, as [nightly] mail_report says, queued as a notice to each address of
[mail] operators and sent with the loan notices: a mail server that is down loses nothing,
the report waits with the other notices for `libnet notices send`.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, insert, select, update

from libnet import loans, notices
from libnet.config import Config
from libnet.errors import one_line
from libnet.schema import MAX_ID, nightly_runs
from libnet.store import RecordStore
from libnet.times import utc

log = logging.getLogger("libnet.nightly")

REJECTS_SHOWN = 50  # rejected records of one library listed in the report; all are counted
REPORTS = "reports"  # folder in data_dir with one JSON file a run


class HarvestResult(Protocol):
    """What the report reads of one library's harvest (harvesters.run.HarvestReport)."""

    library: str
    run_id: int
    outcome: str
    error: str
    seconds: float

    @property
    def counts(self) -> Any: ...


class IndexResult(Protocol):
    """What the report reads of an index update (index.update.IndexReport)."""

    records: int
    removed: int
    total: int
    seconds: float
    rebuilt: bool

    @property
    def added(self) -> int: ...

    @property
    def changed(self) -> int: ...


@dataclass(slots=True)
class Step:
    """One step of the run: ok or failed, with what it did."""

    outcome: str = "ok"  # ok, failed, skipped
    error: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class NightlyReport:
    run: int
    started_at: datetime
    finished_at: datetime | None = None
    libraries: list[dict[str, Any]] = field(default_factory=list)
    index: Step = field(default_factory=Step)
    loans: Step = field(default_factory=Step)
    notices: Step = field(default_factory=Step)

    @property
    def errors(self) -> list[str]:
        """Every failure of the run, one line each, the library or step first."""
        found = [f"{lib['library']}: {lib['error']}" for lib in self.libraries if lib["error"]]
        for name in ("index", "loans", "notices"):
            step = getattr(self, name)
            if step.outcome == "failed":
                found.append(f"{name}: {step.error}")
        return found

    @property
    def outcome(self) -> str:
        return "failed" if self.errors else "ok"

    def to_json(self) -> dict[str, Any]:
        finished = self.finished_at
        return {
            "run": self.run,
            "outcome": self.outcome,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "seconds": round((finished - self.started_at).total_seconds(), 1) if finished else None,
            "libraries": self.libraries,
            **{name: _step_json(getattr(self, name)) for name in ("index", "loans", "notices")},
            "errors": self.errors,
        }


def _step_json(step: Step) -> dict[str, Any]:
    values = asdict(step)
    return {"outcome": step.outcome, "error": step.error, "seconds": round(step.seconds, 1),
            **values.pop("details")}  # fmt: skip


# --------------------------------------------------------------------------- the run


def run_nightly(
    config: Config,
    store: RecordStore,
    *,
    harvest: Callable[[], Sequence[HarvestResult]],
    index: Callable[[], IndexResult],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> NightlyReport:
    """Run every step, keep the report in the store and data_dir, mail it as configured."""
    interrupted = close_interrupted(store)
    if interrupted:
        log.warning("an earlier nightly run was killed before it finished", extra={
            "runs": ",".join(map(str, interrupted))})  # fmt: skip
    report = NightlyReport(_start(store, now()), now())
    with run_context(report.run):
        log.info("nightly started")
        _harvest(report, store, harvest)
        report.index = _step("index", lambda: _index_details(index()))
        report.loans = _step("loans", lambda: _timers(config, store))
        report.notices = _step("notices", lambda: _send(config, store))
        report.finished_at = now()
        _finish(store, report)
        write_json(config.storage.data_dir, report)
        if _mail_wanted(config, report):
            queue_report_mail(store, config, report)
            _step("report mail", lambda: _send(config, store))
        log.info("nightly finished", extra={"outcome": report.outcome,
                                            "errors": len(report.errors)})  # fmt: skip
    return report


def _harvest(
    report: NightlyReport, store: RecordStore, harvest: Callable[[], Sequence[HarvestResult]]
) -> None:
    try:
        results = harvest()
    except Exception as exc:  # the store failed before any library: noted, the run goes on
        log.exception("the harvest failed")
        report.libraries.append(_library_failed("*", f"the harvest failed: {_reason(exc)}"))
        return
    for result in results:
        report.libraries.append(library_json(store, result))


def library_json(store: RecordStore, result: HarvestResult) -> dict[str, Any]:
    """A library's part of the report, with the first REJECTS_SHOWN rejected records."""
    rejects = store.rejects(result.run_id, REJECTS_SHOWN) if result.counts.rejected else []
    return {
        "library": result.library,
        "run": result.run_id,
        "outcome": result.outcome,
        **asdict(result.counts),
        "seconds": round(result.seconds, 1),
        "error": result.error,
        "rejects": [
            {"position": p.position, "local_id": p.local_id, "reason": p.reason} for p in rejects
        ],
    }


def _library_failed(library: str, error: str) -> dict[str, Any]:
    return {"library": library, "run": None, "outcome": "failed", "error": error, "rejects": []}


def _step(name: str, work: Callable[[], dict[str, Any]]) -> Step:
    """Run one step; a failure is its report's error, never the end of the run."""
    started = time.monotonic()
    try:
        details = work()
    except Exception as exc:
        log.exception(f"{name} failed", extra={"step": name})
        return Step("failed", _reason(exc), time.monotonic() - started)
    error = details.pop("error", "")
    outcome = "failed" if error else details.pop("outcome", "ok")
    seconds = time.monotonic() - started
    counts = {key: len(v) if isinstance(v, list) else v for key, v in details.items()}
    extra = {"step": name, "outcome": outcome, **counts, "seconds": round(seconds, 1)}
    if error:
        log.error(f"{name} failed: {error}", extra=extra)
    else:
        log.info(f"{name} finished", extra=extra)
    return Step(outcome, error, seconds, details)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {one_line(exc)}"


def _index_details(result: IndexResult) -> dict[str, Any]:
    names = ("records", "added", "changed", "removed", "total", "rebuilt")
    return {name: getattr(result, name) for name in names}


def _timers(config: Config, store: RecordStore) -> dict[str, Any]:
    found = loans.run_timers(store.engine, mailing=notices.Mailing.from_config(config))
    return {"moved_on": list(found.skipped), "overdue": list(found.overdue),
            "left": list(found.left)}  # fmt: skip


def _send(config: Config, store: RecordStore) -> dict[str, Any]:
    sent = notices.send_due(store.engine, config)
    if not config.mail.enabled:
        return {"outcome": "skipped", "waiting": sent.waiting}
    if sent.error:  # the round stopped: say which server, as `libnet notices send` does
        error = notices.server_failed(config.mail, sent.error)
    else:
        error = f"{sent.failed} notices failed" if sent.failed else ""
    return {"sent": sent.sent, "failed": sent.failed, "waiting": sent.waiting,
            "skipped": sent.skipped, "error": error}  # fmt: skip


# --------------------------------------------------------------------------- the store


def _start(store: RecordStore, at: datetime) -> int:
    with store.write() as conn:
        return conn.execute(
            insert(nightly_runs).values(started_at=at, outcome="running", report="{}")
        ).inserted_primary_key[0]


def _finish(store: RecordStore, report: NightlyReport) -> None:
    text = json.dumps(report.to_json(), ensure_ascii=False)
    with store.write() as conn:
        conn.execute(
            update(nightly_runs)
            .where(nightly_runs.c.id == report.run)
            .values(finished_at=report.finished_at, outcome=report.outcome, report=text)
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
    return StoredRun(row["id"], utc(row["started_at"]), utc(row["finished_at"]), row["outcome"],
                     json.loads(row["report"] or "{}"))  # fmt: skip


# --------------------------------------------------------------------------- the report


def write_json(data_dir: Path, report: NightlyReport) -> Path:
    """data_dir/reports/nightly-NNNNNN.json, written whole or not at all."""
    folder = data_dir / REPORTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"nightly-{report.run:06d}.json"
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".nightly-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report.to_json(), fh, ensure_ascii=False, indent=2)
            fh.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


COUNTS = ("added", "changed", "unchanged", "deleted", "rejected")
INDEX_WORDS = (
    "{records} changed records regrouped; clusters {added} added, {changed} changed, "
    "{removed} removed; {total} in the index"
)
LOANS_WORDS = (
    "{moved_on} moved on from a silent supplier, {overdue} overdue, "
    "{left} changed meanwhile and left for the next run"
)


def text(report: dict[str, Any]) -> str:
    """The report (as `to_json()` gives it) as plain text, for stdout and the operators' mail."""
    lines = [
        f"libnet nightly run {report['run']}: {report['outcome']}",
        f"started {report['started_at']}, {report['seconds']} s",
        "",
        "Libraries:",
    ]
    for lib in report["libraries"]:
        lines += _library_lines(lib)
    index, timers, mail = report["index"], report["loans"], report["notices"]
    lines.append("")
    lines.append("Index: " + _step_text(index, INDEX_WORDS))
    if timers.get("moved_on") is not None:
        timers = timers | {key: len(timers[key]) for key in ("moved_on", "overdue", "left")}
    lines.append("Loans: " + _step_text(timers, LOANS_WORDS))
    if mail["outcome"] == "skipped":
        lines.append(f"Notices: mail is off ([mail] host), {mail['waiting']} waiting")
    else:
        lines.append(
            "Notices: " + _step_text(mail, "{sent} sent, {failed} failed, {waiting} waiting")
        )
    if report["errors"]:
        lines += ["", "Errors:", *(f"  - {error}" for error in report["errors"])]
    return "\n".join(lines) + "\n"


def _library_lines(lib: dict[str, Any]) -> list[str]:
    if lib.get("run") is None:
        return [f"  {lib['library']}: {lib['outcome']}: {lib['error']}"]
    counts = ", ".join(f"{lib[name]} {name}" for name in COUNTS)
    lines = [f"  {lib['library']:<18} {lib['outcome']:<8} {counts} ({lib['seconds']} s)"]
    if lib["error"]:
        lines.append(f"      {lib['error']}")
    for problem in lib["rejects"]:
        ident = f" id {problem['local_id']}" if problem["local_id"] else ""
        lines.append(f"      rejected {problem['position']}{ident}: {problem['reason']}")
    if lib["rejected"] > len(lib["rejects"]):
        more = f"libnet runs --rejects {lib['run']}"
        lines.append(f"      ... {lib['rejected']} rejected in all: {more}")
    return lines


def _step_text(step: dict[str, Any], words: str) -> str:
    """A step's line: what it did, or why it failed when it did nothing."""
    try:
        done = words.format(**step)
    except KeyError:  # failed before it could count anything
        return f"failed: {step['error']}"
    failed = f"; failed: {step['error']}" if step["error"] else ""
    return f"{done} ({step['seconds']} s){failed}"


def _mail_wanted(config: Config, report: NightlyReport) -> bool:
    when = config.nightly.mail_report
    return operators(config) != [] and (
        when == "always" or (when == "on-failure" and report.errors)
    )


def operators(config: Config) -> list[str]:
    return [a for a in re.split(r"\s*,\s*", config.mail.operators.strip()) if a]


def queue_report_mail(store: RecordStore, config: Config, report: NightlyReport) -> None:
    """The report as a notice to each operator, sent with the loan notices (and retried)."""
    body = text(report.to_json())
    failed = ", ".join(e.split(":", 1)[0] for e in report.errors)
    subject = f"libnet nightly {report.started_at:%Y-%m-%d}: " + (
        f"failed ({failed})" if failed else "ok")  # fmt: skip
    with store.write() as conn:
        for address in operators(config):
            notices.queue_plain(conn, "nightly", address, subject, body, now=report.finished_at)


# --------------------------------------------------------------------------- the log


@contextmanager
def run_context(run: int) -> Iterator[None]:
    """Every log line of libnet during the run carries `nightly=RUN`."""

    def stamp(record: logging.LogRecord) -> bool:
        record.nightly = run
        return True

    handlers = logging.getLogger("libnet").handlers
    for handler in handlers:
        handler.addFilter(stamp)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(stamp)
