"""config.toml: every problem is one line naming the file and the key."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from libnet.availability.config import AvailabilityConfig
from libnet.config import (
    HarvestConfig,
    LibraryConfig,
    LoansConfig,
    MailConfig,
    SessionsConfig,
    SourceConfig,
    load_config,
)
from libnet.errors import ConfigError
from libnet.opac_link import opac_link
from libnet.patron_config import PatronsConfig
from libnet.records.holdings import DE_924, KOHA, HoldingsProfile

ROOT = Path(__file__).resolve().parents[2]
GOOD = """
[storage]
data_dir = "data"

[[libraries]]
code = "marl"
name = "Stadtbibliothek Marl"
[libraries.source]
type = "sru"
url = "http://127.0.0.1:9999/marc"
timeout = 5
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_a_good_file_is_read_with_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    library = config.library("marl")
    assert config.storage.data_dir == tmp_path / "data"
    assert config.storage.url == f"sqlite:///{tmp_path / 'data' / 'libnet.sqlite3'}"
    assert library.source.timeout == 5.0 and library.source.page_size == 100
    assert library.holdings == KOHA and library.id_field == "001"
    assert library.source.deadline == 3600.0 and library.source.max_response_mb == 200.0
    assert library.source.allow_redirects_to == ()


def test_a_sources_bounds_are_read(tmp_path: Path) -> None:
    bounds = 'deadline = 900\nmax_response_mb = 0.5\nallow_redirects_to = ["OPAC.example.org"]'
    source = load_config(write(tmp_path, GOOD + bounds)).library("marl").source
    assert (source.deadline, source.max_response_mb) == (900.0, 0.5)
    assert source.allow_redirects_to == ("opac.example.org",)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("timeout = 5", "timeout = 5\ncolour = 3"),
            r"libraries\[marl\]\.source\.colour: unknown key",
        ),
        (("timeout = 5", 'timeout = "fast"'), r"source\.timeout: expected a number, got a string"),
        (('name = "Stadtbibliothek Marl"\n', ""), r"libraries\[marl\]\.name: missing"),
        (('type = "sru"', 'type = "ftp"'), r"source\.type: 'ftp' is not one of"),
        (("timeout = 5", "timeout = -1"), r"source\.timeout: must be greater than 0"),
        (('code = "marl"', 'code = "Marl Stadt"'), r"libraries\[0\]\.code: 'Marl Stadt' is not"),
        (('data_dir = "data"', "data_dir = 3"), r"storage\.data_dir: expected a string"),
        (("[storage]", "[storge]"), r"storge: unknown key"),
        (
            ("timeout = 5", "retries = true"),
            r"source\.retries: expected a whole number, got a boolean",
        ),
        (("timeout = 5", "deadline = 0"), r"source\.deadline: must be greater than 0"),
        (
            ("timeout = 5", 'max_response_mb = "viel"'),
            r"source\.max_response_mb: expected a number, got a string",
        ),
        (
            ("timeout = 5", 'allow_redirects_to = "opac.example.org"'),
            r"source\.allow_redirects_to: expected a list of host names",
        ),
        (
            ("timeout = 5", 'allow_redirects_to = ["https://opac.example.org/"]'),
            r"source\.allow_redirects_to: 'https://opac.example.org/' is not a host name",
        ),
    ],
)
def test_a_bad_file_names_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path)
    assert str(caught.value).startswith(str(path))
    assert "\n" not in str(caught.value)


MAIL = """
[mail]
host = "smtp.kreis-re.example"
port = 587
starttls = true
username = "libnet"
password = "aus-der-datei"
sender = "fernleihe@kreis-re.example"
timeout = 10
site_url = "https://fernleihe.kreis-re.example/"
operators = "it@kreis-re.example, fernleihe@kreis-re.example"
"""


def test_mail_is_off_by_default_and_a_library_has_no_address(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD), environ={})
    assert config.mail == MailConfig() and not config.mail.enabled
    assert config.mail.site_url == "http://127.0.0.1:8080" and config.mail.port == 25
    assert config.library("marl").email == ""


