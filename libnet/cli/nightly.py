"""`libnet nightly`: every library harvested, the changed records grouped into clusters, the
index brought up to date, the saved searches' alerts queued (libnet.lists.alerts), the loan
timers run, requests that ended long ago anonymised and old
failed logins forgotten, the notices sent, and a report of it all for the operators.

`run_nightly()` does the steps in that order; each step's failure is noted in the report and
the next step still runs (a library whose server is down does not keep the others' records
out of the index, nor the loan timers from running; a failed grouping is tried once more by
the index step). The caller holds the data directory's
lock (libnet.lock), so exactly one run works at a time and a run still marked running in the
store was killed: the next run marks it interrupted.

The harvest, the grouping and the index are stages of their own (harvesters/, index/):
`cmd_nightly` wires them in as the `harvest`, `group` and `index` callables, whose results
`run_nightly` reads by their attributes (HarvestResult, GroupResult, IndexResult), so a test
can run the night with any stand-ins.

The report is kept in the store (table nightly_runs, libnet.store.nightly_runs), written as
JSON into data_dir/reports/, and, as [nightly] mail_report says, queued as a notice to each
address of [mail] operators and sent with the loan notices: a mail server that is down loses
nothing, the report waits with the other notices for `libnet notices send`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from libnet.cli.console import EXIT_FAILED, EXIT_OK, open_configured
from libnet.config import Config
from libnet.errors import one_line
from libnet.lock import data_dir_lock
from libnet.logs import setup_logging
from libnet.nightly_report import NightlyReport, Step, text
from libnet.store import RecordStore
from libnet.store.nightly_runs import close_interrupted, finish_run, start_run

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


class GroupResult(Protocol):
    """What the report reads of a grouping (index.grouping.ClusterReport)."""

    records: int
    changed: frozenset[int]
    one_pass: bool


class AlertResult(Protocol):
    """What the report reads of the alerts (libnet.lists.alerts.AlertReport)."""

    searches: int
    first: int
    sent: int
    failed: int
    errors: tuple[str, ...]


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


def cmd_nightly(config: Config, args: argparse.Namespace) -> int:
    """Everything a night does, one run at a time; the report on stdout, the log on stderr."""
    from harvesters.run import harvest_all
    from index.grouping import update_clusters
    from index.update import update_index
    from libnet.cli.alerts import send_alerts

    setup_logging(logging.INFO)
    with data_dir_lock(config.storage.data_dir):
        store = open_configured(config)
        grouped = []  # the grouping step's report, which the index step then need not redo

        def group() -> GroupResult:
            grouped.append(update_clusters(store))
            return grouped[-1]

        try:
            report = run_nightly(
                config,
                store,
                harvest=lambda: harvest_all(config, store),
                group=group,
                index=lambda: update_index(
                    store, config.storage.data_dir, grouped=grouped[-1] if grouped else None
                ),
                alerts=lambda at: send_alerts(config, store, at),
            )
        finally:
            store.close()
    data = report.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(text(data), end="")
    return EXIT_OK if report.outcome == "ok" else EXIT_FAILED


# --------------------------------------------------------------------------- the run


def run_nightly(
    config: Config,
    store: RecordStore,
    *,
    harvest: Callable[[], Sequence[HarvestResult]],
    group: Callable[[], GroupResult],
    index: Callable[[], IndexResult],
    alerts: Callable[[datetime], AlertResult] | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> NightlyReport:
    """Run every step, keep the report in the store and data_dir, mail it as configured.

    The alerts run only after a good index update: against a stale index, titles that came
    in that night would be passed by for good."""
    interrupted = close_interrupted(store)
    if interrupted:
        log.warning("an earlier nightly run was killed before it finished", extra={
            "runs": ",".join(map(str, interrupted))})  # fmt: skip
    report = NightlyReport(start_run(store, now()), now())
    with run_context(report.run):
        log.info("nightly started")
        _harvest(report, store, harvest)
        report.group = _step("group", lambda: _group_details(group()))
        report.index = _step("index", lambda: _index_details(index()))
        report.alerts = _step("alerts", lambda: _alerts(report, alerts, now()))
        report.loans = _step("loans", lambda: _timers(config, store))
        report.privacy = _step("privacy", lambda: _privacy(config, store, now()))
        report.notices = _step("notices", lambda: _send(config, store))
        report.finished_at = now()
        finish_run(store, report.run, report.finished_at, report.outcome, report.to_json())
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
    """A library's part of the report, with the first REJECTS_SHOWN rejected records and
    the first REJECTS_SHOWN fields repaired or left out."""
    rejects = store.rejects(result.run_id, REJECTS_SHOWN) if result.counts.rejected else []
    repairs = store.repairs(result.run_id, REJECTS_SHOWN) if result.counts.repaired else []
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
        "repairs": [
            {k: getattr(r, k) for k in ("position", "local_id", "tag", "action", "reason")}
            for r in repairs
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


def _group_details(result: GroupResult) -> dict[str, Any]:
    return {"records": result.records, "clusters": len(result.changed),
            "one_pass": result.one_pass}  # fmt: skip


def _index_details(result: IndexResult) -> dict[str, Any]:
    names = ("records", "added", "changed", "removed", "total", "rebuilt")
    return {name: getattr(result, name) for name in names}


def _alerts(
    report: NightlyReport, alerts: Callable[[datetime], AlertResult] | None, at: datetime
) -> dict[str, Any]:
    if alerts is None or report.index.outcome != "ok":
        reason = "not wired in" if alerts is None else "the index is not up to date"
        return {"outcome": "skipped", "reason": reason}
    found = alerts(at)
    return {"searches": found.searches, "first": found.first, "sent": found.sent,
            "failed": found.failed, "problems": list(found.errors[:REJECTS_SHOWN])}  # fmt: skip


def _timers(config: Config, store: RecordStore) -> dict[str, Any]:
    from libnet import loans  # here, not on top: the other commands start faster
    from libnet.loans import notices

    found = loans.run_timers(store.engine, mailing=notices.Mailing.from_config(config))
    return {"moved_on": list(found.skipped), "overdue": list(found.overdue),
            "left": list(found.left)}  # fmt: skip


def _privacy(config: Config, store: RecordStore, now: datetime) -> dict[str, Any]:
    """Requests that ended [loans] anonymise_after_days ago lose their patron; failed logins
    older than 30 days, stale login counters and the sessions that ended go."""
    from libnet.accounts import login
    from libnet.accounts.retention import forget_ended_sessions
    from libnet.accounts.sessions import Lifetimes
    from libnet.loans import anonymisation

    before = now - timedelta(days=config.loans.anonymise_after_days)
    limits = Lifetimes.hours(config.sessions.idle_hours, config.sessions.max_hours)
    with store.write() as conn:
        anonymised = anonymisation.anonymise(conn, before)
        sessions = forget_ended_sessions(conn, limits, now)
    return {"anonymised": anonymised, "forgotten": login.forget_old_failures(store.engine, now),
            "sessions_ended": sessions}  # fmt: skip


def _send(config: Config, store: RecordStore) -> dict[str, Any]:
    from libnet.loans import mailer

    sent = mailer.send_due(store.engine, config)
    if not config.mail.enabled:
        return {"outcome": "skipped", "waiting": sent.waiting}
    if sent.error:  # the round stopped: say which server, as `libnet notices send` does
        error = mailer.server_failed(config.mail, sent.error)
    else:
        error = f"{sent.failed} notices failed" if sent.failed else ""
    return {"sent": sent.sent, "failed": sent.failed, "waiting": sent.waiting,
            "skipped": sent.skipped, "error": error}  # fmt: skip


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


def _mail_wanted(config: Config, report: NightlyReport) -> bool:
    when = config.nightly.mail_report
    return operators(config) != [] and (
        when == "always" or (when == "on-failure" and report.errors)
    )


def operators(config: Config) -> list[str]:
    return [a for a in re.split(r"\s*,\s*", config.mail.operators.strip()) if a]


def queue_report_mail(store: RecordStore, config: Config, report: NightlyReport) -> None:
    """The report as a notice to each operator, sent with the loan notices (and retried)."""
    from libnet.loans import notices

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
