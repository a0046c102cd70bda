"""The loan request's state machine: the table, who may do what, and the details needed."""

from __future__ import annotations

import pytest

from libnet.loans.states import (
    NEXT_SUPPLIER,
    SAME,
    TERMINAL,
    TRANSITIONS,
    Actor,
    State,
    TransitionError,
    allowed,
    check,
)

ISO_18626_SUPPLIER_STATUSES = {
    "RequestReceived", "ExpectToSupply", "WillSupply", "Loaned", "Overdue", "Recalled",
    "Unfilled", "LoanCompleted", "CompletedWithoutReturn", "Cancelled",
}  # fmt: skip


def walk(*steps: tuple[str, Actor, dict]) -> State:
    """Follow actions from a new request; the state at the end (NEXT_SUPPLIER: a new one)."""
    state = State.REQUEST_RECEIVED
    for action, actor, details in steps:
        target = check(state, action, actor, details=details).target_from(state)
        state = State.REQUEST_RECEIVED if target == NEXT_SUPPLIER else State(target)
    return state


def test_the_supplier_states_carry_iso_18626_names() -> None:
    names = {state.value for state in State}
    assert names >= ISO_18626_SUPPLIER_STATUSES


def test_a_whole_loan_from_request_to_completion() -> None:
    state = walk(
        ("cannot_supply", Actor.SUPPLIER, {"reason": "on_loan"}),  # the next library
        ("will_supply", Actor.SUPPLIER, {}),
        ("ship", Actor.SUPPLIER, {"due_date": "2027-01-15"}),
        ("receive", Actor.REQUESTER, {}),
        ("hand_to_patron", Actor.REQUESTER, {}),
        ("patron_returned", Actor.REQUESTER, {}),
        ("ship_back", Actor.REQUESTER, {}),
        ("receive_back", Actor.SUPPLIER, {}),
    )
    assert state is State.LOAN_COMPLETED


def test_every_state_is_reachable_and_every_other_state_has_a_way_out() -> None:
    reached, todo = {State.REQUEST_RECEIVED}, [State.REQUEST_RECEIVED]
    while todo:
        state = todo.pop()
        for t in TRANSITIONS.values():
            if state in t.sources:
                targets = (
                    [State.REQUEST_RECEIVED, State.UNFILLED]
                    if t.target == NEXT_SUPPLIER
                    else [State(t.target_from(state))]
                )
                for target in targets:
                    if target not in reached:
                        reached.add(target)
                        todo.append(target)
    assert reached == set(State)
    for state in State:
        exits = [t for t in TRANSITIONS.values() if state in t.sources]
        assert bool(exits) == (state not in TERMINAL), state


def test_a_terminal_request_allows_nothing_to_anyone() -> None:
    for state in TERMINAL:
        for actor in Actor:
            assert allowed(state, actor) == ()


@pytest.mark.parametrize("actor", [Actor.PATRON, Actor.REQUESTER, Actor.SYSTEM, Actor.ADMIN])
def test_only_the_supplier_ships(actor: Actor) -> None:
    with pytest.raises(TransitionError, match="not for the"):
        check(State.WILL_SUPPLY, "ship", actor, details={"due_date": "2027-01-15"})


def test_a_patron_may_cancel_before_shipping_and_ask_for_a_renewal_once_it_is_here() -> None:
    for state in State:
        expected = ()
        if state in {State.REQUEST_RECEIVED, State.EXPECT_TO_SUPPLY, State.WILL_SUPPLY}:
            expected = ("patron_cancel",)
        if state in {State.RECEIVED, State.HANDED_TO_PATRON}:
            expected = ("renew",)
        assert allowed(state, Actor.PATRON) == expected, state
        assert "renew" not in allowed(state, Actor.PATRON, renewal_pending=True), state


def test_a_refused_transition_names_the_allowed_ones() -> None:
    with pytest.raises(TransitionError) as refused:
        check(State.LOANED, "hand_to_patron", Actor.REQUESTER)
    assert "not possible in state Loaned" in str(refused.value)
    assert refused.value.allowed == ("receive", "lost")


def test_an_unknown_action_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(TransitionError, match="no such action") as refused:
        check(State.REQUEST_RECEIVED, "teleport", Actor.SUPPLIER)
    assert refused.value.allowed == ("expect_to_supply", "will_supply", "cannot_supply")


@pytest.mark.parametrize(
    ("state", "action", "actor", "details", "message"),
    [
        (State.REQUEST_RECEIVED, "cannot_supply", Actor.SUPPLIER, {}, "needs a reason"),
        (State.REQUEST_RECEIVED, "cannot_supply", Actor.SUPPLIER, {"reason": "bored"}, "one of"),
        (State.WILL_SUPPLY, "ship", Actor.SUPPLIER, {"due_date": ""}, "needs a due date"),
        (State.HANDED_TO_PATRON, "lost", Actor.REQUESTER, {}, "needs a payer"),
        (State.HANDED_TO_PATRON, "lost", Actor.REQUESTER, {"payer": "santa"}, "one of"),
    ],
)
def test_an_action_without_its_details_is_refused(state, action, actor, details, message) -> None:
    with pytest.raises(TransitionError, match=message):
        check(state, action, actor, details=details)


def test_a_renewal_is_asked_once_and_answered_by_the_supplier() -> None:
    state = State.HANDED_TO_PATRON
    assert "renew" in allowed(state, Actor.REQUESTER)
    assert "grant_renewal" not in allowed(state, Actor.SUPPLIER)  # nothing asked yet
    renew = check(state, "renew", Actor.REQUESTER)
    assert renew.target == SAME and renew.target_from(state) is state
    assert "renew" not in allowed(state, Actor.REQUESTER, renewal_pending=True)
    assert allowed(state, Actor.SUPPLIER, renewal_pending=True)[:2] == (
        "grant_renewal",
        "refuse_renewal",
    )
    with pytest.raises(TransitionError, match="needs a due date"):
        check(state, "grant_renewal", Actor.SUPPLIER, renewal_pending=True)
    with pytest.raises(TransitionError, match="not for the"):
        check(state, "grant_renewal", Actor.REQUESTER, renewal_pending=True)


def test_the_timers_skip_a_silent_supplier_and_mark_overdue_but_do_nothing_else() -> None:
    assert allowed(State.REQUEST_RECEIVED, Actor.SYSTEM) == ("skip_supplier",)
    assert allowed(State.HANDED_TO_PATRON, Actor.SYSTEM) == ("mark_overdue",)
    assert allowed(State.WILL_SUPPLY, Actor.SYSTEM) == ()
    assert check(State.REQUEST_RECEIVED, "skip_supplier", Actor.SYSTEM).target == NEXT_SUPPLIER


def test_an_overdue_or_recalled_copy_still_finds_its_way_back() -> None:
    for state in (State.OVERDUE, State.RECALLED):
        assert {"patron_returned", "ship_back"} <= set(allowed(state, Actor.REQUESTER))
