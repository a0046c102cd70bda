"""Secrets never printed: a source URL's password and key, and the password in a
password_file, appear in no output of libnet, whatever happens to the harvest.

Real peers on 127.0.0.1: a closed port (a server that is down), aiosmtpd for the operators'
mail, and LoginServer (tests/peers/basic_auth.py) for a server that wants a login. Every
output is searched: the commands' stdout and stderr, `libnet runs` (plain and --json), the
nightly report and its mail, the log (caplog, stderr and the logs under data_dir), every file
in data_dir byte by byte (the store's tables among them) and /staff/operations.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from libnet import accounts
from libnet.cli import main
from libnet.config import load_config
from libnet.store.schema import harvest_runs, nightly_runs
from tests.builders import book, iso2709
from tests.peers.basic_auth import LoginServer
from tests.peers.http_faults import refused_url
from tests.peers.smtp import SmtpServer
from tests.test_nightly import OPERATOR, mail_to
from tests.webapp.test_login import log_in
from tests.webapp.test_staff_pages import TOKEN
from webapp import create_app

PASSWORD = "Ge%2Fheim-7391"  # as the URL holds it: Ge/heim-7391
APIKEY = "k3y-4f9a2c77e1"
FILE_PASSWORD = "Datei-Passwort-5521"
WRONG_PASSWORD = "Falsches-Passwort-0042"
SECRETS = (PASSWORD, unquote(PASSWORD), APIKEY, FILE_PASSWORD, WRONG_PASSWORD)
QUICK = "retries = 0\ntimeout = 2.0\n"
ADMIN_PASSWORD = "Kreis-Admin-Passwort"  # the administrator's, for /staff/operations


def with_secrets(url: str) -> str:
    """http://harvest:PASSWORD@127.0.0.1:PORT/PATH?apikey=APIKEY&db=bib"""
    return url.replace("http://", f"http://harvest:{PASSWORD}@", 1) + f"?apikey={APIKEY}&db=bib"


def in_url(url: str) -> str:
    """http://libnet:FILE_PASSWORD@127.0.0.1:PORT/PATH?apikey=APIKEY: the login in the URL"""
    return url.replace("http://", f"http://libnet:{FILE_PASSWORD}@", 1) + f"?apikey={APIKEY}"


def library(code: str, source: str) -> str:
    return (f'[[libraries]]\ncode = "{code}"\nname = "{code.title()}"\nmax_delete_share = 1.0\n'
            f"[libraries.source]\n{source}")  # fmt: skip


def assert_no_secret(where: str, output: str | bytes) -> None:
    for secret in SECRETS:
        found = secret.encode() in output if isinstance(output, bytes) else secret in output
        assert not found, f"{secret!r} appears in {where}"


