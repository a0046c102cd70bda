"""A librarian's split, join and undo in the store, on SQLite and on a real PostgreSQL.

The catalogue: the Kehlmann book at Marl, Herten and Datteln (one cluster), "Ruhm" at Marl.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.corrections import preview, save, undo
from index.errors import CorrectionRefused
from libnet import accounts
from libnet.accounts import Account
from libnet.store import corrections as log
from tests.builders import book
from tests.index.test_grouping import Catalogue

WHEN = datetime(2026, 12, 5, 10, 30, tzinfo=UTC)


@pytest.fixture
def catalogue(tmp_path: Path, store_url: str) -> Catalogue:
    catalogue = Catalogue(tmp_path, store_url)
    catalogue.export("marl", book("m1"), book("m2", "Ruhm", isbn="978-3-498-03539-6"))
    catalogue.export("herten", book("h1"))
    catalogue.export("datteln", book("d1"))
    catalogue.harvest()
    return catalogue


def librarian(catalogue: Catalogue, library: str) -> Account:
    with catalogue.store.engine.begin() as conn:
        return accounts.add_user(conn, role="librarian", library=library, name=f"Team {library}",
                                 password="korrekt-pferd")  # fmt: skip


def looked_at(catalogue: Catalogue, kind: str, other: str) -> str:
    """The versions a librarian's preview names."""
    with catalogue.store.engine.connect() as conn:
        return preview(conn, kind, catalogue.cluster_of("herten", "h1"), other).versions


def test_two_librarians_saving_at_once_exactly_one_wins(catalogue: Catalogue) -> None:
    """Real threads, each its own connection, both having seen the same cluster."""
    herten, marl = librarian(catalogue, "herten"), librarian(catalogue, "marl")
    cluster = catalogue.cluster_of("herten", "h1")
    versions = looked_at(catalogue, "split", "datteln:d1")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def click(who: Account, member: str) -> None:
        start.wait()
        try:
            save(catalogue.store, "split", cluster, member, reason="andere Auflage",
                 versions=versions, by=who, now=WHEN)  # fmt: skip
            outcomes.append("won")
        except CorrectionRefused as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=click, args=(herten, "datteln:d1")),
               threading.Thread(target=click, args=(marl, "marl:m1"))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["changed", "won"]
    with catalogue.store.engine.connect() as conn:
        assert len(log.listed(conn)) == 1
    apart = [m[:2] for m in catalogue.members(cluster)]
    assert len(apart) == 2  # one of the two records left, the other stayed


def test_a_split_says_who_when_and_why_and_its_undo_takes_it_back(catalogue: Catalogue) -> None:
    herten = librarian(catalogue, "herten")
    cluster = catalogue.cluster_of("herten", "h1")
    versions = looked_at(catalogue, "split", "datteln:d1")
    saved = save(catalogue.store, "split", cluster, "datteln:d1", reason="  andere \n Auflage ",
                 versions=versions, by=herten, now=WHEN)  # fmt: skip
    assert saved.cluster_id == catalogue.cluster_of("datteln", "d1") != cluster
    _cluster, rule, line = catalogue.membership()[("datteln", "d1")]
    assert (rule, line) == ("split", "split off by a librarian (Team herten, 2026-12-05): "
                                     "andere Auflage")  # fmt: skip
    undone = undo(catalogue.store, saved.correction_id, reason="doch dieselbe", by=herten, now=WHEN)
    assert catalogue.cluster_of("datteln", "d1") == cluster == undone.cluster_id
    with pytest.raises(CorrectionRefused) as again:
        undo(catalogue.store, saved.correction_id, reason="noch einmal", by=herten, now=WHEN)
    assert again.value.code == "undone"
    with pytest.raises(CorrectionRefused) as of_an_undo:
        undo(catalogue.store, undone.correction_id, reason="zurück", by=herten, now=WHEN)
    assert of_an_undo.value.code == "undo"


def test_bad_corrections_are_refused_with_a_reason_and_change_nothing(
    catalogue: Catalogue,
) -> None:
    herten = librarian(catalogue, "herten")
    cluster, ruhm = catalogue.cluster_of("herten", "h1"), catalogue.cluster_of("marl", "m2")
    before = catalogue.membership()
    asked = [
        ("join", str(cluster), "derselbe", "same-cluster"),
        ("join", "987654", "fehlt", "no-cluster"),
        ("split", "marl:m2", "nicht hier", "not-member"),
        ("split", "datteln:d1", " \t", "reason"),
        ("split", "datteln:d1", "x" * 501, "reason"),
        ("merge", "datteln:d1", "unbekannt", "kind"),
    ]
    for kind, other, reason, code in asked:
        with pytest.raises(CorrectionRefused) as refused:
            save(catalogue.store, kind, cluster, other, reason=reason, versions="", by=herten,
                 now=WHEN)  # fmt: skip
        assert refused.value.code == code, (kind, other)
    with pytest.raises(CorrectionRefused) as alone:
        save(catalogue.store, "split", ruhm, "marl:m2", reason="allein", versions="", by=herten,
             now=WHEN)  # fmt: skip
    assert alone.value.code == "alone"
    assert catalogue.membership() == before
    with catalogue.store.engine.connect() as conn:
        assert log.listed(conn) == []
