"""The loans' rough edges, on the librarians' pages: a due date outside the days a library may
set, a recall (its question, its earlier due date, its notice), lost and recall asking first
and standing apart, the history in words and library names, the queue's filters and checkboxes.

The network of tests/libnet/test_loans.py, served (tests/webapp/test_loans_api.py): a patron
of Datteln, with an e-mail address, asks for a title Herten supplies. The pages act today.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.dates import format_date

from libnet import loans
from libnet.config import MailConfig
from libnet.loans import notices
from libnet.loans.states import State
from tests.webapp.test_loans_api import PATRON_EMAIL, Served
from tests.webapp.test_login import log_in
from tests.webapp.test_staff_pages import TOKEN, act, current, page

TODAY = datetime.now(UTC).date()


def day(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


def text_of(markup: str) -> str:
    """What a reader sees of a page: no tags, no attributes, entities decoded."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)))


def medium(when: date) -> str:
    """A date as the English pages write it ("Dec 8, 2026")."""
    return format_date(when, "medium", locale="en")


def flashed(served: Served, path: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'class="flash flash--\w+" role="status">([^<]*)<',
                                                 page(served, path))]  # fmt: skip


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path, mail=MailConfig())  # mail off: the notices wait in the store


def will_supply(served: Served) -> loans.LoanRequest:
    herten = served.staff["herten"]
    return served.act(served.place(now=datetime.now(UTC)), "will_supply", herten,
                      now=datetime.now(UTC))  # fmt: skip


def handed_over(served: Served, due: str) -> loans.LoanRequest:
    now, herten, datteln = datetime.now(UTC), served.staff["herten"], served.staff["datteln"]
    request = served.act(will_supply(served), "ship", herten, details={"due_date": due}, now=now)
    request = served.act(request, "receive", datteln, now=now)
    return served.act(request, "hand_to_patron", datteln, now=now)


def test_ship_refuses_a_past_or_too_distant_due_date_clearly_and_changes_nothing(
    served: Served,
) -> None:
    request = will_supply(served)
    log_in(served.client, "Team herten")
    first, last = medium(TODAY + timedelta(days=1)), medium(TODAY + timedelta(days=90))
    between = f"The due date must lie between {first} and {last}"
    for given, message in (("2020-01-01", between), (day(0), between), (day(91), between),
                           ("bald", "Give the due date as a date (YYYY-MM-DD).")):  # fmt: skip
        assert act(served, request.id, "ship", due_date=given).status_code == 302
        [said] = flashed(served, f"/staff/requests/{request.id}")
        assert message in said, given
        assert current(served, request.id) == request


def test_the_ship_form_offers_only_the_days_the_library_may_set(served: Served) -> None:
    with served.engine.begin() as conn:
        loans.set_settings(conn, "herten", max_loan_days=42)
    request = will_supply(served)
    log_in(served.client, "Team herten")
    form = page(served, f"/staff/requests/{request.id}")
    assert f'min="{day(1)}"' in form and f'max="{day(42)}"' in form
    assert f'value="{day(28)}"' in form  # the loan period, proposed
    assert act(served, request.id, "ship", due_date=day(43)).status_code == 302
    assert current(served, request.id).state is State.WILL_SUPPLY
    act(served, request.id, "ship", due_date=day(42))
    assert current(served, request.id).due_date == day(42)


def test_a_batch_ship_with_a_past_due_date_changes_none_of_the_checked(served: Served) -> None:
    request = will_supply(served)
    log_in(served.client, "Team herten")
    token = TOKEN.search(page(served, "/staff/requests?side=incoming")).group(1)
    data = {"csrf_token": token, "side": "incoming", "action": "ship", "due_date": "2020-01-01",
            "pick": f"{request.id}:{request.version}"}  # fmt: skip
    assert served.client.post("/staff/requests/batch", data=data).status_code == 302
    [said] = flashed(served, "/staff/requests?side=incoming")
    assert said.startswith("The due date must lie between")
    assert current(served, request.id) == request


