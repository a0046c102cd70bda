"""The `libnet` command: a thin shell over the library functions of each stage.

Exit status: 0 all good, 1 a library (or the run) failed, 2 a usage or configuration error.

Here the parser and main(); one module per command group: harvest (harvest, runs), records,
clusters, search (index, search), users, notices, loans, nightly, backup (backup, restore),
demo (demo-data), serve, and console for what they share. This package is the top floor: the
one part of libnet that imports harvesters/, index/ and webapp/, and nothing imports it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from libnet.cli.backup import cmd_backup, cmd_restore
from libnet.cli.clusters import cmd_clusters, record_ref
from libnet.cli.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE, open_configured
from libnet.cli.demo import cmd_demo_data
from libnet.cli.harvest import cmd_harvest, cmd_runs
from libnet.cli.loans import cmd_loans_timers
from libnet.cli.nightly import cmd_nightly
from libnet.cli.notices import cmd_notices
from libnet.cli.records import cmd_records_show, cmd_records_stats
from libnet.cli.search import cmd_index, cmd_search
from libnet.cli.serve import at_least_one, cmd_serve, port
from libnet.cli.users import cmd_users
from libnet.config import Config, load_config
from libnet.errors import ConfigError, LibnetError, one_line
from libnet.private_files import make_private, private_umask
from libnet.redact import redact_text

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]

# the commands that harvest or write the index: only where [nightly] harvest_here is true
WRITES_INDEX = ("harvest", "index", "nightly", "restore")
# harvests and index updates run at this nice level at least (their worker processes too): on
# a machine that also serves the catalogue, the patrons' pages come first
BACKGROUND_NICE = 10
WHO = "a card number, a staff name, or id:N (an ambiguous one is refused, naming the matches)"


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
    runs.add_argument(
        "--repairs", type=int, metavar="RUN", help="what run RUN repaired or left out, and why"
    )
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true")

    index = sub.add_parser("index", parents=[common], help="bring the union index up to date")
    index.add_argument("--full", action="store_true", help="rebuild from all clusters")

    search = sub.add_parser("search", parents=[common], help="search the union catalogue")
    search.add_argument("query", metavar="QUERY", nargs="+")
    search.add_argument("--json", action="store_true", help="the hits as JSON (the web API's)")
    search.add_argument("--home", metavar="CODE", default="", help="your library: its copies first")
    search.add_argument("--format", metavar="F", action="append", default=[], help="only F")
    # --held-by: the older name; --library means the same on the pages and in the API
    search.add_argument("--library", "--held-by", dest="library", metavar="CODE",
                        action="append", default=[],
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
        correction.add_argument("a", metavar="CODE:ID", type=record_ref)
        correction.add_argument("b", metavar="CODE:ID", type=record_ref)
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
    disable.add_argument("who", metavar="WHO", help=WHO)
    password = accounts_sub.add_parser(
        "password", parents=[common], help="set a new password (from standard input)"
    )
    password.add_argument("who", metavar="WHO", help=WHO)
    remove = accounts_sub.add_parser(
        "delete", parents=[common],
        help="remove a patron's personal data (once no request is open); its requests are "
        "anonymised",
    )  # fmt: skip
    remove.add_argument("who", metavar="WHO", help=WHO)
    logout = accounts_sub.add_parser("logout", parents=[common], help="end all its sessions")
    logout.add_argument("who", metavar="WHO", help=WHO)
    token = accounts_sub.add_parser("token", parents=[common], help="a new JSON API token")
    token.add_argument("who", metavar="WHO", help=WHO)
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
    serve.add_argument("--port", type=port, default=8080, help="0: any free port (default 8080)")
    serve.add_argument("--workers", type=at_least_one, default=2, help="processes (default 2)")
    serve.add_argument("--threads", type=at_least_one, default=4,
                       help="threads per process (default 4)")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for arg in argv:
        if not _is_utf8(arg):  # what a shell in a Latin-1 locale passes: no code, no name
            text = arg.encode("utf-8", "surrogateescape")
            print(f"libnet: an argument is not UTF-8: {text!r}", file=sys.stderr)
            return EXIT_USAGE
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
        # what a command creates is the libnet user's alone, and so is what an older libnet
        # left readable by others (libnet.private_files)
        with private_umask():
            make_private(config.storage.data_dir)
            return _run(config, args)
    except ConfigError as exc:  # every message passes libnet.redact: a URL may hold a password
        print(f"libnet: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader went away (`libnet runs | head`)
        return EXIT_OK
    except SQLAlchemyError as exc:
        print(f"libnet: the record store failed: {redact_text(one_line(exc))}", file=sys.stderr)
        return EXIT_FAILED
    except (LibnetError, OSError) as exc:  # AlreadyRunning among them
        print(f"libnet: {redact_text(str(exc))}", file=sys.stderr)
        return EXIT_FAILED


def _run(config: Config, args: argparse.Namespace) -> int:
    """The command of args, on the data directory of config."""
    # the commands that open the store themselves (or never)
    commands = {"harvest": cmd_harvest, "index": cmd_index, "search": cmd_search,
                "serve": cmd_serve, "nightly": cmd_nightly, "backup": cmd_backup,
                "restore": cmd_restore}  # fmt: skip
    if args.command in commands:
        return commands[args.command](config, args)
    store = open_configured(config)
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


def _is_utf8(arg: str) -> bool:
    """Python hands bytes of argv that are not UTF-8 over as lone surrogates."""
    try:
        arg.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _in_the_background() -> None:
    """Leave the CPU to the web app when both want it (nice BACKGROUND_NICE, or more)."""
    current = os.nice(0)
    if current < BACKGROUND_NICE:
        os.nice(BACKGROUND_NICE - current)
