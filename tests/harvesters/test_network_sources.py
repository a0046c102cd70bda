"""`libnet harvest` over SRU (a real Zebra) and OAI-PMH (a real pyoai), with a library down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymarc

from libnet.cli import main
from libnet.store import open_store
from tests.builders import book
from tests.harvesters.conftest import catalogue_records
from tests.peers.http_faults import refused_url
from tests.peers.oai_provider import OaiProvider


def write_config(tmp_path: Path, sources: dict[str, str]) -> Path:
    text = '[storage]\ndata_dir = "var"\n'
    for code, source in sources.items():
        text += f'\n[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\n'
        text += f"[libraries.source]\n{source}\n"
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def stored(config: Path, library: str) -> dict[str, bool]:
    store = open_store(f"sqlite:///{config.parent / 'var' / 'libnet.sqlite3'}")
    try:
        return {r.local_id: r.deleted for r in store.iter_changes(0) if r.library == library}
    finally:
        store.close()


def test_sru_oai_and_a_library_that_is_down_in_one_run(
    tmp_path: Path, zebra, oai_provider: OaiProvider, capsys
) -> None:
    server = zebra({"catalogue.xml": catalogue_records(120)})
    start = datetime(2026, 11, 1, 10, 0)  # pyoai wants naive UTC
    for n in range(30):
        oai_provider.put(f"oai:herten:{n}", book(f"h{n}"), start + timedelta(minutes=n))
    config = write_config(tmp_path, {
        "marl": f'type = "sru"\nurl = "{server.url}"\npage_size = 50',
        "datteln": f'type = "sru"\nurl = "{refused_url()}"\nretries = 1\nbackoff = 0.01',
        "herten": f'type = "oai"\nurl = "{oai_provider.url}"',
    })  # fmt: skip
    assert main(["harvest", "--config", str(config)]) == 1
    out = capsys.readouterr().out
    assert "datteln" in out and "connection refused" in out
    assert len(stored(config, "marl")) == 120
    assert len(stored(config, "herten")) == 30

    # the next night: herten changed two records and deleted one since the last harvest
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)
    oai_provider.put("oai:herten:3", book("h3", title="Neu katalogisiert"), later)
    oai_provider.put("oai:herten:99", book("h99"), later)
    oai_provider.delete("oai:herten:7", later)
    assert main(["harvest", "herten", "--config", str(config)]) == 0
    last = oai_provider.requests[-1]
    assert last["verb"] == "ListRecords" and "from" in last
    herten = stored(config, "herten")
    assert herten["h7"] is True and herten["h99"] is False and len(herten) == 31
    store = open_store(f"sqlite:///{config.parent / 'var' / 'libnet.sqlite3'}")
    run = store.runs("herten", limit=1)[0]
    assert (run.added, run.changed, run.deleted, run.unchanged) == (1, 1, 1, 0)
    assert store.get("herten", "h3").bib().title == "Neu katalogisiert"
    store.close()


def test_a_full_sru_harvest_deletes_what_the_catalogue_no_longer_has(tmp_path: Path, zebra):
    records = catalogue_records(40)
    server = zebra({"catalogue.xml": records})
    config = write_config(tmp_path, {"marl": f'type = "sru"\nurl = "{server.url}"'})
    assert main(["harvest", "--config", str(config)]) == 0
    for record in records[35:]:  # five records withdrawn: Zebra drops a record marked deleted
        record.leader = pymarc.Leader(str(record.leader)[:5] + "d" + str(record.leader)[6:])
    server.put("catalogue.xml", records)
    assert main(["harvest", "--config", str(config)]) == 0
    marl = stored(config, "marl")
    assert sum(marl.values()) == 5 and len(marl) == 40


def test_an_incremental_sru_harvest_asks_only_for_recent_changes(tmp_path: Path, zebra) -> None:
    server = zebra({"catalogue.xml": catalogue_records(60)})
    config = write_config(tmp_path, {"marl": (
        f'type = "sru"\nurl = "{server.url}"\n'
        'incremental_query = "rec.lastModificationDate>={since}"'
    )})  # fmt: skip
    assert main(["harvest", "--config", str(config)]) == 0
    store = open_store(f"sqlite:///{config.parent / 'var' / 'libnet.sqlite3'}")
    first = store.runs("marl", limit=1)[0]
    assert first.full and first.cursor == datetime.now(UTC).strftime("%Y%m%d")
    assert main(["harvest", "--config", str(config)]) == 0
    second = store.runs("marl", limit=1)[0]
    store.close()
    # the catalogue's records were last changed in 2024: nothing is newer than today
    assert not second.full and (second.added, second.unchanged, second.deleted) == (0, 0, 0)
    assert len(stored(config, "marl")) == 60
