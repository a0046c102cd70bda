"""The life of a loan request: one table of the allowed transitions and who may make each.

A request is for a title (a cluster) and is at one supplier at a time, the current library of
its rota. The supplying side's states carry the status names of ISO 18626 (RequestReceived,
ExpectToSupply, WillSupply, Loaned, Overdue, Recalled, Unfilled, LoanCompleted,
CompletedWithoutReturn, Cancelled), so that the network can later speak to other ILL systems;
while the copy is at the requesting library its steps there (received, handed to the patron,
returned by the patron, shipped back) are states of their own, named after ISO 18626's
requesting-agency actions where it has one (Received, ShippedReturn).

Who acts is an Actor relative to the request: the patron who asked, a librarian of the
requesting (pickup) library, a librarian of the current supplier, the nightly timers, or the
network's administrator. Which person is which actor is decided elsewhere
(libnet.loans.loan_request, from the account and the request); this module only says what each
actor may do in each state.
Everything that changes a request's state goes through `check()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from libnet.loans.errors import TransitionError


class State(StrEnum):
    REQUEST_RECEIVED = "RequestReceived"  # at the current supplier, not yet answered
    EXPECT_TO_SUPPLY = "ExpectToSupply"  # the supplier will lend it when a copy is back
    WILL_SUPPLY = "WillSupply"  # the supplier is fetching the copy (pull slip)
    LOANED = "Loaned"  # shipped, on its way to the pickup library
    RECEIVED = "Received"  # at the pickup library, waiting for the patron
    HANDED_TO_PATRON = "HandedToPatron"
    RETURNED_BY_PATRON = "ReturnedByPatron"  # back at the pickup library
    SHIPPED_RETURN = "ShippedReturn"  # on its way back to the supplier
    OVERDUE = "Overdue"  # the due date passed while the copy was out
    RECALLED = "Recalled"  # the supplier wants it back before the due date
    UNFILLED = "Unfilled"  # every library of the rota said no or did not answer
    LOAN_COMPLETED = "LoanCompleted"  # back on the supplier's shelf
    COMPLETED_WITHOUT_RETURN = "CompletedWithoutReturn"  # lost; who pays is noted
    CANCELLED = "Cancelled"


class Actor(StrEnum):
    PATRON = "patron"  # the patron who placed the request
    REQUESTER = "requester"  # a librarian of the requesting (pickup) library
    SUPPLIER = "supplier"  # a librarian of the library the request is at now
    SYSTEM = "system"  # the nightly run's timers
    ADMIN = "admin"  # the network's administrator


# A transition whose target is NEXT_SUPPLIER moves the request on in its rota: to
# RequestReceived at the next library, or to Unfilled when the rota is used up.
NEXT_SUPPLIER = "next supplier"
# ... and one whose target is SAME leaves the state as it is (a renewal asked or answered).
SAME = "same state"

# why a supplier cannot supply
CANNOT_SUPPLY_REASONS = ("on_loan", "missing", "not_for_loan", "damaged", "other")
# the audit note of a cannot_supply starts with its reason code: "reason: on_loan; the note"
_REASON = "reason: "
# who pays for a copy that is lost
PAYERS = ("patron", "requesting_library", "supplying_library", "nobody")

TERMINAL = frozenset(
    {State.UNFILLED, State.LOAN_COMPLETED, State.COMPLETED_WITHOUT_RETURN, State.CANCELLED}
)
_BEFORE_SHIPPING = frozenset({State.REQUEST_RECEIVED, State.EXPECT_TO_SUPPLY, State.WILL_SUPPLY})
_AWAITING_ANSWER = frozenset({State.REQUEST_RECEIVED, State.EXPECT_TO_SUPPLY})
_AT_REQUESTER = frozenset({State.RECEIVED, State.HANDED_TO_PATRON, State.RETURNED_BY_PATRON})
_OUT = frozenset({State.LOANED, State.SHIPPED_RETURN, State.OVERDUE, State.RECALLED})


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State | str  # a State, NEXT_SUPPLIER or SAME
    actors: frozenset[Actor]
    needs: tuple[str, ...] = ()  # details the action must be given (reason, due_date, payer)
    renewal: str = ""  # "ask": needs no renewal pending and opens one; "answer": needs one

    def target_from(self, state: State) -> State | str:
        return state if self.target == SAME else self.target


def _t(action, sources, target, *actors, needs=(), renewal="") -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(actors), needs, renewal)


S, R, P, Y, A = Actor.SUPPLIER, Actor.REQUESTER, Actor.PATRON, Actor.SYSTEM, Actor.ADMIN

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        # the supplier answers
        _t("expect_to_supply", {State.REQUEST_RECEIVED}, State.EXPECT_TO_SUPPLY, S),
        _t("will_supply", _AWAITING_ANSWER, State.WILL_SUPPLY, S),
        _t("cannot_supply", _BEFORE_SHIPPING, NEXT_SUPPLIER, S, needs=("reason",)),
        # a supplier that does not answer in time, or that the administrator takes off it
        _t("skip_supplier", _AWAITING_ANSWER, NEXT_SUPPLIER, Y, A),
        _t("ship", {State.WILL_SUPPLY}, State.LOANED, S, needs=("due_date",)),
        # the requesting library
        _t("receive", {State.LOANED}, State.RECEIVED, R),
        _t("hand_to_patron", {State.RECEIVED}, State.HANDED_TO_PATRON, R),
        _t(
            "patron_returned",
            {State.HANDED_TO_PATRON, State.OVERDUE, State.RECALLED},
            State.RETURNED_BY_PATRON,
            R,
        ),
        _t(
            "ship_back",
            {State.RECEIVED, State.RETURNED_BY_PATRON, State.OVERDUE, State.RECALLED},
            State.SHIPPED_RETURN,
            R,
        ),
        # back at the supplier
        _t("receive_back", {State.SHIPPED_RETURN}, State.LOAN_COMPLETED, S),
        # renewals: asked by the requesting library or by the patron ("Mein Konto"),
        # answered by the supplier
        _t("renew", {State.RECEIVED, State.HANDED_TO_PATRON}, SAME, R, P, renewal="ask"),
        _t(
            "grant_renewal",
            {State.RECEIVED, State.HANDED_TO_PATRON},
            SAME,
            S,
            needs=("due_date",),
            renewal="answer",
        ),
        _t("refuse_renewal", {State.RECEIVED, State.HANDED_TO_PATRON}, SAME, S, renewal="answer"),
        # the due date and the supplier's wish to have it back
        _t("mark_overdue", _AT_REQUESTER, State.OVERDUE, Y),
        _t(
            "recall",
            {State.LOANED, State.RECEIVED, State.HANDED_TO_PATRON, State.OVERDUE},
            State.RECALLED,
            S,
        ),
        _t("lost", _AT_REQUESTER | _OUT, State.COMPLETED_WITHOUT_RETURN, R, S, needs=("payer",)),
        # ending a request before the copy is on its way
        _t("patron_cancel", _BEFORE_SHIPPING, State.CANCELLED, P),
        _t("cancel", _BEFORE_SHIPPING, State.CANCELLED, R, A),
    )
}


def allowed(state: State, actor: Actor, *, renewal_pending: bool = False) -> tuple[str, ...]:
    """The actions `actor` may take on a request in `state`, in the table's order."""
    return tuple(
        t.action
        for t in TRANSITIONS.values()
        if state in t.sources and actor in t.actors and _renewal_fits(t, renewal_pending)
    )