def test_the_mail_section_is_read_and_the_password_from_the_environment_wins(
    tmp_path: Path,
) -> None:
    text = GOOD.replace(
        'name = "Stadtbibliothek Marl"', 'name = "M"\nemail = "fernleihe@marl.example"'
    )
    path = write(tmp_path, text + MAIL)
    mail = load_config(path, environ={}).mail
    assert (mail.host, mail.port, mail.starttls, mail.timeout) == (
        "smtp.kreis-re.example", 587, True, 10.0,
    )  # fmt: skip
    assert mail.password == "aus-der-datei" and "aus-der-datei" not in repr(mail)
    assert mail.site_url == "https://fernleihe.kreis-re.example"
    assert load_config(path, environ={}).library("marl").email == "fernleihe@marl.example"
    from_env = load_config(path, environ={"LIBNET_SMTP_PASSWORD": "geheim"}).mail
    assert from_env.password == "geheim"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("port = 587", 'port = "587"'), r"mail\.port: expected a whole number, got a string"),
        (("port = 587", "port = 70000"), r"mail\.port: must lie between 1 and 65535"),
        (("starttls = true", 'starttls = "yes"'), r"mail\.starttls: expected true or false"),
        (("timeout = 10", "timeout = 0"), r"mail\.timeout: must be greater than 0"),
        (("timeout = 10", "timeout = false"), r"mail\.timeout: expected a number, got a boolean"),
        (('sender = "fernleihe@kreis-re.example"', 'sender = "Fernleihe"'),
         r"mail\.sender: 'Fernleihe' is not an e-mail address"),
        (("it@kreis-re.example", "it-abteilung"), r"mail\.operators: 'it-abteilung' is not"),
        (('site_url = "https://fernleihe.kreis-re.example/"', 'site_url = "fernleihe.example"'),
         r"mail\.site_url: 'fernleihe.example' is not an http\(s\) URL"),
        (('host = "smtp.kreis-re.example"', 'hostname = "smtp"'), r"mail\.hostname: unknown key"),
    ],
)  # fmt: skip
def test_a_bad_mail_section_names_the_key(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = write(tmp_path, GOOD + MAIL.replace(*change))
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(path, environ={})
    assert "\n" not in str(caught.value)


def test_mail_must_be_a_table_and_a_library_email_an_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"mail: expected a table, got a whole number"):
        load_config(write(tmp_path, "mail = 3\n" + GOOD))
    text = GOOD.replace('name = "Stadtbibliothek Marl"', 'name = "M"\nemail = "Marl"')
    with pytest.raises(ConfigError, match=r"libraries\[marl\]\.email: 'Marl' is not an e-mail"):
        load_config(write(tmp_path, text))


def test_holdings_profiles_and_overrides(tmp_path: Path) -> None:
    text = GOOD.replace(
        'name = "Stadtbibliothek Marl"',
        'name = "M"\nholdings = { profile = "koha", tag = "949", lost = "" }',
    )
    profile = load_config(write(tmp_path, text)).library("marl").holdings
    assert profile.tag == "949" and profile.lost is None and profile.call_number == "o"
    text = GOOD.replace('name = "Stadtbibliothek Marl"', 'name = "M"\nholdings = "924"')
    assert load_config(write(tmp_path, text)).library("marl").holdings == DE_924
    text = GOOD.replace('name = "Stadtbibliothek Marl"', 'name = "M"\nholdings = "pica"')
    with pytest.raises(ConfigError, match=r"holdings\.profile: 'pica' is not one of"):
        load_config(write(tmp_path, text))


def with_opac_url(tmp_path: Path, template: str) -> Path:
    line = f'opac_url = "{template}"'
    return write(tmp_path, GOOD.replace('name = "Stadtbibliothek Marl"', f'name = "M"\n{line}'))


def test_an_opac_url_is_kept_as_given(tmp_path: Path) -> None:
    template = "https://opac.marl.de/Record/{id}?lng=de"
    assert load_config(with_opac_url(tmp_path, template)).library("marl").opac_url == template
    assert load_config(write(tmp_path, GOOD)).library("marl").opac_url == ""


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("https://opac.marl.de/Record/", r"has no \{id\} where the library's record id goes"),
        ("opac.marl.de/Record/{id}", r"is not an http\(s\) URL"),
        ("ftp://opac.marl.de/{id}", r"is not an http\(s\) URL"),
        ("javascript:alert({id})", r"is not an http\(s\) URL"),
        ("https://opac.marl.de/{id}/{ppn}", r"has a brace that is not part of \{id\}"),
        ("https://{id}.marl.de/", r"is not an http\(s\) URL"),
    ],
)
def test_a_bad_opac_url_is_one_line_naming_the_key(
    tmp_path: Path, template: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=r"libraries\[marl\]\.opac_url: .*" + message):
        load_config(with_opac_url(tmp_path, template))


