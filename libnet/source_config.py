"""[libraries.source]: where one library's records come from and how to fetch them.

    [libraries.source]
    type = "sru"                       # "marc" (files), "sru" or "oai" (OAI-PMH)
    url = "https://opac.example/sru/biblios"
    username = "libnet"                # HTTP Basic auth, when the server wants a login,
    password_file = "secrets/marl-sru" # with the password in a file (or the environment)

Every key is optional but `type` and `url`; config.toml's comments describe each one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")

SOURCE_TYPES = ("marc", "sru", "oai")
SRU_VERSIONS = ("1.1", "1.2", "2.0")


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """Where one library's records come from and how to fetch them."""

    type: str
    url: str
    username: str = ""  # HTTP Basic auth's user; its password comes from password_file or
    # LIBNET_SOURCE_PASSWORD_<CODE> (libnet/source_credentials.py), read when the harvest runs
    password_file: Path | None = None  # relative to config.toml
    timeout: float = 60.0  # seconds to wait for one answer
    retries: int = 3  # further tries after a failed request (connection, timeout, 5xx)
    backoff: float = 2.0  # seconds before the first retry, doubled each time
    page_size: int = 100  # SRU maximumRecords
    max_pages: int = 100_000  # a paging answer longer than this is an endless loop
    query: str = "cql.allRecords=1"  # SRU: the CQL query of a full harvest
    incremental_query: str = ""  # SRU: CQL for records changed since {since}; "" = always full
    since_format: str = "%Y%m%d"  # SRU: how {since} is written into incremental_query
    record_schema: str = "marcxml"  # SRU recordSchema
    version: str = "1.2"  # SRU version
    metadata_prefix: str = "marc21"  # OAI-PMH metadataPrefix
    set: str = ""  # OAI-PMH set spec, "" for the whole repository
    deadline: float = 3600.0  # seconds one harvest of this library may take in all
    max_response_mb: float = 200.0  # the largest answer read (SRU page, OAI-PMH page, file)
    allow_redirects_to: tuple[str, ...] = ()  # hosts a redirect may go to besides the url's own


def read_source(reader: Any, raw: dict[str, Any], key: str) -> SourceConfig:
    spec = {f.name: f for f in fields(SourceConfig)}
    reader.unknown(raw, set(spec), key)
    values: dict[str, Any] = {}
    for name, f in spec.items():
        if name == "allow_redirects_to":
            continue
        required = name in ("type", "url")
        wanted = {"float": float, "int": int}.get(str(f.type), str)
        if name in raw or required:
            values[name] = reader.value(raw, name, wanted, key)
    if "password_file" in values:
        path = Path(values["password_file"])
        values["password_file"] = path if path.is_absolute() else reader.path.parent / path
        if not values.get("username"):
            raise reader.fail(f"{key}.password_file", "needs username")
    if values["type"] not in SOURCE_TYPES:
        raise reader.fail(f"{key}.type", f"{values['type']!r} is not one of {SOURCE_TYPES}")
    if values.get("version", "1.2") not in SRU_VERSIONS:
        raise reader.fail(f"{key}.version", f"SRU version must be one of {SRU_VERSIONS}")
    if "allow_redirects_to" in raw:
        values["allow_redirects_to"] = _hosts(reader, raw["allow_redirects_to"], key)
    for name in ("timeout", "page_size", "max_pages", "deadline", "max_response_mb"):
        if name in values and values[name] <= 0:
            raise reader.fail(f"{key}.{name}", "must be greater than 0")
    for name in ("retries", "backoff"):
        if name in values and values[name] < 0:
            raise reader.fail(f"{key}.{name}", "must not be negative")
    return SourceConfig(**values)


def _hosts(reader: Any, value: Any, key: str) -> tuple[str, ...]:
    """allow_redirects_to: bare host names ("opac.example.org"), compared without case."""
    where = f"{key}.allow_redirects_to"
    if not isinstance(value, list) or not all(isinstance(host, str) for host in value):
        raise reader.fail(where, "expected a list of host names")
    for host in value:
        if not _HOST.fullmatch(host):
            raise reader.fail(
                where, f"{host!r} is not a host name (no scheme, port, path or user, only the host)"
            )
    return tuple(host.lower() for host in value)
