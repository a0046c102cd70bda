"""Accounts of the loan network, on SQLite and on a real PostgreSQL: made, found, named."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from libnet import accounts
from libnet.accounts import AccountError
from libnet.accounts.login import Failed, LoggedIn, log_in
from libnet.cli import main
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.store import RecordStore
from libnet.store.schema import users

LIBRARIES = ("marl", "herten", "kreis")


CONFIG = Config(
    Path("config.toml"), StorageConfig(Path("var")),
    tuple(LibraryConfig(code, code.title(), SourceConfig("marc", "x")) for code in LIBRARIES),
)  # fmt: skip
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def login(store: RecordStore, who: str, password: str, library: str = "marl", address="10.0.0.1"):
    """One attempt at the login; the account logged in, or None."""
    outcome = log_in(store.engine, CONFIG, lambda code: None, library=library, login=who,
                     password=password, address=address, now=NOW)  # fmt: skip
    assert isinstance(outcome, LoggedIn | Failed), outcome
    return outcome.account if isinstance(outcome, LoggedIn) else None


def add(store: RecordStore, **given) -> accounts.Account:
    fields = {"role": "patron", "library": "marl", "name": "Anna Schmidt", "card": "M1001",
              "password": "korrekt-pferd", "libraries": LIBRARIES} | given  # fmt: skip
    with store.engine.begin() as conn:
        return accounts.add_user(conn, **fields)


def test_a_patron_logs_in_with_card_and_password(store: RecordStore) -> None:
    patron = add(store, email="anna@example.org", language="en")
    assert (patron.role, patron.library, patron.login) == ("patron", "marl", "M1001")
    found = login(store, "M1001", "korrekt-pferd")
    assert found is not None and found.id == patron.id and found.language == "en"
    assert login(store, "M1001", "falsch-pferd") is None
    assert login(store, "Anna Schmidt", "korrekt-pferd") is None  # patrons log in by card
    assert login(store, "M1001", "korrekt-pferd", library="herten") is None  # not Herten's card


def test_staff_log_in_by_name_in_any_case(store: RecordStore) -> None:
    add(store, role="librarian", name="Jana Marl", card=None)
    found = login(store, "jana marl", "korrekt-pferd", library="")
    assert found is not None and found.role == "librarian"


def test_the_password_is_stored_as_a_salted_scrypt_hash(store: RecordStore) -> None:
    add(store)
    add(store, card="M1002")
    with store.engine.connect() as conn:
        hashes = conn.scalars(select(users.c.password_hash)).all()
    assert all(h.startswith("scrypt:") and "korrekt-pferd" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # salted


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"role": "king"}, "role must be one of"),
        ({"library": "bottrop"}, "no library 'bottrop'"),
        ({"card": None}, "needs a card number"),
        ({"role": "librarian"}, "only patrons have a card"),
        ({"password": "kurz"}, "at least 8 characters"),
        ({"email": "anna"}, "not an e-mail address"),
        ({"language": "fr"}, "language must be one of"),
        ({"name": "  "}, "needs a name"),
    ],
)
def test_a_wrong_account_is_refused_with_the_reason(store: RecordStore, given, message) -> None:
    with pytest.raises(AccountError, match=message):
        add(store, **given)
    with store.engine.connect() as conn:
        assert accounts.list_users(conn) == []


def test_a_card_is_one_patrons_at_its_library_and_a_staff_name_one_persons(
    store: RecordStore,
) -> None:
    add(store)
    with pytest.raises(AccountError, match="already belongs"):
        add(store, name="Bert Brecht")
    add(store, name="Anna Schmidt", card="H2001", library="herten")  # namesakes are fine
    add(store, role="admin", name="Kreis Admin", card=None, library="kreis")
    with pytest.raises(AccountError, match="exists already"):
        add(store, role="librarian", name="Kreis Admin", card=None)


def test_the_same_card_number_at_two_libraries_is_two_people(store: RecordStore) -> None:
    marl = add(store, name="Anna Marl", card="4711")
    herten = add(store, name="Hanna Herten", card="4711", library="herten",
                 password="hertens-pferd")  # fmt: skip
    assert marl.id != herten.id
    assert login(store, "4711", "korrekt-pferd", library="marl").id == marl.id
    assert login(store, "4711", "hertens-pferd", library="herten").id == herten.id
    assert login(store, "4711", "korrekt-pferd", library="herten") is None
    assert login(store, "4711", "hertens-pferd", library="marl") is None


def test_a_card_number_may_not_be_a_staff_name_nor_the_other_way(store: RecordStore) -> None:
    add(store, role="librarian", name="Theke", card=None)
    with pytest.raises(AccountError, match="is a staff member's name"):
        add(store, card="theke")
    add(store, card="M777")
    with pytest.raises(AccountError, match="is a card number"):
        add(store, role="librarian", name="M777", card=None)


def test_a_disabled_account_cannot_log_in_and_stays_listed(store: RecordStore) -> None:
    add(store)
    with store.engine.begin() as conn:
        accounts.disable_user(conn, accounts.find_user(conn, "M1001").id)
    assert login(store, "M1001", "korrekt-pferd") is None
    with store.engine.connect() as conn:
        assert [a.disabled for a in accounts.list_users(conn)] == [True]


def test_an_account_is_named_by_card_staff_name_or_id_and_ambiguity_is_refused(
    store: RecordStore,
) -> None:
    marl = add(store)
    herten = add(store, card="M1001", library="herten")  # the same number, another library
    staff = add(store, role="librarian", name="Jana Marl", card=None)
    with store.engine.connect() as conn:
        with pytest.raises(
            AccountError, match=rf"ambiguous: id:{marl.id} \(marl\), id:{herten.id}"
        ):
            accounts.find_user(conn, "M1001")
        assert accounts.find_user(conn, f"id:{herten.id}").library == "herten"
        assert accounts.find_user(conn, "jana marl").id == staff.id
        with pytest.raises(AccountError, match="no account id:999"):
            accounts.find_user(conn, "id:999")
        with pytest.raises(AccountError, match="no account with the card or staff name"):
            accounts.find_user(conn, "Anna Schmidt")  # patrons are named by card, not name


# --- the command -----------------------------------------------------------------------------


def config_file(tmp_path: Path) -> Path:
    text = '[storage]\ndata_dir = "var"\n'
    for code in LIBRARIES:
        text += f'\n[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\n'
        text += f'[libraries.source]\ntype = "marc"\nurl = "exports/{code}.mrc"\n'
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def users_cli(config: Path, monkeypatch, password: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password))
    return main(["users", *args, "--config", str(config)])


def test_libnet_users_add_list_disable(tmp_path: Path, monkeypatch, capsys) -> None:
    config = config_file(tmp_path)
    patron = ("add", "--role", "patron", "--library", "marl", "--name", "Anna Schmidt",
              "--card", "M1001", "--email", "anna@example.org", "--password-stdin")  # fmt: skip
    assert users_cli(config, monkeypatch, "korrekt-pferd\n", *patron) == 0
    assert "logs in as M1001" in capsys.readouterr().out
    librarian = ("add", "--role", "librarian", "--library", "herten", "--name", "Jana Herten",
                 "--password-stdin")  # fmt: skip
    assert users_cli(config, monkeypatch, "noch-ein-pferd\n", *librarian) == 0
    capsys.readouterr()

    assert users_cli(config, monkeypatch, "", "list", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["role"], u["name"], u["library"]) for u in listed] == [
        ("librarian", "Jana Herten", "herten"),
        ("patron", "Anna Schmidt", "marl"),
    ]
    assert all("password" not in key for u in listed for key in u)

    assert users_cli(config, monkeypatch, "", "disable", "Jana Herten") == 0
    assert users_cli(config, monkeypatch, "", "list") == 0
    out = capsys.readouterr().out
    assert "disabled" in out and "Jana Herten" in out


def test_libnet_users_add_refuses_without_password_or_with_a_wrong_library(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    config = config_file(tmp_path)
    args = ("add", "--role", "librarian", "--library", "marl", "--name", "Jo", "--password-stdin")
    assert users_cli(config, monkeypatch, "", *args) == 1
    assert "no password on standard input" in capsys.readouterr().err
    wrong = ("add", "--role", "librarian", "--library", "bottrop", "--name", "Jo",
             "--password-stdin")  # fmt: skip
    assert users_cli(config, monkeypatch, "korrekt-pferd\n", *wrong) == 1
    assert "no library 'bottrop'" in capsys.readouterr().err
    assert users_cli(config, monkeypatch, "", "disable", "Niemand") == 1
    assert "no account with the card or staff name 'Niemand'" in capsys.readouterr().err


def test_many_logins_and_token_uses_at_once_all_succeed(store: RecordStore) -> None:
    """Each login writes its outcome; on SQLite a transaction that read first would fail at
    that write whenever another login committed meanwhile ("database is locked")."""
    cards = [f"M{2000 + n}" for n in range(12)]
    for n, card in enumerate(cards):
        add(store, name=f"Leser {n}", card=card)
    with store.engine.begin() as conn:
        tokens = [accounts.issue_token(conn, card) for card in cards]
    start = threading.Barrier(len(cards))
    outcomes: list[object] = []

    def log_in(card: str, token: str) -> None:
        start.wait()
        try:
            found = login(store, card, "korrekt-pferd", address=f"10.0.1.{card[-2:]}")
            used = accounts.account_for_token(store.engine, token)
            outcomes.append((found.login if found else None, used.login if used else None))
        except Exception as exc:  # the failure this test is about
            outcomes.append(exc)

    threads = [
        threading.Thread(target=log_in, args=pair) for pair in zip(cards, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes, key=str) == sorted(((card, card) for card in cards), key=str)
    with store.engine.connect() as conn:
        logged = conn.execute(select(users.c.last_login).where(users.c.card.in_(cards))).all()
    assert all(row.last_login is not None for row in logged)
