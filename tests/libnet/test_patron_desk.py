"""The patron desk in the store: finding patrons, accounts made and reset at the desk, blocks,
ordering for a patron, and online registrations with their approval."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from libnet import accounts, loans
from libnet.accounts import AccountError, desk, registration, sessions
from libnet.accounts.registration import DuplicateRegistration
from libnet.loans import LoanError, NotYours
from tests.libnet.test_loans import MONDAY, Network

TODAY = date(2026, 12, 14)


@pytest.fixture
def network(tmp_path: Path, store_url: str) -> Network:
    return Network(tmp_path, store_url)


def found(network: Network, library: str, text: str) -> list[str | None]:
    with network.engine.connect() as conn:
        return [a.card for a in desk.find_patrons(conn, library, text)]


def test_patrons_are_found_by_card_name_or_email_within_their_library(network: Network) -> None:
    with network.engine.begin() as conn:
        desk.make_local_patron(conn, library="marl", card="M400", name="Anna Müller",
                               email="anna.mueller@example.org")  # fmt: skip
    assert found(network, "datteln", "d1") == ["D100"]  # a card number's beginning
    assert found(network, "datteln", "schmidt") == ["D100"]  # part of the name, any case
    assert found(network, "datteln", "ANNA") == ["D100"]
    assert found(network, "marl", "anna") == ["M400"]
    assert found(network, "marl", "MUELLER@example") == ["M400"]
    assert found(network, "", "anna") == ["M400", "D100"]  # every library's, by name
    assert found(network, "datteln", "Team") == []  # staff are no patrons
    assert found(network, "datteln", "%") == [] and found(network, "datteln", "  ") == []


def test_an_account_made_at_the_desk_logs_in_with_the_shown_password(network: Network) -> None:
    with network.engine.begin() as conn:
        made, password = desk.make_local_patron(conn, library="herten", card="H500",
                                                name="Hans Herten", language="en")  # fmt: skip
        stored = accounts.model.password_hash(conn, made.id)
    assert len(password) == 12 and password not in (stored or "")
    assert accounts.model.password_matches(stored, password)
    assert (made.role, made.library, made.language, made.checked_here) == (
        "patron", "herten", "en", True,
    )  # fmt: skip
    with network.engine.begin() as conn, pytest.raises(AccountError, match="already belongs"):
        desk.make_local_patron(conn, library="herten", card="H500", name="Someone Else")


def test_a_reset_gives_a_new_password_and_ends_every_session(network: Network) -> None:
    with network.engine.begin() as conn:
        token = sessions.start(conn, network.patron.id, "Firefox", MONDAY)
        password = desk.reset_password(conn, network.patron, MONDAY)
        stored = accounts.model.password_hash(conn, network.patron.id)
    assert accounts.model.password_matches(stored, password)
    limits = sessions.Lifetimes.hours(8, 12)
    assert sessions.current(network.engine, token, limits, MONDAY) is None


def test_a_desk_block_stops_ordering_and_unblocking_allows_it(network: Network) -> None:
    with network.engine.begin() as conn:
        blocked = desk.block(conn, network.patron.id, "  Ausweis   abgelaufen ")
    assert blocked.desk_block == "Ausweis abgelaufen" and not blocked.may_order
    with pytest.raises(LoanError, match="Ausweis abgelaufen") as refused:
        network.place(blocked)
    assert refused.value.reason == "blocked"
    with network.engine.begin() as conn:
        assert desk.unblock(conn, network.patron.id).may_order
        with pytest.raises(AccountError, match="needs a reason"):
            desk.block(conn, network.patron.id, " ")
        with pytest.raises(AccountError, match="no patron"):
            desk.block(conn, network.staff["datteln"].id, "staff are no patrons")


def test_a_librarian_orders_for_a_patron_and_the_audit_names_the_librarian(
    network: Network,
) -> None:
    librarian = network.staff["datteln"]
    placed = network.place(placed_by=librarian, pickup_library="datteln")
    assert placed.patron_id == network.patron.id
    [event] = network.history(placed)
    assert (event.user_id, event.actor) == (librarian.id, "requester")
    assert event.note.startswith("bestellt an der Theke")
    with network.engine.connect() as conn:
        assert [r.id for r in loans.requests(conn, patron_id=network.patron.id)] == [placed.id]


def test_only_the_patrons_own_library_orders_for_the_patron(network: Network) -> None:
    with pytest.raises(NotYours):
        network.place(placed_by=network.staff["marl"])
    assert network.place(placed_by=network.admin).patron_id == network.patron.id


def register(network: Network, name: str = "Rita Neu", **given) -> accounts.Account:
    values = {"library": "marl", "name": name, "born": date(1990, 5, 17),
              "email": "rita@example.org", "password": "ein-langes-passwort",
              "card_prefix": "M", **given}  # fmt: skip
    with network.engine.begin() as conn:
        return registration.register(conn, **values)


def test_a_registration_is_provisional_until_the_library_approves_it(network: Network) -> None:
    made = register(network)
    assert made.provisional and not made.may_order and made.card.startswith("M")
    assert len(made.card) == 9 and made.card[1:].isdigit()
    with network.engine.connect() as conn:
        [waiting] = registration.pending(conn, "marl")
        assert registration.pending(conn, "herten") == []
    assert (waiting.account.id, waiting.birth_date) == (made.id, "1990-05-17")
    with network.engine.begin() as conn:
        approved = registration.approve(conn, made.id)
        assert registration.pending(conn, "marl") == []
    assert approved.may_order


def test_a_second_registration_of_the_same_person_is_refused(network: Network) -> None:
    register(network, card="M777")
    with pytest.raises(DuplicateRegistration):
        register(network, name="rita  NEU")
    other_day = register(network, born=date(1991, 5, 17))  # another person of the same name
    assert other_day.provisional


def test_a_rejected_registration_is_disabled_and_keeps_no_personal_data(network: Network) -> None:
    made = register(network, card="M778")
    with network.engine.begin() as conn:
        token = sessions.start(conn, made.id, "Firefox", MONDAY)
        registration.reject(conn, made.id, datetime(2026, 12, 15, tzinfo=UTC))
        gone = accounts.get_user(conn, made.id)
        assert registration.pending(conn, "marl") == []
        with pytest.raises(AccountError):
            registration.approve(conn, made.id)
    assert gone.disabled and gone.deleted
    assert (gone.name, gone.card, gone.email, gone.checked_here) == ("", None, "", False)
    limits = sessions.Lifetimes.hours(8, 12)
    assert sessions.current(network.engine, token, limits, MONDAY) is None


def test_a_birth_date_must_be_a_plausible_date(network: Network) -> None:
    assert registration.birth_date("1990-05-17", TODAY) == date(1990, 5, 17)
    for bad in ("17.05.1990", "", "1850-01-01", "2027-01-01"):
        with pytest.raises(AccountError):
            registration.birth_date(bad, TODAY)
