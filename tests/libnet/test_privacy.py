"""Privacy in the store, on SQLite and on a real PostgreSQL: requests that ended lose their
patron, a deleted account leaves no personal data, the audit log names no patron.

The network of tests/libnet/test_loans.py; the patron of these tests, Hedwig Vormfelde of
Datteln, has an e-mail address, so her requests queue notices to her.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import LargeBinary, String, Text, create_engine, insert, select
from sqlalchemy.exc import IntegrityError

from libnet import accounts, loans
from libnet.accounts import Account, AccountError, sessions
from libnet.accounts.deletion import OpenRequests, delete_account
from libnet.accounts.login import log_in
from libnet.accounts.retention import forget_ended_sessions
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.loans import anonymisation
from libnet.loans import statistics as loan_stats
from libnet.loans.notices import list_notices
from libnet.store import MIGRATIONS, open_store
from libnet.store.schema import login_failures, login_throttle, metadata
from tests.libnet.test_loan_stats import NOV_DEC, Requests
from tests.libnet.test_loans import MONDAY, PASSWORD, Network

NAME, CARD, EMAIL = "Hedwig Vormfelde", "DX-4815", "Hedwig.Vormfelde@example.org"
DAYS = 90  # [loans] anonymise_after_days, the default
LIBRARIES = ("datteln", "herten", "marl", "dorsten", "kreis")
CONFIG = Config(
    Path("config.toml"), StorageConfig(Path("var")),
    tuple(LibraryConfig(code, code.title(), SourceConfig("marc", "x")) for code in LIBRARIES),
)  # fmt: skip


@pytest.fixture
def network(tmp_path: Path, store_url: str) -> Network:
    network = Network(tmp_path, store_url)
    with network.engine.begin() as conn:
        network.patron = accounts.add_user(
            conn, role="patron", library="datteln", name=NAME, card=CARD, email=EMAIL,
            password=PASSWORD,
        )  # fmt: skip
    return network


def anonymise(network: Network, now) -> int:
    with loans.transaction(network.engine) as conn:
        return anonymisation.anonymise(conn, now - timedelta(days=DAYS))


def patron_notices(network: Network, request: loans.LoanRequest) -> list:
    with network.engine.connect() as conn:
        return [n for n in list_notices(conn) if n.request_id == request.id
                and not n.recipient.startswith("library:")]  # fmt: skip


def test_a_request_loses_its_patron_the_configured_days_after_it_ended_not_before(
    network: Network,
) -> None:
    cancelled = network.place()
    cancelled = network.act(cancelled, "patron_cancel", network.patron)
    still_open = network.place(network.other_patron, now=MONDAY - timedelta(days=400))
    [placed_notice] = patron_notices(network, cancelled)
    assert placed_notice.recipient == EMAIL and NAME in placed_notice.body

    assert anonymise(network, MONDAY + timedelta(days=DAYS)) == 0  # ended exactly 90 days ago
    assert network.history(cancelled)[0].user_id == network.patron.id
    assert anonymise(network, MONDAY + timedelta(days=DAYS, minutes=1)) == 1
    with network.engine.connect() as conn:
        assert loans.get(conn, cancelled.id).patron_id is None
        assert loans.get(conn, still_open.id).patron_id == network.other_patron.id
        assert loans.requests(conn, patron_id=network.patron.id) == []
    history = network.history(cancelled)
    assert [(e.actor, e.user_id) for e in history] == [("patron", None), ("patron", None)]
    [cleared] = patron_notices(network, cancelled)
    assert (cleared.recipient, cleared.body, cleared.status) == ("", "", "failed")
    with network.engine.connect() as conn:  # the library's notice of it stays as it was
        incoming = [n for n in list_notices(conn) if n.recipient == "library:herten"]
    assert [n.request_id for n in incoming] == [cancelled.id, still_open.id]
    assert anonymise(network, MONDAY + timedelta(days=DAYS + 1)) == 0  # done once


def test_a_sent_notice_to_the_patron_is_deleted_when_its_request_is_anonymised(
    network: Network,
) -> None:
    request = network.place()
    network.act(request, "patron_cancel", network.patron)
    [notice] = patron_notices(network, request)
    with network.engine.begin() as conn:
        conn.execute(
            anonymisation.notices.update()
            .where(anonymisation.notices.c.id == notice.id)
            .values(sent_at=MONDAY, next_attempt_at=None)
        )
    assert anonymise(network, MONDAY + timedelta(days=DAYS + 1)) == 1
    assert patron_notices(network, request) == []


@pytest.fixture
def made(tmp_path: Path, store_url: str) -> Requests:
    return Requests(Network(tmp_path, store_url))


def test_the_statistics_count_the_same_after_every_request_is_anonymised(made: Requests) -> None:
    network = made.network

    def figures() -> list[loan_stats.Statistics]:
        with network.engine.connect() as conn:
            return [loan_stats.statistics(conn, NOV_DEC, library)
                    for library in (None, "datteln", "dorsten", "herten", "marl")]  # fmt: skip

    before = figures()
    with network.engine.connect() as conn:
        ended = [r.id for r in loans.requests(conn) if not r.open]
    assert len(ended) >= 2  # C unfilled, D cancelled among them
    assert anonymise(network, MONDAY + timedelta(days=DAYS * 3)) == len(ended)
    with network.engine.connect() as conn:
        assert [r.id for r in loans.requests(conn) if r.patron_id is None] == ended
    assert figures() == before


def test_the_audit_log_and_the_library_notices_never_name_the_patron(network: Network) -> None:
    herten, datteln = network.staff["herten"], network.staff["datteln"]
    request = network.place()
    request = network.act(request, "will_supply", herten)
    request = network.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    request = network.act(request, "receive", datteln)
    request = network.act(request, "hand_to_patron", datteln)
    request = network.act(request, "renew", datteln)
    request = network.act(request, "mark_overdue", None)
    with network.engine.connect() as conn:
        library_notices = [n for n in list_notices(conn) if n.recipient.startswith("library:")]
    audit = [
        text
        for e in network.history(request)
        for text in (e.actor, e.action, e.note, e.supplier, e.from_state or "", e.to_state)
    ]
    sent_to_libraries = [text for n in library_notices for text in (n.subject, n.body)]
    assert len(audit) == 7 * 6 and len(library_notices) == 2  # placed (incoming), renewal
    for text in audit + sent_to_libraries:
        assert NAME not in text and CARD not in text and EMAIL not in text, text
    assert any(NAME in n.body for n in patron_notices(network, request))  # the patron's own


# --------------------------------------------------------------------------- deleting


def everywhere(network: Network, *needles: str) -> list[str]:
    """Every table.column of the store (each of its rows) in which one of the needles occurs."""
    found = []
    with network.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column in table.columns:
                    value = row[column.name]
                    if isinstance(column.type, LargeBinary) and value is not None:
                        value = bytes(value).decode("utf-8", "replace")
                    elif not isinstance(column.type, String | Text) or value is None:
                        continue
                    found += [f"{table.name}.{column.name}" for needle in needles
                              if needle.lower() in value.lower()]  # fmt: skip
    return found


def wrong_pin(network: Network, login: str, address: str) -> None:
    log_in(network.engine, CONFIG, lambda code: None, library="datteln", login=login,
           password="falsch-pferd", address=address, now=MONDAY)  # fmt: skip


def test_an_account_with_an_open_request_is_not_deleted_and_the_refusal_names_it(
    network: Network,
) -> None:
    request = network.place()
    with (
        pytest.raises(OpenRequests, match=f"open requests.*: {request.id} \\(Die Vermessung"),
        loans.transaction(network.engine) as conn,
    ):
        delete_account(conn, network.patron.id, MONDAY)
    with network.engine.connect() as conn:
        assert accounts.get_user(conn, network.patron.id).name == NAME


def test_a_deleted_account_leaves_its_card_name_and_email_nowhere_in_the_store(
    network: Network,
) -> None:
    patron: Account = network.patron
    request = network.place()
    network.act(request, "patron_cancel", patron,
                note=f"bin umgezogen: {NAME.upper()}, {CARD}, {EMAIL}; danke")  # fmt: skip
    with network.engine.begin() as conn:
        sessions.start(conn, patron.id, "Firefox 140 on Linux", MONDAY)
        accounts.issue_token(conn, CARD, "reader app")
    for address in ("10.0.0.7", "2001:db8::7"):
        wrong_pin(network, CARD, address)
    wrong_pin(network, "D200", "10.0.0.7")  # another patron's counters stay
    with network.engine.begin() as conn:  # a notice about no request, to the same address
        conn.execute(insert(anonymisation.notices).values(
            request_id=None, kind="reset", recipient=EMAIL.lower(), language="de",
            subject="Ihr Passwort", body=f"Guten Tag {NAME}", created_at=MONDAY, attempts=0,
            next_attempt_at=MONDAY))  # fmt: skip
    before = set(everywhere(network, CARD, NAME, EMAIL))
    assert {"users.name", "users.card", "users.email", "login_throttle.key",
            "notices.recipient", "notices.body", "loan_events.note"} <= before  # fmt: skip

    with loans.transaction(network.engine) as conn:
        deleted = delete_account(conn, patron.id, MONDAY)
    assert everywhere(network, CARD, NAME, EMAIL) == []
    assert (deleted.deleted, deleted.disabled, deleted.checked_here) == (True, True, False)
    assert network.history(request)[-1].note == "bin umgezogen: ***, ***, ***; danke"
    with network.engine.connect() as conn:
        assert loans.get(conn, request.id).patron_id is None
        failed = set(conn.scalars(select(login_failures.c.user_id)))
        keys = list(conn.scalars(select(login_throttle.c.key)))
    assert failed == {network.other_patron.id}
    assert keys and all("d200" in key or key.startswith("address:") for key in keys)
    with pytest.raises(AccountError, match="deleted already"), network.engine.begin() as conn:
        delete_account(conn, patron.id, MONDAY)


def test_a_staff_account_is_never_deleted(network: Network) -> None:
    with (
        pytest.raises(AccountError, match="staff accounts are only disabled"),
        network.engine.begin() as conn,
    ):
        delete_account(conn, network.staff["datteln"].id, MONDAY)


def test_sessions_that_ended_or_outlived_their_lifetime_are_forgotten(network: Network) -> None:
    limits = sessions.Lifetimes.hours(8, 12)
    with network.engine.begin() as conn:
        sessions.start(conn, network.patron.id, "old", MONDAY - timedelta(hours=13))
        sessions.start(conn, network.patron.id, "open", MONDAY)
        sessions.start(conn, network.other_patron.id, "logged out", MONDAY)
        sessions.end_all(conn, network.other_patron.id, MONDAY)
        assert forget_ended_sessions(conn, limits, MONDAY) == 2
        kept = sessions.open_sessions(conn, network.patron.id, limits, MONDAY)
    assert [s.browser for s in kept] == ["open"]


# --------------------------------------------------------------------------- the migration


def migrate_to(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            alembic = AlembicConfig()
            alembic.set_main_option("script_location", str(MIGRATIONS))
            alembic.attributes["connection"] = conn
            command.downgrade(alembic, revision)
    finally:
        engine.dispose()


def test_a_store_from_before_0009_keeps_its_requests_and_then_anonymises_them(
    network: Network, store_url: str, tmp_path: Path
) -> None:
    request = network.place()
    network.act(request, "patron_cancel", network.patron)
    network.catalogue.store.close()
    migrate_to(store_url, "0008")
    store = open_store(store_url, tmp_path)  # migrated to the newest schema again
    try:
        with store.engine.connect() as conn:
            assert loans.get(conn, request.id).patron_id == network.patron.id
        with loans.transaction(store.engine) as conn:
            assert anonymisation.anonymise(conn, MONDAY + timedelta(days=1)) == 1
    finally:
        store.close()
    with pytest.raises(IntegrityError):  # a request without its patron cannot go back
        migrate_to(store_url, "0008")
