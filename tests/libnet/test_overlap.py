"""The holdings-overlap report over a small store, on SQLite and on a real PostgreSQL.

The catalogue (each title one cluster):

- Stadtgeschichte Marl: Marl alone; subject Marl, 1995.
- Die Vermessung der Welt: Marl, Herten, Datteln; subject Roman, 2005.
- Weltatlas: Herten, Datteln, Dorsten; subject Geografie, 2010. Patrons of Marl ordered it
  twice in the last year and once 400 days ago.
- Kochen für alle: Herten alone; no subject, no year. A patron of Marl ordered it once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pymarc
import pytest
from sqlalchemy import create_engine, inspect

from libnet import accounts, loans, overlap
from libnet.overlap import NO_YEAR, Overlap, OverlapError
from libnet.store import open_store
from tests.builders import book
from tests.index.test_grouping import Catalogue
from tests.libnet.test_loans import MONDAY
from tests.libnet.test_privacy import migrate_to

ISBNS = {"marl": "978-3-16-000001-0", "welt": "978-3-498-03528-0",
         "atlas": "978-3-12-000003-0", "koch": "978-3-16-000004-0"}  # fmt: skip


def titled(key: str, local_id: str, title: str, subject: str, year: str) -> pymarc.Record:
    record = book(local_id, title, isbn=ISBNS[key], year=year, author=f"Autor {key}")
    if subject:
        record.add_field(pymarc.Field(tag="650", indicators=pymarc.Indicators(" ", "7"),
                                      subfields=[pymarc.Subfield("a", subject),
                                                 pymarc.Subfield("x", "Geschichte")]))  # fmt: skip
    return record


class Holdings:
    def __init__(self, tmp_path: Path, url: str, now: datetime = MONDAY) -> None:
        self.catalogue = Catalogue(tmp_path, url)
        marl = titled("marl", "m-ort", "Stadtgeschichte Marl", "Marl", "1995")
        welt = lambda lid: titled("welt", lid, "Die Vermessung der Welt", "Roman", "2005")  # noqa: E731
        atlas = lambda lid: titled("atlas", lid, "Weltatlas", "Geografie", "2010")  # noqa: E731
        koch = book("h-koch", "Kochen für alle", isbn=ISBNS["koch"], year="", author="Koch, Karl")
        self.catalogue.export("marl", marl, welt("m-welt"))
        self.catalogue.export("herten", welt("h-welt"), atlas("h-atlas"), koch)
        self.catalogue.export("datteln", welt("d-welt"), atlas("d-atlas"))
        self.catalogue.export("dorsten", atlas("o-atlas"))
        self.catalogue.harvest()
        self.engine = self.catalogue.store.engine
        firsts = (("marl", "marl", "m-ort"), ("welt", "herten", "h-welt"),
                  ("atlas", "herten", "h-atlas"), ("koch", "herten", "h-koch"))  # fmt: skip
        self.cluster = {key: self.catalogue.cluster_of(lib, lid) for key, lib, lid in firsts}
        orders = (("atlas", 10), ("atlas", 200), ("atlas", 400), ("koch", 30))
        for n, (key, days_ago) in enumerate(orders):
            with self.engine.begin() as conn:
                patron = accounts.add_user(conn, role="patron", library="marl", name=f"P {n}",
                                           card=f"M{n}", password="korrekt-pferd")  # fmt: skip
            with loans.transaction(self.engine) as conn:
                loans.place_request(conn, patron, self.cluster[key], title=key,
                                    now=now - timedelta(days=days_ago))  # fmt: skip

    def report(self, library: str | None, n: int = 3, k: int = 2) -> Overlap:
        with self.engine.connect() as conn:
            return overlap.overlap(conn, library, n, k, MONDAY)

    def names(self, titles) -> list[str]:
        by_id = {cluster_id: key for key, cluster_id in self.cluster.items()}
        return sorted(by_id[t.cluster_id] for t in titles)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def holdings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Holdings:
    """Built once per database: the tests only read."""
    tmp_path = tmp_path_factory.mktemp("overlap")
    if request.param == "sqlite":
        return Holdings(tmp_path, f"sqlite:///{tmp_path / 'store.sqlite3'}")
    server = request.getfixturevalue("postgres_server")
    return Holdings(tmp_path, server.create_database(f"overlap_{tmp_path.name}"))


def test_marl_sees_what_it_alone_holds_what_many_hold_and_what_its_patrons_order(
    holdings: Holdings,
) -> None:
    report = holdings.report("marl")
    assert holdings.names(report.lists["only"]) == ["marl"]
    assert holdings.names(report.lists["many"]) == ["welt"]
    # the order of 400 days ago is outside the year: two, not three
    assert holdings.names(report.lists["ordered"]) == ["atlas"]
    [atlas] = report.lists["ordered"]
    assert (atlas.orders, atlas.libraries, atlas.subject, atlas.decade) == (2, 3, "Geografie", 2010)


def test_lower_thresholds_take_in_more_titles(holdings: Holdings) -> None:
    report = holdings.report("marl", n=2, k=1)
    assert holdings.names(report.lists["many"]) == ["welt"]
    assert holdings.names(report.lists["ordered"]) == ["atlas", "koch"]
    assert holdings.names(holdings.report("herten", n=4).lists["many"]) == []


def test_the_county_sees_titles_one_library_alone_holds_and_those_many_hold(
    holdings: Holdings,
) -> None:
    report = holdings.report(None)
    assert holdings.names(report.lists["only"]) == ["koch", "marl"]
    assert holdings.names(report.lists["many"]) == ["atlas", "welt"]
    assert holdings.names(report.lists["ordered"]) == ["atlas"]


def test_the_lists_are_counted_per_subject_and_per_decade(holdings: Holdings) -> None:
    report = holdings.report(None, k=1)
    by_subject = {t.key: (t.only, t.many, t.ordered) for t in report.by_subject}
    assert by_subject == {"Marl": (1, 0, 0), "Roman": (0, 1, 0), "Geografie": (0, 1, 1),
                          "": (1, 0, 1)}  # fmt: skip
    assert [(t.key, t.total) for t in report.by_decade] == [(1990, 1), (2000, 1), (2010, 2),
                                                            (None, 2)]  # fmt: skip


def test_a_list_is_narrowed_sorted_and_paged(holdings: Holdings) -> None:
    county = holdings.report(None, n=2, k=1)
    many = county.lists["many"]
    assert holdings.names(overlap.choose(many, subject="Roman", sort="subject")) == ["welt"]
    assert holdings.names(overlap.choose(many, decade=2010, sort="subject")) == ["atlas"]
    assert overlap.choose(many, decade=NO_YEAR, sort="subject") == []
    only = county.lists["only"]
    assert holdings.names(overlap.choose(only, decade=NO_YEAR, sort="decade")) == ["koch"]
    by_decade = overlap.choose(only, sort="-decade")
    assert [t.decade for t in by_decade] == [1990, None]  # without a year last
    by_orders = overlap.choose(county.lists["ordered"], sort="-orders")
    assert [t.orders for t in by_orders] == sorted((t.orders for t in by_orders), reverse=True)
    page = overlap.page_of(overlap.choose(many, sort="subject"), 2, size=1)
    assert (page.total, page.pages, page.number, len(page.titles)) == (2, 2, 2, 1)
    with pytest.raises(OverlapError):
        overlap.page_of(many, 3, size=1)
    with pytest.raises(OverlapError):
        overlap.choose(many, sort="title")


def test_each_title_is_shown_by_its_short_title(holdings: Holdings) -> None:
    report = holdings.report("marl")
    with holdings.engine.connect() as conn:
        found = overlap.short_titles(conn, report.lists["only"] + report.lists["ordered"])
    assert sorted(found.values()) == ["Stadtgeschichte Marl", "Weltatlas"]


@pytest.mark.parametrize("n, k", [(1, 2), (100, 2), (3, 0)])
def test_thresholds_outside_their_range_are_refused(holdings: Holdings, n: int, k: int) -> None:
    with pytest.raises(OverlapError):
        holdings.report("marl", n=n, k=k)


def test_a_store_from_before_the_overlap_keys_gets_them_from_its_records(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.export("marl", titled("marl", "m-ort", "Stadtgeschichte Marl", "Marl", "1995"))
    catalogue.harvest()
    catalogue.store.close()
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    migrate_to(url, "0017-1")  # the revision before the keys, wherever it is in the chain
    engine = create_engine(url)
    assert "subject" not in {c["name"] for c in inspect(engine).get_columns("records")}
    engine.dispose()
    store = open_store(url, tmp_path)  # migrated to the newest schema again
    try:
        with store.engine.connect() as conn:
            report = overlap.overlap(conn, "marl", 3, 2, MONDAY)
            [only] = report.lists["only"]
            assert (only.subject, only.decade) == ("Marl", 1990)
            assert list(overlap.short_titles(conn, [only]).values()) == ["Stadtgeschichte Marl"]
    finally:
        store.close()
