"""Staff data stays with staff: the libraries' own records (with item barcodes and notes) open
for a staff login only; anyone's MARC view shows the union record, which has no items; the
record store keeps a library's MARCXML byte for byte as the library sent it.

Herten sends its record as MARCXML (a Koha export: 952 $p barcode, $x a staff note), Marl
the same edition as ISO 2709.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from harvesters.run import harvest_all
from index.update import update_index
from libnet import accounts
from libnet.config import Config, LibraryConfig, SourceConfig, StorageConfig
from libnet.records.holdings import KOHA
from libnet.store import clusters, open_store
from libnet.store.schema import records
from tests.builders import book, iso2709
from tests.webapp.test_login import log_in
from webapp import create_app

PASSWORD = "korrekt-pferd"
BARCODE, NOTE = "30000123456789", "Rücken eingerissen, nicht verleihen vor Reparatur"
# as a library's system writes it: its own indentation, a comment, attributes in its order
HERTEN_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- Koha export, Stadtbibliothek Herten -->
<collection xmlns="http://www.loc.gov/MARC21/slim" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <record>
    <leader>00000cam a2200000 i 4500</leader>
    <controlfield tag="001">h1</controlfield>
    <controlfield tag="008">201120s2005    gw            000 1 ger d</controlfield>
    <datafield tag="020" ind1=" " ind2=" ">
      <subfield code="a">978-3-498-03528-0</subfield>
    </datafield>
    <datafield tag="100" ind1="1" ind2=" "><subfield code="a">Kehlmann</subfield></datafield>
    <datafield tag="245" ind1="1" ind2="0">
      <subfield code="a">Die Vermessung der Welt</subfield>
    </datafield>
    <datafield tag="952" ind1=" " ind2=" ">
      <subfield code="o">Rom Keh</subfield>
      <subfield code="p">{BARCODE}</subfield>
      <subfield code="x">{NOTE}</subfield>
      <subfield code="7">0</subfield>
    </datafield>
  </record>
</collection>
""".encode()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, int]:
    """The two libraries harvested and indexed, a patron and a librarian: (config, cluster)."""
    tmp: Path = tmp_path_factory.mktemp("staff-data")
    (tmp / "herten.xml").write_bytes(HERTEN_XML)
    (tmp / "marl.mrc").write_bytes(iso2709(book("m1", author="Kehlmann")))
    libraries = tuple(
        LibraryConfig(code, code.title(), SourceConfig("marc", str(tmp / name)), holdings=KOHA)
        for code, name in (("herten", "herten.xml"), ("marl", "marl.mrc"))
    )
    config = Config(tmp / "config.toml", StorageConfig(tmp / "var"), libraries)
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        assert all(report.ok for report in harvest_all(config, store))
        update_index(store, config.storage.data_dir)
        with store.engine.begin() as conn:
            accounts.add_user(conn, role="librarian", library="marl", name="Team marl",
                              password=PASSWORD)  # fmt: skip
            accounts.add_user(conn, role="patron", library="marl", name="Paula Leser",
                              card="M1", password=PASSWORD)  # fmt: skip
            rid = clusters.record_ids(conn, [("herten", "h1")])[("herten", "h1")]
            cluster = clusters.cluster_of(conn, [rid])[rid]
    finally:
        store.close()
    return config, cluster


def client_of(site: tuple[Config, int], login: str = "") -> FlaskClient:
    client = create_app(site[0], TESTING=True).test_client()
    if login:
        assert log_in(client, login, PASSWORD).status_code == 302
    return client


def staff_urls(cluster: int) -> tuple[str, ...]:
    return (f"/record/{cluster}/staff", f"/record/{cluster}?view=staff",
            f"/record/{cluster}/export/marcxml?member=herten:h1")  # fmt: skip


def test_the_staff_view_and_a_library_record_open_for_staff_only(
    site: tuple[Config, int],
) -> None:
    cluster = site[1]
    visitor, patron, librarian = (
        client_of(site),
        client_of(site, "M1"),
        client_of(site, "Team marl"),
    )
    for url in staff_urls(cluster):
        answer = visitor.get(url)
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next=")
        assert patron.get(url).status_code == 403, url
        assert BARCODE in librarian.get(url).get_data(as_text=True), url
    staff = librarian.get(f"/record/{cluster}/staff").get_data(as_text=True)
    assert NOTE in staff
    assert f'href="/record/{cluster}/staff"' not in visitor.get(f"/record/{cluster}").text


def test_the_marc_view_shows_the_union_record_without_items_to_anyone(
    site: tuple[Config, int],
) -> None:
    cluster = site[1]
    record = client_of(site).get(f"/record/{cluster}?lang=de").get_data(as_text=True)
    assert f'href="/record/{cluster}/marc"' in record
    for client in (client_of(site), client_of(site, "Team marl")):
        view = client.get(f"/record/{cluster}/marc?lang=en")
        assert view.status_code == 200
        page = view.get_data(as_text=True)
        assert "Die Vermessung der Welt" in page and "(herten)h1" in page and "(marl)m1" in page
        assert BARCODE not in page and NOTE not in page and ">952<" not in page
        assert re.search(r">852<.*Rom Keh", page, re.S)  # the call number, per library
    for fmt in ("marcxml", "marc"):
        assert BARCODE.encode() not in client_of(site).get(f"/record/{cluster}/export/{fmt}").data


def test_the_stored_marcxml_is_byte_identical_to_what_the_library_sent(
    site: tuple[Config, int],
) -> None:
    config = site[0]
    start = HERTEN_XML.index(b"<record>")
    sent = HERTEN_XML[start : HERTEN_XML.index(b"</record>") + len(b"</record>")]
    store = open_store(config.storage.url, config.storage.data_dir)
    try:
        with store.engine.connect() as conn:
            query = select(records.c.raw, records.c.syntax).where(records.c.local_id == "h1")
            raw, syntax = conn.execute(query).one()
    finally:
        store.close()
    assert syntax == "marcxml"
    assert bytes(raw) == sent
