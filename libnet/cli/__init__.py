"""The `libnet` command: a thin shell over the library functions of each stage.

Exit status: 0 all good, 1 a library (or the run) failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, astuple
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from libnet.config import Config, load_config
from libnet.errors import ConfigError, LibnetError, one_line
from libnet.lock import AlreadyRunning, data_dir_lock
from libnet.logs import setup_logging
from libnet.marc import parse_iso2709, parse_marcxml_bytes, to_iso2709, to_marcxml
from libnet.numbers import whole_number
from libnet.store import RecordStore, StoredRecord, open_store

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
# the commands that harvest or write the index: only where [nightly] harvest_here is true
WRITES_INDEX = ("harvest", "index", "nightly", "restore")
# harvests and index updates run at this nice level at least (their worker processes too): on
# a machine that also serves the catalogue, the patrons' pages come first
BACKGROUND_NICE = 10


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own exit status for usage errors is 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"libnet: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        metavar="PATH",
        help="configuration file (default: ./config.toml)",
    )
    parser = _Parser(prog="libnet", description=__doc__.splitlines()[0], parents=[common])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    harvest = sub.add_parser("harvest", parents=[common], help="harvest libraries into the store")
    harvest.add_argument("codes", nargs="*", metavar="CODE", help="libraries (default: all)")
    harvest.add_argument("--full", action="store_true", help="full harvest, not incremental")
    harvest.add_argument(
        "--force", action="store_true", help="apply a full harvest even if it deletes much"
    )
    harvest.add_argument(
        "--index", action="store_true", help="then bring the index up to date (one lock for both)"
    )

    records = sub.add_parser("records", parents=[common], help="look at stored records")
    records_sub = records.add_subparsers(dest="records_command", required=True)
    show = records_sub.add_parser("show", parents=[common], help="one stored record")
    show.add_argument("library", metavar="CODE")
    show.add_argument("local_id", metavar="ID")
    form = show.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_const", const="json", dest="form")
    form.add_argument("--marc", action="store_const", const="marc", dest="form")
    form.add_argument("--marcxml", action="store_const", const="marcxml", dest="form")
    stats = records_sub.add_parser("stats", parents=[common], help="records per library")
    stats.add_argument("--json", action="store_true")

    runs = sub.add_parser("runs", parents=[common], help="the last harvest runs")
    runs.add_argument("library", nargs="?", metavar="CODE")
    runs.add_argument("--rejects", type=int, metavar="RUN", help="what run RUN rejected and why")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true")

    index = sub.add_parser("index", parents=[common], help="bring the union index up to date")
    index.add_argument("--full", action="store_true", help="rebuild from all clusters")

    search = sub.add_parser("search", parents=[common], help="search the union catalogue")
    search.add_argument("query", metavar="QUERY", nargs="+")
    search.add_argument("--json", action="store_true", help="the hits as JSON (the web API's)")
    search.add_argument("--library", metavar="CODE", default="", help="your library: first")
    search.add_argument("--format", metavar="F", action="append", default=[], help="only F")
    search.add_argument("--held-by", metavar="CODE", action="append", default=[],
                        help="only titles this library holds")  # fmt: skip
    search.add_argument("--sort", default="relevance",
                        choices=("relevance", "year_desc", "year_asc", "title"))  # fmt: skip
    search.add_argument("--page", type=int, default=1)

    clusters = sub.add_parser("clusters", parents=[common], help="the union catalogue's clusters")
    clusters_sub = clusters.add_subparsers(dest="clusters_command", required=True)
    update = clusters_sub.add_parser("update", parents=[common], help="bring clusters up to date")
    update.add_argument("--full", action="store_true", help="regroup every record")
    show_cluster = clusters_sub.add_parser(
        "show", parents=[common], help="a cluster's members and why each belongs"
    )
    show_cluster.add_argument("cluster", metavar="ID|CODE:ID", help="a cluster id or a record")
    show_cluster.add_argument("--json", action="store_true")
    for name, help_text in (
        ("split", "two records must never share a cluster"),
        ("join", "two records must share a cluster"),
    ):
        correction = clusters_sub.add_parser(name, parents=[common], help=help_text)
        correction.add_argument("a", metavar="CODE:ID", type=_record_ref)
        correction.add_argument("b", metavar="CODE:ID", type=_record_ref)
        correction.add_argument("--note", default="", help="why, for the next librarian")

    accounts = sub.add_parser("users", parents=[common], help="accounts of the loan network")
    accounts_sub = accounts.add_subparsers(dest="users_command", required=True)
    add = accounts_sub.add_parser("add", parents=[common], help="create an account")
    add.add_argument("--role", required=True, choices=("patron", "librarian", "admin"))
    add.add_argument("--library", required=True, metavar="CODE",
                     help="a patron's home library, a librarian's library")  # fmt: skip
    add.add_argument("--name", required=True, metavar="NAME")
    add.add_argument("--card", metavar="NUMBER", help="a patron's library card (the login)")
    add.add_argument("--email", metavar="E", default="")
    add.add_argument("--language", choices=("de", "en"), default="de")
    add.add_argument("--password-stdin", action="store_true", required=True,
                     help="read the password from the first line of standard input")  # fmt: skip
    listing = accounts_sub.add_parser("list", parents=[common], help="every account")
    listing.add_argument("--library", metavar="CODE", help="only this library's accounts")
    listing.add_argument("--json", action="store_true")
    disable = accounts_sub.add_parser("disable", parents=[common], help="end an account's logins")
    disable.add_argument("who", metavar="NAME", help="a staff name, a patron's name or card")
    password = accounts_sub.add_parser(
        "password", parents=[common], help="set a new password (from standard input)"
    )
    password.add_argument("who", metavar="NAME", help="a staff name, a patron's name or card")
    token = accounts_sub.add_parser("token", parents=[common], help="a new JSON API token")
    token.add_argument("who", metavar="NAME", help="a staff name, a patron's name or card")
    token.add_argument("--label", default="", help="what the token is for")
    token.add_argument("--revoke", action="store_true", help="revoke the account's tokens")

    mail = sub.add_parser("notices", parents=[common], help="e-mail notices of the loan network")
    mail_sub = mail.add_subparsers(dest="notices_command", required=True)
    mail_sub.add_parser("send", parents=[common], help="send the notices that are due")
    queued = mail_sub.add_parser("list", parents=[common], help="queued and sent notices")
    queued.add_argument("--unsent", action="store_true", help="only those not sent (yet)")
    queued.add_argument("--json", action="store_true")

    loans_cmd = sub.add_parser("loans", parents=[common], help="the loan network's requests")
    loans_sub = loans_cmd.add_subparsers(dest="loans_command", required=True)
    loans_sub.add_parser(
        "timers", parents=[common],
        help="move on from suppliers that did not answer in time, mark passed due dates "
        "overdue, send the notices",
    )  # fmt: skip

    nightly = sub.add_parser(
        "nightly", parents=[common], help="harvest, index, loan timers, notices, report"
    )
    nightly.add_argument("--json", action="store_true", help="print the report as JSON")

    backup = sub.add_parser("backup", parents=[common], help="copy the store while libnet runs")
    backup.add_argument("dest", metavar="DEST", type=Path, help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace an existing DEST")
    restore = sub.add_parser(
        "restore", parents=[common], help="put the store back from a backup, rebuild the index"
    )
    restore.add_argument("src", metavar="SRC", type=Path, help="a file of `libnet backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace a store that holds records or requests"
    )

    demo = sub.add_parser(
        "demo-data", parents=[common], help="generate the demo catalogue of the eleven libraries"
    )
    demo.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    demo.add_argument("--titles", type=int, default=2000, help="distinct titles (default 2000)")
    demo.add_argument("--seed", type=int, default=1)

    serve = sub.add_parser("serve", parents=[common], help="serve the web catalogue (gunicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8080, help="0: any free port (default 8080)")
    serve.add_argument("--workers", type=_at_least_one, default=2, help="processes (default 2)")
    serve.add_argument("--threads", type=_at_least_one, default=4,
                       help="threads per process (default 4)")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo-data":
            return cmd_demo_data(args)
        config = load_config(getattr(args, "config", "config.toml"))
        if args.command in WRITES_INDEX and not config.nightly.harvest_here:
            raise ConfigError(
                f"{config.path}: this node serves a copy of the index ([nightly] harvest_here "
                f"= false): run `libnet {args.command}` on the harvest node"
            )
        if args.command in WRITES_INDEX:
            _in_the_background()
        # the commands that open the store themselves (or never)
        commands = {"harvest": cmd_harvest, "index": cmd_index, "search": cmd_search,
                    "serve": cmd_serve, "nightly": cmd_nightly, "backup": cmd_backup,
                    "restore": cmd_restore}  # fmt: skip
        if args.command in commands:
            return commands[args.command](config, args)
        store = _open(config)
        try:
            if args.command == "records" and args.records_command == "show":
                return cmd_records_show(store, args)
            if args.command == "records":
                return cmd_records_stats(config, store, args)
            if args.command == "clusters":
                return cmd_clusters(store, args)
            if args.command == "users":
                return cmd_users(config, store, args)
            if args.command == "notices":
                return cmd_notices(config, store, args)
            if args.command == "loans":
                return cmd_loans_timers(config, store)
            return cmd_runs(store, args)
        finally:
            store.close()
    except ConfigError as exc:
        print(f"libnet: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except AlreadyRunning as exc:
        print(f"libnet: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except LibnetError as exc:
        print(f"libnet: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        return EXIT_OK
    except SQLAlchemyError as exc:
        print(f"libnet: the record store failed: {one_line(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:
        print(f"libnet: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _in_the_background() -> None:
    """Leave the CPU to the web app when both want it (nice BACKGROUND_NICE, or more)."""
    current = os.nice(0)
    if current < BACKGROUND_NICE:
        os.nice(BACKGROUND_NICE - current)


def _open(config: Config) -> RecordStore:
    return open_store(config.storage.url, config.storage.data_dir)


def cmd_harvest(config: Config, args: argparse.Namespace) -> int:
    from harvesters.run import harvest_all

    for code in args.codes:
        config.library(code)  # an unknown code is a usage error before anything runs
    terminal = sys.stderr.isatty()
    setup_logging(logging.WARNING if terminal else logging.INFO)
    with data_dir_lock(config.storage.data_dir):
        store = _open(config)
        try:
            if terminal:
                with _progress_bars() as progress:
                    reports = harvest_all(
                        config,
                        store,
                        args.codes,
                        full=args.full,
                        force=args.force,
                        progress=progress,
                    )
            else:
                reports = harvest_all(config, store, args.codes, full=args.full, force=args.force)
            indexed = None
            if args.index:
                from index.update import update_index

                indexed = update_index(store, config.storage.data_dir)
        finally:
            store.close()
    columns = "library run outcome added changed unchanged deleted rejected seconds error"
    rows = [
        [r.library, r.run_id, r.outcome, *astuple(r.counts), f"{r.seconds:.1f}", r.error]
        for r in reports
    ]
    _print_table("Harvest", columns.split(), rows)
    if indexed is not None:
        print(_index_line(indexed))
    failed = [r.library for r in reports if not r.ok]
    if failed:
        print(f"libnet: failed: {', '.join(failed)}", file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK


class _progress_bars:
    """A progress bar per library (or per stage) on a terminal."""

    def __enter__(self):
        self.bars = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.bars.__enter__()
        return self.update

    def update(self, library: str, done: int, expected: int | None) -> None:
        if library not in self.tasks:
            self.tasks[library] = self.bars.add_task(library, total=expected)
        self.bars.update(self.tasks[library], completed=done, total=expected)

    def __exit__(self, *exc: object) -> None:
        self.bars.__exit__(*exc)


_NUMERIC = {"run", "added", "changed", "unchanged", "deleted", "rejected", "seconds", "records"}


def _print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table on stdout; numbers right-aligned; wide enough for cron mail when piped."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in _NUMERIC else "left", overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def cmd_records_show(store: RecordStore, args: argparse.Namespace) -> int:
    stored = store.get(args.library, args.local_id)
    if stored is None:
        print(f"libnet: no record {args.local_id!r} of library {args.library!r}", file=sys.stderr)
        return EXIT_FAILED
    if args.form == "marc":
        sys.stdout.buffer.write(_as_iso2709(stored))
    elif args.form == "marcxml":
        sys.stdout.buffer.write(_as_marcxml(stored) + b"\n")
    elif args.form == "json":
        print(json.dumps(record_json(stored), ensure_ascii=False, indent=2))
    else:
        _print_record(stored)
    return EXIT_OK


def record_json(stored: StoredRecord) -> dict[str, Any]:
    """The normalised fields of a stored record, its store data and the raw record as MARCXML."""
    return {
        **stored.fields,
        "library": stored.library,
        "local_id": stored.local_id,
        "deleted": stored.deleted,
        "first_seen": stored.first_seen.isoformat(),
        "last_changed": stored.last_changed.isoformat(),
        "last_seen": stored.last_seen.isoformat(),
        "run_id": stored.run_id,
        "change_no": stored.change_no,
        "content_hash": stored.content_hash,
        "syntax": stored.syntax,
        "marcxml": _as_marcxml(stored).decode("utf-8"),
    }


def _as_iso2709(stored: StoredRecord) -> bytes:
    if stored.syntax == "iso2709":
        return stored.raw  # byte for byte as harvested
    return to_iso2709(parse_marcxml_bytes(stored.raw))


def _as_marcxml(stored: StoredRecord) -> bytes:
    if stored.syntax == "marcxml":
        return stored.raw
    return to_marcxml(parse_iso2709(stored.raw))


def _print_record(stored: StoredRecord) -> None:
    fields = stored.fields
    state = "deleted" if stored.deleted else "live"
    print(f"{stored.library} {stored.local_id} ({state}, change {stored.change_no})")
    for key in (
        "title",
        "subtitle",
        "responsibility",
        "authors",
        "edition",
        "publisher",
        "year",
        "format",
        "language",
        "isbns",
        "series",
        "subjects",
        "physical_description",
    ):
        value = fields.get(key)
        if value:
            if isinstance(value, list):
                value = "; ".join(" ".join(v) if isinstance(v, list) else str(v) for v in value)
            print(f"  {key:<21}{value}")
    for item in fields.get("items", []):
        print(f"  item                 {item['call_number']} [{item['status']}] {item['barcode']}")
    print(f"  first seen           {stored.first_seen:%Y-%m-%d %H:%M} UTC")
    print(f"  last changed         {stored.last_changed:%Y-%m-%d %H:%M} UTC (run {stored.run_id})")
    print(f"  last seen            {stored.last_seen:%Y-%m-%d %H:%M} UTC")


def cmd_records_stats(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    stats = store.stats()
    last = {code: store.runs(code, limit=1) for code in [lib.code for lib in config.libraries]}
    rows = []
    for library in config.libraries:
        counts = stats.get(library.code, {"records": 0, "deleted": 0})
        run = last[library.code][0] if last[library.code] else None
        rows.append(
            {
                "library": library.code,
                "name": library.name,
                **counts,
                "last_run": run.id if run else None,
                "last_harvest": run.started_at.isoformat() if run else None,
                "last_outcome": run.outcome if run else None,
            }
        )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    table_rows: list[list[Any]] = [
        [
            row["library"],
            row["name"],
            row["records"],
            row["deleted"],
            row["last_harvest"][:16].replace("T", " ") if row["last_harvest"] else "never",
            row["last_outcome"] or "",
        ]
        for row in rows
    ]
    total = ["all", "", sum(r["records"] for r in rows), sum(r["deleted"] for r in rows), "", ""]
    columns = ["library", "name", "records", "deleted", "last harvest (UTC)", "outcome"]
    _print_table("Records per library", columns, [*table_rows, total])
    return EXIT_OK


def cmd_runs(store: RecordStore, args: argparse.Namespace) -> int:
    if args.rejects is not None:
        run = store.run(args.rejects)
        if run is None:
            print(f"libnet: no harvest run {args.rejects}", file=sys.stderr)
            return EXIT_FAILED
        problems = store.rejects(args.rejects)
        if args.json:
            print(json.dumps([asdict(p) for p in problems], ensure_ascii=False, indent=2))
            return EXIT_OK
        print(f"run {run.id} ({run.library}, {run.outcome}): {len(problems)} rejected")
        for p in problems:
            ident = f" id {p.local_id}" if p.local_id else ""
            print(f"{p.position}{ident}: {p.reason}")
            if p.excerpt:
                print(f"    {p.excerpt[:150]}")
        return EXIT_OK
    runs = store.runs(args.library, limit=args.limit)
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "library": r.library,
                        "started_at": r.started_at.isoformat(),
                        "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                        "outcome": r.outcome,
                        "full": r.full,
                        "added": r.added,
                        "changed": r.changed,
                        "unchanged": r.unchanged,
                        "deleted": r.deleted,
                        "rejected": r.rejected,
                        "error": r.error,
                        "cursor": r.cursor,
                    }
                    for r in runs
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    columns = "run library started seconds outcome added changed unchanged deleted rejected error"
    rows = [
        [
            r.id,
            r.library,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            f"{r.seconds:.1f}" if r.seconds is not None else "",
            r.outcome,
            r.added,
            r.changed,
            r.unchanged,
            r.deleted,
            r.rejected,
            r.error or "",
        ]
        for r in runs
    ]
    _print_table("Harvest runs (UTC)", columns.split(), rows)
    return EXIT_OK


def cmd_users(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    from libnet import accounts

    if args.users_command == "add":
        with store.engine.begin() as conn:
            account = accounts.add_user(
                conn, role=args.role, library=args.library, name=args.name,
                password=_password_from_stdin(), card=args.card, email=args.email,
                language=args.language, libraries=tuple(lib.code for lib in config.libraries),
            )  # fmt: skip
        print(f"{account.role} {account.name} of {account.library} added; logs in as "
              f"{account.login}")  # fmt: skip
        return EXIT_OK
    if args.users_command == "password":
        with store.engine.begin() as conn:
            accounts.set_password(conn, args.who, _password_from_stdin())
        print(f"password of {args.who} set")
        return EXIT_OK
    if args.users_command == "token":
        with store.engine.begin() as conn:
            if args.revoke:
                print(f"{accounts.revoke_tokens(conn, args.who)} tokens of {args.who} revoked")
            else:
                print(accounts.issue_token(conn, args.who, args.label))
        return EXIT_OK
    if args.users_command == "disable":
        with store.engine.begin() as conn:
            account = accounts.disable_user(conn, args.who)
        print(f"{account.role} {account.name} of {account.library} disabled")
        return EXIT_OK
    with store.engine.connect() as conn:
        found = accounts.list_users(conn, args.library)
    if args.json:
        rows = [asdict(a) | {"created_at": a.created_at.isoformat(),
                             "last_login": a.last_login and a.last_login.isoformat()}
                for a in found]  # fmt: skip
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    table = Table("role", "library", "name", "card", "e-mail", "language", "state", "last login")
    for a in found:
        last = a.last_login.strftime("%Y-%m-%d %H:%M") if a.last_login else ""
        state = "disabled" if a.disabled else "active"
        table.add_row(a.role, a.library, a.name, a.card or "", a.email, a.language, state, last)
    Console(width=140).print(table)
    return EXIT_OK


def cmd_notices(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    from libnet import notices

    if args.notices_command == "send":
        setup_logging(logging.WARNING if sys.stderr.isatty() else logging.INFO)
        return _send_notices(config, store)
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


def _send_notices(config: Config, store: RecordStore) -> int:
    """Send what is due and say how it went; EXIT_FAILED when some notice failed."""
    from libnet import notices

    report = notices.send_due(store.engine, config)
    if not config.mail.enabled:
        print(f"mail is off ([mail] host is empty): {report.waiting} notices wait")
        return EXIT_OK
    print(f"notices: {report.sent} sent, {report.failed} failed, {report.waiting} waiting, "
          f"{report.skipped} skipped (library without email)")  # fmt: skip
    if report.error:
        print(f"libnet: {notices.server_failed(config.mail, report.error)}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_FAILED


def cmd_loans_timers(config: Config, store: RecordStore) -> int:
    """The loan network's timers, then the notices they and the day's clicks queued."""
    from libnet import loans, notices

    setup_logging(logging.WARNING if sys.stderr.isatty() else logging.INFO)
    report = loans.run_timers(store.engine, mailing=notices.Mailing.from_config(config))
    print(timers_line(report))
    return _send_notices(config, store)


def timers_line(report: Any) -> str:
    """One line of what the loan timers did (a loans.TimerReport)."""
    moved, overdue, left = (", ".join(map(str, found)) or "none" for found in astuple(report))
    line = (f"loans: {len(report.skipped)} moved on from a supplier that did not answer "
            f"({moved}), {len(report.overdue)} overdue ({overdue})")  # fmt: skip
    if report.left:
        line += f", {len(report.left)} changed meanwhile, left for the next run ({left})"
    return line


def cmd_nightly(config: Config, args: argparse.Namespace) -> int:
    """Everything a night does, one run at a time; the report on stdout, the log on stderr."""
    from harvesters.run import harvest_all
    from index.update import update_index
    from libnet import nightly

    setup_logging(logging.INFO)
    with data_dir_lock(config.storage.data_dir):
        store = _open(config)
        try:
            report = nightly.run_nightly(
                config,
                store,
                harvest=lambda: harvest_all(config, store),
                index=lambda: update_index(store, config.storage.data_dir),
            )
        finally:
            store.close()
    data = report.to_json()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(nightly.text(data), end="")
    return EXIT_OK if report.outcome == "ok" else EXIT_FAILED


def _notice_json(notice: Any) -> dict[str, Any]:
    """A notice's columns and status, times as ISO 8601 text."""
    row = asdict(notice)
    times = {key: value.isoformat() for key, value in row.items() if hasattr(value, "isoformat")}
    return row | times | {"status": notice.status}


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise LibnetError("no password on standard input (--password-stdin reads one line)")
    return password