def test_a_record_id_goes_into_the_catalogues_address_percent_encoded() -> None:
    template = "https://opac.example.de/Record/{id}"
    assert opac_link(template, "(DE-627)12/3 4") == (
        "https://opac.example.de/Record/%28DE-627%2912%2F3%204"
    )
    assert opac_link("", "h1") == "" and opac_link(template, "") == ""


def test_a_missing_or_broken_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[storage\n"))


def test_a_file_that_is_not_utf8_is_one_line_naming_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[storage]\ndata_dir = "B\xfccher"\n')  # Latin-1, as an old editor saves
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: not valid TOML: not UTF-8 (byte 24 is 0xfc)"


def test_two_libraries_with_one_code_are_refused(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("[storage]")[1].split("[[libraries]]")[1].join(["[[libraries]]", ""])
    with pytest.raises(ConfigError, match="'marl' appears twice"):
        load_config(write(tmp_path, text.replace('data_dir = "data"', "")))


def test_the_shipped_config_describes_the_eleven_libraries() -> None:
    config = load_config(ROOT / "config.toml", environ={})
    names = [lib.name for lib in config.libraries]
    assert len(names) == 11
    assert not config.mail.enabled  # the demo sends no mail: its notices wait in the store
    for town in (
        "Castrop-Rauxel",
        "Datteln",
        "Dorsten",
        "Gladbeck",
        "Haltern am See",
        "Herten",
        "Marl",
        "Oer-Erkenschwick",
        "Recklinghausen",
        "Waltrop",
        "Kreis",
    ):
        assert any(town in name for name in names), town


def test_every_key_is_documented_in_the_shipped_config() -> None:
    text = (ROOT / "config.toml").read_text()
    keys = [f.name for f in fields(SourceConfig)] + [f.name for f in fields(LibraryConfig)]
    keys += [f.name for f in fields(HoldingsProfile)] + [f.name for f in fields(HarvestConfig)]
    keys += [f.name for f in fields(MailConfig)] + ["mail", "LIBNET_SMTP_PASSWORD"]
    keys += [f.name for f in fields(PatronsConfig)] + [f.name for f in fields(SessionsConfig)]
    keys += [f.name for f in fields(LoansConfig)] + ["sessions", "loans", "patrons"]
    keys += ["data_dir", "database_url", "profile", "availability"]
    keys += [f.name for f in fields(AvailabilityConfig)]
    missing = [key for key in keys if not re.search(rf"\b{key}\b", text)]
    assert not missing, f"config.toml does not mention {missing}"


PATRONS = (
    GOOD.replace('code = "marl"', 'code = "marl"\ncard_prefixes = ["2104"]')
    + """
[libraries.patrons]
"""
)


def test_a_library_without_patrons_table_keeps_local_accounts(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.library("marl").patrons == PatronsConfig()
    assert not config.library("marl").patrons.external
    assert (config.sessions.idle_hours, config.sessions.max_hours) == (8.0, 12.0)
    assert config.loans.anonymise_after_days == 90


def test_an_ldap_library_is_read_with_its_password_file_beside_the_config(tmp_path: Path) -> None:
    text = PATRONS + 'type = "ldap"\nurl = "ldap://127.0.0.1:3890"\nsearch_base = "dc=marl"\n'
    text += 'service_dn = "cn=libnet,dc=marl"\nservice_password_file = "secrets/marl"\n'
    patrons = load_config(write(tmp_path, text)).library("marl").patrons
    assert patrons.type == "ldap" and patrons.search_filter == "(uid={card})"
    assert patrons.service_password_file == tmp_path / "secrets" / "marl"


TWO = """
[[libraries]]
code = "marl"
name = "Stadtbibliothek Marl"
card_prefixes = ["2104"]
[libraries.source]
type = "marc"
url = "marl/*"

[[libraries]]
code = "herten"
name = "Stadtbibliothek Herten"
card_prefixes = ["HERTEN_PREFIX"]
[libraries.source]
type = "marc"
url = "herten/*"
"""


def test_a_card_finds_its_library_by_the_longest_prefix_it_starts_with(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, TWO.replace("HERTEN_PREFIX", "21045")))
    assert config.library_of_card("2104000001") == "marl"
    assert config.library_of_card("2104500001") == "herten"
    assert config.library_of_card("9999") == ""


@pytest.mark.parametrize(
    ("patrons", "message"),
    [
        ('type = "nis"', r"patrons\.type: 'nis' is not one of"),
        ('type = "ldap"\nurl = "http://x"', r"patrons\.url: must start with ldap://"),
        ('type = "ldap"\nurl = "ldap://x"\nbind_dn = "uid=x"', r"bind_dn: must hold \{card\}"),
        ('type = "ldap"\nurl = "ldap://x"', r"patrons: needs bind_dn, or search_base"),
        (
            'type = "ldap"\nurl = "ldap://x"\nsearch_base = "dc=x"\nservice_dn = "cn=a"',
            r"service_password_file: missing",
        ),
        ('type = "sip2"', r"patrons\.host: missing"),
        ('type = "sip2"\nhost = "x"\npatron_message = 11', r"patron_message: must be 63 or 23"),
        ('type = "sip2"\nhost = "x"\nencoding = "klingon"', r"encoding: no encoding 'klingon'"),
        ('type = "sip2"\nhost = "x"\nlogin_user = "libnet"', r"login_password_file: missing"),
        ('type = "local"\ncolour = 1', r"patrons\.colour: unknown key"),
    ],
)
def test_a_wrong_patrons_table_is_named_by_its_key(
    tmp_path: Path, patrons: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, PATRONS + patrons + "\n"))


def test_two_libraries_may_not_claim_one_card_prefix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"herten\]\.card_prefixes: '2104' is claimed by marl"):
        load_config(write(tmp_path, TWO.replace("HERTEN_PREFIX", "2104")))


