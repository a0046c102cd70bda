"""Live availability over SIP2 on the record page and the operations page: a demo library
whose system (pysip2's server on 127.0.0.1, tests/peers/sip2.py) answers Item Information for
its copies' barcodes, in German and English, through Flask's test client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from libnet.availability.config import AvailabilityConfig
from libnet.availability.service import Availability
from libnet.config import Config
from tests.peers.sip2 import Fault, Shelved, Sip2Peer
from tests.webapp.test_availability import AGE, Title, a_title, name, rows
from webapp import create_app

LOGIN = ("libnet", "geheim")
STAFF_PASSWORD = "korrekt-pferd-sip2"


@pytest.fixture(scope="module")
def title(demo_config: Config) -> Title:
    return a_title(demo_config)


@pytest.fixture(scope="module")
def system(title: Title) -> Iterator[Sip2Peer]:
    first, second, *rest = title.items
    items = [Shelved(first.barcode, "04", due="20261220    235900"),
             Shelved(second.barcode, "10"), *(Shelved(i.barcode, "03") for i in rest)]  # fmt: skip
    with Sip2Peer([], items=items, login=LOGIN) as peer:
        yield peer


@pytest.fixture(scope="module")
def sip2_app(demo_config: Config, system: Sip2Peer, title: Title, tmp_path_factory) -> Flask:
    password = Path(tmp_path_factory.mktemp("sip2")) / "password"
    password.write_text(LOGIN[1] + "\n")
    asked = AvailabilityConfig("sip2", timeout=0.5, host="127.0.0.1", port=system.port,
                               login_user=LOGIN[0], login_password_file=password,
                               location_code="DEMO")  # fmt: skip
    libraries = tuple(
        replace(lib, availability=asked) if lib.code == title.live else lib
        for lib in demo_config.libraries
    )
    return create_app(replace(demo_config, libraries=libraries), TESTING=True)


@pytest.fixture
def sip2_client(sip2_app: Flask, system: Sip2Peer) -> FlaskClient:
    system.reset()
    catalogue = sip2_app.extensions["libnet"]
    catalogue.availability.close()  # a fresh cache for each test
    catalogue.availability = Availability(
        {lib.code: lib.availability for lib in catalogue.libraries}
    )
    return sip2_app.test_client()


def test_the_record_page_shows_what_the_system_says_in_english(
    sip2_client, sip2_app, title
) -> None:
    found = rows(sip2_client, f"/record/{title.cluster_id}?lang=en")
    shown = found[name(sip2_app, title.live)]
    assert "on loan until Dec 20, 2026" in shown and "in transit" in shown
    assert len(title.items) == 2 or "available" in shown


def test_the_record_page_shows_what_the_system_says_in_german(
    sip2_client, sip2_app, title, system
) -> None:
    found = rows(sip2_client, f"/record/{title.cluster_id}?lang=de")
    shown = found[name(sip2_app, title.live)]
    assert "entliehen bis 20.12.2026" in shown and "unterwegs" in shown
    assert {barcode for _, barcode in system.item_requests} == {i.barcode for i in title.items}


def test_a_copy_the_system_does_not_know_keeps_its_harvested_status(
    sip2_client, sip2_app, title, system
) -> None:
    second = title.items[1].barcode
    kept = system.items.pop(second)
    try:
        found = rows(sip2_client, f"/record/{title.cluster_id}?lang=en")
    finally:
        system.items[second] = kept
    shown = found[name(sip2_app, title.live)]
    assert "on loan until Dec 20, 2026" in shown and "in transit" not in shown
    assert any(re.search(AGE, status) for status in shown)  # the unknown copy, as harvested


def test_a_hanging_system_leaves_the_harvested_status_with_its_age(
    sip2_client, sip2_app, title, system
) -> None:
    system.fault = Fault.HANG
    found = rows(sip2_client, f"/record/{title.cluster_id}?lang=en")
    assert all(re.search(AGE, status) for status in found[name(sip2_app, title.live)])


def test_the_operations_page_lists_the_availability_service(
    sip2_client, sip2_app, title, system
) -> None:
    from libnet import accounts
    from libnet.accounts import AccountError
    from tests.webapp.test_login import log_in

    catalogue = sip2_app.extensions["libnet"]
    catalogue.availability.close()
    catalogue.availability = Availability(  # no cache: the second page asks again
        {lib.code: replace(lib.availability, cache_seconds=0) for lib in catalogue.libraries}
    )
    rows(sip2_client, f"/record/{title.cluster_id}?lang=en")  # one answer
    system.fault = Fault.CLOSE_MID_ANSWER
    rows(sip2_client, f"/record/{title.cluster_id}?lang=en")  # one failure
    engine = sip2_app.extensions["libnet"].store.engine
    with engine.begin() as conn, suppress(AccountError):
        accounts.add_user(conn, role="librarian", library="herten", name="Team SIP2",
                          password=STAFF_PASSWORD)  # fmt: skip
    staff = sip2_app.test_client()
    assert log_in(staff, "Team SIP2", STAFF_PASSWORD).status_code == 302
    page = staff.get("/staff/operations?lang=en").get_data(as_text=True)
    section = page[page.index('id="live-sources-heading"') :]
    section = section[: section.index("</section>")]
    assert name(sip2_app, title.live) in section and "SIP2" in section
    assert re.search(r"\d+ ms \(1 answers\)", section)
    assert "closed the connection in the middle of an answer" in section
    assert LOGIN[1] not in page


@pytest.mark.browser
@pytest.mark.parametrize(("language", "said"), [("de", "unterwegs"), ("en", "in transit")])
def test_the_record_page_with_sip2_status_fits_a_phone_and_a_desk(
    browser, sip2_client, sip2_app, title, language, said
) -> None:
    from tests.webapp.browser import artifacts_dir, scrolls_sideways, served

    with served(sip2_app) as base_url:
        context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 640})
        page = context.new_page()
        page.goto(f"/record/{title.cluster_id}?lang={language}")
        problems = []
        for width in (375, 1280):
            page.set_viewport_size({"width": width, "height": 640})
            status = page.locator("#holdings .status.live", has_text=said)
            if not status.count() or not status.first.is_visible():
                problems.append(f"{width} px: no visible live status {said!r}")
            if wide := scrolls_sideways(page, width):
                problems.append(f"{width} px: {wide}")
            if problems:
                page.screenshot(path=str(artifacts_dir() / f"sip2-record-{language}-{width}.png"))
        context.close()
    assert not problems, "\n".join(problems)