def cmd_index(config: Config, args: argparse.Namespace) -> int:
    from index.update import update_index

    terminal = sys.stderr.isatty()
    setup_logging(logging.WARNING if terminal else logging.INFO)
    with data_dir_lock(config.storage.data_dir):
        store = _open(config)
        try:
            if terminal:
                with _progress_bars() as progress:
                    report = update_index(
                        store,
                        config.storage.data_dir,
                        full=args.full,
                        progress=lambda done, todo: progress("clusters", done, todo),
                    )
            else:
                report = update_index(store, config.storage.data_dir, full=args.full)
        finally:
            store.close()
    print(_index_line(report))
    return EXIT_OK


def _index_line(report: Any) -> str:
    """One line of what an index update did (an index.update.IndexReport)."""
    from libnet.nightly import INDEX_WORDS  # the nightly report says it in the same words

    how = "new index built" if report.rebuilt else "index updated"
    words = INDEX_WORDS.format(records=report.records, added=report.added,
                               changed=report.changed, removed=report.removed,
                               total=report.total)  # fmt: skip
    return f"{how}: {words} ({report.seconds:.1f} s)"


def cmd_backup(config: Config, args: argparse.Namespace) -> int:
    """A copy of the store while the web app and a harvest go on: no lock taken."""
    from libnet import backup

    print(backup.back_up(config.storage.url, args.dest, force=args.force).line())
    return EXIT_OK


