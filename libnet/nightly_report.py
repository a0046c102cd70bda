"""The nightly report: what one run of `libnet nightly` did, step by step, and the report as text.

libnet/cli/nightly.py runs the night's steps and fills a NightlyReport; libnet/store/nightly_runs.py
keeps it, and the operators' pages and the health check (webapp/) read it back from there and
print it with `text`, so they never need the command. Both hide the secrets of any source URL
an error names (libnet.redact), in print, in the mail, in the store and on the pages alike.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from libnet.redact import redact_json, redact_text


@dataclass(slots=True)
class Step:
    """One step of the run: ok or failed, with what it did."""

    outcome: str = "ok"  # ok, failed, skipped
    error: str = ""
    seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


# after the harvest, in the order they run
STEPS = ("group", "index", "alerts", "loans", "privacy", "notices")


@dataclass(slots=True)
class NightlyReport:
    run: int
    started_at: datetime
    finished_at: datetime | None = None
    libraries: list[dict[str, Any]] = field(default_factory=list)
    group: Step = field(default_factory=Step)
    index: Step = field(default_factory=Step)
    alerts: Step = field(default_factory=Step)
    loans: Step = field(default_factory=Step)
    privacy: Step = field(default_factory=Step)
    notices: Step = field(default_factory=Step)

    @property
    def errors(self) -> list[str]:
        """Every failure of the run, one line each, the library or step first."""
        found = [f"{lib['library']}: {lib['error']}" for lib in self.libraries if lib["error"]]
        for name in STEPS:
            step = getattr(self, name)
            if step.outcome == "failed":
                found.append(f"{name}: {step.error}")
        return found

    @property
    def outcome(self) -> str:
        return "failed" if self.errors else "ok"

    def to_json(self) -> dict[str, Any]:
        finished = self.finished_at
        report = {
            "run": self.run,
            "outcome": self.outcome,
            "started_at": self.started_at.isoformat(),
            "finished_at": finished.isoformat() if finished else None,
            "seconds": round((finished - self.started_at).total_seconds(), 1) if finished else None,
            "libraries": self.libraries,
            **{name: _step_json(getattr(self, name)) for name in STEPS},
            "errors": self.errors,
        }
        return redact_json(report)


def _step_json(step: Step) -> dict[str, Any]:
    values = asdict(step)
    return {"outcome": step.outcome, "error": step.error, "seconds": round(step.seconds, 1),
            **values.pop("details")}  # fmt: skip


# --------------------------------------------------------------------------- the report as text


COUNTS = ("added", "changed", "unchanged", "deleted", "rejected", "repaired")
GROUP_WORDS = "{records} changed records regrouped, {clusters} clusters changed"
INDEX_WORDS = (
    "{records} changed records regrouped; clusters {added} added, {changed} changed, "
    "{removed} removed; {total} in the index"
)
LOANS_WORDS = (
    "{moved_on} moved on from a silent supplier, {overdue} overdue, "
    "{left} changed meanwhile and left for the next run"
)
ALERTS_WORDS = (
    "{searches} saved searches with an alert run ({first} for the first time), {sent} mails "
    "queued, {failed} searches failed"
)
PRIVACY_WORDS = (
    "anonymised {anonymised} requests that ended; forgot {forgotten} old failed logins and "
    "login counters, {sessions_ended} ended sessions"
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
    if "group" in report:  # reports of runs before grouping was a step of its own have none
        lines.append("Grouping: " + _step_text(report["group"], GROUP_WORDS))
    lines.append("Index: " + _step_text(index, INDEX_WORDS))
    alerts = report.get("alerts")  # reports of runs before alerts have none
    if alerts and alerts["outcome"] == "skipped":
        lines.append(f"Alerts: skipped: {alerts.get('reason', '')}")
    elif alerts:
        lines.append("Alerts: " + _step_text(alerts, ALERTS_WORDS))
        lines += [f"      {problem}" for problem in alerts.get("problems", [])]
    if timers.get("moved_on") is not None:
        timers = timers | {key: len(timers[key]) for key in ("moved_on", "overdue", "left")}
    lines.append("Loans: " + _step_text(timers, LOANS_WORDS))
    if "privacy" in report:  # reports of runs before it was a step have none
        lines.append("Privacy: " + _step_text(report["privacy"], PRIVACY_WORDS))
    if mail["outcome"] == "skipped":
        lines.append(f"Notices: mail is off ([mail] host), {mail['waiting']} waiting")
    else:
        lines.append(
            "Notices: " + _step_text(mail, "{sent} sent, {failed} failed, {waiting} waiting")
        )
    if report["errors"]:
        lines += ["", "Errors:", *(f"  - {error}" for error in report["errors"])]
    return redact_text("\n".join(lines) + "\n")


def _library_lines(lib: dict[str, Any]) -> list[str]:
    if lib.get("run") is None:
        return [f"  {lib['library']}: {lib['outcome']}: {lib['error']}"]
    # reports written before libnet repaired fields have no "repaired"
    counts = ", ".join(f"{lib[name]} {name}" for name in COUNTS if name in lib)
    lines = [f"  {lib['library']:<18} {lib['outcome']:<8} {counts} ({lib['seconds']} s)"]
    if lib["error"]:
        lines.append(f"      {lib['error']}")
    for problem in lib["rejects"]:
        ident = f" id {problem['local_id']}" if problem["local_id"] else ""
        lines.append(f"      rejected {problem['position']}{ident}: {problem['reason']}")
    if lib["rejected"] > len(lib["rejects"]):
        more = f"libnet runs --rejects {lib['run']}"
        lines.append(f"      ... {lib['rejected']} rejected in all: {more}")
    return lines + _repair_lines(lib)


def _repair_lines(lib: dict[str, Any]) -> list[str]:
    """The records kept with a malformed field repaired or left out, apart from the rejects."""
    if not lib.get("repaired"):
        return []
    lines = []
    for repair in lib.get("repairs", []):
        ident = f" id {repair['local_id']}" if repair["local_id"] else ""
        where = f"{repair['position']}{ident}: field {repair['tag']}"
        lines.append(f"      {repair['action']} {where}: {repair['reason']}")
    more = f"libnet runs --repairs {lib['run']}"
    lines.append(f"      {lib['repaired']} kept with a field repaired or left out: {more}")
    return lines


def _step_text(step: dict[str, Any], words: str) -> str:
    """A step's line: what it did, or why it failed when it did nothing."""
    try:
        done = words.format(**step)
    except KeyError:  # failed before it could count anything
        return f"failed: {step['error']}"
    failed = f"; failed: {step['error']}" if step["error"] else ""
    return f"{done} ({step['seconds']} s){failed}"
