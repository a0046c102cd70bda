"""[libraries.availability]: where a library's system says whether its copies are in now.

    [libraries.availability]
    type = "daia"                                   # "daia", "sip2" or "none" (the default)
    url = "https://daia.example/?id={id}&format=json"
    timeout = 2                                     # seconds the record page waits at most
    cache_seconds = 60                              # an answer is reused this long

`daia`: the library's DAIA 1.0 service (as VuFind and the GBV ask it), `{id}` in `url` standing
for the library's own record id (the field `id_field` names, 001 by default).

`sip2`: the library's management system over SIP2, asked per copy by barcode with Item
Information (17): `host`, `port`, `tls`, `login_user`, `login_password_file` (a file beside
config.toml that holds the password), `location_code` (the institution id, AO), `encoding`,
`max_connections` (connections kept open to the system, default 4); `timeout` is the seconds
for one answer (default 2). A key left out is taken from the library's `[libraries.patrons]`
when that is `type = "sip2"`, so a library whose logins already go over SIP2 needs only
`type = "sip2"` here. `timeout` and `max_connections` are not taken over: a login may wait
longer than a record page.

`none`: the page shows the harvested status and how old it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

AVAILABILITY_TYPES = ("none", "daia", "sip2")
# the keys a sip2 availability takes from [libraries.patrons] type "sip2" when left out
FROM_PATRONS = ("host", "port", "tls", "login_user", "login_password_file", "location_code",
                "encoding")  # fmt: skip
_SIP2_ONLY = (*FROM_PATRONS, "max_connections")


@dataclass(frozen=True, slots=True)
class AvailabilityConfig:
    type: str = "none"
    url: str = ""  # daia: a URL template with {id}
    timeout: float = 2.0  # seconds for the answer; the record page waits no longer in all
    cache_seconds: float = 60.0  # an answer (or a failure) is kept this long; 0: never kept
    # sip2
    host: str = ""
    port: int = 6001
    tls: bool = False
    login_user: str = ""  # "": the system wants no Login (93)
    login_password_file: Path | None = None
    location_code: str = ""  # the institution id (AO) of Item Information, the location (CP)
    encoding: str = "utf-8"
    max_connections: int = 4  # open connections to the system at most, shared by all pages

    @property
    def live(self) -> bool:
        return self.type != "none"


def read_availability(
    reader: Any, raw: dict[str, Any], key: str, patrons: Any = None, base_dir: Path | None = None
) -> AvailabilityConfig:
    """Check one [libraries.availability] table with config.py's reader (which names the key);
    `patrons`: the library's PatronsConfig, whose SIP2 keys fill those left out here."""
    spec = {f.name: f for f in fields(AvailabilityConfig)}
    reader.unknown(raw, set(spec), key)
    kinds = {"float": float, "int": int, "bool": bool}
    values = {
        name: reader.value(raw, name, kinds.get(str(f.type), str), key)
        for name, f in spec.items()
        if name in raw
    }
    if "login_password_file" in values:
        path = Path(values["login_password_file"])
        values["login_password_file"] = (
            path if path.is_absolute() or base_dir is None else (base_dir / path)
        )
    if values.get("type") == "sip2" and patrons is not None and patrons.type == "sip2":
        for name in FROM_PATRONS:
            values.setdefault(name, getattr(patrons, name))
    found = AvailabilityConfig(**values)
    if found.type not in AVAILABILITY_TYPES:
        raise reader.fail(f"{key}.type", f"{found.type!r} is not one of {AVAILABILITY_TYPES}")
    if found.timeout <= 0:
        raise reader.fail(f"{key}.timeout", "must be greater than 0")
    if found.cache_seconds < 0:
        raise reader.fail(f"{key}.cache_seconds", "must not be negative")
    if found.type == "daia":
        _check_daia(reader, found, key)
    elif found.url:
        raise reader.fail(f"{key}.url", 'only type = "daia" takes a url')
    if found.type == "sip2":
        _check_sip2(reader, found, key)
    else:
        extra = sorted(name for name in _SIP2_ONLY if name in raw)
        if extra:
            raise reader.fail(f"{key}.{extra[0]}", 'only type = "sip2" takes it')
    return found


def _check_daia(reader: Any, found: AvailabilityConfig, key: str) -> None:
    if not found.url.startswith(("http://", "https://")):
        raise reader.fail(f"{key}.url", "missing or not an http(s) URL")
    if "{id}" not in found.url:
        raise reader.fail(f"{key}.url", "must hold {id}, where the record id goes")
    try:
        found.url.format(id="")
    except (KeyError, IndexError, ValueError):
        raise reader.fail(f"{key}.url", "may hold no braces but {id}") from None


def _check_sip2(reader: Any, found: AvailabilityConfig, key: str) -> None:
    if not found.host:
        raise reader.fail(f"{key}.host", "missing: the SIP2 server's host name (or set it in "
                          "[libraries.patrons] with type = \"sip2\")")  # fmt: skip
    if not 0 < found.port < 65536:
        raise reader.fail(f"{key}.port", "must lie between 1 and 65535")
    if found.login_user and found.login_password_file is None:
        raise reader.fail(f"{key}.login_password_file", "missing: login_user needs it")
    if found.max_connections < 1:
        raise reader.fail(f"{key}.max_connections", "must be at least 1")
    try:
        "".encode(found.encoding)
    except LookupError:
        raise reader.fail(f"{key}.encoding", f"no encoding {found.encoding!r}") from None
