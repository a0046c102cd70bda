"""config.toml, read once at the edge into a frozen Config and passed down.

Every key is checked: an unknown key, a missing one or a value of the wrong type is a
ConfigError whose message names the file and the key, one line, for the operator.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from libnet.availability.config import AvailabilityConfig, read_availability
from libnet.email_address import AddressProblem, normalised_email
from libnet.errors import ConfigError
from libnet.opac_link import template_problem
from libnet.patron_config import PatronsConfig, read_patrons
from libnet.records.holdings import KOHA, HoldingsProfile, profile_from_config
from libnet.source_config import SourceConfig, read_source
from libnet.web_config import RateLimitsConfig, WebConfig, read_rate_limits, read_web

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ID_FIELD = re.compile(r"^(00[1-9]|0[1-9]\d|[1-9]\d\d)(\$[a-z0-9])?$")
# the SMTP password may come from the environment instead of the file, and wins over it
PASSWORD_VARIABLE = "LIBNET_SMTP_PASSWORD"


@dataclass(frozen=True, slots=True)
class LibraryConfig:
    """One library of the network and its source."""

    code: str
    name: str
    source: SourceConfig
    isil: str = ""
    id_field: str = "001"  # the field holding the library's record id: "001" or e.g. "035$a"
    holdings: HoldingsProfile = KOHA
    max_delete_share: float = 0.3  # a full harvest deleting more than this share is refused
    email: str = ""  # where the loan network's notices to the library go; "": none are sent
    # where its patrons' cards and PINs are checked
    patrons: PatronsConfig = field(default_factory=PatronsConfig)
    card_prefixes: tuple[str, ...] = ()  # a card number starting so is this library's
    signup_text: str = ""  # on the login page: how to get an account at this library
    pin_help: str = ""  # for "PIN vergessen?" where the library's system keeps the PIN
    # where the record page asks whether its copies are in now (DAIA), or "none"
    availability: AvailabilityConfig = field(default_factory=AvailabilityConfig)
    opac_url: str = ""  # a record in the library's own catalogue, {id}: its id (opac_link.py)


@dataclass(frozen=True, slots=True)
class StorageConfig:
    data_dir: Path
    database_url: str = ""

    @property
    def url(self) -> str:
        """The SQLAlchemy URL: the configured one, or the SQLite file in data_dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'libnet.sqlite3'}"


@dataclass(frozen=True, slots=True)
class HarvestConfig:
    workers: int = 0  # processes that decode and normalise records; 0: one per CPU core

    @property
    def processes(self) -> int:
        return self.workers or os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class MailConfig:
    """The SMTP server the loan network's e-mail notices leave through ([mail])."""

    host: str = ""  # "": mail is off, notices wait in the store until a host is set
    port: int = 25
    starttls: bool = False  # upgrade the connection with STARTTLS before logging in
    username: str = ""  # "": no login
    password: str = field(default="", repr=False)  # or LIBNET_SMTP_PASSWORD, which wins
    sender: str = "libnet@localhost"  # the From address
    timeout: float = 30.0  # seconds to wait for the server at each step
    site_url: str = "http://127.0.0.1:8080"  # the web catalogue, for links in the notices
    operators: str = ""  # addresses of the network's operators, comma-separated

    @property
    def enabled(self) -> bool:
        return bool(self.host)


MAIL_REPORT = ("always", "on-failure", "never")


@dataclass(frozen=True, slots=True)
class NightlyConfig:
    """`libnet nightly` and the health check that watches it ([nightly])."""

    mail_report: str = "on-failure"  # when the report goes to [mail] operators: MAIL_REPORT
    max_age_hours: float = 26.0  # /healthz fails when the last nightly finished longer ago
    # false on a web node that serves a copy of the harvest node's index: nothing harvests or
    # writes the index here (the commands refuse, the operations page has no harvest button)
    harvest_here: bool = True


