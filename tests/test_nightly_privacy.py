"""`libnet nightly` anonymises the requests that ended [loans] anonymise_after_days ago, and
says how many; `libnet users delete` removes a patron's personal data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from libnet import accounts, loans
from libnet.cli import main
from libnet.cli.console import open_configured
from libnet.config import load_config
from libnet.store import clusters, open_store
from tests.test_nightly import write_config


def ended_request(config: Path, card: str, days_ago: int, *, cancel: bool = True) -> int:
    """A request of a new patron of Herten for Datteln's book, placed and (unless not
    `cancel`) cancelled `days_ago` days ago."""
    settings = load_config(config)
    store = open_store(settings.storage.url, settings.storage.data_dir)
    then = datetime.now(UTC) - timedelta(days=days_ago)
    try:
        with loans.transaction(store.engine) as conn:
            patron = accounts.add_user(conn, role="patron", library="herten", name=f"Leser {card}",
                                       card=card, password="korrekt-pferd")  # fmt: skip
            rid = clusters.record_ids(conn, [("datteln", "datteln-1")])[("datteln", "datteln-1")]
            cluster = clusters.cluster_of(conn, [rid])[rid]
            placed = loans.place_request(conn, patron, cluster, title="Buch aus datteln", now=then)
            if cancel:
                loans.act(conn, placed.id, "patron_cancel", patron, version=placed.version,
                          now=then)  # fmt: skip
    finally:
        store.close()
    return placed.id


def test_the_nightly_anonymises_what_ended_long_enough_ago_and_says_how_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, nightly="[loans]\nanonymise_after_days = 30\n")
    assert main(["nightly", "--config", str(config)]) == 0
    assert "Privacy: anonymised 0 requests that ended;" in capsys.readouterr().out
    ended_request(config, "H1", days_ago=31)
    ended_request(config, "H2", days_ago=29)
    assert main(["nightly", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["privacy"]["anonymised"] == 1 and report["privacy"]["outcome"] == "ok"
    assert main(["nightly", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Privacy: anonymised 0 requests that ended; forgot " in out
    assert out.index("Loans:") < out.index("Privacy:") < out.index("Notices:")


def test_libnet_users_delete_refuses_an_open_request_then_deletes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    still_open = ended_request(config, "H1", days_ago=1, cancel=False)
    assert main(["users", "delete", "H1", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"the account has open requests, finish or cancel them first: {still_open} " in err
    store = open_configured(load_config(config))
    with loans.transaction(store.engine) as conn:
        patron = accounts.find_user(conn, "H1")
        loans.act(conn, still_open, "patron_cancel", patron, version=1)
    store.close()
    assert main(["users", "delete", "H1", "--config", str(config)]) == 0
    assert "the personal data of H1 of herten (id:1) deleted" in capsys.readouterr().out
    assert main(["users", "list", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "deleted" in out and "Leser H1" not in out
    assert main(["users", "delete", "id:1", "--config", str(config)]) == 1
    assert "the account id:1 was deleted already" in capsys.readouterr().err
