"""`libnet notices`: the loan network's e-mail notices sent when due, and listed."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from typing import Any

from rich.console import Console
from rich.table import Table

from libnet.cli.console import EXIT_FAILED, EXIT_OK, log_quietly_on_a_terminal
from libnet.config import Config
from libnet.store import RecordStore


def cmd_notices(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    from libnet.loans import notices

    if args.notices_command == "send":
        log_quietly_on_a_terminal()
        return send_notices(config, store)
    with store.engine.connect() as conn:
        found = notices.list_notices(conn, unsent=args.unsent)
    if args.json:
        print(json.dumps([_notice_json(n) for n in found], ensure_ascii=False, indent=2))
        return EXIT_OK
    table = Table("id", "created (UTC)", "kind", "to", "status", "attempts", "subject", "error")
    for n in found:
        table.add_row(str(n.id), f"{n.created_at:%Y-%m-%d %H:%M}", n.kind, n.recipient, n.status,
                      str(n.attempts), n.subject, n.last_error or "")  # fmt: skip
    Console(width=160).print(table)
    return EXIT_OK


def send_notices(config: Config, store: RecordStore) -> int:
    """Send what is due and say how it went; EXIT_FAILED when some notice failed."""
    from libnet.loans import mailer

    report = mailer.send_due(store.engine, config)
    if not config.mail.enabled:
        print(f"mail is off ([mail] host is empty): {report.waiting} notices wait")
        return EXIT_OK
    print(f"notices: {report.sent} sent, {report.failed} failed, {report.waiting} waiting, "
          f"{report.skipped} skipped (library without email)")  # fmt: skip
    if report.error:
        print(f"libnet: {mailer.server_failed(config.mail, report.error)}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def _notice_json(notice: Any) -> dict[str, Any]:
    """A notice's columns and status, times as ISO 8601 text."""
    row = asdict(notice)
    times = {key: value.isoformat() for key, value in row.items() if hasattr(value, "isoformat")}
    return row | times | {"status": notice.status}
