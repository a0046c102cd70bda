"""The librarian's patron desk in the web app: finding patrons within the library, accounts
made and reset at the desk, blocks, ordering for a patron, who asked in the queue, and online
registrations with their approval queue."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from libnet import accounts, loans
from libnet.accounts import throttle
from libnet.patron_config import PatronsConfig
from libnet.store.schema import users
from tests.webapp.test_loans_api import Served
from tests.webapp.test_login import csrf_token, log_in
from webapp import create_app

NO_EMAIL = "no e-mail: please phone"


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return Served(tmp_path)


def person(served: Served, login: str, password: str | None = None) -> FlaskClient:
    """A browser of its own, logged in."""
    client = served.client.application.test_client()
    answer = log_in(client, login, **({"password": password} if password else {}))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def page(client: FlaskClient, path: str) -> str:
    sep = "&" if "?" in path else "?"
    answer = client.get(f"{path}{sep}lang=en")
    assert answer.status_code == 200, (path, answer.status_code)
    return answer.get_data(as_text=True)


def post(client: FlaskClient, path: str, form_page: str, **data: str):
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


def shown_password(html: str) -> str:
    return re.search(r'<code class="password">([^<]+)</code>', html).group(1)


def test_a_librarian_finds_patrons_by_card_name_or_email(served: Served) -> None:
    with served.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == served.other_patron.id)
                     .values(email="bert.brecht@example.org"))  # fmt: skip
    desk = person(served, "Team datteln")
    by_card = page(desk, "/staff/patrons?q=d10")
    assert "Anna Schmidt" in by_card and "Bert Brecht" not in by_card
    assert f'href="/staff/patrons/{served.patron.id}"' in by_card
    assert "Anna Schmidt" in page(desk, "/staff/patrons?q=SCHMI")
    by_mail = page(desk, "/staff/patrons?q=brecht@example")
    assert "Bert Brecht" in by_mail and "Anna Schmidt" not in by_mail
    assert NO_EMAIL in page(desk, "/staff/patrons?q=anna")
    assert 'href="/staff/patrons?library=datteln"' in page(desk, "/staff/requests")  # the nav


def test_marls_librarian_never_sees_or_acts_on_a_patron_of_another_library(
    served: Served,
) -> None:
    marl = person(served, "Team marl")
    assert "Anna Schmidt" not in page(marl, "/staff/patrons?q=Anna")
    assert "Carla Marl" in page(marl, "/staff/patrons?q=carla")
    anna = served.patron.id
    assert marl.get(f"/staff/patrons/{anna}").status_code == 404
    token = csrf_token(marl, "/staff/patrons")
    for action, data in (("block", {"reason": "nein"}), ("unblock", {}), ("password", {}),
                         ("approve", {}), ("reject", {})):  # fmt: skip
        answer = marl.post(f"/staff/patrons/{anna}/{action}", data={"csrf_token": token, **data})
        assert answer.status_code == 404, action
    with served.engine.connect() as conn:
        unchanged = accounts.get_user(conn, anna)
    assert unchanged.may_order and not unchanged.desk_block
    patron = person(served, "D100")
    assert patron.get("/staff/patrons").status_code == 403
    admin = person(served, "Kreis")
    assert "Anna Schmidt" in page(admin, f"/staff/patrons/{anna}")


def test_an_account_made_at_the_desk_logs_in_with_the_password_shown_once(
    served: Served,
) -> None:
    desk = person(served, "Team datteln")
    made = post(desk, "/staff/patrons/new", "/staff/patrons", card="D900",
                name="Dora Neu", email="", language="en")  # fmt: skip
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    html = made.get_data(as_text=True)
    password = shown_password(html)
    assert "Dora Neu" in html and "D900" in html
    assert password not in page(desk, "/staff/patrons?q=D900")  # shown once only
    person(served, "D900", password)
    twice = post(desk, "/staff/patrons/new", "/staff/patrons", card="D900", name="Dora Zwei",
                 language="de")  # fmt: skip
    assert twice.status_code == 302  # refused with the reason, back to the desk
    with served.engine.connect() as conn:
        assert accounts.find_user(conn, "D900").name == "Dora Neu"


def test_a_reset_password_ends_a_saved_session(served: Served) -> None:
    patron = person(served, "D100")
    assert patron.get("/account/requests").status_code == 200
    desk = person(served, "Team datteln")
    path = f"/staff/patrons/{served.patron.id}"
    reset = post(desk, f"{path}/password", path)
    password = shown_password(reset.get_data(as_text=True))
    assert patron.get("/account/requests").status_code == 302  # the saved cookie opens nothing
    assert log_in(served.client, "D100").status_code == 401  # the old password is gone
    person(served, "D100", password)


def test_a_block_shows_its_reason_on_the_record_page_and_refuses_orders(served: Served) -> None:
    desk = person(served, "Team datteln")
    path = f"/staff/patrons/{served.patron.id}"
    post(desk, f"{path}/block", path, reason="Gebühren offen")
    assert "blocked at the desk: Gebühren offen" in page(desk, path)
    patron = person(served, "D100")
    assert "Gebühren offen" in page(patron, f"/record/{served.cluster}")
    order = f"/record/{served.cluster}/request"
    post(patron, order, f"/record/{served.cluster}", pickup="datteln")
    assert "Gebühren offen" in page(patron, "/account/requests")  # the refusal, flashed
    with served.engine.connect() as conn:
        assert loans.requests(conn, patron_id=served.patron.id) == []
    post(desk, f"{path}/unblock", path)
    assert "Gebühren offen" not in page(patron, f"/record/{served.cluster}")
    placed = post(patron, order, f"/record/{served.cluster}", pickup="datteln")
    assert placed.headers["Location"] == "/account/requests"


def test_a_librarian_orders_for_a_patron_and_the_audit_names_the_librarian(
    served: Served,
) -> None:
    desk = person(served, "Team datteln")
    record = f"/record/{served.cluster}"
    assert 'class="action-form desk-order-form"' in page(desk, record)
    ordered = post(desk, f"/staff/order/{served.cluster}", record, card="D100",
                   library="datteln", pickup="datteln")  # fmt: skip
    assert ordered.headers["Location"] == f"/staff/patrons/{served.patron.id}"
    with served.engine.connect() as conn:
        [placed] = loans.requests(conn, patron_id=served.patron.id)
        [event] = loans.history(conn, placed.id)
    assert event.user_id == served.staff["datteln"].id
    assert "bestellt an der Theke" in event.note
    assert "Die Vermessung der Welt" in page(desk, f"/staff/patrons/{served.patron.id}")
    history = page(desk, f"/staff/requests/{placed.id}")
    assert "Team datteln" in history and "ordered at the desk; Rota: Herten, Marl" in history
    # Marl's librarian gives Anna's card: it is read as a card of Marl, and there is none
    marl = person(served, "Team marl")
    refused = post(marl, f"/staff/order/{served.cluster}", record, card="D200",
                   library="datteln", pickup="marl")  # fmt: skip
    assert refused.headers["Location"] == record
    with served.engine.connect() as conn:
        assert loans.requests(conn, patron_id=served.other_patron.id) == []


def test_the_outgoing_queue_and_the_request_show_the_patron_and_the_missing_email(
    served: Served,
) -> None:
    placed = served.placed()
    desk = person(served, "Team datteln")
    queue = page(desk, "/staff/requests?side=outgoing")
    assert "Anna Schmidt · D100" in queue and NO_EMAIL in queue
    german = desk.get("/staff/requests?side=outgoing&lang=de").get_data(as_text=True)
    assert "keine E-Mail: bitte anrufen" in german
    detail = page(desk, f"/staff/requests/{placed['id']}")
    assert NO_EMAIL in detail and f'href="/staff/patrons/{served.patron.id}"' in detail
    supplier = person(served, "Team herten")
    incoming = page(supplier, "/staff/requests?side=incoming")
    assert "Die Vermessung der Welt" in incoming and "Anna Schmidt" not in incoming
    with served.engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == served.patron.id)
                     .values(email="anna@example.org"))  # fmt: skip
    assert NO_EMAIL not in page(desk, "/staff/requests?side=outgoing")


def with_marl(served: Served, patrons: PatronsConfig) -> FlaskClient:
    """The app again, with Marl's patrons so, and Marl claiming the cards starting with M."""
    config = served.client.application.extensions["libnet"].config
    libraries = tuple(
        replace(lib, patrons=patrons, card_prefixes=("M",)) if lib.code == "marl" else lib
        for lib in config.libraries
    )
    return create_app(replace(config, libraries=libraries), TESTING=True).test_client()


