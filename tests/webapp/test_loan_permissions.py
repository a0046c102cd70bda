"""The permission matrix: every transition × every person (role × own or other library), through
the JSON API and through the librarians' pages, and every page of a request × every person.

The request: a patron of Datteln (D100) asks for a title to be picked up in Datteln; Herten
supplies it, Marl is next in the rota, Dorsten holds it without lending it. Who may take
each action is written out here by hand, from the issue's rules, not read from the code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from libnet import loans
from libnet.loans.states import TRANSITIONS
from tests.libnet.test_loans import MONDAY
from tests.webapp.test_loans_api import LOANS, Served
from tests.webapp.test_login import csrf_token, log_in

PEOPLE = ("patron", "other_patron", "marl_patron", "datteln_staff", "herten_staff",
          "marl_staff", "dorsten_staff", "admin", "anonymous")  # fmt: skip
# who may see the request at all (the others get 403, the anonymous 401 or the login page)
SEE = {"patron", "datteln_staff", "herten_staff", "admin"}
LOGINS = {"patron": "D100", "other_patron": "D200", "marl_patron": "M300",
          "datteln_staff": "Team datteln", "herten_staff": "Team herten",
          "marl_staff": "Team marl", "dorsten_staff": "Team dorsten", "admin": "Kreis"}  # fmt: skip

# action: (how the request gets where the action is possible, who may take it, its details)
H, D = "herten_staff", "datteln_staff"
# the pages and the API act today: due dates from today, within every library's longest loan
TODAY = datetime.now(UTC).date()
DUE, RENEWED = (TODAY + timedelta(days=28)).isoformat(), (TODAY + timedelta(days=56)).isoformat()
_RECEIVED = ("will_supply", "ship", "receive")
_HANDED = (*_RECEIVED, "hand_to_patron")
MATRIX = {
    "expect_to_supply": ((), {H}, {}),
    "will_supply": ((), {H}, {}),
    "cannot_supply": ((), {H}, {"reason": "missing"}),
    "skip_supplier": ((), {"admin"}, {}),
    "ship": (("will_supply",), {H}, {"due_date": DUE}),
    "receive": (("will_supply", "ship"), {D}, {}),
    "hand_to_patron": (("will_supply", "ship", "receive"), {D}, {}),
    "patron_returned": (("will_supply", "ship", "receive", "hand_to_patron"), {D}, {}),
    "ship_back": ((*_HANDED, "patron_returned"), {D}, {}),
    "receive_back": (("will_supply", "ship", "receive", "ship_back"), {H}, {}),
    "renew": (("will_supply", "ship", "receive"), {D, "patron"}, {}),
    "grant_renewal": ((*_RECEIVED, "renew"), {H}, {"due_date": RENEWED}),
    "refuse_renewal": (("will_supply", "ship", "receive", "renew"), {H}, {}),
    "mark_overdue": (("will_supply", "ship", "receive"), set(), {}),  # the nightly timers only
    "recall": (("will_supply", "ship"), {H}, {}),
    "lost": (_HANDED, {D, H}, {"payer": "patron"}),
    "patron_cancel": ((), {"patron"}, {}),
    "cancel": ((), {D, "admin"}, {}),
}
# who takes the steps that bring a request to where an action is possible
STEP_BY = {"will_supply": H, "ship": H, "receive": D, "hand_to_patron": D,
           "patron_returned": D, "ship_back": D, "renew": D}  # fmt: skip


def test_the_matrix_names_every_transition() -> None:
    assert set(MATRIX) == set(TRANSITIONS)


class Matrix(Served):
    def person(self, who: str):
        people = {"patron": self.patron, "other_patron": self.other_patron,
                  "marl_patron": self.marl_patron, "admin": self.admin,
                  **{f"{code}_staff": a for code, a in self.staff.items()}}  # fmt: skip
        return people[who]

    def prepared(self, action: str) -> loans.LoanRequest:
        """A new request of D100, brought to where `action` may be taken. Each is placed a
        rota window after the one before, so that Herten, which has shipped the least
        lately, is asked first every time."""
        steps, _, _ = MATRIX[action]
        self.rounds = getattr(self, "rounds", 0) + 1
        now = MONDAY + timedelta(days=(loans.ROTA_WINDOW_DAYS + 1) * self.rounds)
        request = self.place(now=now)
        for step in steps:  # a step's due date four weeks after it
            due = {"due_date": (now + timedelta(days=28)).date().isoformat()}
            request = self.act(request, step, self.person(STEP_BY[step]),
                               details=due if step == "ship" else {}, now=now)  # fmt: skip
        assert request.supplier == "herten"
        return request

    def get(self, loan_id: int) -> loans.LoanRequest:
        with self.engine.connect() as conn:
            return loans.get(conn, loan_id)

    def finish(self, request: loans.LoanRequest) -> None:
        """End an open request, so that D100 may ask for the title again."""
        request = self.get(request.id)
        if request.open:
            admin = self.person("admin")
            if request.state.value in ("RequestReceived", "ExpectToSupply", "WillSupply"):
                self.act(request, "cancel", admin)
            else:
                self.act(request, "lost", self.person(D), details={"payer": "nobody"})


@pytest.fixture
def matrix(tmp_path: Path) -> Matrix:
    return Matrix(tmp_path)


def api_status(matrix: Matrix, who: str, request: loans.LoanRequest, action: str) -> int:
    _, _, details = MATRIX[action]
    body = {"action": action, "version": request.version, "details": details}
    path = f"{LOANS}/{request.id}/transitions"
    return matrix.call("POST", path, None if who == "anonymous" else who, body).status_code


def page_status(matrix: Matrix, who: str, request: loans.LoanRequest, action: str) -> int:
    """The status of pressing the action's button as `who` would, with a valid form."""
    matrix.client = matrix.client.application.test_client()
    if who != "anonymous":
        log_in(matrix.client, LOGINS[who])
    _, _, details = MATRIX[action]
    data = {"csrf_token": csrf_token(matrix.client, "/login"), "action": action,
            "version": str(request.version), **details}  # fmt: skip
    return matrix.client.post(f"/staff/requests/{request.id}/transitions", data=data).status_code


