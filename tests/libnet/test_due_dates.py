"""Due dates: ship and renewal keep within tomorrow and the supplying library's longest loan;
a recall brings the due date forward, never later than it was; a refused date changes nothing.

The rules on their own first, then through `loans.act` on the store (tests.libnet.test_loans'
catalogue: a patron of Datteln asks for a title Herten supplies, on Monday 14 December 2026).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from libnet import loans
from libnet.loans import due_dates
from libnet.loans.errors import DueDateError
from libnet.loans.library_settings import LoanSettings
from libnet.loans.states import State, TransitionError
from tests.libnet.test_loans import MONDAY, Network

TODAY = MONDAY.date()
HERTEN = LoanSettings("herten", loan_days=28, max_loan_days=60, recall_days=7)


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


@pytest.mark.parametrize(
    ("given", "reason"),
    [("2020-01-01", "too_early"), (TODAY.isoformat(), "too_early"),
     (days(61).isoformat(), "too_late"), ("bald", "not_a_date"), ("2026-02-30", "not_a_date")],
)  # fmt: skip
def test_a_due_date_before_tomorrow_or_past_the_longest_loan_is_refused(given, reason) -> None:
    with pytest.raises(DueDateError) as refused:
        due_dates.checked(given, HERTEN, TODAY)
    assert refused.value.reason == reason
    assert (refused.value.earliest, refused.value.latest) == (days(1), days(60))


def test_tomorrow_and_the_last_day_of_the_longest_loan_are_accepted() -> None:
    assert due_dates.checked(days(1), HERTEN, TODAY) == days(1).isoformat()
    assert due_dates.checked(f" {days(60)} ", HERTEN, TODAY) == days(60).isoformat()


def test_the_proposed_due_date_is_the_loan_period_and_a_renewal_never_passes_the_longest() -> None:
    assert due_dates.proposed(HERTEN, TODAY) == days(28)
    assert due_dates.proposed(HERTEN, TODAY, days(20).isoformat()) == days(48)
    assert due_dates.proposed(HERTEN, TODAY, days(50).isoformat()) == days(60)
    assert due_dates.proposed(HERTEN, TODAY, "2020-01-01") == days(28)  # an old date: today


def test_a_recall_brings_the_due_date_forward_but_never_later_than_it_was() -> None:
    assert due_dates.recalled(days(28).isoformat(), HERTEN, TODAY) == days(7).isoformat()
    assert due_dates.recalled(days(3).isoformat(), HERTEN, TODAY) == days(3).isoformat()


def test_the_due_date_an_event_set_is_read_back_from_its_note() -> None:
    assert due_dates.due_in_note(due_dates.note_with_due("2027-01-11", "")) == (
        date(2027, 1, 11), "")  # fmt: skip
    note = due_dates.note_with_due("2027-01-11", "Bitte vorsichtig")
    assert due_dates.due_in_note(note) == (date(2027, 1, 11), "Bitte vorsichtig")
    assert due_dates.due_in_note("due soon; maybe") == (None, "due soon; maybe")


@pytest.fixture
def network(tmp_path, store_url: str) -> Network:
    return Network(tmp_path, store_url)


def test_ship_refuses_a_past_or_too_distant_due_date_and_changes_nothing(network: Network) -> None:
    herten = network.staff["herten"]
    with network.engine.begin() as conn:
        loans.set_settings(conn, "herten", max_loan_days=42)
    request = network.act(network.place(), "will_supply", herten)
    for given in ("2020-01-01", days(43).isoformat()):
        with pytest.raises(DueDateError):
            network.act(request, "ship", herten, details={"due_date": given})
    with network.engine.connect() as conn:
        assert loans.get(conn, request.id) == request
    assert len(network.history(request)) == 2
    shipped = network.act(request, "ship", herten, details={"due_date": days(42).isoformat()})
    assert (shipped.state, shipped.due_date) == (State.LOANED, days(42).isoformat())
    assert network.history(shipped)[-1].note == f"due {days(42)}"


def test_a_recall_sets_the_earlier_due_date_and_one_not_on_loan_is_refused(
    network: Network,
) -> None:
    herten, datteln = network.staff["herten"], network.staff["datteln"]
    waiting = network.place()
    with pytest.raises(TransitionError, match="recall is not possible in state RequestReceived"):
        network.act(waiting, "recall", herten)
    with network.engine.connect() as conn:
        assert loans.get(conn, waiting.id) == waiting
    request = network.act(waiting, "will_supply", herten)
    request = network.act(request, "ship", herten, details={"due_date": days(28).isoformat()})
    request = network.act(request, "receive", datteln)
    request = network.act(request, "hand_to_patron", datteln)
    recalled = network.act(request, "recall", herten, note="Vormerkung vor Ort")
    assert (recalled.state, recalled.due_date) == (State.RECALLED, days(7).isoformat())
    assert network.history(recalled)[-1].note == f"due {days(7)}; Vormerkung vor Ort"
    with pytest.raises(TransitionError, match="not possible in state Recalled"):
        network.act(recalled, "recall", herten)


def test_a_library_longest_loan_is_never_shorter_than_its_loan_period(network: Network) -> None:
    with network.engine.begin() as conn:
        with pytest.raises(loans.LoanError, match="not be more than max_loan_days"):
            loans.set_settings(conn, "marl", loan_days=30, max_loan_days=20)
        with pytest.raises(loans.LoanError, match="at least 1"):
            loans.set_settings(conn, "marl", recall_days=0)
        assert loans.settings(conn, "marl").max_loan_days == loans.DEFAULT_MAX_LOAN_DAYS
