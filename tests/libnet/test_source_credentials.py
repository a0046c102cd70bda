"""A source's login: username in config.toml, the password in a file or the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from libnet.config import SourceConfig, load_config
from libnet.errors import ConfigError
from libnet.source_credentials import (
    Credentials,
    password_variable,
    source_credentials,
    source_secrets,
)


def config_with(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[[libraries]]\ncode = "castrop-rauxel"\nname = "Castrop-Rauxel"\n'
        f'[libraries.source]\ntype = "sru"\nurl = "https://opac.example/sru"\n{source}'
    )
    return path


def source_of(tmp_path: Path, source: str):
    return load_config(config_with(tmp_path, source), environ={}).library("castrop-rauxel").source


def test_the_password_file_lies_beside_config_toml_and_is_read_without_its_line_end(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "cas").write_text("geheim 1\n")
    source = source_of(tmp_path, 'username = "libnet"\npassword_file = "secrets/cas"\n')
    assert source.password_file == tmp_path / "secrets" / "cas"
    login = source_credentials("castrop-rauxel", source, {})
    assert login == Credentials("libnet", "geheim 1")
    assert "geheim" not in repr(login)


def test_the_environment_variable_wins_over_the_file(tmp_path: Path) -> None:
    source = source_of(tmp_path, 'username = "libnet"\npassword_file = "nowhere"\n')
    environ = {"LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL": "aus-der-Umgebung"}
    assert password_variable("castrop-rauxel") == "LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL"
    assert source_credentials("castrop-rauxel", source, environ) == Credentials(
        "libnet", "aus-der-Umgebung"
    )


def test_a_source_without_username_has_no_login(tmp_path: Path) -> None:
    assert source_credentials("castrop-rauxel", source_of(tmp_path, ""), {}) is None


@pytest.mark.parametrize(
    ("keys", "environ", "message"),
    [
        ('username = "libnet"\n', {},
         "[libraries.source] username needs password_file or the variable "
         "LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL"),
        ('username = "libnet"\npassword_file = "missing"\n', {},
         "cannot read password_file {tmp}/missing: No such file or directory"),
        ('username = "libnet"\npassword_file = "empty"\n', {},
         "password_file {tmp}/empty is empty"),
        ("", {"LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL": "x"},
         "LIBNET_SOURCE_PASSWORD_CASTROP_RAUXEL is set, but [libraries.source] username is not"),
    ],
)  # fmt: skip
def test_a_login_without_its_password_is_a_clear_error(
    tmp_path: Path, keys: str, environ: dict[str, str], message: str
) -> None:
    (tmp_path / "empty").write_text("\n")
    source = source_of(tmp_path, keys)
    with pytest.raises(ConfigError) as raised:
        source_credentials("castrop-rauxel", source, environ)
    assert str(raised.value) == message.format(tmp=tmp_path)


def test_a_password_file_without_username_is_refused_when_the_config_is_read(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match=r"libraries\[castrop-rauxel\]\.source\.password_file: "
                       "needs username"):  # fmt: skip
        source_of(tmp_path, 'password_file = "secrets/cas"\n')


def test_the_secrets_of_a_source_are_its_url_s_and_its_password() -> None:
    source = SourceConfig("sru", "https://u:pw1@opac.example/sru?apikey=k2&db=x", username="u")
    assert source_secrets(source, Credentials("u", "pw3")) == ("pw1", "k2", "pw3")
    assert source_secrets(source, None) == ("pw1", "k2")