@pytest.mark.parametrize("action", MATRIX)
def test_every_transition_by_every_person_through_the_api(matrix: Matrix, action: str) -> None:
    _, allowed, _ = MATRIX[action]
    request = matrix.prepared(action)
    for who in PEOPLE:
        if who in allowed:
            continue
        expected = 401 if who == "anonymous" else 409 if who in SEE else 403
        assert api_status(matrix, who, request, action) == expected, who
        assert matrix.get(request.id).version == request.version, f"{who} changed it"
    for who in sorted(allowed):
        assert api_status(matrix, who, request, action) == 200, who
        assert matrix.get(request.id).version == request.version + 1
        matrix.finish(request)
        request = matrix.prepared(action)


@pytest.mark.parametrize("action", MATRIX)
def test_every_transition_by_every_person_through_the_pages(matrix: Matrix, action: str) -> None:
    _, allowed, _ = MATRIX[action]
    request = matrix.prepared(action)
    for who in PEOPLE:
        if who in allowed and who != "patron":
            continue
        status = page_status(matrix, who, request, action)
        if who == "anonymous":
            assert status == 302  # to the login page
        elif who.endswith("patron"):
            assert status == 403  # patrons have no librarians' pages
        elif who in SEE:
            assert status == 302  # back to the page, with the refusal
        else:
            assert status == 403, who
        assert matrix.get(request.id).version == request.version, f"{who} changed it"
    for who in sorted(allowed - {"patron"}):
        assert page_status(matrix, who, request, action) == 302
        assert matrix.get(request.id).version == request.version + 1, who
        matrix.finish(request)
        request = matrix.prepared(action)


PAGE_SEES = {"datteln_staff": 200, "herten_staff": 200, "admin": 200, "marl_staff": 403,
             "dorsten_staff": 403, "patron": 403, "other_patron": 403, "marl_patron": 403,
             "anonymous": 302}  # fmt: skip


@pytest.mark.parametrize("who", PEOPLE)
def test_a_requests_page_by_every_person(matrix: Matrix, who: str) -> None:
    request = matrix.place()
    if who != "anonymous":
        log_in(matrix.client, LOGINS[who])
    answer = matrix.client.get(f"/staff/requests/{request.id}")
    assert answer.status_code == PAGE_SEES[who]
    text = answer.get_data(as_text=True)
    if answer.status_code == 200:
        assert ("Anna Schmidt" in text) == (who != "herten_staff")  # never to the supplier
    queues = "".join(
        matrix.client.get(f"/staff/requests?side={side}").get_data(as_text=True)
        for side in ("incoming", "outgoing")
    )
    shown = re.search(rf'href="/staff/requests/{request.id}"', queues) is not None
    assert shown == (PAGE_SEES[who] == 200)
