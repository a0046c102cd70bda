"""[libraries.patrons]: where a library's patrons' cards and PINs are checked.

    [libraries.patrons]
    type = "ldap"                      # "local" (default), "ldap" or "sip2"
    url = "ldaps://ldap.marl.example"
    bind_dn = "uid={card},ou=people,dc=marl,dc=example"

`local`: libnet's own accounts with a password kept (as a hash) in the store. `ldap`: the
library's directory, by a bind as the card's entry (`bind_dn` with `{card}`), or by a search
with a service account (`search_base` + `search_filter` with `{card}`, `service_dn`,
`service_password_file`) and then a bind as the entry found. `sip2`: the library's
management system over SIP2 (`host`, `port`, ...). Secrets stay out of config.toml: the
`*_password_file` keys name a file (relative to config.toml) that holds the password; it is
read when a login needs it, so it can be replaced without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

PATRON_TYPES = ("local", "ldap", "sip2")
SIP2_PATRON_MESSAGES = (63, 23)  # Patron Information, Patron Status


@dataclass(frozen=True, slots=True)
class PatronsConfig:
    type: str = "local"
    registration: bool = False  # patrons may register online (a provisional account)
    timeout: float = 5.0  # seconds for one answer of the library's system
    # ldap
    url: str = ""  # ldap://host:port or ldaps://host:port
    bind_dn: str = ""  # a DN template with {card}, or "" to search
    search_base: str = ""
    search_filter: str = "(uid={card})"
    service_dn: str = ""  # the account the search binds as; "": anonymous
    service_password_file: Path | None = None
    start_tls: bool = False
    name_attribute: str = "cn"
    email_attribute: str = "mail"
    language_attribute: str = ""  # e.g. preferredLanguage; "": the network's default
    blocked_filter: str = ""  # an LDAP filter that matches the card's entry when it is blocked
    # sip2
    host: str = ""
    port: int = 6001
    tls: bool = False
    login_user: str = ""  # "": the server wants no Login (93)
    login_password_file: Path | None = None
    location_code: str = ""  # the institution id (AO) and location (CP) of the messages
    encoding: str = "utf-8"
    patron_message: int = 63  # 63 Patron Information, or 23 Patron Status

    @property
    def external(self) -> bool:
        """Whether the library's own system checks the PIN (libnet keeps none)."""
        return self.type != "local"


def read_patrons(reader: Any, raw: dict[str, Any], key: str, base_dir: Path) -> PatronsConfig:
    """Check one [libraries.patrons] table with config.py's reader (which names the key)."""
    spec = {f.name: f for f in fields(PatronsConfig)}
    reader.unknown(raw, set(spec), key)
    kinds = {"bool": bool, "float": float, "int": int}
    values: dict[str, Any] = {}
    for name, f in spec.items():
        if name in raw:
            values[name] = reader.value(raw, name, kinds.get(str(f.type), str), key)
    for name in ("service_password_file", "login_password_file"):
        if name in values:
            path = Path(values[name])
            values[name] = path if path.is_absolute() else base_dir / path
    patrons = PatronsConfig(**values)
    if patrons.type not in PATRON_TYPES:
        raise reader.fail(f"{key}.type", f"{patrons.type!r} is not one of {PATRON_TYPES}")
    if patrons.timeout <= 0:
        raise reader.fail(f"{key}.timeout", "must be greater than 0")
    if patrons.type == "ldap":
        _check_ldap(reader, patrons, key)
    if patrons.type == "sip2":
        if not patrons.host:
            raise reader.fail(f"{key}.host", "missing: the SIP2 server's host name")
        if not 0 < patrons.port < 65536:
            raise reader.fail(f"{key}.port", "must lie between 1 and 65535")
        if patrons.login_user and patrons.login_password_file is None:
            raise reader.fail(f"{key}.login_password_file", "missing: login_user needs it")
        if patrons.patron_message not in SIP2_PATRON_MESSAGES:
            raise reader.fail(f"{key}.patron_message", "must be 63 or 23")
        try:
            "".encode(patrons.encoding)
        except LookupError:
            raise reader.fail(f"{key}.encoding", f"no encoding {patrons.encoding!r}") from None
    return patrons


def _check_ldap(reader: Any, patrons: PatronsConfig, key: str) -> None:
    if not patrons.url.startswith(("ldap://", "ldaps://")):
        raise reader.fail(f"{key}.url", "must start with ldap:// or ldaps://")
    if patrons.bind_dn:
        if "{card}" not in patrons.bind_dn:
            raise reader.fail(f"{key}.bind_dn", "must hold {card}, where the card number goes")
    elif not patrons.search_base:
        raise reader.fail(f"{key}", "needs bind_dn, or search_base with search_filter")
    elif "{card}" not in patrons.search_filter:
        raise reader.fail(f"{key}.search_filter", "must hold {card}")
    if patrons.service_dn and patrons.service_password_file is None:
        raise reader.fail(f"{key}.service_password_file", "missing: service_dn needs it")
