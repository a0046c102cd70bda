"""Patrons checked against a real OpenLDAP directory on 127.0.0.1 (tests/peers/slapd.py)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from libnet.accounts.ldap_patrons import LdapPatrons, language_code
from libnet.accounts.patron_systems import Patron, Refused, Unreachable
from libnet.patron_config import PatronsConfig
from tests.peers.slapd import (
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    SUFFIX,
    SlapdServer,
    down_url,
    require_slapd,
    silent_server,
)

ENTRIES = f"""\
dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: person
cn: libnet
sn: libnet
userPassword: {SERVICE_PASSWORD}

dn: uid=1001,{PEOPLE}
objectClass: inetOrgPerson
uid: 1001
cn: Anna Schmidt
sn: Schmidt
mail: anna@marl.example
preferredLanguage: de-DE
userPassword: pin-anna

dn: uid=1002,{PEOPLE}
objectClass: inetOrgPerson
uid: 1002
cn: Ben Miller
sn: Miller
mail: ben@marl.example
preferredLanguage: en-GB
userPassword: pin-ben

dn: uid=1003,{PEOPLE}
objectClass: inetOrgPerson
uid: 1003
cn: Carla Gesperrt
sn: Schmidt
mail: carla@marl.example
employeeType: blocked
userPassword: pin-carla
"""

PINS = ("pin-anna", "pin-ben", "pin-carla", SERVICE_PASSWORD, "admin-secret")
TIMEOUT = 1  # seconds; ldap3 waits for answers in whole seconds


@pytest.fixture(scope="module")
def directory() -> Iterator[SlapdServer]:
    """One slapd for the module, with StartTLS and ldaps:// from a CA of its own."""
    require_slapd()
    server = SlapdServer()
    try:
        server.start(ENTRIES, tls=True)
        yield server
    finally:
        server.stop()


@pytest.fixture
def by_bind(directory: SlapdServer) -> PatronsConfig:
    return PatronsConfig(
        type="ldap",
        url=directory.url,
        bind_dn=f"uid={{card}},{PEOPLE}",
        language_attribute="preferredLanguage",
        timeout=TIMEOUT,
    )


@pytest.fixture
def by_search(directory: SlapdServer, tmp_path: Path) -> PatronsConfig:
    password_file = tmp_path / "ldap-service.password"
    password_file.write_text(SERVICE_PASSWORD + "\n", encoding="utf-8")
    return PatronsConfig(
        type="ldap",
        url=directory.url,
        search_base=PEOPLE,
        search_filter="(&(objectClass=inetOrgPerson)(uid={card}))",
        service_dn=SERVICE_DN,
        service_password_file=password_file,
        language_attribute="preferredLanguage",
        timeout=TIMEOUT,
    )


def test_right_pin_by_bind_gives_the_patron_with_name_mail_and_language(by_bind) -> None:
    answer = LdapPatrons(by_bind).check("1001", "pin-anna")
    assert answer == Patron(card="1001", name="Anna Schmidt", email="anna@marl.example",
                            language="de")  # fmt: skip
    assert LdapPatrons(by_bind).check("1002", "pin-ben").language == "en"


def test_wrong_pin_is_refused(by_bind, by_search) -> None:
    assert LdapPatrons(by_bind).check("1001", "pin-ben") == Refused("wrong PIN")
    assert LdapPatrons(by_search).check("1001", "pin-ben") == Refused("wrong PIN")


def test_a_pin_is_sent_as_typed_without_stripping(by_bind) -> None:
    assert isinstance(LdapPatrons(by_bind).check("1001", "pin-anna "), Refused)
    assert isinstance(LdapPatrons(by_bind).check("1001", " pin-anna"), Refused)


def test_unknown_card_is_refused(by_bind, by_search) -> None:
    assert isinstance(LdapPatrons(by_bind).check("9999", "pin-anna"), Refused)
    assert LdapPatrons(by_search).check("9999", "pin-anna") == Refused("unknown card")


