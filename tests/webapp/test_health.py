"""/healthz: 200 when store, index and a recent nightly are there; 503 and why otherwise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import create_engine, update

from libnet.cli import main
from libnet.config import load_config
from libnet.store.schema import nightly_runs
from tests.peers.postgres import free_port
from tests.test_nightly import write_config
from webapp import create_app


def client_for(config: Path) -> FlaskClient:
    return create_app(load_config(config), TESTING=True).test_client()


def test_healthy_after_a_nightly_run(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["status"] == "ok" and body["reasons"] == []
    assert body["store"] == {"ok": True}
    assert body["index"] == {"ok": True, "clusters": 3}
    assert body["nightly"]["run"] == 1 and body["nightly"]["outcome"] == "ok"
    assert 0 <= body["nightly"]["age_hours"] < 1 and body["nightly"]["max_age_hours"] == 26.0


def test_a_failed_nightly_still_serves(tmp_path: Path) -> None:
    config = write_config(tmp_path, broken="marl")
    assert main(["nightly", "--config", str(config)]) == 1
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 200
    assert answer.get_json()["nightly"]["outcome"] == "failed"


def test_before_the_first_nightly_there_is_nothing_to_serve(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "failing"
    assert body["reasons"] == [
        "the union index does not open: the union index has not been built: run `libnet index`",
        "no nightly run has finished yet",
    ]


def test_a_nightly_older_than_the_configured_age_fails(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'libnet.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(update(nightly_runs).values(
            finished_at=datetime.now(UTC) - timedelta(hours=30)))  # fmt: skip
    engine.dispose()
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 503
    [reason] = answer.get_json()["reasons"]
    assert reason.startswith("the last nightly run (1) finished 30.0 hours ago, more than 26")
    patient = write_config(tmp_path, nightly="[nightly]\nmax_age_hours = 48\n")
    assert client_for(patient).get("/healthz").status_code == 200


def test_a_store_that_does_not_answer_fails(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0  # the index is there
    url = f"postgresql+psycopg://libnet@127.0.0.1:{free_port()}/libnet"
    text = config.read_text().replace(
        'data_dir = "var"', f'data_dir = "var"\ndatabase_url = "{url}"'
    )
    config.write_text(text)
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["reasons"][0].startswith("the record store does not answer: cannot open")
    assert body["index"]["ok"] is True and body["nightly"] == {"ok": False}


def test_a_damaged_index_fails(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["nightly", "--config", str(config)]) == 0
    for toc in (tmp_path / "var" / "index").resolve().glob("_*.toc"):
        toc.unlink()
    answer = client_for(config).get("/healthz")
    assert answer.status_code == 503
    assert answer.get_json()["reasons"][0].startswith("the union index does not open: ")
