"""The librarians' pages: queues, a request's page and its actions, batch actions, pull slips,
overdue; each librarian sees and acts for their own library only.

The network of tests/libnet/test_loans.py: a patron of Datteln asks for a title that Herten
and Marl lend (Herten first); Dorsten holds it but does not lend it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from libnet import loans
from libnet.loans.states import State
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def page(served: Served, path: str) -> str:
    answer = served.client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def act(served: Served, loan_id: int, action: str, **fields: str):
    """Press an action's button on the request's page, as the logged-in librarian."""
    text = page(served, f"/staff/requests/{loan_id}")
    form = re.search(
        rf'<form method="post" action="/staff/requests/{loan_id}/transitions" class="action-form">'
        rf'(?:(?!</form>).)*?name="action" type="hidden" value="{action}"(?:(?!</form>).)*</form>',
        text,
        re.S,
    )
    assert form, f"no button {action} on the page"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form.group(0)).group(1)
    data = {"csrf_token": TOKEN.search(form.group(0)).group(1), "action": action,
            "version": version, **fields}  # fmt: skip
    return served.client.post(f"/staff/requests/{loan_id}/transitions", data=data)


def current(served: Served, loan_id: int) -> loans.LoanRequest:
    with served.engine.connect() as conn:
        return loans.get(conn, loan_id)


def test_a_visitor_is_sent_to_log_in_and_a_patron_is_refused(served: Served) -> None:
    for path in ("/staff/requests", "/staff/requests/1", "/staff/pull-slips", "/staff/overdue"):
        answer = served.client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")
    log_in(served.client, "D100")
    for path in ("/staff/requests", "/staff/pull-slips", "/staff/overdue"):
        assert served.client.get(path).status_code == 403


def test_the_supplier_sees_a_new_request_incoming_and_the_pickup_library_outgoing(
    served: Served,
) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    incoming = page(served, "/staff/requests?side=incoming")
    assert "Die Vermessung der Welt" in incoming and f"/staff/requests/{placed.id}" in incoming
    assert re.search(r'Incoming <span class="count">1</span>', incoming)
    assert "new: waiting for the supplier's answer (1)" in incoming
    assert f'value="{placed.id}:1"' in incoming  # checkable for a batch action
    outgoing = page(served, "/staff/requests?side=outgoing")
    assert "Die Vermessung der Welt" not in outgoing
    served.client.post("/logout", data={"csrf_token": TOKEN.search(incoming).group(1)})
    log_in(served.client, "Team datteln")
    outgoing = page(served, "/staff/requests?side=outgoing")
    assert "Die Vermessung der Welt" in outgoing and f'value="{placed.id}:1"' not in outgoing


def test_another_library_sees_nothing_and_may_not_act(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Team marl")  # next in the rota, not asked yet
    for side in ("incoming", "outgoing"):
        assert "Die Vermessung der Welt" not in page(served, f"/staff/requests?side={side}")
    assert served.client.get(f"/staff/requests/{placed.id}").status_code == 403
    token = TOKEN.search(page(served, "/staff/requests")).group(1)
    data = {"csrf_token": token, "action": "will_supply", "version": "1"}
    answer = served.client.post(f"/staff/requests/{placed.id}/transitions", data=data)
    assert answer.status_code == 403
    batch = {"csrf_token": token, "side": "incoming", "action": "will_supply",
             "pick": f"{placed.id}:1"}  # fmt: skip
    served.client.post("/staff/requests/batch", data=batch)
    assert current(served, placed.id).state is State.REQUEST_RECEIVED
    assert "Die Vermessung der Welt" not in page(served, "/staff/pull-slips")


def test_only_the_patrons_side_sees_who_the_patron_is(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    supplier = page(served, f"/staff/requests/{placed.id}")
    assert "Anna Schmidt" not in supplier and "D100" not in supplier
    served.client.post("/logout", data={"csrf_token": TOKEN.search(supplier).group(1)})
    log_in(served.client, "Team datteln")
    requester = page(served, f"/staff/requests/{placed.id}")
    assert "Anna Schmidt" in requester and "D100" in requester


def test_cannot_supply_with_a_reason_passes_the_request_to_the_next_library(
    served: Served,
) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    without = act(served, placed.id, "cannot_supply", reason="")
    assert without.status_code == 302
    assert "Please fill in what the action needs." in page(served, f"/staff/requests/{placed.id}")
    assert current(served, placed.id).supplier == "herten"
    answer = act(served, placed.id, "cannot_supply", reason="damaged", note="Wasserschaden")
    assert answer.headers["Location"] == "/staff/requests?side=incoming"  # no longer theirs
    moved = current(served, placed.id)
    assert (moved.supplier, moved.state) == ("marl", State.REQUEST_RECEIVED)
    assert served.client.get(f"/staff/requests/{placed.id}").status_code == 403  # not theirs now
    served.client.post("/logout", data={"csrf_token": TOKEN.search(page(served, "/")).group(1)})
    log_in(served.client, "Team marl")
    history = page(served, f"/staff/requests/{placed.id}")
    assert "Cannot supply" in history and "Reason: damaged; Wasserschaden" in history
    assert "Team herten" in history


def test_the_ship_form_proposes_the_suppliers_loan_period(served: Served) -> None:
    placed = served.place()
    with served.engine.begin() as conn:
        loans.set_settings(conn, "herten", loan_days=21)
    log_in(served.client, "Team herten")
    act(served, placed.id, "will_supply")
    text = page(served, f"/staff/requests/{placed.id}")
    proposed = (datetime.now(UTC).date() + timedelta(days=21)).isoformat()
    assert f'value="{proposed}"' in text and 'type="date"' in text


def test_a_change_on_a_page_someone_else_changed_is_refused(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    text = page(served, f"/staff/requests/{placed.id}")
    served.act(placed, "will_supply", served.staff["herten"])  # another librarian, first
    token = TOKEN.search(text).group(1)
    data = {"csrf_token": token, "action": "cannot_supply", "version": "1", "reason": "missing"}
    served.client.post(f"/staff/requests/{placed.id}/transitions", data=data)
    assert "Someone changed the request in the meantime" in page(
        served, f"/staff/requests/{placed.id}"
    )
    assert current(served, placed.id).state is State.WILL_SUPPLY


def test_pull_slips_show_call_number_and_where_to_send_it(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    slips = page(served, "/staff/pull-slips")
    assert f"Request {placed.id}" in slips and "Rom Keh" in slips
    assert "Send to" in slips and "data-print" in slips
    served.act(placed, "cannot_supply", served.staff["herten"], details={"reason": "missing"})
    assert f"Request {placed.id}" not in page(served, "/staff/pull-slips")


def test_batch_ship_and_batch_receive(served: Served) -> None:
    first = served.place()
    second = served.place(served.other_patron)
    log_in(served.client, "Team herten")
    queue = page(served, "/staff/requests?side=incoming")
    token = TOKEN.search(queue).group(1)
    picks = [f"{first.id}:1", f"{second.id}:1"]
    data = {"csrf_token": token, "side": "incoming", "action": "will_supply", "pick": picks}
    served.client.post("/staff/requests/batch", data=data)
    assert "2 requests: Will supply." in page(served, "/staff/requests?side=incoming")
    due = (date.today() + timedelta(days=28)).isoformat()
    bad = {**data, "action": "ship", "pick": [f"{first.id}:2"], "due_date": "morgen"}
    served.client.post("/staff/requests/batch", data=bad)
    assert "Give the due date as a date" in page(served, "/staff/requests")
    # one checked on an old version: that one is left, the other shipped
    ship = {**data, "action": "ship", "pick": [f"{first.id}:2", f"{second.id}:1"],
            "due_date": due}  # fmt: skip
    served.client.post("/staff/requests/batch", data=ship)
    text = page(served, "/staff/requests?side=incoming")
    assert "1 request: Shipped." in text and "1 request had changed meanwhile" in text
    assert current(served, first.id).state is State.LOANED
    assert current(served, first.id).due_date == due
    assert current(served, second.id).state is State.WILL_SUPPLY
    served.client.post("/logout", data={"csrf_token": token})
    log_in(served.client, "Team datteln")
    queue = page(served, "/staff/requests?side=outgoing")
    token = TOKEN.search(queue).group(1)
    receive = {"csrf_token": token, "side": "outgoing", "action": "receive",
               "pick": [f"{first.id}:3"]}  # fmt: skip
    served.client.post("/staff/requests/batch", data=receive)
    assert current(served, first.id).state is State.RECEIVED


def test_a_batch_action_the_state_no_longer_allows_is_refused(served: Served) -> None:
    """Found by tests/fuzz: loans.act's TransitionError is no LoanError and went up as a 500."""
    placed = served.place()
    shipped = served.act(served.act(placed, "will_supply", served.staff["herten"]), "ship",
                         served.staff["herten"], details={"due_date": "2027-01-11"})  # fmt: skip
    log_in(served.client, "Team herten")
    token = TOKEN.search(page(served, "/staff/requests?side=incoming")).group(1)
    data = {"csrf_token": token, "side": "incoming", "action": "will_supply",
            "pick": f"{placed.id}:{shipped.version}"}  # fmt: skip
    answer = served.client.post("/staff/requests/batch", data=data)
    assert answer.status_code == 302
    assert "1 request could not be changed so." in page(served, "/staff/requests")
    assert current(served, placed.id).state is State.LOANED


