"""Librarians correct the catalogue's clusters in the browser: split, join, the list, undo.

The network of tests/libnet/test_loans.py: one edition held by Datteln, Herten, Marl and
Dorsten (one cluster of four records), and here also "Ruhm" at Marl, a cluster of its own.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.update import update_index
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.lock import data_dir_lock
from libnet.store import clusters, open_store
from libnet.store import corrections as log
from tests.builders import book
from tests.libnet.test_loans import with_item
from tests.webapp.test_loans_api import LIBRARIES, Served
from tests.webapp.test_login import log_in
from webapp import create_app

TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
VERSIONS = re.compile(r'name="versions" value="([^"]*)"')


class Corrected(Served):
    """The served network with a second title at Marl, indexed: built once, then copied."""

    def __init__(self, tmp_path: Path) -> None:
        super().__init__(tmp_path)
        ruhm = book("m2", "Ruhm", isbn="978-3-498-03539-6", year="2009")
        self.catalogue.export("marl", with_item("m1"), ruhm)
        self.catalogue.harvest()
        update_index(self.catalogue.store, tmp_path / "var")
        self.ruhm = self.catalogue.cluster_of("marl", "m2")
        self.catalogue.store.close()


class Desk:
    """A copy of the built network's store and index, served to one test's librarian."""

    def __init__(self, built: Corrected, tmp_path: Path) -> None:
        shutil.copytree(built.catalogue.dir / "var", tmp_path / "var", symlinks=True)
        storage = StorageConfig(tmp_path / "var")
        libraries = tuple(LibraryConfig(code, code.title(), SourceConfig("marc", "-"))
                          for code in LIBRARIES)  # fmt: skip
        config = Config(tmp_path / "config.toml", storage, libraries)
        self.client = create_app(config, TESTING=True).test_client()
        self.store = open_store(storage.url, storage.data_dir)
        self.engine = self.store.engine
        self.cluster, self.ruhm = built.cluster, built.ruhm

    def cluster_of(self, library: str, local_id: str) -> int | None:
        with self.engine.connect() as conn:
            rid = clusters.record_ids(conn, [(library, local_id)])[(library, local_id)]
            return clusters.cluster_of(conn, [rid]).get(rid)

    def page(self, path: str, status: int = 200) -> str:
        answer = self.client.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert answer.status_code == status, (path, answer.status_code)
        return answer.get_data(as_text=True)

    def preview(self, kind: str, other: str, status: int = 200) -> str:
        return self.page(f"/staff/corrections/{kind}?cluster={self.cluster}&other={other}", status)

    def save(self, kind: str, other: str, reason: str, shown: str):
        data = {"csrf_token": TOKEN.search(shown).group(1), "cluster": self.cluster,
                "other": other, "versions": VERSIONS.search(shown).group(1),
                "reason": reason}  # fmt: skip
        return self.client.post(f"/staff/corrections/{kind}?lang=en", data=data)

    def undo(self, correction_id: int, reason: str = "doch dieselbe"):
        listed = self.page("/staff/corrections")
        data = {"csrf_token": TOKEN.search(listed).group(1), "reason": reason}
        return self.client.post(f"/staff/corrections/{correction_id}/undo?lang=en", data=data)

    def corrections(self) -> list[log.Correction]:
        with self.engine.connect() as conn:
            return log.listed(conn)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Corrected:
    return Corrected(tmp_path_factory.mktemp("corrections"))


@pytest.fixture
def desk(built: Corrected, tmp_path: Path) -> Iterator[Desk]:
    copy = Desk(built, tmp_path)
    yield copy
    copy.store.close()


@pytest.fixture
def corrected(desk: Desk) -> Desk:
    """The copy, with Herten's librarian logged in."""
    log_in(desk.client, "Team herten")
    return desk


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_split_shows_its_effect_before_it_is_saved_and_nothing_changes(
    corrected: Desk,
) -> None:
    shown = text(corrected.preview("split", "datteln:d1"))
    assert "Now" in shown and "After saving" in shown and "A new cluster" in shown
    assert re.search(r"After saving.*Cluster \d+ · 3 records.*A new cluster · 1 record "
                     r"Datteln · d1", shown)  # fmt: skip
    assert corrected.cluster_of("datteln", "d1") == corrected.cluster
    assert corrected.corrections() == []


def test_a_saved_split_moves_the_record_out_and_the_staff_view_says_who_and_why(
    corrected: Desk,
) -> None:
    answer = corrected.save("split", "datteln:d1", "andere Auflage",
                            corrected.preview("split", "datteln:d1"))  # fmt: skip
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/record/{corrected.cluster}/staff")
    alone = corrected.cluster_of("datteln", "d1")
    assert alone != corrected.cluster == corrected.cluster_of("herten", "h1")
    staff = text(corrected.page(f"/record/{corrected.cluster}/staff"))
    assert "The correction is saved." in staff and "Datteln" not in staff.split("Records")[-1]
    split_off = text(corrected.page(f"/record/{alone}/staff"))  # indexed at once
    assert re.search(r"split off by Team herten on \w+ \d+, \d{4}: andere Auflage", split_off)
    [made] = corrected.corrections()
    assert (made.kind, made.by_name, made.by_library, made.reason) == (
        "split", "Team herten", "herten", "andere Auflage",
    )  # fmt: skip
    assert made.records[0] == ("datteln", "d1") and len(made.records) == 4


def test_a_join_by_number_brings_two_clusters_together(corrected: Desk) -> None:
    shown = corrected.preview("join", str(corrected.ruhm))
    assert re.search(r"After saving.*Cluster \d+ · 5 records", text(shown))
    answer = corrected.save("join", str(corrected.ruhm), "Sammelband", shown)
    assert answer.status_code == 302
    joined = corrected.cluster_of("marl", "m2")
    assert joined == corrected.cluster_of("herten", "h1")
    staff = text(corrected.page(f"/record/{joined}/staff"))
    assert "joined by Team herten on" in staff and "Sammelband" in staff


