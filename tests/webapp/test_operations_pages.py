"""/staff/operations: harvests, rejected records, the index, the nightly reports; and the
administrator's button that harvests one library again, through a real `libnet harvest`."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from libnet.cli import main
from libnet.config import load_config
from libnet.lock import data_dir_lock
from tests.builders import book, iso2709
from tests.webapp.test_loans_api import LIBRARIES, Served
from tests.webapp.test_login import log_in
from tests.webapp.test_staff_pages import TOKEN
from tests.webapp.test_staff_pages import page as get
from webapp import create_app


@pytest.fixture
def served(tmp_path: Path) -> Served:
    return served_with_config(tmp_path)


def served_with_config(tmp_path: Path) -> Served:
    """test_loans_api's network, with its config.toml written for the `libnet` commands."""
    served = Served(tmp_path)
    libraries = "".join(
        f'[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\nmax_delete_share = 1.0\n'
        f'[libraries.source]\ntype = "marc"\nurl = "{code}.mrc"\n'
        for code in LIBRARIES
    )
    (tmp_path / "config.toml").write_text(f'[storage]\ndata_dir = "var"\n{libraries}')
    return served


def marl_runs(served: Served) -> list:
    return served.catalogue.store.runs("marl")


def wait_for_marl(served: Served, before: int, timeout: float = 60) -> list:
    """Marl's harvest runs, once one more than `before` has finished."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = marl_runs(served)
        if len(runs) > before and runs[0].outcome != "running":
            break
        time.sleep(0.2)
    return marl_runs(served)


def test_a_librarian_reads_the_harvests_the_index_and_the_nightly_reports(
    served: Served, tmp_path: Path
) -> None:
    log_in(served.client, "Team herten")
    page = get(served, "/staff/operations")
    assert "<h1>Operations</h1>" in page
    assert 'id="library-marl"' in page and 'id="library-kreis"' in page
    assert "Not harvested yet." in page  # kreis
    assert "No nightly run yet." in page
    assert "Harvest Marl now" not in page  # the button is the administrator's
    assert main(["nightly", "--config", str(tmp_path / "config.toml")]) == 1  # kreis: no file
    page = get(served, "/staff/operations")
    assert 'href="/staff/operations/nightly/1"' in page
    assert "kreis: no file matches" in page
    assert 'class="outcome outcome--failed">failed' in page
    report = get(served, "/staff/operations/nightly/1")
    assert "libnet nightly run 1: failed" in report and "Index: " in report
    assert served.client.get("/staff/operations/nightly/99").status_code == 404
    assert served.client.get(f"/staff/operations/nightly/{2**64}").status_code == 404


def test_the_page_is_for_staff(served: Served) -> None:
    assert served.client.get("/staff/operations").status_code == 302  # to the login
    log_in(served.client, "D100")
    assert served.client.get("/staff/operations").status_code == 403


def test_only_the_administrator_harvests_a_library_again(served: Served) -> None:
    log_in(served.client, "Team herten")
    token = TOKEN.search(get(served, "/staff/operations")).group(1)
    before = len(marl_runs(served))
    answer = served.client.post("/staff/operations/harvest/marl", data={"csrf_token": token})
    assert answer.status_code == 403
    time.sleep(0.5)
    assert len(marl_runs(served)) == before


def test_the_administrator_harvests_marl_again_and_sees_its_rejects(
    served: Served, tmp_path: Path
) -> None:
    broken = book("", title="Ohne Nummer")  # no 001: rejected
    (tmp_path / "marl.mrc").write_bytes(iso2709(book("m1"), book("m2", title="Neu"), broken))
    log_in(served.client, "Kreis")
    page = get(served, "/staff/operations")
    assert "Harvest Marl now" in page
    before = len(marl_runs(served))
    answer = served.client.post(
        "/staff/operations/harvest/marl?lang=en",
        data={"csrf_token": TOKEN.search(page).group(1)},
        follow_redirects=True,
    )
    assert "The harvest of Marl has started." in answer.get_data(as_text=True)
    [run, *_] = wait_for_marl(served, before)
    assert (run.outcome, run.added, run.rejected) == ("ok", 1, 1)
    # the index update follows the harvest in the same command: wait for it, not only the run
    deadline = time.monotonic() + 60
    page = get(served, "/staff/operations")
    while "0 changed records, 0 changed clusters" not in page and time.monotonic() < deadline:
        time.sleep(0.2)
        page = get(served, "/staff/operations")
    assert "1 record rejected by the last harvest" in page
    assert "no record id in 001" in page
    assert "0 changed records, 0 changed clusters" in page  # --index took the new record in
    [log] = (tmp_path / "var" / "logs").glob("harvest-marl-*.log")
    assert "harvest finished library=marl" in log.read_text()


def test_while_another_run_holds_the_lock_the_button_says_so(
    served: Served, tmp_path: Path
) -> None:
    log_in(served.client, "Kreis")
    token = TOKEN.search(get(served, "/staff/operations")).group(1)
    before = len(marl_runs(served))
    with data_dir_lock(tmp_path / "var"):
        answer = served.client.post(
            "/staff/operations/harvest/marl?lang=en",
            data={"csrf_token": token},
            follow_redirects=True,
        )
    assert "Marl was not harvested: another harvest or the nightly run is working." in (
        answer.get_data(as_text=True)
    )
    assert len(marl_runs(served)) == before
    unknown = served.client.post("/staff/operations/harvest/nowhere", data={"csrf_token": token})
    assert unknown.status_code == 404
    expired = served.client.post("/staff/operations/harvest/marl?lang=en", follow_redirects=True)
    assert "The form had expired." in expired.get_data(as_text=True)


def test_a_web_node_serving_a_copy_of_the_index_has_no_harvest_button(
    served: Served, tmp_path: Path
) -> None:
    config = load_config(tmp_path / "config.toml")
    node = replace(config, nightly=replace(config.nightly, harvest_here=False))
    client = create_app(node, TESTING=True).test_client()
    log_in(client, "Kreis")
    page = client.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "serves a copy of the index: harvests run on the harvest node" in page
    assert "Harvest Marl now" not in page
    token = TOKEN.search(page).group(1)
    answer = client.post("/staff/operations/harvest/marl", data={"csrf_token": token})
    assert answer.status_code == 409


def test_records_kept_with_a_repaired_field_are_shown_apart_from_the_rejects(
    served: Served, tmp_path: Path
) -> None:
    from tests.harvesters.test_repairs_reported import three_indicators

    (tmp_path / "marl.mrc").write_bytes(iso2709(book("m1")) + three_indicators("m2"))
    assert main(["nightly", "--config", str(tmp_path / "config.toml")]) == 1  # kreis: no file
    log_in(served.client, "Team herten")
    page = get(served, "/staff/operations?lang=en")
    assert "1 record kept by the last harvest with a field repaired or left out" in page
    assert "field 245: <strong>repaired</strong>: indicators &#39;100&#39; cut to two" in page
    assert "libnet runs --repairs" in page
    report = get(served, "/staff/operations/nightly/1")
    assert "0 rejected, 1 repaired" in report
    assert "repaired marl.mrc #2 (byte " in report and "field 245: indicators" in report
    assert "1 kept with a field repaired or left out: libnet runs --repairs" in report