@pytest.mark.parametrize("pick", ["²:1", "1:²", "9" * 4301 + ":1"])
def test_a_checked_request_that_is_no_number_is_left_out(served: Served, pick: str) -> None:
    """str.isdigit() says yes to "²", int() raised ValueError; it refuses 4301 digits too."""
    served.place()
    log_in(served.client, "Team herten")
    token = TOKEN.search(page(served, "/staff/requests?side=incoming")).group(1)
    data = {"csrf_token": token, "side": "incoming", "action": "will_supply", "pick": pick}
    assert served.client.post("/staff/requests/batch", data=data).status_code == 302
    assert "Check the requests first." in page(served, "/staff/requests")
    assert page(served, "/staff/pull-slips?id=²") and page(served, "/staff/pull-slips?id=" + pick)


def test_a_version_that_is_no_number_is_an_expired_form(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Team herten")
    token = TOKEN.search(page(served, f"/staff/requests/{placed.id}")).group(1)
    data = {"csrf_token": token, "action": "will_supply", "version": "²"}
    answer = served.client.post(f"/staff/requests/{placed.id}/transitions", data=data)
    assert answer.status_code == 302
    assert "The form had expired." in page(served, f"/staff/requests/{placed.id}")


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_a_request_number_no_store_can_hold_is_not_found(served: Served, number: int) -> None:
    """Found by tests/fuzz: 2**63 overflowed SQLite's integers, a 500."""
    log_in(served.client, "Kreis")
    token = TOKEN.search(page(served, "/staff/requests")).group(1)
    assert served.client.get(f"/staff/requests/{number}").status_code == 404
    data = {"csrf_token": token, "action": "skip_supplier", "version": "1"}
    assert served.client.post(f"/staff/requests/{number}/transitions", data=data).status_code == 404


def test_the_overdue_list_shows_both_sides(served: Served) -> None:
    shipped_on = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    placed = served.place(now=shipped_on)
    herten = served.staff["herten"]
    placed = served.act(placed, "will_supply", herten, now=shipped_on)
    placed = served.act(placed, "ship", herten, details={"due_date": "2026-11-02"}, now=shipped_on)
    loans.run_timers(served.engine, now=datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    for who in ("Team herten", "Team datteln"):
        served.client = served.client.application.test_client()
        log_in(served.client, who)
        text = page(served, "/staff/overdue")
        assert "Die Vermessung der Welt" in text
        assert '<time datetime="2026-11-02">Nov 2, 2026</time>' in text  # the page's language
    served.client = served.client.application.test_client()
    log_in(served.client, "Team marl")
    assert "Nothing is overdue." in page(served, "/staff/overdue")


def test_the_administrator_sees_every_library_and_may_choose_one(served: Served) -> None:
    placed = served.place()
    log_in(served.client, "Kreis")
    everything = page(served, "/staff/requests")
    assert "Die Vermessung der Welt" in everything and 'id="library-choice"' in everything
    assert "Die Vermessung der Welt" in page(served, "/staff/requests?library=herten")
    assert "Die Vermessung der Welt" not in page(served, "/staff/requests?library=marl")
    detail = page(served, f"/staff/requests/{placed.id}")
    assert "Anna Schmidt" in detail and "Pass on to the next library" in detail