def cmd_restore(config: Config, args: argparse.Namespace) -> int:
    """The store back from a backup, then the index rebuilt from it, under the lock."""
    from index.update import update_index
    from libnet import backup

    with data_dir_lock(config.storage.data_dir):
        restored = backup.restore(config.storage.url, args.src, force=args.force)
        store = _open(config)
        try:
            report = update_index(store, config.storage.data_dir, full=True)
        finally:
            store.close()
    print(f"{restored.line()}; index rebuilt: {report.total} clusters")
    return EXIT_OK


def cmd_search(config: Config, args: argparse.Namespace) -> int:
    from index.engine import UnionIndex, result_json
    from index.update import index_path

    path = index_path(config.storage.data_dir)
    if not path.exists():
        print("libnet: there is no index yet: run `libnet index`", file=sys.stderr)
        return EXIT_FAILED
    filters = {"format": args.format, "library": args.held_by}
    result = UnionIndex(path).search(
        " ".join(args.query), filters={k: v for k, v in filters.items() if v}, sort=args.sort,
        page=max(args.page, 1), home=args.library,
    )  # fmt: skip
    if args.json:
        print(json.dumps(result_json(result), ensure_ascii=False, indent=2))
        return EXIT_OK
    hits = f"{result.total} hit" + ("" if result.total == 1 else "s")
    print(hits + (f", page {args.page}" if args.page > 1 else ""))
    if result.suggestion:
        print(f"Did you mean: {result.suggestion}")
    for hit in result.hits:
        year = f" ({hit.year})" if hit.year else ""
        print(f"\n[{hit.id}] {hit.title}{year} — {hit.format}")
        if hit.authors:
            print(f"    {'; '.join(hit.authors)}")
        for holding in hit.holdings:
            copies = f"{holding.copies} copies" if holding.copies > 1 else ""
            print(f"    {holding.library:<18}{holding.call_number:<20}{holding.status:<14}{copies}")
    return EXIT_OK