def test_a_join_found_by_words_lists_the_other_clusters_to_choose(corrected: Desk) -> None:
    found = corrected.preview("join", "Ruhm")
    assert f"other={corrected.ruhm}" in found and "Preview the join" in found
    assert f"other={corrected.cluster}" not in found  # not the cluster itself


def test_a_cluster_cannot_be_joined_with_itself(corrected: Desk) -> None:
    refused = text(corrected.preview("join", str(corrected.cluster), status=409))
    assert "A cluster cannot be joined with itself." in refused
    shown = corrected.preview("join", str(corrected.ruhm))
    forged = corrected.save("join", str(corrected.cluster), "derselbe", shown)
    assert forged.status_code == 409 and corrected.corrections() == []


def test_an_empty_reason_saves_nothing_and_keeps_the_preview(corrected: Desk) -> None:
    answer = corrected.save("split", "datteln:d1", "   ", corrected.preview("split", "datteln:d1"))
    assert answer.status_code == 409
    assert "Please give a reason" in text(answer.get_data(as_text=True))
    assert corrected.corrections() == []
    assert corrected.cluster_of("datteln", "d1") == corrected.cluster


def test_of_two_librarians_correcting_one_cluster_the_second_is_told_and_nothing_is_lost(
    corrected: Desk,
) -> None:
    first = corrected.preview("split", "datteln:d1")
    second = corrected.preview("split", "dorsten:o1")  # both looked at the same cluster
    assert corrected.save("split", "datteln:d1", "andere Auflage", first).status_code == 302
    late = corrected.save("split", "dorsten:o1", "Lizenzausgabe", second)
    assert late.status_code == 409
    page = late.get_data(as_text=True)
    assert "changed this cluster meanwhile" in text(page) and 'value="Lizenzausgabe"' in page
    assert "Datteln · d1" not in text(page).split("Now")[1].split("After saving")[0]
    assert [c.reason for c in corrected.corrections()] == ["andere Auflage"]
    again = corrected.save("split", "dorsten:o1", "Lizenzausgabe", page)
    assert again.status_code == 302 and len(corrected.corrections()) == 2


def test_the_list_shows_every_correction_filtered_and_an_undo_is_a_correction(
    corrected: Desk,
) -> None:
    corrected.save("split", "datteln:d1", "andere Auflage",
                   corrected.preview("split", "datteln:d1"))  # fmt: skip
    [made] = corrected.corrections()
    listed = text(corrected.page("/staff/corrections"))
    assert "Team herten · Herten" in listed and "andere Auflage" in listed
    assert "Datteln · d1" in listed
    assert "No correction matches." in corrected.page("/staff/corrections?kind=join")
    assert "andere Auflage" in corrected.page("/staff/corrections?library=herten&kind=split")
    assert "No correction matches." in corrected.page("/staff/corrections?library=marl")
    assert "No correction matches." in corrected.page("/staff/corrections?from=2099-01-01")
    assert corrected.undo(made.id).status_code == 302
    assert corrected.cluster_of("datteln", "d1") == corrected.cluster
    undone, done = corrected.corrections()
    assert (undone.kind, undone.undoes, done.undone_by) == ("undo", made.id, undone.id)
    staff = text(corrected.page(f"/record/{corrected.cluster}/staff"))
    assert "split off" not in staff


def test_an_undone_correction_cannot_be_undone_again_nor_an_undo(corrected: Desk) -> None:
    corrected.save("split", "datteln:d1", "andere Auflage",
                   corrected.preview("split", "datteln:d1"))  # fmt: skip
    [made] = corrected.corrections()
    corrected.undo(made.id)
    again = corrected.undo(made.id)
    assert "This correction was undone already." in text(corrected.page("/staff/corrections"))
    assert again.status_code == 302
    undo_row = corrected.corrections()[0]
    corrected.undo(undo_row.id)
    assert "An undo cannot be undone" in text(corrected.page("/staff/corrections"))
    assert len(corrected.corrections()) == 2


def test_a_visitor_is_sent_to_log_in_and_a_patron_is_refused(desk: Desk) -> None:
    paths = ("/staff/corrections", f"/staff/corrections/split?cluster={desk.cluster}"
             "&other=datteln:d1", f"/record/{desk.cluster}/staff")  # fmt: skip
    for path in paths:
        answer = desk.client.get(path)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")
    log_in(desk.client, "D100")
    for path in paths:
        assert desk.client.get(path).status_code == 403


def test_while_a_harvest_holds_the_data_directory_the_correction_is_saved_and_indexed_later(
    corrected: Desk, tmp_path: Path
) -> None:
    shown = corrected.preview("split", "datteln:d1")
    with data_dir_lock(tmp_path / "var"):  # as a nightly run would
        answer = corrected.save("split", "datteln:d1", "andere Auflage", shown)
    assert answer.status_code == 302
    alone = corrected.cluster_of("datteln", "d1")
    assert alone != corrected.cluster and len(corrected.corrections()) == 1
    staff = text(corrected.page(f"/record/{corrected.cluster}/staff"))
    assert "the search shows the change when that is done" in staff
    holdings = re.compile(r'<table id="holdings".*?</table>', re.S)
    assert "Datteln" in holdings.search(corrected.page(f"/record/{corrected.cluster}")).group(0)
    update_index(corrected.store, tmp_path / "var")  # the run's own update, after its harvest
    assert "Datteln" not in holdings.search(corrected.page(f"/record/{corrected.cluster}")).group(0)
