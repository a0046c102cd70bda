"""The rota reads the ILL code of German union-catalogue holdings (924 $d).

A patron of Datteln orders the Kehlmann book; the other libraries hold it in 924 fields whose
ILL codes say what each may send: a loan only, b copies only, c loan and copies, d nothing,
e electronic copies only. Only a loan of the volume goes through the rota.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from libnet import accounts, loans
from libnet.loans import LoanError
from libnet.records.holdings import DE_924
from tests.builders import book, with_924
from tests.index.test_grouping import Catalogue

MONDAY = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


def order(tmp_path: Path, held: dict[str, tuple[str, ...]]) -> list[str]:
    """The rota of a request placed by a patron of Datteln, when each library of `held`
    holds the title with 924 fields of these ILL codes (Datteln has a copy out on loan)."""
    catalogue = Catalogue(tmp_path)
    catalogue.export("datteln", book("d1", items=(("Rom Keh", "1"),)))
    for n, (library, codes) in enumerate(held.items()):
        record = with_924(book(f"{library}{n}"), f"DE-{library}", *codes)
        catalogue.export(library, record, holdings=DE_924)
    catalogue.harvest()
    engine = catalogue.store.engine
    with engine.begin() as conn:
        patron = accounts.add_user(conn, role="patron", library="datteln", name="Anna",
                                   card="D100", password="korrekt-pferd")  # fmt: skip
    with loans.transaction(engine) as conn:
        request = loans.place_request(
            conn, patron, catalogue.cluster_of("datteln", "d1"), title="Die Vermessung der Welt",
            now=MONDAY,
        )  # fmt: skip
    return [library for library, _ in request.rota]


@pytest.mark.parametrize(
    ("code", "asked"),
    [("a", True), ("b", False), ("c", True), ("d", False), ("e", False), ("", True)],
)
def test_a_library_is_asked_for_a_loan_only_where_its_ill_code_lends_the_volume(
    tmp_path: Path, code: str, asked: bool
) -> None:
    held = {"herten": (code,), "marl": ("c",)}
    assert order(tmp_path, held) == (["herten", "marl"] if asked else ["marl"])


def test_a_library_whose_copies_all_stay_home_is_not_asked_but_one_good_copy_will_do(
    tmp_path: Path,
) -> None:
    held = {
        "herten": ("d", "d"),  # keine Fernleihe
        "marl": ("b", "e"),  # copies only, paper or electronic
        "dorsten": ("d", "a"),  # one copy may be lent
        "gladbeck": ("c",),
    }
    assert order(tmp_path, held) == ["dorsten", "gladbeck"]


def test_a_title_no_library_lends_cannot_be_ordered(tmp_path: Path) -> None:
    with pytest.raises(LoanError, match="no other library in the network lends this title"):
        order(tmp_path, {"herten": ("d",), "marl": ("b",)})
