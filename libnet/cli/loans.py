"""`libnet loans timers`: the loan network's timers, then the notices they queued."""

from __future__ import annotations

from dataclasses import astuple
from typing import Any

from libnet.cli.console import log_quietly_on_a_terminal
from libnet.cli.notices import send_notices
from libnet.config import Config
from libnet.store import RecordStore


def cmd_loans_timers(config: Config, store: RecordStore) -> int:
    """The loan network's timers, then the notices they and the day's clicks queued."""
    from libnet import loans
    from libnet.loans import notices

    log_quietly_on_a_terminal()
    report = loans.run_timers(store.engine, mailing=notices.Mailing.from_config(config))
    print(timers_line(report))
    return send_notices(config, store)


def timers_line(report: Any) -> str:
    """One line of what the loan timers did (a loans.TimerReport)."""
    moved, overdue, left = (", ".join(map(str, found)) or "none" for found in astuple(report))
    line = (f"loans: {len(report.skipped)} moved on from a supplier that did not answer "
            f"({moved}), {len(report.overdue)} overdue ({overdue})")  # fmt: skip
    if report.left:
        line += f", {len(report.left)} changed meanwhile, left for the next run ({left})"
    return line
