"""The operations page in a real browser: the administrator reads it, harvests Marl again with
the button, and sees the new harvest and its rejected record; axe finds nothing serious, and
a phone's width needs no sideways scrolling."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from libnet.cli import main
from tests.builders import book, iso2709
from tests.webapp.browser import artifacts_dir, served, wider_than
from tests.webapp.test_browser import axe_verdict
from tests.webapp.test_loan_browser import People
from tests.webapp.test_operations_pages import marl_runs, served_with_config, wait_for_marl

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from tests.webapp.test_loans_api import Served

pytestmark = pytest.mark.browser


@pytest.fixture
def network(tmp_path: Path) -> Served:
    return served_with_config(tmp_path)


def test_the_administrator_reads_the_page_and_harvests_marl_again(
    browser: Browser, network: Served, tmp_path: Path
) -> None:
    assert main(["nightly", "--config", str(tmp_path / "config.toml")]) == 1  # kreis: no file
    (tmp_path / "marl.mrc").write_bytes(
        iso2709(book("m1"), book("m2", title="Neu in Marl"), book("", title="Ohne Nummer"))
    )
    with served(network.client.application) as base_url:
        people = People(browser, base_url)
        page = people.log_in("Kreis")
        page.goto("/staff")
        page.get_by_role("link", name="Operations").click()
        page.wait_for_url(f"{base_url}/staff/operations")
        assert page.get_by_role("heading", name="Nightly runs").is_visible()
        assert "kreis: no file matches" in page.locator("#nightly-heading + table").inner_text()
        serious, others = axe_verdict(page)
        assert not serious, "axe on /staff/operations:\n" + "\n".join(serious + others)

        before = len(marl_runs(network))
        page.get_by_role("button", name="Harvest Marl now").click()
        page.wait_for_load_state()
        assert "The harvest of Marl has started." in page.locator(".flash--success").inner_text()
        assert wait_for_marl(network, before)[0].outcome == "ok"
        page.reload()
        marl = page.locator("#library-marl")
        assert "1 record rejected by the last harvest" in marl.inner_text()
        marl.locator("summary").click()
        assert "no record id in 001" in marl.locator("ul.rejects").inner_text()
        page.get_by_role("link", name="1", exact=True).click()
        assert "libnet nightly run 1: failed" in page.locator("pre.report").inner_text()

        page.set_viewport_size({"width": 375, "height": 800})
        page.goto("/staff/operations")
        assert wider_than(page, 375) == [], wider_than(page, 375)
        page.screenshot(path=artifacts_dir() / "operations-narrow.png", full_page=True)
        assert people.problems() == []