def test_empty_pin_is_refused_though_this_directory_would_bind_it(directory, by_bind) -> None:
    # the hole: slapd (with bind_anon_dn, as many servers) accepts a DN with no password
    whoami = subprocess.run(
        ["ldapwhoami", "-x", "-H", directory.url, "-D", f"uid=1001,{PEOPLE}", "-w", ""],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert whoami.returncode == 0, whoami.stderr
    assert whoami.stdout.strip() == "anonymous"
    assert LdapPatrons(by_bind).check("1001", "") == Refused("empty card or PIN")
    assert LdapPatrons(by_bind).check("", "pin-anna") == Refused("empty card or PIN")


def test_a_dn_that_binds_without_an_entry_is_an_unknown_card(by_bind) -> None:
    # the rootdn binds with its rootpw but has no entry: no patron of that name exists
    config = replace(by_bind, bind_dn=f"cn={{card}},{SUFFIX}")
    assert LdapPatrons(config).check("admin", "admin-secret") == Refused("unknown card")


@pytest.mark.parametrize(
    "card", ["10*1", "100*", "*", "1001)(uid=*", "1001,ou=people", "1001+sn=Schmidt", "\\31001"]
)
def test_a_card_with_ldap_metacharacters_cannot_log_in_as_someone_else(
    card, by_bind, by_search
) -> None:
    for config in (by_bind, by_search):
        answer = LdapPatrons(config).check(card, "pin-anna")
        assert isinstance(answer, Refused), (config.bind_dn, answer)


def test_search_with_the_service_account_finds_the_patron(by_search) -> None:
    answer = LdapPatrons(by_search).check("1002", "pin-ben")
    assert answer == Patron(card="1002", name="Ben Miller", email="ben@marl.example",
                            language="en")  # fmt: skip


def test_a_search_that_finds_two_entries_is_refused(by_search) -> None:
    config = replace(by_search, search_filter="(sn={card})")
    assert LdapPatrons(config).check("Schmidt", "pin-anna") == Refused(
        "more than one entry for the card"
    )
    assert LdapPatrons(config).check("Miller", "pin-ben").name == "Ben Miller"


def test_a_search_base_the_search_may_not_read_makes_the_directory_unreachable(
    by_search,
) -> None:
    # this directory shows anonymous clients nothing: every card would fail, so it is the
    # operators' problem, not the patron's
    anonymous = replace(by_search, service_dn="", service_password_file=None)
    missing = replace(by_search, search_base=f"ou=nowhere,{SUFFIX}")
    for config in (anonymous, missing):
        answer = LdapPatrons(config).check("1001", "pin-anna")
        assert isinstance(answer, Unreachable)
        assert "does not exist or is not readable" in answer.reason


def test_wrong_service_password_makes_the_directory_unreachable(by_search) -> None:
    by_search.service_password_file.write_text("not-the-password\n", encoding="utf-8")
    answer = LdapPatrons(by_search).check("1001", "pin-anna")
    assert isinstance(answer, Unreachable)
    assert answer.reason.startswith("the service account was refused")


def test_service_password_is_read_at_each_check(by_search) -> None:
    patrons = LdapPatrons(by_search)
    by_search.service_password_file.write_text("", encoding="utf-8")
    assert isinstance(patrons.check("1001", "pin-anna"), Unreachable)  # empty: never bound
    by_search.service_password_file.unlink()
    assert isinstance(patrons.check("1001", "pin-anna"), Unreachable)
    by_search.service_password_file.write_text(SERVICE_PASSWORD, encoding="utf-8")
    assert isinstance(patrons.check("1001", "pin-anna"), Patron)


def test_blocked_card_is_refused_with_the_right_pin_only(by_bind, by_search) -> None:
    for config in (by_bind, by_search):
        blocked = replace(config, blocked_filter="(employeeType=blocked)")
        assert LdapPatrons(blocked).check("1003", "pin-carla") == Refused("blocked")
        assert LdapPatrons(blocked).check("1003", "pin-anna") == Refused("wrong PIN")
        assert isinstance(LdapPatrons(blocked).check("1001", "pin-anna"), Patron)
        assert isinstance(LdapPatrons(config).check("1003", "pin-carla"), Patron)


def test_server_down_is_unreachable_at_once(by_bind) -> None:
    started = time.monotonic()
    answer = LdapPatrons(replace(by_bind, url=down_url())).check("1001", "pin-anna")
    assert isinstance(answer, Unreachable)
    assert answer.reason.startswith("cannot connect")
    assert time.monotonic() - started < TIMEOUT


def test_server_that_never_answers_is_unreachable_after_the_timeout(by_search) -> None:
    with silent_server() as url:
        started = time.monotonic()
        answer = LdapPatrons(replace(by_search, url=url)).check("1001", "pin-anna")
        took = time.monotonic() - started
    assert answer == Unreachable(f"no answer within {TIMEOUT} s")
    assert TIMEOUT * 0.9 < took < TIMEOUT * 2


def test_start_tls_and_ldaps_check_the_certificate(directory, by_bind) -> None:
    start_tls = replace(by_bind, url=directory.url.replace("127.0.0.1", "localhost"),
                        start_tls=True)  # fmt: skip
    ldaps = replace(by_bind, url=directory.ldaps_url)
    for config in (start_tls, ldaps):
        assert isinstance(LdapPatrons(config, ca_file=directory.ca).check("1001", "pin-anna"),
                          Patron)  # fmt: skip
        untrusted = LdapPatrons(config).check("1001", "pin-anna")  # the system's CAs only
        assert isinstance(untrusted, Unreachable), untrusted
        assert untrusted.reason.startswith("TLS failed"), untrusted.reason


def test_a_certificate_for_another_name_is_unreachable(directory, by_bind) -> None:
    config = replace(by_bind, start_tls=True)  # 127.0.0.1, the certificate says localhost
    answer = LdapPatrons(config, ca_file=directory.ca).check("1001", "pin-anna")
    assert isinstance(answer, Unreachable)
    assert answer.reason.startswith("TLS failed"), answer.reason


def test_no_reason_holds_a_password(directory, by_bind, by_search) -> None:
    with silent_server() as silent:
        configs = [
            by_bind,
            replace(by_bind, url=down_url()),
            replace(by_search, url=silent),
            replace(by_bind, start_tls=True),
            replace(by_search, blocked_filter="(employeeType=blocked"),
            replace(by_search, search_base=f"ou=nowhere,{SUFFIX}"),
            replace(by_bind, bind_dn="uid={card},,broken"),
        ]
        answers = [LdapPatrons(c).check(card, pin) for c in configs
                   for card, pin in (("1001", "pin-anna"), ("1003", "pin-carla"))]  # fmt: skip
    by_search.service_password_file.write_text("pin-anna-wrong-service\n", encoding="utf-8")
    answers.append(LdapPatrons(by_search).check("1001", "pin-anna"))
    reasons = [a.reason for a in answers if not isinstance(a, Patron)]
    assert len(reasons) >= 10
    for reason in reasons:
        for secret in (*PINS, "pin-anna-wrong-service"):
            assert secret not in reason, reason


@pytest.mark.parametrize(
    ("value", "code"),
    [("de", "de"), ("de-DE", "de"), ("German", "de"), ("ger", "de"), ("deu", "de"),
     ("en", "en"), ("en-GB", "en"), ("eng", "en"), ("English", "en"), ("en_US", "en"),
     ("de-AT, en;q=0.8", "de"), ("fr", ""), ("", "")],
)  # fmt: skip
def test_language_values_of_directories_map_to_de_or_en(value, code) -> None:
    assert language_code(value) == code
