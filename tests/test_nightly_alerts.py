"""Search alerts: the nightly mails each patron, once a day at most and in their language, the
new titles of their saved searches, searched in the real union index; `libnet nightly` runs
them after the index update and counts them in its report."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymarc
import pytest
from sqlalchemy import update

from index.grouping import update_clusters
from index.search import UnionIndex
from index.update import index_path, update_index
from libnet import accounts
from libnet.accounts import Account
from libnet.accounts.deletion import delete_account
from libnet.cli import main
from libnet.cli.alerts import index_search
from libnet.cli.nightly import run_nightly
from libnet.config import load_config
from libnet.lists import saved_searches
from libnet.lists.alerts import AlertReport, newest_cluster, run_alerts
from libnet.loans import notices
from libnet.loans.notices import Mailing
from libnet.nightly_report import text
from libnet.store import open_store
from libnet.store.schema import saved_searches as searches_table
from libnet.store.schema import users
from tests.builders import book, iso2709
from tests.index.test_grouping import Catalogue
from tests.peers.smtp import SmtpServer
from tests.test_nightly import mail_to, write_config

NIGHT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
UNSUBSCRIBE = re.compile(r"/alerts/unsubscribe/([A-Za-z0-9_\-]+)")


class Night:
    """A catalogue in a store and an index, and patrons with saved searches."""

    def __init__(self, tmp_path: Path) -> None:
        self.catalogue = Catalogue(tmp_path)
        self.dir = tmp_path
        self.held: dict[str, list[pymarc.Record]] = {"marl": [], "herten": []}
        self.add(("marl", "m1", "Stadtgeschichte von Marl"), ("herten", "h1", "Kochen mit Kindern"))
        self.engine = self.catalogue.store.engine

    def add(self, *titles: tuple[str, str, str]) -> None:
        """New titles (library, local id, title) in the libraries' exports, harvested,
        grouped and indexed."""
        for library, local_id, title in titles:
            number = sum(len(r) for r in self.held.values()) + 1
            self.held[library].append(book(local_id, title, isbn=f"978-3-16-{number:06d}-0"))
        for library, records in self.held.items():
            self.catalogue.export(library, *records)
        self.catalogue.harvest()
        update_index(self.catalogue.store, self.dir)

    def patron(self, card: str, email: str = "", language: str = "de") -> Account:
        with self.engine.begin() as conn:
            added = accounts.add_user(conn, role="patron", library="marl", name=f"Leserin {card}",
                                      card=card, password="korrektes-pferd")  # fmt: skip
            return accounts.set_contact(conn, added.id, email=email, language=language)

    def saved(self, patron: Account, query: str, alert: bool = True) -> int:
        with self.engine.begin() as conn:
            kept = saved_searches.save(conn, patron.id, "", query, NIGHT)
            saved_searches.set_alert(conn, patron.id, kept.id, alert)
        return kept.id

    def alerts(self, now: datetime) -> AlertReport:
        search = index_search(UnionIndex(index_path(self.dir)))
        return run_alerts(self.engine, search, Mailing("https://katalog.example"), now)

    def mails(self, address: str) -> list[notices.Notice]:
        with self.engine.connect() as conn:
            return [n for n in notices.list_notices(conn) if n.recipient == address]


@pytest.fixture
def night(tmp_path: Path) -> Night:
    return Night(tmp_path)


def test_the_first_look_mails_nothing_and_new_titles_then_come_in_one_mail(night: Night) -> None:
    anna = night.patron("M1", "anna@example.org")
    night.saved(anna, "q=Stadtgeschichte")
    night.saved(anna, "q=Kochen")
    first = night.alerts(NIGHT)
    assert (first.searches, first.first, first.sent, first.failed) == (2, 2, 0, 0)
    assert night.mails("anna@example.org") == []
    night.add(("herten", "h2", "Stadtgeschichte von Herten"), ("marl", "m2", "Kochen für Gäste"),
              ("marl", "m3", "Gartenbuch"))  # fmt: skip
    report = night.alerts(NIGHT + timedelta(days=1))
    assert (report.searches, report.first, report.sent, report.failed) == (2, 0, 1, 0)
    [mail] = night.mails("anna@example.org")
    assert (mail.kind, mail.language) == ("alert", "de")
    assert mail.subject == "2 neue Titel zu Ihren gespeicherten Suchen"
    assert "Stadtgeschichte von Herten" in mail.body and "Kochen für Gäste" in mail.body
    assert "Gartenbuch" not in mail.body and "Stadtgeschichte von Marl" not in mail.body
    assert "https://katalog.example/search?q=Stadtgeschichte" in mail.body
    with night.engine.connect() as conn:
        tokens = {s.token for s in saved_searches.searches(conn, anna.id)}
    assert set(UNSUBSCRIBE.findall(mail.body)) == tokens


def test_no_new_title_no_mail_and_a_second_run_the_same_day_mails_nothing(night: Night) -> None:
    anna = night.patron("M1", "anna@example.org", language="en")
    night.saved(anna, "q=Stadtgeschichte")
    night.alerts(NIGHT)
    assert night.alerts(NIGHT + timedelta(days=1)).sent == 0  # nothing new
    night.add(("herten", "h2", "Stadtgeschichte von Herten"))
    assert night.alerts(NIGHT + timedelta(days=2)).sent == 1
    night.add(("marl", "m2", "Stadtgeschichte von Dorsten"))
    later = night.alerts(NIGHT + timedelta(days=2, hours=3))
    assert (later.searches, later.sent) == (0, 0)  # mailed today: it waits for tomorrow
    assert night.alerts(NIGHT + timedelta(days=3)).sent == 1
    first, second = night.mails("anna@example.org")
    assert first.subject == "1 new title for your saved searches" and first.language == "en"
    assert "Stadtgeschichte von Herten" in first.body and "Dorsten" not in first.body
    assert "Stadtgeschichte von Dorsten" in second.body and "Herten" not in second.body


def test_no_alert_for_a_deleted_or_disabled_account_or_one_without_address(night: Night) -> None:
    people = [night.patron(card, email) for card, email in
              (("M1", "a@example.org"), ("M2", "b@example.org"), ("M3", ""))]  # fmt: skip
    for patron in people:
        night.saved(patron, "q=Stadtgeschichte")
    night.alerts(NIGHT)
    with night.engine.begin() as conn:
        delete_account(conn, people[0].id, NIGHT)
        conn.execute(update(users).where(users.c.id == people[1].id).values(disabled=True))
    night.add(("herten", "h2", "Stadtgeschichte von Herten"))
    report = night.alerts(NIGHT + timedelta(days=1))
    assert (report.searches, report.sent) == (0, 0)
    with night.engine.connect() as conn:
        assert notices.list_notices(conn) == []
        assert saved_searches.searches(conn, people[0].id) == []


def test_a_search_that_cannot_run_is_counted_and_the_others_still_mail(night: Night) -> None:
    anna = night.patron("M1", "anna@example.org")
    broken = night.saved(anna, "q=Stadtgeschichte")
    night.saved(anna, "q=Kochen")
    night.alerts(NIGHT)
    with night.engine.begin() as conn:  # a filter the search page no longer knows
        conn.execute(update(searches_table).where(searches_table.c.id == broken)
                     .values(query="q=Stadt&sort=price"))  # fmt: skip
    night.add(("marl", "m2", "Kochen für Gäste"))
    report = night.alerts(NIGHT + timedelta(days=1))
    assert (report.searches, report.sent, report.failed) == (2, 1, 1)
    assert report.errors[0].startswith(f"saved search {broken}: not a search the page takes")
    [mail] = night.mails("anna@example.org")
    assert "Kochen für Gäste" in mail.body


def test_the_nightly_runs_the_alerts_after_the_index_and_the_mail_arrives(
    tmp_path: Path, smtp: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, mail=mail_to(smtp))
    assert main(["nightly", "--config", str(config)]) == 0
    capsys.readouterr()
    settings = load_config(config)
    store = open_store(settings.storage.url, settings.storage.data_dir)
    with store.engine.begin() as conn:
        patron = accounts.add_user(conn, role="patron", library="marl", name="Leserin",
                                   card="M9", password="korrektes-pferd")  # fmt: skip
        accounts.set_contact(conn, patron.id, email="leserin@example.org", language="de")
        kept = saved_searches.save(conn, patron.id, "Bücher", "q=Buch", NIGHT)
        saved_searches.set_alert(conn, patron.id, kept.id, True)
        # looked at once already (the first look is the tests' above): new is what comes now
        conn.execute(update(searches_table).values(seen_cluster=newest_cluster(conn)))
    store.close()
    (tmp_path / "marl.mrc").write_bytes(
        iso2709(book("marl-1", "Buch aus marl", isbn="978-3-16-148412-0"),
                book("marl-2", "Buch der Lieder", isbn="978-3-16-148419-0"))
    )  # fmt: skip
    assert main(["nightly", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Alerts: 1 saved searches with an alert run (0 for the first time), 1 mails " in out
    [mail] = smtp.to("leserin@example.org")
    assert "Buch der Lieder" in mail.body and "/alerts/unsubscribe/" in mail.body


def test_after_a_failed_index_update_the_alerts_wait_for_the_next_night(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    store = open_store(config.storage.url, config.storage.data_dir)
    asked = []

    def index() -> None:
        raise OSError("disk full")

    try:
        report = run_nightly(config, store, harvest=list, group=lambda: update_clusters(store),
                             index=index, alerts=asked.append)  # fmt: skip
    finally:
        store.close()
    assert report.index.outcome == "failed" and asked == []
    assert report.to_json()["alerts"] | {"seconds": 0} == {
        "outcome": "skipped",
        "error": "",
        "seconds": 0,
        "reason": "the index is not up to date",
    }
    assert "Alerts: skipped: the index is not up to date" in text(report.to_json())
