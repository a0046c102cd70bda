"""One rule for e-mail addresses (libnet.email_address), wherever an address enters libnet:
accounts (forms and the command line reach them through add_user and set_contact) and
config.toml. The notices' side is in test_notices.py, the patron systems' in
tests/webapp/test_patron_systems_login.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from libnet import accounts
from libnet.accounts import AccountError
from libnet.config import load_config
from libnet.email_address import AddressProblem, is_email, normalised_email
from libnet.errors import ConfigError
from libnet.store import open_store
from tests.libnet.test_accounts import config_file, users_cli
from tests.libnet.test_config import GOOD, MAIL, write

BAD = [
    "a@b.de\r\nBcc: x@y.de",  # a header injection
    "a@b.de\nx",
    "Anna <anna@example.org>",  # a display name: one address, nothing around it
    "anna@example",  # no domain the internet knows
    "anna@@example.org",
    "anna example@example.org",
    "anna@example.org, bernd@example.org",  # a list
    "anna@localhost",
    "anna@[127.0.0.1]",
    "@example.org",
    "anna@",
    "x" * 300 + "@example.org",
    "ännä@example.org",  # the mailer does not speak SMTPUTF8
]


@pytest.mark.parametrize("text", BAD)
def test_a_bad_address_is_a_problem_with_a_reason(text: str) -> None:
    problem = normalised_email(text)
    assert isinstance(problem, AddressProblem) and problem.reason
    assert str(problem).startswith("not an e-mail address: ")
    assert "\n" not in str(problem) and "\r" not in str(problem)
    assert not is_email(text)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("anna@example.org", "anna@example.org"),
        ("  Anna.Schmidt+fernleihe@Marl.Example  ", "Anna.Schmidt+fernleihe@marl.example"),
        ("leser@bücherei.de", "leser@" + "bücherei.de".encode("idna").decode()),  # for SMTP
    ],
)
def test_a_good_address_is_kept_trimmed_with_its_domain_in_lower_case_ascii(
    text: str, kept: str
) -> None:
    assert normalised_email(text) == kept


def test_the_operators_own_address_may_be_local_to_the_mail_server() -> None:
    assert normalised_email("libnet@localhost", local=True) == "libnet@localhost"
    assert normalised_email("root@mailhost", local=True) == "root@mailhost"
    assert isinstance(normalised_email("libnet@localhost"), AddressProblem)
    assert isinstance(normalised_email("a@b.de\r\nBcc: x@y.de", local=True), AddressProblem)


@pytest.fixture
def engine(tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}", tmp_path)
    yield store.engine
    store.close()


def test_an_account_refuses_a_bad_address_and_keeps_a_good_one_normalised(engine) -> None:
    with engine.begin() as conn:
        with pytest.raises(AccountError, match="not an e-mail address"):
            accounts.add_user(conn, role="patron", library="marl", name="A", password=None,
                              card="1", email="a@b.de\r\nBcc: x@y.de")  # fmt: skip
        made = accounts.add_user(conn, role="patron", library="marl", name="A", password=None,
                                 card="1", email=" Anna@Example.ORG ")  # fmt: skip
        assert made.email == "Anna@example.org"
        with pytest.raises(AccountError, match="not an e-mail address"):
            accounts.set_contact(conn, made.id, email="anna@example", language="de")
        assert accounts.get_user(conn, made.id).email == "Anna@example.org"
        changed = accounts.set_contact(conn, made.id, email="", language="en")
        assert changed.email == ""  # none: no notices


def test_the_command_refuses_a_bad_address_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_file(tmp_path)
    patron = ("add", "--role", "patron", "--library", "marl", "--name", "Anna", "--card", "M7",
              "--email", "anna@example", "--password-stdin")  # fmt: skip
    assert users_cli(config, monkeypatch, "korrekt-pferd\n", *patron) == 1
    assert "not an e-mail address: 'anna@example'" in capsys.readouterr().err
    assert users_cli(config, monkeypatch, "", "list", "--json") == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (('sender = "fernleihe@kreis-re.example"', 'sender = "a@b.de\\r\\nBcc: x@y.de"'),
         "mail.sender"),
        (("it@kreis-re.example", "it@"), "mail.operators"),
        (("it@kreis-re.example", "IT <it@kreis-re.example>"), "mail.operators"),
    ],
)  # fmt: skip
def test_config_refuses_a_bad_operator_address_naming_the_key(
    tmp_path: Path, change: tuple[str, str], key: str
) -> None:
    with pytest.raises(ConfigError, match=f"{key}: .* is not an e-mail address"):
        load_config(write(tmp_path, GOOD + MAIL.replace(*change)), environ={})


def test_config_keeps_addresses_normalised_and_takes_a_local_sender(tmp_path: Path) -> None:
    text = GOOD.replace(
        'name = "Stadtbibliothek Marl"', 'name = "M"\nemail = "Ausleihe@MARL.example"'
    )
    mail = MAIL.replace('"fernleihe@kreis-re.example"\n', '"libnet@localhost"\n', 1)
    config = load_config(write(tmp_path, text + mail), environ={})
    assert config.library("marl").email == "Ausleihe@marl.example"
    assert config.mail.sender == "libnet@localhost"
    bad = GOOD.replace('name = "Stadtbibliothek Marl"', 'name = "M"\nemail = "ausleihe@marl"')
    with pytest.raises(ConfigError, match=r"libraries\[marl\]\.email: 'ausleihe@marl' is not"):
        load_config(write(tmp_path, bad), environ={})