def _record_ref(text: str) -> tuple[str, str]:
    library, sep, local_id = text.partition(":")
    if not sep or not library or not local_id:
        raise argparse.ArgumentTypeError(f"{text!r} is not CODE:ID, e.g. marl:300002")
    return library, local_id


def cmd_clusters(store: RecordStore, args: argparse.Namespace) -> int:
    from index.cluster import apply_override, update_clusters
    from libnet import clusters
    from libnet.clusters import ALWAYS, NEVER, Override

    if args.clusters_command == "update":
        report = update_clusters(store, full=args.full)
        print(f"{report.records} changed records regrouped, {len(report.changed)} clusters changed")
        return EXIT_OK
    if args.clusters_command in ("split", "join"):
        kind = NEVER if args.clusters_command == "split" else ALWAYS
        try:
            changed = apply_override(store, Override(kind, args.a, args.b, args.note))
        except LookupError as exc:
            print(f"libnet: {exc.args[0]}", file=sys.stderr)
            return EXIT_FAILED
        word = "kept apart" if kind == NEVER else "joined"
        print(
            f"{args.a[0]}:{args.a[1]} and {args.b[0]}:{args.b[1]} are {word} from now on; "
            f"clusters changed: {', '.join(map(str, sorted(changed))) or 'none'}"
        )
        return EXIT_OK
    with store.engine.connect() as conn:
        if ":" in args.cluster:
            ref = _record_ref(args.cluster)
            record_id = clusters.record_ids(conn, [ref]).get(ref)
            found = clusters.cluster_of(conn, [record_id]) if record_id else {}
            wanted = found.get(record_id) if record_id else None
        else:
            number = whole_number(args.cluster)
            wanted = clusters.current_id(conn, number) if number is not None else None
        if wanted is None:
            print(f"libnet: no cluster {args.cluster}", file=sys.stderr)
            return EXIT_FAILED
        info = clusters.cluster_info(conn, wanted)
        members = clusters.members(conn, wanted)
    if args.json:
        print(
            json.dumps(
                {
                    "id": wanted,
                    "asked": args.cluster,
                    "changed_at": info.changed_at.isoformat(),
                    "members": [asdict(m) for m in members],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if str(wanted) != args.cluster and ":" not in args.cluster:
        print(f"cluster {args.cluster} was merged into cluster {wanted}")
    print(f"cluster {wanted}: {len(members)} records")
    for m in members:
        print(f"  {m.library}:{m.local_id}  [{m.rule}] {m.evidence}")
    return EXIT_OK


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return int(text)


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def cmd_serve(config: Config, args: argparse.Namespace) -> int:
    """Run the web catalogue until SIGTERM or Ctrl-C; gunicorn ends the process itself."""
    from webapp.wsgi import serve

    serve(config, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return EXIT_OK


def cmd_demo_data(args: argparse.Namespace) -> int:
    from libnet.demo_data import generate

    if args.titles < 1:
        print("libnet: --titles must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    summary = generate(args.out_dir, titles=args.titles, seed=args.seed)
    print(
        f"{summary.records} records ({summary.broken} deliberately broken) "
        f"in {len(summary.files)} files under {args.out_dir}"
    )
    for code, count in summary.per_library.items():
        print(f"  {code:<18}{count:>8}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
