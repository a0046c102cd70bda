"""The Merkliste and saved searches in the web catalogue: a patron keeps titles from the hit
list and the record page, writes notes, exports and mails the list, saves a search and turns
its alert on and off; the alert mail's unsubscribe link works without a login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from libnet import accounts
from libnet.config import MailConfig
from libnet.lists import merkliste, saved_searches
from tests.peers.smtp import SmtpServer
from tests.webapp.test_loans_api import PATRON_EMAIL, Served
from tests.webapp.test_login import csrf_token, log_in
from tests.webapp.test_my_account import mails

SEARCH = "/search?q=Vermessung"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory, smtp_server: SmtpServer) -> Served:
    """The network, served with mail on, once for the module: its accounts take seconds."""
    mail = MailConfig(host="127.0.0.1", port=smtp_server.port, timeout=5.0)
    return Served(tmp_path_factory.mktemp("lists"), mail=mail)


@pytest.fixture
def served(network: Served) -> Served:
    """The network with empty lists, and Anna Schmidt (D100) logged in in a fresh browser."""
    with network.engine.begin() as conn:
        for patron in (network.patron, network.other_patron):
            merkliste.forget(conn, patron.id)
            saved_searches.forget(conn, patron.id)
    network.client = network.client.application.test_client()
    log_in(network.client, "D100")
    return network


def post(client: FlaskClient, path: str, **data: object):
    return client.post(path, data={"csrf_token": csrf_token(client, "/account"), **data})


def entries(served: Served) -> list[merkliste.Entry]:
    with served.engine.connect() as conn:
        return merkliste.entries(conn, served.patron.id)


def kept_searches(served: Served) -> list[saved_searches.SavedSearch]:
    with served.engine.connect() as conn:
        return saved_searches.searches(conn, served.patron.id)


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.status_code
    return answer.get_data(as_text=True)


def test_a_patron_keeps_a_title_from_the_hit_list_and_both_pages_say_so(served: Served) -> None:
    hits = page(served.client, SEARCH)
    assert 'action="/account/list/add"' in hits and f'value="{served.cluster}"' in hits
    answer = post(served.client, "/account/list/add", cluster_id=served.cluster, next=SEARCH)
    assert answer.status_code == 302 and answer.headers["Location"] == SEARCH
    assert [e.cluster_id for e in entries(served)] == [served.cluster]
    marked = f'href="/account/list#title-{served.cluster}"'
    assert marked in page(served.client, SEARCH)
    record = page(served.client, f"/record/{served.cluster}")
    assert marked in record and 'action="/account/list/add"' not in record
    post(served.client, "/account/list/add", cluster_id=served.cluster, next=SEARCH)
    assert len(entries(served)) == 1  # kept once


def test_nobody_else_gets_a_list_and_no_list_changes_without_the_form(served: Served) -> None:
    anonymous = served.client.application.test_client()
    assert 'action="/account/list/add"' not in page(anonymous, SEARCH)
    assert anonymous.get("/account/list").headers["Location"] == "/login?next=/account/list"
    staff = served.client.application.test_client()
    log_in(staff, "Team herten")
    assert 'action="/account/list/add"' not in page(staff, SEARCH)
    assert staff.get("/account/list").status_code == 403
    forged = served.client.post("/account/list/add", data={"cluster_id": served.cluster})
    assert forged.status_code == 302 and entries(served) == []
    unknown = post(served.client, "/account/list/add", cluster_id=999999, next=SEARCH)
    assert unknown.status_code == 302 and entries(served) == []
    away = post(served.client, "/account/list/add", cluster_id=served.cluster,
                next="https://evil.example/")  # fmt: skip
    assert away.headers["Location"] == "/account/list"


def test_a_note_is_kept_and_shown_and_the_title_removed(served: Served) -> None:
    post(served.client, "/account/list/add", cluster_id=served.cluster)
    listed = page(served.client, "/account/list")
    assert "Die Vermessung der Welt" in listed and "Kehlmann" in listed
    post(served.client, f"/account/list/{served.cluster}/note", note="  für das Referat <b> ")
    assert entries(served)[0].note == "für das Referat <b>"
    assert "für das Referat &lt;b&gt;</textarea>" in page(served.client, "/account/list")
    too_long = post(served.client, f"/account/list/{served.cluster}/note", note="x" * 2001)
    assert too_long.status_code == 302 and entries(served)[0].note == "für das Referat <b>"
    post(served.client, f"/account/list/{served.cluster}/remove")
    assert entries(served) == []
    assert 'class="empty-list"' in page(served.client, "/account/list")


@pytest.mark.parametrize("fmt", ["ris", "bibtex"])
def test_the_list_exports_each_title_as_its_record_page_does(served: Served, fmt: str) -> None:
    post(served.client, "/account/list/add", cluster_id=served.cluster)
    answer = served.client.get(f"/account/list/export/{fmt}")
    one = served.client.get(f"/record/{served.cluster}/export/{fmt}")
    assert answer.status_code == 200 and answer.content_type == one.content_type
    assert answer.get_data(as_text=True) == one.get_data(as_text=True)
    assert "attachment" in answer.headers["Content-Disposition"]
    assert served.client.get("/account/list/export/marc").status_code == 404


def test_the_list_is_mailed_to_the_patrons_own_address(
    served: Served, smtp_server: SmtpServer
) -> None:
    before = len(smtp_server.to(PATRON_EMAIL))
    assert post(served.client, "/account/list/mail").status_code == 302  # empty: nothing sent
    post(served.client, "/account/list/add", cluster_id=served.cluster)
    post(served.client, f"/account/list/{served.cluster}/note", note="Referat")
    assert post(served.client, "/account/list/mail").status_code == 302
    mail = mails(smtp_server, PATRON_EMAIL, before + 1)[-1]
    assert len(smtp_server.to(PATRON_EMAIL)) == before + 1
    assert mail.message["Subject"] == "Your saved titles (1)"  # Anna reads English
    assert "Die Vermessung der Welt" in mail.body and "Note: Referat" in mail.body
    assert f"/record/{served.cluster}" in mail.body


def test_a_search_is_saved_with_its_filters_and_its_alert_turned_on_and_off(
    served: Served,
) -> None:
    hits = page(served.client, SEARCH + "&format=book")
    assert 'action="/account/searches/save"' in hits
    shown = re.search(r'name="search" value="([^"]+)"', hits).group(1).replace("&amp;", "&")
    answer = post(served.client, "/account/searches/save", search=shown, name="Kehlmann")
    assert answer.status_code == 302 and answer.headers["Location"] == "/account/searches"
    [kept] = kept_searches(served)
    assert (kept.name, kept.query, kept.alert) == ("Kehlmann", "format=book&q=Vermessung", False)
    listed = page(served.client, "/account/searches")
    assert f'href="/search?{kept.query.replace("&", "&amp;")}"' in listed
    post(served.client, f"/account/searches/{kept.id}/alert/on")
    assert kept_searches(served)[0].alert is True
    post(served.client, f"/account/searches/{kept.id}/alert/off")
    assert kept_searches(served)[0].alert is False
    other = served.client.application.test_client()
    log_in(other, "D200")
    assert post(other, f"/account/searches/{kept.id}/alert/on").status_code == 404
    post(other, f"/account/searches/{kept.id}/delete")
    assert len(kept_searches(served)) == 1  # not Bert's to delete
    post(served.client, f"/account/searches/{kept.id}/delete")
    assert kept_searches(served) == []


def test_a_search_the_page_would_refuse_is_not_saved(served: Served) -> None:
    answer = post(served.client, "/account/searches/save", search="/search?q=x&sort=price")
    assert answer.status_code == 400 and kept_searches(served) == []
    elsewhere = post(served.client, "/account/searches/save", search="https://evil.example/")
    assert elsewhere.status_code == 302 and kept_searches(served) == []


def test_the_unsubscribe_link_needs_no_login_and_a_get_changes_nothing(served: Served) -> None:
    with served.engine.begin() as conn:
        kept = saved_searches.save(conn, served.patron.id, "", "q=Vermessung", NOW)
        saved_searches.set_alert(conn, served.patron.id, kept.id, True)
    stranger = served.client.application.test_client()  # the mail opened anywhere
    link = f"/alerts/unsubscribe/{kept.token}"
    confirm = page(stranger, link)
    assert "q=Vermessung" in confirm and '<form method="post"' in confirm
    assert 'name="csrf_token"' not in confirm and kept_searches(served)[0].alert is True
    done = stranger.post(link)
    assert done.status_code == 200 and kept_searches(served)[0].alert is False
    assert done.headers["Cache-Control"] == "no-store"  # it names the patron's search
    assert "q=Vermessung" in done.get_data(as_text=True)
    forged = stranger.get("/alerts/unsubscribe/" + "A" * 43)
    assert forged.status_code == 404 and 'role="alert"' in forged.get_data(as_text=True)
    assert stranger.post("/alerts/unsubscribe/" + "x" * 500).status_code == 404


def test_deleting_the_account_deletes_its_list_and_searches(served: Served) -> None:
    leaving = served.account("patron", "datteln", "Clara Gehtweg", card="D900")
    client = served.client.application.test_client()
    log_in(client, "D900")
    post(client, "/account/list/add", cluster_id=served.cluster)
    post(client, "/account/searches/save", search=SEARCH)
    with served.engine.connect() as conn:
        assert merkliste.entries(conn, leaving.id) and saved_searches.searches(conn, leaving.id)
    assert client.post("/account/delete", data={"csrf_token": csrf_token(client, "/account"),
                                                "confirm": "y"}).status_code == 302  # fmt: skip
    with served.engine.connect() as conn:
        assert accounts.get_user(conn, leaving.id).deleted
        assert merkliste.entries(conn, leaving.id) == []
        assert saved_searches.searches(conn, leaving.id) == []
