"""Lending settings and accounts from the web: a librarian sets their own library's, the
administrator any library's and every account."""

from __future__ import annotations

from pathlib import Path

import pytest

from libnet import accounts, loans
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import log_in
from tests.webapp.test_staff_pages import TOKEN
from tests.webapp.test_staff_pages import page as get


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def settings_of(served: Served, library: str) -> loans.LoanSettings:
    with served.engine.connect() as conn:
        return loans.settings(conn, library)


SETTINGS = {"answer_days": "5", "loan_days": "21", "max_open": "3", "pause_note": "Inventur",
            "paused": "y", "closing_days": "2026-12-28\n2026-12-29, 2026-12-30",
            "max_loan_days": "42", "recall_days": "5"}  # fmt: skip


def test_a_librarian_pauses_their_own_library(served: Served) -> None:
    log_in(served.client, "Team herten")
    page = get(served, "/staff/settings")
    assert 'id="answer_days"' in page and 'value="3"' in page  # the defaults
    token = TOKEN.search(page).group(1)
    answer = served.client.post("/staff/settings", data={"csrf_token": token, **SETTINGS})
    assert answer.status_code == 302
    saved = settings_of(served, "herten")
    assert (saved.paused, saved.pause_note, saved.answer_days, saved.loan_days, saved.max_open) == (
        True, "Inventur", 5, 21, 3,
    )  # fmt: skip
    assert saved.closing_days == ("2026-12-28", "2026-12-29", "2026-12-30")
    assert (saved.max_loan_days, saved.recall_days) == (42, 5)
    page = get(served, "/staff/settings")
    assert "lends nothing just now" in page and "2026-12-29" in page
    # paused: the next request goes to Marl
    assert served.place().supplier == "marl"


def test_a_librarian_cannot_set_another_librarys_settings(served: Served) -> None:
    log_in(served.client, "Team herten")
    token = TOKEN.search(get(served, "/staff/settings")).group(1)
    served.client.post("/staff/settings?library=marl", data={"csrf_token": token, **SETTINGS})
    assert settings_of(served, "marl").paused is False
    assert settings_of(served, "herten").paused is True  # their own, whatever ?library= says


def test_bad_settings_are_refused_and_nothing_is_saved(served: Served) -> None:
    log_in(served.client, "Team herten")
    token = TOKEN.search(get(served, "/staff/settings")).group(1)
    for bad in ({"answer_days": "0"}, {"loan_days": "viele"}, {"closing_days": "2026-13-01"},
                {"loan_days": "50"}, {"max_loan_days": "400"}, {"recall_days": ""}):  # fmt: skip
        answer = served.client.post(
            "/staff/settings", data={"csrf_token": token, **SETTINGS, **bad}
        )
        assert answer.status_code == 400
        assert settings_of(served, "herten").paused is False
    missing_token = served.client.post("/staff/settings", data=SETTINGS)
    assert missing_token.status_code == 400 and settings_of(served, "herten").paused is False


def test_the_administrator_sets_any_librarys_settings(served: Served) -> None:
    log_in(served.client, "Kreis")
    page = get(served, "/staff/settings?library=marl")
    assert 'action="/staff/settings?library=marl"' in page
    token = TOKEN.search(page).group(1)
    served.client.post("/staff/settings?library=marl", data={"csrf_token": token, **SETTINGS})
    assert settings_of(served, "marl").loan_days == 21


def test_accounts_are_for_the_administrator_only(served: Served) -> None:
    assert served.client.get("/staff/accounts").status_code == 302
    log_in(served.client, "Team herten")
    assert served.client.get("/staff/accounts").status_code == 403
    token = TOKEN.search(get(served, "/staff/requests")).group(1)
    data = {"csrf_token": token, "role": "admin", "library": "herten", "name": "Mallory",
            "password": "geheim-genug", "language": "de"}  # fmt: skip
    assert served.client.post("/staff/accounts", data=data).status_code == 403
    with served.engine.connect() as conn:
        assert all(a.name != "Mallory" for a in accounts.list_users(conn))
    assert served.client.post(f"/staff/accounts/{served.patron.id}/disable",
                              data={"csrf_token": token}).status_code == 403  # fmt: skip


def test_the_administrator_makes_an_account_changes_its_password_and_disables_it(
    served: Served,
) -> None:
    log_in(served.client, "Kreis")
    page = get(served, "/staff/accounts?library=datteln")
    assert "Anna Schmidt" in page and "D100" in page and "Team herten" not in page
    token = TOKEN.search(page).group(1)
    data = {"csrf_token": token, "role": "patron", "library": "marl", "name": "Dora Dorn",
            "card": "M900", "email": "dora@example.org", "language": "en",
            "password": "erstes-passwort"}  # fmt: skip
    answer = served.client.post("/staff/accounts", data=data)
    assert answer.status_code == 302
    assert "they log in with M900" in get(served, "/staff/accounts?library=marl")
    again = served.client.post("/staff/accounts", data=data)
    assert again.status_code == 400 and "already belongs" in again.get_data(as_text=True)
    short = served.client.post("/staff/accounts", data={**data, "card": "M901", "password": "kurz"})
    assert short.status_code == 400
    with served.engine.connect() as conn:
        dora = accounts.find_user(conn, "M900")
    assert (dora.library, dora.email, dora.language) == ("marl", "dora@example.org", "en")
    served.client.post(f"/staff/accounts/{dora.id}/password",
                       data={"csrf_token": token, "password": "zweites-passwort"})  # fmt: skip
    other = served.client.application.test_client()
    assert log_in(other, "M900", "zweites-passwort").status_code == 302
    served.client.post(f"/staff/accounts/{dora.id}/disable", data={"csrf_token": token})
    assert other.get("/account/requests").status_code == 302  # logged out at once
    assert log_in(other, "M900", "zweites-passwort").status_code == 401


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_account_number_no_store_can_hold_is_not_found(served: Served, number: int) -> None:
    """Found by tests/fuzz: POST /staff/accounts/9223372036854775808/password overflowed
    SQLite's integers, a 500."""
    log_in(served.client, "Kreis")
    token = TOKEN.search(get(served, "/staff/accounts")).group(1)
    for action in ("password", "disable"):
        data = {"csrf_token": token, "password": "neues-passwort"}
        answer = served.client.post(f"/staff/accounts/{number}/{action}", data=data)
        assert answer.status_code == 404