def registering(served: Served) -> FlaskClient:
    """The app again, with Marl taking online registrations."""
    return with_marl(served, PatronsConfig(registration=True))


def test_where_the_librarys_own_system_keeps_pins_the_desk_makes_and_resets_none(
    served: Served,
) -> None:
    client = with_marl(served, PatronsConfig(type="sip2", host="127.0.0.1", port=9))
    desk = client.application.test_client()
    assert log_in(desk, "Team marl").status_code == 302
    assert 'action="/staff/patrons/new' not in page(desk, "/staff/patrons")
    made = post(desk, "/staff/patrons/new", "/staff/patrons", card="M999", name="Max Marl",
                language="de")  # fmt: skip
    assert made.status_code == 403
    path = f"/staff/patrons/{served.marl_patron.id}"
    assert "Make a new password" not in page(desk, path)
    assert post(desk, f"{path}/password", path).status_code == 302  # refused, with the reason
    assert log_in(served.client, "M300").status_code == 302  # the password is unchanged


def test_the_administrator_makes_an_account_for_the_chosen_library(served: Served) -> None:
    admin = person(served, "Kreis")
    assert 'action="/staff/patrons/new' not in page(admin, "/staff/patrons")  # none chosen
    made = post(admin, "/staff/patrons/new?library=herten", "/staff/patrons?library=herten",
                card="H123", name="Hanna Herten", language="de")  # fmt: skip
    assert made.status_code == 200
    with served.engine.connect() as conn:
        assert accounts.card_account(conn, "herten", "H123").name == "Hanna Herten"