def check(
    state: State,
    action: str,
    actor: Actor,
    *,
    renewal_pending: bool = False,
    details: dict[str, object] | None = None,
) -> Transition:
    """The transition `action` by `actor` in `state`; TransitionError when it may not be made.

    `details` must hold what the action needs: a `reason` from CANNOT_SUPPLY_REASONS, a
    `due_date`, a `payer` from PAYERS.
    """
    details = details or {}
    transition = TRANSITIONS.get(action)
    options = allowed(state, actor, renewal_pending=renewal_pending)
    if transition is None:
        raise TransitionError(f"no such action: {action!r}", options, "unknown")
    if state not in transition.sources or not _renewal_fits(transition, renewal_pending):
        raise TransitionError(f"{action} is not possible in state {state}", options)
    if actor not in transition.actors:
        raise TransitionError(f"{action} is not for the {actor} to do", options, "actor")
    for name in transition.needs:
        if details.get(name) in (None, ""):
            raise TransitionError(f"{action} needs a {name.replace('_', ' ')}", options, "details")
    if "reason" in transition.needs and details["reason"] not in CANNOT_SUPPLY_REASONS:
        reasons = ", ".join(CANNOT_SUPPLY_REASONS)
        raise TransitionError(f"reason must be one of {reasons}", options, "details")
    if "payer" in transition.needs and details["payer"] not in PAYERS:
        raise TransitionError(f"payer must be one of {', '.join(PAYERS)}", options, "details")
    return transition


def _renewal_fits(transition: Transition, pending: bool) -> bool:
    if transition.renewal == "ask":
        return not pending
    if transition.renewal == "answer":
        return pending
    return True


def note_with_reason(reason: str, note: str) -> str:
    """An audit event's note with the refusal's reason code first ("reason: on_loan; ...")."""
    return "; ".join(part for part in (f"{_REASON}{reason}" if reason else "", note) if part)


def reason_in_note(note: str) -> tuple[str, str]:
    """The reason code note_with_reason put first, and the rest; ("", note) without one."""
    head, _, rest = note.partition("; ")
    if not head.startswith(_REASON):
        return "", note
    return head.removeprefix(_REASON), rest
