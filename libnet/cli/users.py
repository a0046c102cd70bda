"""`libnet users`: the accounts of the loan network, their passwords and API tokens."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from libnet.cli.console import EXIT_OK
from libnet.config import Config
from libnet.errors import LibnetError
from libnet.store import RecordStore, transaction


def cmd_users(config: Config, store: RecordStore, args: argparse.Namespace) -> int:
    from libnet import accounts
    from libnet.accounts import sessions

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
        password = _password_from_stdin()
        with store.engine.begin() as conn:
            account = accounts.find_user(conn, args.who)
            accounts.set_password(conn, account.id, password)
            ended = sessions.end_all(conn, account.id, datetime.now(UTC))
        print(f"password of {account.login} (id:{account.id}) set; {ended} sessions ended")
        return EXIT_OK
    if args.users_command == "logout":
        with store.engine.begin() as conn:
            account = accounts.find_user(conn, args.who)
            ended = sessions.end_all(conn, account.id, datetime.now(UTC))
        print(f"{ended} sessions of {account.login} (id:{account.id}) ended")
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
            account = accounts.disable_user(conn, accounts.find_user(conn, args.who).id)
            sessions.end_all(conn, account.id, datetime.now(UTC))
        print(f"{account.role} {account.name} of {account.library} (id:{account.id}) disabled")
        return EXIT_OK
    if args.users_command == "delete":
        from libnet.accounts.deletion import delete_account

        with transaction(store.engine) as conn:
            account = accounts.find_user(conn, args.who)
            delete_account(conn, account.id, datetime.now(UTC))
        print(f"the personal data of {account.login} of {account.library} (id:{account.id}) "
              "deleted; its requests are anonymised")  # fmt: skip
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
        state = "deleted" if a.deleted else "disabled" if a.disabled else "active"
        table.add_row(a.role, a.library, a.name, a.card or "", a.email, a.language, state, last)
    Console(width=140).print(table)
    return EXIT_OK


def _password_from_stdin() -> str:
    line = sys.stdin.readline()
    password = line[:-1] if line.endswith("\n") else line
    if not password:
        raise LibnetError("no password on standard input (--password-stdin reads one line)")
    return password
