"""Loan requests in the store, on SQLite and on a real PostgreSQL: rota, life, rights, races.

The catalogue: one edition held by Datteln (its copy on loan), Herten and Marl (on the
shelf) and Dorsten (not for loan). A patron of Datteln asks for it to be sent to Datteln.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pymarc
import pytest
from sqlalchemy import update

from libnet import accounts, loans
from libnet.accounts import Account
from libnet.loans import AlreadyChanged, LoanError, NotYours, OwnCopyAvailable, timers
from libnet.loans.rota import live_in_note, rota_in_note
from libnet.loans.states import State, TransitionError
from libnet.store.schema import users
from tests.builders import book
from tests.index.test_grouping import Catalogue

PASSWORD = "korrekt-pferd"
MONDAY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def with_item(local_id: str, *, due: str = "", not_for_loan: str = "0") -> pymarc.Record:
    """The Kehlmann book with one Koha item: on loan until `due`, or withheld, or on the shelf."""
    record = book(local_id, items=())
    subfields = [pymarc.Subfield("o", "Rom Keh"), pymarc.Subfield("7", not_for_loan)]
    if due:
        subfields.append(pymarc.Subfield("q", due))
    record.add_field(pymarc.Field(tag="952", indicators=pymarc.Indicators(" ", " "),
                                  subfields=subfields))  # fmt: skip
    return record


class Network:
    """The catalogue in a store, its cluster, and one account per person the tests need."""

    def __init__(self, tmp_path: Path, url: str) -> None:
        self.catalogue = Catalogue(tmp_path, url)
        self.catalogue.export("datteln", with_item("d1", due="2026-12-30"))
        self.catalogue.export("herten", with_item("h1"))
        self.catalogue.export("marl", with_item("m1"))
        self.catalogue.export("dorsten", with_item("o1", not_for_loan="1"))
        self.catalogue.harvest()
        self.engine = self.catalogue.store.engine
        self.cluster = self.catalogue.cluster_of("herten", "h1")
        self.patron = self.account("patron", "datteln", "Anna Schmidt", card="D100")
        self.other_patron = self.account("patron", "datteln", "Bert Brecht", card="D200")
        self.marl_patron = self.account("patron", "marl", "Carla Marl", card="M300")
        self.staff = {
            code: self.account("librarian", code, f"Team {code}")
            for code in ("datteln", "herten", "marl", "dorsten")
        }
        self.admin = self.account("admin", "kreis", "Kreis")

    def account(self, role: str, library: str, name: str, card: str | None = None) -> Account:
        with self.engine.begin() as conn:
            return accounts.add_user(
                conn, role=role, library=library, name=name, card=card, password=PASSWORD
            )

    def place(self, patron: Account | None = None, **given) -> loans.LoanRequest:
        with loans.transaction(self.engine) as conn:
            return loans.place_request(
                conn, patron or self.patron, self.cluster, title="Die Vermessung der Welt",
                now=given.pop("now", MONDAY), **given,
            )  # fmt: skip

    def act(self, request: loans.LoanRequest, action: str, user: Account | None, **given):
        with loans.transaction(self.engine) as conn:
            return loans.act(conn, request.id, action, user, version=request.version,
                             now=given.pop("now", MONDAY), **given)  # fmt: skip

    def history(self, request: loans.LoanRequest) -> list[loans.Event]:
        with self.engine.connect() as conn:
            return loans.history(conn, request.id)


@pytest.fixture
def network(tmp_path: Path, store_url: str) -> Network:
    return Network(tmp_path, store_url)


def test_the_rota_skips_the_requester_and_what_is_not_for_loan(network: Network) -> None:
    request = network.place()
    assert request.state is State.REQUEST_RECEIVED
    assert [library for library, _ in request.rota] == ["herten", "marl"]
    assert (request.supplier, request.supplier_local_id) == ("herten", "h1")
    assert (request.requesting_library, request.pickup_library) == ("datteln", "datteln")
    [placed] = network.history(request)
    assert (placed.action, placed.actor, placed.to_state) == ("place", "patron", "RequestReceived")


def test_the_library_that_shipped_least_lately_comes_first(network: Network) -> None:
    first = network.place()
    first = network.act(first, "will_supply", network.staff["herten"])
    network.act(first, "ship", network.staff["herten"], details={"due_date": "2027-01-11"})
    second = network.place(network.other_patron)
    assert second.supplier == "marl"  # herten shipped one in the last 90 days, marl none


def test_a_paused_library_is_left_out_of_the_rota(network: Network) -> None:
    with network.engine.begin() as conn:
        loans.set_settings(conn, "herten", paused=True, pause_note="Inventur")
    assert [library for library, _ in network.place().rota] == ["marl"]


def test_a_library_whose_system_says_its_copy_is_on_the_shelf_now_comes_first(
    network: Network,
) -> None:
    # the harvest found both on the shelf: herten first by its name; marl's system says so now
    live = network.place(live={"marl": "available", "herten": "on_loan"})
    assert [library for library, _ in live.rota] == ["marl", "herten"]


def test_a_copy_its_library_says_is_out_now_goes_behind_one_that_may_be_in(
    network: Network,
) -> None:
    # herten's system says its copy went out since the harvest; marl was not asked
    assert [library for library, _ in network.place(live={"herten": "on_loan"}).rota] == [
        "marl",
        "herten",
    ]


@pytest.mark.parametrize("state", ["on_loan", "lost", "missing", "in_processing"])
def test_a_library_whose_copy_is_out_lost_or_in_processing_is_passed_over(network, state) -> None:
    request = network.place(live={"herten": state})
    assert [library for library, _ in request.rota] == ["marl", "herten"]
    (placed,) = network.history(request)
    assert ("herten", state, "passed over") in live_in_note(placed.note)


def test_the_history_says_which_live_status_decided_the_rota(network: Network) -> None:
    request = network.place(live={"marl": "available", "herten": "in_transit"})
    (placed,) = network.history(request)
    assert placed.note == "rota: marl, herten; live: marl=available, herten=in_transit"
    assert live_in_note(placed.note) == (
        ("marl", "available", "preferred"),
        ("herten", "in_transit", ""),
    )
    assert rota_in_note(placed.note) == (False, ("marl", "herten"))


def test_a_patron_whose_library_has_a_copy_on_the_shelf_is_sent_there(network: Network) -> None:
    with pytest.raises(OwnCopyAvailable, match="your library has a copy"):
        network.place(network.marl_patron)


def test_a_patron_may_order_when_their_librarys_system_says_its_copy_went_out(network) -> None:
    request = network.place(network.marl_patron, live={"marl": "on_loan"})
    assert [library for library, _ in request.rota] == ["herten", "datteln"]  # datteln's is lent


def test_a_patron_whose_librarys_system_says_a_copy_is_in_now_is_sent_there(network) -> None:
    with pytest.raises(OwnCopyAvailable, match="your library has a copy"):
        network.place(live={"datteln": "available"})


@pytest.mark.parametrize(
    ("column", "value", "why"),
    [("order_block", "card expired", "card expired"), ("desk_block", "Gebühren offen", "Gebühren"),
     ("provisional", True, "waits for the library's approval")],
)  # fmt: skip
def test_an_account_that_may_not_order_is_refused_with_the_reason(
    network: Network, column: str, value: object, why: str
) -> None:
    with network.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == network.patron.id).values({column: value}))
        blocked = accounts.get_user(conn, network.patron.id)
    assert not blocked.may_order
    with pytest.raises(LoanError, match=why) as refused:
        network.place(blocked)
    assert refused.value.reason == "blocked"


def test_a_title_is_asked_for_once_and_a_library_limits_open_requests(network: Network) -> None:
    network.place()
    with pytest.raises(LoanError, match="on request or on loan already") as refused:
        network.place()
    assert refused.value.reason == "duplicate"
    with network.engine.begin() as conn:
        loans.set_settings(conn, "datteln", max_open=1)
    network.catalogue.export("herten", with_item("h1"), book("h2", title="Ruhm", isbn=""))
    network.catalogue.harvest()
    network.cluster = network.catalogue.cluster_of("herten", "h2")
    with pytest.raises(
        LoanError, match="1 open requests, as many as your library allows"
    ) as refused:
        network.place()
    assert refused.value.reason == "limit"


def test_cannot_supply_moves_on_and_an_exhausted_rota_is_unfilled(network: Network) -> None:
    request = network.place()
    request = network.act(request, "cannot_supply", network.staff["herten"],
                          details={"reason": "missing"})  # fmt: skip
    assert (request.state, request.supplier, request.rota_position) == (
        State.REQUEST_RECEIVED, "marl", 1,
    )  # fmt: skip
    request = network.act(request, "cannot_supply", network.staff["marl"],
                          details={"reason": "on_loan"})  # fmt: skip
    assert request.state is State.UNFILLED and not request.open
    steps = [(e.action, e.supplier, e.to_state, e.note) for e in network.history(request)]
    assert steps[1:] == [
        ("cannot_supply", "herten", "RequestReceived", "reason: missing"),
        ("cannot_supply", "marl", "Unfilled", "reason: on_loan"),
    ]


def test_a_whole_loan_from_request_to_completion(network: Network) -> None:
    herten, datteln = network.staff["herten"], network.staff["datteln"]
    request = network.place()
    for action, user, details in (
        ("will_supply", herten, {}),
        ("ship", herten, {"due_date": "2027-01-11"}),
        ("receive", datteln, {}),
        ("hand_to_patron", datteln, {}),
        ("renew", datteln, {}),
        ("grant_renewal", herten, {"due_date": "2027-02-08"}),
        ("patron_returned", datteln, {}),
        ("ship_back", datteln, {}),
        ("receive_back", herten, {}),
    ):
        request = network.act(request, action, user, details=details)
    assert request.state is State.LOAN_COMPLETED and request.due_date == "2027-02-08"
    assert not request.renewal_pending and request.version == 10
    events = network.history(request)
    assert [e.actor for e in events] == [
        "patron", "supplier", "supplier", "requester", "requester", "requester", "supplier",
        "requester", "requester", "supplier",
    ]  # fmt: skip
    assert [e.user_id for e in events][:2] == [network.patron.id, herten.id]


def test_a_librarian_of_marl_can_never_act_for_herten(network: Network) -> None:
    request = network.place()
    for user in (network.staff["marl"], network.staff["dorsten"], network.other_patron):
        with pytest.raises(NotYours):
            network.act(request, "will_supply", user)
        with network.engine.connect() as conn:
            assert not loans.may_see(loans.get(conn, request.id), user)
    with pytest.raises(TransitionError, match="not for the requester"):
        network.act(request, "will_supply", network.staff["datteln"])  # the other side
    assert network.act(request, "cancel", network.admin).state is State.CANCELLED


def test_the_patron_cancels_before_shipping_but_not_after(network: Network) -> None:
    request = network.place()
    assert network.act(request, "patron_cancel", network.patron).state is State.CANCELLED
    request = network.place()
    request = network.act(request, "will_supply", network.staff["herten"])
    request = network.act(request, "ship", network.staff["herten"],
                          details={"due_date": "2027-01-11"})  # fmt: skip
    with pytest.raises(TransitionError, match="not possible in state Loaned"):
        network.act(request, "patron_cancel", network.patron)


def test_a_change_made_on_an_old_version_is_refused(network: Network) -> None:
    seen = network.place()
    network.act(seen, "will_supply", network.staff["herten"])
    with pytest.raises(AlreadyChanged, match="already changed: the request is now WillSupply"):
        network.act(seen, "cannot_supply", network.staff["herten"], details={"reason": "missing"})


def test_two_librarians_clicking_at_once_exactly_one_wins(network: Network) -> None:
    """Real threads, each its own connection, both having seen version 1."""
    request = network.place()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click(action: str, details: dict) -> None:
        start.wait()
        try:
            network.act(request, action, network.staff["herten"], details=details)
            outcomes.append("won")
        except AlreadyChanged:
            outcomes.append("already changed")

    threads = [
        threading.Thread(target=click, args=("will_supply", {})),
        threading.Thread(target=click, args=("cannot_supply", {"reason": "damaged"})),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["already changed", "won"]
    with network.engine.connect() as conn:
        assert loans.get(conn, request.id).version == 2
        assert len(loans.history(conn, request.id)) == 2


def test_a_silent_supplier_is_skipped_after_its_working_days(network: Network) -> None:
    """Placed on Wednesday 23 December 2026: the 25th is a holiday, then a weekend."""
    placed = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
    request = network.place(now=placed)

    def timers(day: int, month: int = 12) -> loans.TimerReport:
        return loans.run_timers(network.engine, datetime(2026, month, day, 1, 0, tzinfo=UTC))

    assert timers(29).skipped == ()  # 24, 28, 29: three working days, the allowance
    with network.engine.begin() as conn:
        loans.set_settings(conn, "herten", closing_days=["2026-12-30"])
    assert timers(30).skipped == ()  # herten is closed on the 30th
    assert timers(31).skipped == (request.id,)
    with network.engine.connect() as conn:
        moved = loans.get(conn, request.id)
    assert moved.supplier == "marl" and moved.state is State.REQUEST_RECEIVED
    assert network.history(moved)[-1].note == "no answer in 3 working days"


def test_a_passed_due_date_is_overdue(network: Network) -> None:
    herten, datteln = network.staff["herten"], network.staff["datteln"]
    request = network.place()
    request = network.act(request, "will_supply", herten)
    request = network.act(request, "ship", herten, details={"due_date": "2027-01-11"})
    request = network.act(request, "receive", datteln)
    assert loans.run_timers(network.engine, datetime(2027, 1, 11, 1, tzinfo=UTC)).overdue == ()
    at = datetime(2027, 1, 12, 1, tzinfo=UTC)
    assert loans.run_timers(network.engine, at).overdue == (request.id,)
    with network.engine.connect() as conn:
        assert loans.get(conn, request.id).state is State.OVERDUE


def test_the_nightly_timers_leave_a_request_clicked_meanwhile_and_do_the_others(
    network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    placed = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    clicked = network.place(now=placed)
    silent = network.place(network.other_patron, now=placed)
    looked_at = timers._due

    def herten_answers_while_the_timers_run(conn, now):
        due = looked_at(conn, now)
        network.act(clicked, "will_supply", network.staff["herten"], now=now)
        return due

    monkeypatch.setattr(timers, "_due", herten_answers_while_the_timers_run)
    report = loans.run_timers(network.engine, datetime(2026, 12, 14, 1, tzinfo=UTC))
    assert (report.skipped, report.left) == ((silent.id,), (clicked.id,))
    with network.engine.connect() as conn:
        assert loans.get(conn, clicked.id).state is State.WILL_SUPPLY
        assert loans.get(conn, clicked.id).supplier == "herten"
        assert loans.get(conn, silent.id).supplier == "marl"


def test_a_due_date_must_be_a_date(network: Network) -> None:
    request = network.act(network.place(), "will_supply", network.staff["herten"])
    with pytest.raises(LoanError, match="not a date"):
        network.act(request, "ship", network.staff["herten"], details={"due_date": "bald"})


def test_settings_are_checked(network: Network) -> None:
    with network.engine.begin() as conn:
        with pytest.raises(LoanError, match="at least 1"):
            loans.set_settings(conn, "marl", answer_days=0)
        with pytest.raises(LoanError, match="no such loan setting"):
            loans.set_settings(conn, "marl", colour="red")
        with pytest.raises(LoanError, match="not a date"):
            loans.set_settings(conn, "marl", closing_days=["Weihnachten"])
        assert loans.settings(conn, "marl").answer_days == loans.DEFAULT_ANSWER_DAYS


def test_working_days_skip_north_rhine_westphalias_own_holidays() -> None:
    """Corpus Christi and All Saints' Day are holidays in NRW, not in all of Germany."""
    assert loans.working_days_between(date(2027, 5, 26), date(2027, 5, 28)) == 1  # Thu 27 off
    assert loans.working_days_between(date(2027, 10, 29), date(2027, 11, 2)) == 1  # Mon 1 off
    assert loans.working_days_between(date(2027, 10, 29), date(2027, 11, 2), ["2027-11-02"]) == 0