def test_a_recall_asks_first_sets_an_earlier_due_date_and_tells_the_patron(
    served: Served,
) -> None:
    request = handed_over(served, day(28))
    log_in(served.client, "Team herten")
    text = page(served, f"/staff/requests/{request.id}")
    question = re.search(r'<details class="confirm confirm--danger">((?:(?!</details>).)*'
                         r'value="recall"(?:(?!</details>).)*)</details>', text, re.S)  # fmt: skip
    assert question, "recall asks no question"
    due_then = medium(TODAY + timedelta(days=7))
    assert f"It is then due back on {due_then}" in text_of(question.group(1))
    assert act(served, request.id, "recall").status_code == 302
    recalled = current(served, request.id)
    assert (recalled.state, recalled.due_date) == (State.RECALLED, day(7))
    with served.engine.connect() as conn:
        [told] = [n for n in notices.list_notices(conn) if n.kind == "recalled"]
    assert told.recipient == PATRON_EMAIL and "Return by:" in told.body
    assert format_date_en(TODAY + timedelta(days=7)) in told.body
    history = text_of(page(served, f"/staff/requests/{request.id}"))
    assert f"due on {due_then}" in history


def format_date_en(when: date) -> str:
    """A date as an English notice writes it ("11 January 2027")."""
    return format_date(when, "long", locale="en_GB")


def test_a_recall_never_moves_the_due_date_later(served: Served) -> None:
    request = handed_over(served, day(3))
    log_in(served.client, "Team herten")
    act(served, request.id, "recall")
    assert current(served, request.id).due_date == day(3)


def test_a_recall_of_a_request_not_on_loan_is_refused_and_changes_nothing(served: Served) -> None:
    request = will_supply(served)
    log_in(served.client, "Team herten")
    assert 'value="recall"' not in page(served, f"/staff/requests/{request.id}")
    token = TOKEN.search(page(served, f"/staff/requests/{request.id}")).group(1)
    data = {"csrf_token": token, "action": "recall", "version": str(request.version)}
    answer = served.client.post(f"/staff/requests/{request.id}/transitions", data=data)
    assert answer.status_code == 302
    assert flashed(served, f"/staff/requests/{request.id}") == [
        "This is not possible in the request's state."
    ]
    assert current(served, request.id) == request


def test_lost_and_recall_ask_first_and_stand_apart_from_the_everyday_actions(
    served: Served,
) -> None:
    request = handed_over(served, day(28))
    log_in(served.client, "Team herten")
    text = page(served, f"/staff/requests/{request.id}")
    everyday, _, apart = text.partition('class="actions actions--danger"')
    for action in ("recall", "lost"):
        assert f'value="{action}"' not in everyday and f'value="{action}"' in apart
    assert apart.count('<details class="confirm confirm--danger">') == 2
    assert "Close the request as lost? It cannot be taken back" in apart


def test_the_history_speaks_of_states_and_libraries_by_name_not_by_code(served: Served) -> None:
    request = will_supply(served)
    for who in ("Team herten", "Team datteln"):
        served.client = served.client.application.test_client()
        log_in(served.client, who)
        for lang in ("en", "de"):
            seen = text_of(served.client.get(f"/staff/requests/{request.id}?lang={lang}")
                           .get_data(as_text=True))  # fmt: skip
            for code in ("RequestReceived", "WillSupply", "rota:", "herten,"):
                assert code not in seen, (who, lang, code)
        assert "Rota: Herten, Marl" in text_of(page(served, f"/staff/requests/{request.id}"))


def test_each_checkbox_of_the_queue_is_labelled_and_each_filter_keeps_its_label(
    served: Served,
) -> None:
    request = will_supply(served)
    log_in(served.client, "Team herten")
    text = page(served, "/staff/requests?side=incoming")
    assert re.search(rf'<label class="pick-label"><input type="checkbox" name="pick" '
                     rf'value="{request.id}:{request.version}"[^>]*> <span class="pick-text">'
                     rf"Check request {request.id}</span></label>", text)  # fmt: skip
    fields = re.findall(r'<span class="filter-field">(.*?)</span>', text, re.S)
    assert [re.search(r'<label for="([\w-]+)"', f).group(1) for f in fields] == [
        "state-filter", "partner-filter"]  # fmt: skip
    for field in fields:
        assert re.search(r'<label for="([\w-]+)".*<select id="\1"', field, re.S)