@dataclass(frozen=True, slots=True)
class SessionsConfig:
    """How long a login lasts ([sessions])."""

    idle_hours: float = 8.0  # ended after this long without a request
    max_hours: float = 12.0  # ended this long after the login, however busy


@dataclass(frozen=True, slots=True)
class LoansConfig:
    """The loan network's data rules ([loans])."""

    # completed and cancelled requests lose their patron this many days after they ended
    anonymise_after_days: int = 90


@dataclass(frozen=True, slots=True)
class Config:
    path: Path
    storage: StorageConfig
    libraries: tuple[LibraryConfig, ...] = field(default_factory=tuple)
    harvest: HarvestConfig = field(default_factory=HarvestConfig)
    mail: MailConfig = field(default_factory=MailConfig)
    nightly: NightlyConfig = field(default_factory=NightlyConfig)
    sessions: SessionsConfig = field(default_factory=SessionsConfig)
    loans: LoansConfig = field(default_factory=LoansConfig)
    web: WebConfig = field(default_factory=WebConfig)
    rate_limits: RateLimitsConfig = field(default_factory=RateLimitsConfig)

    @property
    def base_dir(self) -> Path:
        """Relative paths in the file are relative to the file's folder."""
        return self.path.parent

    def library(self, code: str) -> LibraryConfig:
        for library in self.libraries:
            if library.code == code:
                return library
        known = ", ".join(lib.code for lib in self.libraries)
        raise ConfigError(f"{self.path}: no library with code {code!r} (known: {known})")

    def library_of_card(self, card: str) -> str:
        """The library whose card_prefixes claim this card number (the longest wins), or ""."""
        found, longest = "", 0
        for library in self.libraries:
            for prefix in library.card_prefixes:
                if card.startswith(prefix) and len(prefix) > longest:
                    found, longest = library.code, len(prefix)
        return found


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and check config.toml; raise ConfigError with a one-line message.

    `environ` (default: the process's environment) may hold LIBNET_SMTP_PASSWORD.
    """
    path = Path(path).absolute()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:  # TOML is UTF-8; tomllib leaves this one to us
        where = f"byte {exc.start + 1} is {exc.object[exc.start]:#04x}"
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 ({where})") from None
    environ = os.environ if environ is None else environ
    return _Reader(path).config(data, environ.get(PASSWORD_VARIABLE, ""))


class _Reader:
    """Turns the parsed TOML into dataclasses, naming the key of every problem."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {message}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table, got {_kind(value)}")
        return value

    def config(self, data: dict[str, Any], password: str = "") -> Config:
        sections = {"storage", "harvest", "libraries", "mail", "nightly", "sessions", "loans"}
        sections |= {"web", "rate_limits"}
        self.unknown(data, sections, "")
        harvest = self.table(data.get("harvest", {}), "harvest")
        self.unknown(harvest, {"workers"}, "harvest")
        workers = self.value(harvest, "workers", int, "harvest", default=0)
        if workers < 0:
            raise self.fail("harvest.workers", "must not be negative")
        storage = self.table(data.get("storage", {}), "storage")
        self.unknown(storage, {"data_dir", "database_url"}, "storage")
        data_dir = Path(self.value(storage, "data_dir", str, "storage", default="var"))
        if not data_dir.is_absolute():
            data_dir = self.path.parent / data_dir
        url = self.value(storage, "database_url", str, "storage", default="")
        libraries_raw = data.get("libraries")
        if libraries_raw is None:
            raise self.fail("libraries", "missing: name at least one [[libraries]]")
        if not isinstance(libraries_raw, list):
            raise self.fail("libraries", "expected [[libraries]] tables")
        libraries = tuple(
            self.library(self.table(raw, f"libraries[{i}]"), f"libraries[{i}]")
            for i, raw in enumerate(libraries_raw)
        )
        codes = [lib.code for lib in libraries]
        for code in codes:
            if codes.count(code) > 1:
                raise self.fail("libraries", f"library code {code!r} appears twice")
        claimed: dict[str, str] = {}
        for lib in libraries:
            for prefix in lib.card_prefixes:
                if prefix in claimed:
                    raise self.fail(f"libraries[{lib.code}].card_prefixes",
                                    f"{prefix!r} is claimed by {claimed[prefix]} too")  # fmt: skip
                claimed[prefix] = lib.code
        mail = self.mail(self.table(data.get("mail", {}), "mail"), password)
        nightly = self.nightly(self.table(data.get("nightly", {}), "nightly"))
        sessions = self.numbers(data, "sessions", SessionsConfig)
        if sessions.idle_hours > sessions.max_hours:
            raise self.fail("sessions.idle_hours", "must not be longer than max_hours")
        loans = self.numbers(data, "loans", LoansConfig)
        storage_config = StorageConfig(data_dir, url)
        web = read_web(self, self.table(data.get("web", {}), "web"))
        rate_limits = read_rate_limits(self, self.table(data.get("rate_limits", {}), "rate_limits"))
        return Config(
            self.path, storage_config, libraries, HarvestConfig(workers), mail, nightly,
            sessions, loans, web, rate_limits,
        )  # fmt: skip

    def numbers(self, data: dict[str, Any], section: str, kind: type) -> Any:
        """A section of positive numbers only, each with its default."""
        raw = self.table(data.get(section, {}), section)
        spec = {f.name: f for f in fields(kind)}
        self.unknown(raw, set(spec), section)
        values = {}
        for name, f in spec.items():
            wanted = {"float": float, "int": int}[str(f.type)]
            values[name] = self.value(raw, name, wanted, section, default=f.default)
            if values[name] <= 0:
                raise self.fail(f"{section}.{name}", "must be greater than 0")
        return kind(**values)

    def nightly(self, raw: dict[str, Any]) -> NightlyConfig:
        self.unknown(raw, {f.name for f in fields(NightlyConfig)}, "nightly")
        default = NightlyConfig()
        mail_report = self.value(raw, "mail_report", str, "nightly", default=default.mail_report)
        if mail_report not in MAIL_REPORT:
            raise self.fail("nightly.mail_report", f"{mail_report!r} is not one of {MAIL_REPORT}")
        hours = self.value(raw, "max_age_hours", float, "nightly", default=default.max_age_hours)
        if hours <= 0:
            raise self.fail("nightly.max_age_hours", "must be greater than 0")
        here = self.value(raw, "harvest_here", bool, "nightly", default=default.harvest_here)
        return NightlyConfig(mail_report, hours, here)

    def mail(self, raw: dict[str, Any], password: str) -> MailConfig:
        """[mail]; `password` from the environment, when set, stands in for the file's."""
        spec = {f.name: f for f in fields(MailConfig)}
        self.unknown(raw, set(spec), "mail")
        kinds = {"int": int, "float": float, "bool": bool}
        mail = MailConfig(**{
            name: self.value(raw, name, kinds.get(str(f.type), str), "mail")
            for name, f in spec.items()
            if name in raw
        })  # fmt: skip
        if not 0 < mail.port < 65536:
            raise self.fail("mail.port", "must lie between 1 and 65535")
        if mail.timeout <= 0:
            raise self.fail("mail.timeout", "must be greater than 0")
        sender = self.address(mail.sender, "mail.sender")
        operators = ", ".join(
            self.address(address, "mail.operators")
            for address in filter(None, re.split(r"\s*,\s*", mail.operators.strip()))
        )
        if not re.match(r"^https?://[^/\s]+", mail.site_url):
            raise self.fail("mail.site_url", f"{mail.site_url!r} is not an http(s) URL")
        return replace(
            mail,
            sender=sender,
            operators=operators,
            site_url=mail.site_url.rstrip("/"),
            password=password or mail.password,
        )

    def address(self, text: str, key: str, local: bool = True) -> str:
        """An e-mail address (libnet.email_address), or fail naming the key. `local`: the
        operator's own ([mail]), which may be local to the mail server, libnet@localhost."""
        address = normalised_email(text, local=local)
        if isinstance(address, AddressProblem):
            raise self.fail(key, f"{text!r} is not an e-mail address ({address.reason})")
        return address

    def library(self, raw: dict[str, Any], key: str) -> LibraryConfig:
        allowed = {f.name for f in fields(LibraryConfig)}
        self.unknown(raw, allowed, key)
        code = self.value(raw, "code", str, key)
        if not _CODE.match(code):
            raise self.fail(f"{key}.code", f"{code!r} is not a short code (a-z, 0-9, -)")
        key = f"libraries[{code}]"
        if "source" not in raw:
            raise self.fail(f"{key}.source", "missing")
        id_field = self.value(raw, "id_field", str, key, default="001")
        if not _ID_FIELD.match(id_field):
            raise self.fail(f"{key}.id_field", f"{id_field!r} is not a field like 001 or 035$a")
        share = self.value(raw, "max_delete_share", float, key, default=0.3)
        if not 0 <= share <= 1:
            raise self.fail(f"{key}.max_delete_share", "must lie between 0 and 1")
        email = self.value(raw, "email", str, key, default="")
        email = self.address(email, f"{key}.email", local=False) if email.strip() else ""
        prefixes = raw.get("card_prefixes", [])
        if not isinstance(prefixes, list) or not all(
            isinstance(p, str) and p.strip() for p in prefixes
        ):
            raise self.fail(f"{key}.card_prefixes", "expected a list of non-empty strings")
        patrons_raw = self.table(raw.get("patrons", {}), f"{key}.patrons")
        patrons = read_patrons(self, patrons_raw, f"{key}.patrons", self.path.parent)
        availability = self.table(raw.get("availability", {}), f"{key}.availability")
        opac_url = self.value(raw, "opac_url", str, key, default="").strip()
        if opac_url and (problem := template_problem(opac_url)):
            raise self.fail(f"{key}.opac_url", problem)
        return LibraryConfig(
            code=code,
            name=self.value(raw, "name", str, key),
            isil=self.value(raw, "isil", str, key, default=""),
            id_field=id_field,
            max_delete_share=share,
            email=email,
            holdings=self.holdings(raw.get("holdings", "koha"), f"{key}.holdings"),
            source=read_source(self, self.table(raw["source"], f"{key}.source"), f"{key}.source"),
            patrons=patrons,
            card_prefixes=tuple(p.strip() for p in prefixes),
            signup_text=self.value(raw, "signup_text", str, key, default=""),
            pin_help=self.value(raw, "pin_help", str, key, default=""),
            availability=read_availability(
                self, availability, f"{key}.availability", patrons, self.path.parent
            ),
            opac_url=opac_url,
        )

    def holdings(self, raw: Any, key: str) -> HoldingsProfile:
        """A built-in profile's name, or a table with profile and/or tag and subfield codes."""
        return profile_from_config(self, raw if isinstance(raw, str) else self.table(raw, key), key)

    def value(self, raw: dict[str, Any], name: str, kind: type, key: str, **kw: Any) -> Any:
        if name not in raw:
            if "default" in kw:
                return kw["default"]
            raise self.fail(f"{key}.{name}" if key else name, "missing")
        value = raw[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            where = f"{key}.{name}" if key else name
            raise self.fail(where, f"expected {_KIND_NAMES[kind]}, got {_kind(value)}")
        return value

    def unknown(self, raw: dict[str, Any], allowed: set[str], key: str) -> None:
        for name in raw:
            if name not in allowed:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, "unknown key")


_KIND_NAMES = {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}


def _kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "a whole number", float: "a number", str: "a string"}
    kinds |= {list: "a list", dict: "a table"}
    return kinds.get(type(value), type(value).__name__)
