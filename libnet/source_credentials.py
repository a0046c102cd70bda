"""A library's login at its own server: HTTP Basic auth for SRU, OAI-PMH and files over HTTP.

The user name stands in config.toml (`[libraries.source] username`); the password does not.
It comes from the environment variable LIBNET_SOURCE_PASSWORD_<CODE> (the library's code in
capitals, "-" as "_": LIBNET_SOURCE_PASSWORD_MARL) or, when that is not set, from the file
`password_file` names. Both are read when the harvest runs, so a changed password needs no
restart and config.toml can be shown to anyone. A password in the URL
(`https://user:password@host/`) works too, but is no longer needed; libnet.redact hides it
wherever libnet prints the URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from libnet.errors import ConfigError
from libnet.redact import url_secrets
from libnet.source_config import SourceConfig

VARIABLE_PREFIX = "LIBNET_SOURCE_PASSWORD_"


@dataclass(frozen=True, slots=True)
class Credentials:
    """User name and password for HTTP Basic auth."""

    username: str
    password: str = field(repr=False)

    def as_tuple(self) -> tuple[str, str]:
        """As requests and httpx take it (`auth=`)."""
        return (self.username, self.password)


def password_variable(code: str) -> str:
    """The environment variable that holds a library's source password."""
    return VARIABLE_PREFIX + code.upper().replace("-", "_")


def source_credentials(
    code: str, source: SourceConfig, environ: Mapping[str, str]
) -> Credentials | None:
    """The library's login, None when it has none; ConfigError when its password is missing."""
    variable = password_variable(code)
    from_environment = environ.get(variable, "")
    if not source.username:
        if from_environment:
            raise ConfigError(f"{variable} is set, but [libraries.source] username is not")
        return None
    if from_environment:
        return Credentials(source.username, from_environment)
    if source.password_file is None:
        raise ConfigError(
            f"[libraries.source] username needs password_file or the variable {variable}"
        )
    try:
        text = source.password_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"cannot read password_file {source.password_file}: {why}") from None
    password = text.rstrip("\r\n")
    if not password:
        raise ConfigError(f"password_file {source.password_file} is empty")
    return Credentials(source.username, password)


def source_secrets(source: SourceConfig, credentials: Credentials | None) -> tuple[str, ...]:
    """Every secret of a source, for libnet.redact.redact_text to find in any message."""
    secrets = url_secrets(source.url)
    return (*secrets, credentials.password) if credentials else secrets