def data_dir_files(folder: Path) -> dict[str, bytes]:
    """Every file in the data directory: store, WAL, reports, logs, spool, index."""
    return {str(path): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_a_harvest_from_a_down_server_whose_url_holds_secrets_shows_them_nowhere(
    tmp_path: Path,
    smtp: SmtpServer,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # what requests and urllib3 log, too
    (tmp_path / "datteln.mrc").write_bytes(iso2709(book("d1")))
    (tmp_path / "dorsten.password").write_text(FILE_PASSWORD + "\n")
    config = tmp_path / "config.toml"
    config.write_text(
        '[storage]\ndata_dir = "var"\n'
        + mail_to(smtp)
        + '[nightly]\nmail_report = "always"\n'
        + library("datteln", 'type = "marc"\nurl = "datteln.mrc"\n')
        + library("marl", f'type = "sru"\nurl = "{with_secrets(refused_url())}"\n{QUICK}')
        + library("herten", f'type = "oai"\nurl = "{with_secrets(refused_url())}"\n{QUICK}')
        + library(
            "dorsten",
            f'type = "sru"\nurl = "{refused_url()}"\nusername = "harvest"\n'
            f'password_file = "dorsten.password"\n{QUICK}',
        )
    )
    folder = ["--config", str(config)]

    assert main(["nightly", *folder]) == 1
    assert main(["harvest", "marl", "herten", *folder]) == 1
    assert main(["runs", *folder]) == 0
    assert main(["runs", "--json", *folder]) == 0
    out, err = capsys.readouterr()
    # the failures are there and name their source, without its secrets
    # (a message names a source by scheme, host, port and path only: harvesters/http.py)
    assert "marl: cannot reach http://127.0.0.1:" in out  # the nightly report's errors
    assert "/sru: connection refused" in out
    assert "herten: cannot reach http://127.0.0.1:" in out
    assert "cannot reach http://127.0.0.1:" in err and "library=marl" in err  # the log lines
    runs = json.loads(out[out.rindex("\n[\n") :])  # `libnet runs --json` printed last
    assert {run["library"] for run in runs if run["outcome"] == "failed"} == {
        "marl", "herten", "dorsten"}  # fmt: skip
    assert_no_secret("the commands' stdout", out)
    assert_no_secret("the commands' stderr", err)
    assert_no_secret("caplog", caplog.text)

    [mail] = smtp.to(OPERATOR)
    assert "Errors:" in mail.body and "cannot reach http://127.0.0.1:" in mail.body
    assert_no_secret("the report's mail", mail.message.as_string())
    assert_no_secret("the report's mail, decoded", mail.body)

    settings = load_config(config)
    client = create_app(settings, TESTING=True).test_client()
    store = client.application.extensions["libnet"].store
    with store.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(select(harvest_runs)).mappings()]
        rows += [dict(row) for row in conn.execute(select(nightly_runs)).mappings()]
    assert_no_secret("the store's runs", repr(rows))

    with store.engine.begin() as conn:
        accounts.add_user(conn, role="admin", library="datteln", name="Kreis",
                          password=ADMIN_PASSWORD)  # fmt: skip
    log_in(client, "Kreis", ADMIN_PASSWORD)
    page = client.get("/staff/operations?lang=en").get_data(as_text=True)
    assert "cannot reach http://127.0.0.1:" in page
    assert_no_secret("/staff/operations", page)
    report = client.get("/staff/operations/nightly/1").get_data(as_text=True)
    assert "Errors:" in report
    assert_no_secret("/staff/operations/nightly/1", report)

    # the administrator's button: a real `libnet harvest marl`, its output in data_dir/logs
    before = len(store.runs("marl"))
    answer = client.post(
        "/staff/operations/harvest/marl?lang=en",
        data={"csrf_token": TOKEN.search(page).group(1)},
        follow_redirects=True,
    )
    assert "The harvest of Marl has started." in answer.get_data(as_text=True)
    deadline = time.monotonic() + 30
    while len(store.runs("marl")) == before or store.runs("marl")[0].outcome == "running":
        assert time.monotonic() < deadline, "the harvest the button started did not finish"
        time.sleep(0.05)
    [log] = (tmp_path / "var" / "logs").glob("harvest-marl-*.log")
    assert "cannot reach http://127.0.0.1:" in log.read_text()
    files = data_dir_files(tmp_path / "var")
    assert any(name.endswith(".json") for name in files)  # the nightly report as a file
    for name, content in files.items():
        assert_no_secret(name, content)


def test_a_password_file_the_environment_and_the_url_log_in_and_are_shown_nowhere(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request's path and query
    records = [("m1", "Erstes Buch"), ("m2", "Zweites Buch")]
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "right").write_text(FILE_PASSWORD + "\n")
    (tmp_path / "secrets" / "wrong").write_text(WRONG_PASSWORD)
    monkeypatch.setenv("LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL", FILE_PASSWORD)
    with LoginServer("libnet", FILE_PASSWORD, records) as server:
        login = f'username = "libnet"\n{QUICK}'
        config = tmp_path / "config.toml"
        config.write_text(
            '[storage]\ndata_dir = "var"\n'
            + library("marl", f'type = "sru"\nurl = "{server.url("sru")}"\n{login}'
                      'password_file = "secrets/right"\n')
            + library("herten", f'type = "oai"\nurl = "{server.url("oai")}"\n{login}'
                      'password_file = "secrets/right"\n')
            + library("castrop-rauxel", f'type = "sru"\nurl = "{server.url("sru")}"\n{login}')
            + library("dorsten", f'type = "sru"\nurl = "{server.url("sru")}"\n{login}'
                      'password_file = "secrets/wrong"\n')
            + library("waltrop", f'type = "sru"\nurl = "{in_url(server.url("sru"))}"\n{QUICK}')
            + library("haltern", f'type = "oai"\nurl = "{in_url(server.url("oai"))}"\n{QUICK}')
        )  # fmt: skip
        assert main(["harvest", "--config", str(config)]) == 1
        assert main(["runs", "--json", "--config", str(config)]) == 0
    out, err = capsys.readouterr()
    outcomes = {run["library"]: (run["outcome"], run["added"], run["error"])
                for run in json.loads(out[out.rindex("\n[\n") :])}  # fmt: skip
    assert outcomes == {
        "marl": ("ok", 2, None),
        "herten": ("ok", 2, None),
        "castrop-rauxel": ("ok", 2, None),
        "dorsten": ("failed", 0, "HTTP 401 UNAUTHORIZED"),
        "waltrop": ("ok", 2, None),
        "haltern": ("ok", 2, None),
    }
    assert ("libnet", FILE_PASSWORD) in server.logins
    assert None not in server.logins  # the login goes with the first request already
    assert ("libnet", WRONG_PASSWORD) in server.logins  # dorsten's, refused
    assert_no_secret("stdout", out)
    assert_no_secret("stderr", err)
    assert '"GET /sru?' in caplog.text  # urllib3 logs each request's path and query
    assert_no_secret("caplog", caplog.text)
    for name, content in data_dir_files(tmp_path / "var").items():
        assert_no_secret(name, content)