def register(client: FlaskClient, **given: str):
    data = {"library": "marl", "name": "Rita Neu", "birth_date": "1990-05-17",
            "email": "rita@example.org", "card": "", "password": "ein-langes-passwort",
            "password2": "ein-langes-passwort", **given}  # fmt: skip
    return post(client, "/register", "/register", **data)


def test_without_a_library_that_takes_registrations_there_is_no_register_page(
    served: Served,
) -> None:
    assert served.client.get("/register").status_code == 404
    assert "/register" not in page(served.client, "/login")


def test_a_registration_waits_for_approval_before_it_may_order(served: Served) -> None:
    client = registering(served)
    assert 'href="/register?library=marl"' in page(client, "/login")
    answer = register(client)
    assert answer.status_code == 200
    card = re.search(r'class="card-number">(M\d{8})<', answer.get_data(as_text=True)).group(1)
    assert register(client, name="rita neu").status_code == 409  # the same person again
    assert register(client, password2="ein-anderes-passwort").status_code == 400
    patron = client.application.test_client()
    assert log_in(patron, card, "ein-langes-passwort", library="marl").status_code == 302
    assert "waits for your library" in page(patron, f"/record/{served.cluster}")
    desk = client.application.test_client()
    assert log_in(desk, "Team marl").status_code == 302
    assert "1 online registration waits" in page(desk, "/staff/patrons")
    queue = page(desk, "/staff/patrons/registrations")
    assert "Rita Neu" in queue and '<time datetime="1990-05-17">May 17, 1990</time>' in queue
    with served.engine.connect() as conn:
        rita = accounts.card_account(conn, "marl", card)
    herten = client.application.test_client()
    assert log_in(herten, "Team herten").status_code == 302
    assert "Rita Neu" not in page(herten, "/staff/patrons/registrations")
    path = "/staff/patrons/registrations"
    assert post(herten, f"/staff/patrons/{rita.id}/approve", path).status_code == 404
    post(desk, f"/staff/patrons/{rita.id}/approve", path)
    assert "Rita Neu may order now." in page(desk, path)  # the flash, and no longer listed
    assert "Rita Neu" not in page(desk, path)
    record = page(patron, f"/record/{served.cluster}")
    # Marl has the title on the shelf: no order form, but no longer the wait either
    assert "waits for your library" not in record and "copy on the shelf" in record
    with served.engine.connect() as conn:
        assert accounts.get_user(conn, rita.id).may_order


def test_a_rejected_registration_cannot_log_in_and_its_data_is_gone(served: Served) -> None:
    client = registering(served)
    register(client, card="M4711")
    desk = client.application.test_client()
    assert log_in(desk, "Team marl").status_code == 302
    with served.engine.connect() as conn:
        rita = accounts.card_account(conn, "marl", "M4711")
    post(desk, f"/staff/patrons/{rita.id}/reject", "/staff/patrons/registrations")
    with served.engine.connect() as conn:
        gone = accounts.get_user(conn, rita.id)
        assert accounts.card_account(conn, "marl", "M4711") is None
    assert gone.disabled and gone.name == "" and gone.email == ""
    patron = client.application.test_client()
    answer = log_in(patron, "M4711", "ein-langes-passwort", library="marl")
    assert answer.status_code == 401


def test_registrations_from_one_address_slow_down(served: Served) -> None:
    client = registering(served)
    answers = [
        register(client, name=f"Erfunden {n}", email=f"e{n}@example.org").status_code
        for n in range(throttle.FREE_TRIES + 1)
    ]
    assert answers[: throttle.FREE_TRIES] == [200] * throttle.FREE_TRIES
    assert answers[-1] == 429
