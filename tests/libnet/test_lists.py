"""A patron's lists in the store (SQLite and PostgreSQL): the Merkliste's entries and notes,
saved searches kept once per query, and the unsubscribe token that opens one alert only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from libnet import accounts
from libnet.accounts import Account
from libnet.lists import ListError, alerts, merkliste, saved_searches
from libnet.lists.errors import UnknownTitle
from libnet.store.schema import MAX_ID
from libnet.store.schema import saved_searches as searches_table
from tests.builders import book
from tests.index.test_grouping import Catalogue

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


class Shelf:
    def __init__(self, tmp_path: Path, url: str) -> None:
        self.catalogue = Catalogue(tmp_path, url)
        self.catalogue.export("marl", book("m1"), book("m2", "Ruhm", isbn="978-3-498-03543-3"))
        self.catalogue.harvest()
        self.engine = self.catalogue.store.engine
        self.titles = [self.catalogue.cluster_of("marl", local) for local in ("m1", "m2")]
        with self.engine.begin() as conn:
            self.anna, self.bert = (
                accounts.add_user(
                    conn, role="patron", library="marl", name=name, card=card, password=None
                )
                for name, card in (("Anna", "M1"), ("Bert", "M2"))
            )


@pytest.fixture
def shelf(tmp_path: Path, store_url: str) -> Shelf:
    return Shelf(tmp_path, store_url)


def test_a_title_is_kept_once_with_a_note_the_newest_first(shelf: Shelf) -> None:
    first, second = shelf.titles
    with shelf.engine.begin() as conn:
        assert merkliste.add(conn, shelf.anna.id, first, NOW)
        assert merkliste.add(conn, shelf.anna.id, second, NOW.replace(hour=13))
        assert not merkliste.add(conn, shelf.anna.id, first, NOW)
        assert merkliste.set_note(conn, shelf.anna.id, first, "  Geschenk für Oma ")
        assert not merkliste.set_note(conn, shelf.bert.id, first, "nicht meins")
        listed = merkliste.entries(conn, shelf.anna.id)
    assert [(e.cluster_id, e.note) for e in listed] == [(second, ""), (first, "Geschenk für Oma")]
    assert listed[0].added_at == NOW.replace(hour=13)


def test_an_unknown_title_and_a_long_note_are_refused(shelf: Shelf) -> None:
    with shelf.engine.begin() as conn:
        for cluster_id in (max(shelf.titles) + 1, 0, MAX_ID + 1):
            with pytest.raises(UnknownTitle):
                merkliste.add(conn, shelf.anna.id, cluster_id, NOW)
        merkliste.add(conn, shelf.anna.id, shelf.titles[0], NOW)
        with pytest.raises(ListError, match="at most 2000 characters"):
            merkliste.set_note(conn, shelf.anna.id, shelf.titles[0], "x" * 2001)
        assert merkliste.remove(conn, shelf.anna.id, shelf.titles[0])
        assert not merkliste.remove(conn, shelf.anna.id, shelf.titles[0])


def test_a_search_is_kept_once_under_its_newest_name_with_a_token_of_its_own(shelf: Shelf) -> None:
    with shelf.engine.begin() as conn:
        kept = saved_searches.save(conn, shelf.anna.id, "", "?q=kehlmann&format=book", NOW)
        assert (kept.name, kept.query, kept.alert) == (
            "q=kehlmann&format=book", "q=kehlmann&format=book", False)  # fmt: skip
        again = saved_searches.save(
            conn, shelf.anna.id, " Kehlmann ", "q=kehlmann&format=book", NOW
        )
        bert = saved_searches.save(conn, shelf.bert.id, "", "q=kehlmann&format=book", NOW)
        assert again.id == kept.id and again.name == "Kehlmann" and bert.id != kept.id
        assert len({kept.token, bert.token}) == 2 and len(kept.token) >= 40
        with pytest.raises(ListError):
            saved_searches.save(conn, shelf.anna.id, "leer", "  ", NOW)
        assert not saved_searches.set_alert(conn, shelf.bert.id, kept.id, True)
        assert saved_searches.set_alert(conn, shelf.anna.id, kept.id, True)
        assert saved_searches.by_token(conn, kept.token).id == kept.id
        assert saved_searches.by_token(conn, kept.token[:-1]) is None
        assert saved_searches.by_token(conn, "") is None
        off = saved_searches.unsubscribe(conn, kept.token)
        assert off.id == kept.id and off.alert is False
        assert saved_searches.searches(conn, shelf.bert.id)[0].alert is False
        assert not saved_searches.remove(conn, shelf.bert.id, kept.id)
        assert saved_searches.remove(conn, shelf.anna.id, kept.id)
        assert saved_searches.unsubscribe(conn, kept.token) is None


def test_forgetting_a_patron_takes_only_their_lists(shelf: Shelf) -> None:
    def counts(patron: Account) -> tuple[int, int]:
        return (len(merkliste.entries(conn, patron.id)),
                len(saved_searches.searches(conn, patron.id)))  # fmt: skip

    with shelf.engine.begin() as conn:
        for patron in (shelf.anna, shelf.bert):
            merkliste.add(conn, patron.id, shelf.titles[0], NOW)
            saved_searches.save(conn, patron.id, "", "q=ruhm", NOW)
        assert merkliste.forget(conn, shelf.anna.id) == 1
        assert saved_searches.forget(conn, shelf.anna.id) == 1
        assert counts(shelf.anna) == (0, 0) and counts(shelf.bert) == (1, 1)


def test_alerts_are_due_for_patrons_with_an_address_not_mailed_lately(shelf: Shelf) -> None:
    with shelf.engine.begin() as conn:
        for patron in (shelf.anna, shelf.bert):
            accounts.set_contact(conn, patron.id, email=f"{patron.name}@example.org",
                                 language="de")  # fmt: skip
            kept = saved_searches.save(conn, patron.id, "", "q=ruhm", NOW)
            saved_searches.set_alert(conn, patron.id, kept.id, True)
        saved_searches.save(conn, shelf.anna.id, "", "q=welt", NOW)  # no alert: not due
        conn.execute(update(searches_table).where(searches_table.c.user_id == shelf.bert.id)
                     .values(last_alert_at=NOW - timedelta(hours=19)))  # fmt: skip
        due = alerts.due_alerts(conn, NOW)
        assert {user: [s.query for s in kept] for user, kept in due.items()} == {
            shelf.anna.id: ["q=ruhm"]}  # fmt: skip
        later = alerts.due_alerts(conn, NOW + timedelta(hours=2))
        assert set(later) == {shelf.anna.id, shelf.bert.id}
        assert alerts.newest_cluster(conn) == max(shelf.titles)
        assert alerts.new_clusters(conn, min(shelf.titles), max(shelf.titles)) == [
            max(shelf.titles)
        ]