def test_sessions_may_not_idle_longer_than_they_last(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"sessions\.idle_hours: must not be longer"):
        load_config(write(tmp_path, GOOD + "[sessions]\nidle_hours = 13\n"))


def test_a_library_without_availability_table_shows_the_harvested_status(tmp_path) -> None:
    availability = load_config(write(tmp_path, GOOD)).library("marl").availability
    assert availability == AvailabilityConfig("none", "", 2.0, 60.0) and not availability.live


def test_a_daia_service_is_read_with_its_timeout_and_cache(tmp_path: Path) -> None:
    text = GOOD + '[libraries.availability]\ntype = "daia"\nurl = "https://d.example/?id={id}"\n'
    availability = load_config(write(tmp_path, text + "timeout = 1\ncache_seconds = 0\n"))
    assert availability.library("marl").availability == AvailabilityConfig(
        "daia", "https://d.example/?id={id}", 1.0, 0.0
    )


def test_a_sip2_availability_takes_the_keys_it_leaves_out_from_the_sip2_patrons(tmp_path) -> None:
    patrons = '[libraries.patrons]\ntype = "sip2"\nhost = "sip.marl.example"\nport = 6002\n'
    patrons += 'login_user = "libnet"\nlogin_password_file = "secret"\nlocation_code = "MARL"\n'
    patrons += "timeout = 8\n"
    text = GOOD + patrons + '[libraries.availability]\ntype = "sip2"\nport = 6003\n'
    availability = load_config(write(tmp_path, text)).library("marl").availability
    assert (availability.host, availability.port, availability.location_code) == (
        "sip.marl.example", 6003, "MARL")  # fmt: skip
    assert availability.login_password_file == tmp_path / "secret"
    assert (availability.timeout, availability.max_connections) == (2.0, 4)  # its own defaults


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('type = "z3950"', r"availability\.type: 'z3950' is not one of \('none', 'daia', 'sip2'\)"),
        ('type = "sip2"', r"availability\.host: missing: the SIP2 server's host name"),
        (
            'type = "sip2"\nhost = "s"\nmax_connections = 0',
            r"availability\.max_connections: must be",
        ),
        (
            'type = "daia"\nurl = "https://d/{id}"\nhost = "s"',
            r'availability\.host: only type = "sip2"',
        ),
        ('type = "daia"', r"availability\.url: missing or not an http\(s\) URL"),
        ('type = "daia"\nurl = "https://d.example/"', r"availability\.url: must hold \{id\}"),
        ('type = "daia"\nurl = "https://d/{id}{x}"', r"availability\.url: may hold no braces"),
        ('url = "https://d.example/{id}"', r'availability\.url: only type = "daia" takes a url'),
        ("timeout = 0", r"availability\.timeout: must be greater than 0"),
        ("cache_seconds = -1", r"availability\.cache_seconds: must not be negative"),
        ('timeout = "2"', r"availability\.timeout: expected a number, got a string"),
        ("ttl = 5", r"availability\.ttl: unknown key"),
    ],
)
def test_a_wrong_availability_table_is_named_by_its_key(tmp_path, table, message) -> None:
    with pytest.raises(ConfigError, match=r"libraries\[marl\]\." + message):
        load_config(write(tmp_path, GOOD + "[libraries.availability]\n" + table + "\n"))
