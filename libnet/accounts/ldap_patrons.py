"""A library's directory (LDAP) as its patrons' card and PIN check.

Two ways to find a card's entry, as `[libraries.patrons]` says:

- `bind_dn`: the entry's DN is the template with the card in it; a bind as that DN with the
  PIN is the check, and the patron then reads their own entry.
- `search_base` + `search_filter`: a service account (or an anonymous bind) searches for the
  one entry of the card, then a second connection binds as the DN found with the PIN.

An empty PIN never reaches the server: an LDAP simple bind with a DN and an empty password
is an "unauthenticated bind" (RFC 4513, 5.1.2) that many servers answer with success.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from libnet.accounts.patron_systems import CheckResult, Patron, Refused, Unreachable
from libnet.patron_config import PatronsConfig

INVALID_CREDENTIALS = 49
NO_SUCH_OBJECT = 32
SIZE_LIMIT_EXCEEDED = 4
MAX_REASON = 200  # characters of a server's error text kept in a reason

_LANGUAGES = {
    "de": "de", "deu": "de", "ger": "de", "german": "de", "deutsch": "de",
    "en": "en", "eng": "en", "english": "en", "englisch": "en",
}  # fmt: skip


class _Stop(Exception):
    """Ends a check early with its answer (a Refused or Unreachable)."""

    def __init__(self, answer: Refused | Unreachable) -> None:
        super().__init__(answer.reason)
        self.answer = answer


@dataclass(frozen=True, slots=True)
class _Entry:
    dn: str
    name: str
    email: str
    language: str


class LdapPatrons:
    """Checks cards and PINs against one library's directory; `check` never raises."""

    def __init__(self, patrons: PatronsConfig, *, ca_file: Path | None = None) -> None:
        """`ca_file`: the certificates to trust for TLS; None trusts the system's CA store."""
        self.config = patrons
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED,
            ca_certs_file=str(ca_file) if ca_file else None,
        )
        self.server = ldap3.Server(
            patrons.url,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=patrons.timeout,
        )

    def check(self, card: str, pin: str) -> CheckResult:
        """The directory's answer for this card and PIN."""
        if not card or not pin:
            return Refused("empty card or PIN")  # never bound: see the module's docstring
        secrets = [pin]
        try:
            if self.config.bind_dn:
                return self._check_by_bind(card, pin)
            return self._check_by_search(card, pin, secrets)
        except _Stop as stop:
            if isinstance(stop.answer, Unreachable):
                return Unreachable(_scrub(stop.answer.reason, secrets))
            return stop.answer
        except ldap_errors.LDAPException as exc:
            return Unreachable(_scrub(_describe(exc, self.config.timeout), secrets))
        except OSError as exc:  # a socket error ldap3 did not wrap
            return Unreachable(_scrub(f"network error: {exc}", secrets))

    def _check_by_bind(self, card: str, pin: str) -> CheckResult:
        dn = self.config.bind_dn.replace("{card}", escape_rdn(card))
        with self._connection(dn, pin) as patron:
            if not patron.bind():
                raise _Stop(_bind_refused(patron))
            entry = self._read(patron, dn)
            self._refuse_blocked(patron, dn)
        return _patron(card, entry)

    def _check_by_search(self, card: str, pin: str, secrets: list[str]) -> CheckResult:
        password = self._service_password()
        if password:
            secrets.append(password)
        with self._connection(self.config.service_dn or None, password) as service:
            if not service.bind():
                description = service.result.get("description", "")
                raise _Stop(Unreachable(f"the service account was refused ({description})"))
            entry = self._find(service, card)
            with self._connection(entry.dn, pin) as patron:
                if not patron.bind():
                    raise _Stop(_bind_refused(patron))
            self._refuse_blocked(service, entry.dn)
        return _patron(card, entry)

    def _service_password(self) -> str | None:
        """The service account's password, read now so it can change without a restart."""
        if not self.config.service_dn:
            return None  # an anonymous search
        path = self.config.service_password_file
        if path is None:
            raise _Stop(Unreachable("service_dn is set but service_password_file is not"))
        try:
            password = path.read_text(encoding="utf-8").rstrip("\r\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise _Stop(Unreachable(f"cannot read {path.name}: {reason}")) from None
        if not password:
            # an empty password would make the service bind an unauthenticated one
            raise _Stop(Unreachable(f"{path.name} holds no password"))
        return password

    @contextmanager
    def _connection(self, user: str | None, password: str | None) -> Iterator[ldap3.Connection]:
        connection = ldap3.Connection(
            self.server,
            user=user,
            # bytes go out as they are; a str would pass through SASLprep, which maps or
            # refuses some characters the directory may hold in a PIN
            password=password.encode("utf-8") if password else None,
            authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
            # ldap3 packs it into SO_RCVTIMEO as whole seconds
            receive_timeout=math.ceil(self.config.timeout),
            read_only=True,
            raise_exceptions=False,
        )
        try:
            connection.open()
            if self.config.start_tls and not self.server.ssl:
                connection.start_tls()
            yield connection
        finally:
            # a connection that broke or timed out may fail to say goodbye; its answer stands
            with suppress(ldap_errors.LDAPException, OSError):
                connection.unbind()

    def _attributes(self) -> list[str]:
        names = [self.config.name_attribute, self.config.email_attribute]
        if self.config.language_attribute:
            names.append(self.config.language_attribute)
        return names

    def _read(self, connection: ldap3.Connection, dn: str) -> _Entry:
        """The patron's own entry; none (a DN that binds without an entry) is an unknown card."""
        connection.search(dn, "(objectClass=*)", ldap3.BASE, attributes=self._attributes())
        entries = _entries(connection)
        if not entries:
            code = connection.result.get("result")
            if code not in (0, NO_SUCH_OBJECT):
                raise _Stop(Unreachable(_result_reason("reading the entry", connection)))
            raise _Stop(Refused("unknown card"))
        return self._entry(entries[0])

    def _find(self, connection: ldap3.Connection, card: str) -> _Entry:
        query = self.config.search_filter.replace("{card}", escape_filter_chars(card))
        connection.search(
            self.config.search_base,
            query,
            ldap3.SUBTREE,
            attributes=self._attributes(),
            size_limit=2,
        )
        code = connection.result.get("result")
        entries = _entries(connection)
        if code == NO_SUCH_OBJECT:
            # slapd says the same when the base exists but the searching account may not see it
            base = self.config.search_base
            raise _Stop(Unreachable(f"search_base {base!r} does not exist or is not readable"))
        if code not in (0, SIZE_LIMIT_EXCEEDED):
            raise _Stop(Unreachable(_result_reason("the search", connection)))
        if not entries:
            raise _Stop(Refused("unknown card"))
        if len(entries) > 1 or code == SIZE_LIMIT_EXCEEDED:
            raise _Stop(Refused("more than one entry for the card"))
        return self._entry(entries[0])

    def _refuse_blocked(self, connection: ldap3.Connection, dn: str) -> None:
        if not self.config.blocked_filter:
            return
        connection.search(dn, self.config.blocked_filter, ldap3.BASE, attributes=["1.1"])
        code = connection.result.get("result")
        if code not in (0, NO_SUCH_OBJECT):
            raise _Stop(Unreachable(_result_reason("the blocked_filter search", connection)))
        if _entries(connection):
            raise _Stop(Refused("blocked"))

    def _entry(self, found: dict) -> _Entry:
        attributes = found.get("attributes", {})
        language = ""
        if self.config.language_attribute:
            language = language_code(_first(attributes.get(self.config.language_attribute)))
        return _Entry(
            dn=found["dn"],
            name=_first(attributes.get(self.config.name_attribute)),
            email=_first(attributes.get(self.config.email_attribute)),
            language=language,
        )


def language_code(value: str) -> str:
    """ "de", "en" or "" for a directory's language value ("de-DE", "German", "eng", ...)."""
    first = value.split(",")[0].split(";")[0].strip().lower()
    return _LANGUAGES.get(first.replace("_", "-").split("-")[0], "")


def _patron(card: str, entry: _Entry) -> Patron:
    return Patron(card=card, name=entry.name, email=entry.email, language=entry.language)


def _entries(connection: ldap3.Connection) -> list[dict]:
    return [r for r in connection.response or [] if r.get("type") == "searchResEntry"]


def _first(value: object) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _bind_refused(connection: ldap3.Connection) -> Refused | Unreachable:
    code = connection.result.get("result")
    if code == INVALID_CREDENTIALS:
        return Refused("wrong PIN")
    if code == NO_SUCH_OBJECT:
        return Refused("unknown card")
    return Unreachable(_result_reason("the bind", connection))


def _result_reason(what: str, connection: ldap3.Connection) -> str:
    result = connection.result or {}
    text = f"{what} failed: {result.get('description', '')} ({result.get('result')})"
    message = result.get("message") or ""
    return f"{text}: {message[:MAX_REASON]}" if message else text


def _describe(exc: ldap_errors.LDAPException, timeout: float) -> str:
    text = str(exc)[:MAX_REASON]
    if isinstance(exc, ldap_errors.LDAPResponseTimeoutError) or "timed out" in text:
        return f"no answer within {math.ceil(timeout)} s"
    if isinstance(exc, ldap_errors.LDAPSocketOpenError):
        tls = "certificate" in text.lower() or "ssl" in text.lower()
        return f"TLS failed: {text}" if tls else f"cannot connect: {text}"
    if isinstance(exc, ldap_errors.LDAPStartTLSError | ldap_errors.LDAPSSLConfigurationError):
        return f"TLS failed: {text}"
    if isinstance(exc, ldap_errors.LDAPCertificateError):
        return "TLS failed: the certificate does not match the server's name"
    if isinstance(exc, ldap_errors.LDAPInvalidFilterError):
        return f"the configured LDAP filter is not valid: {text}"
    if isinstance(exc, ldap_errors.LDAPInvalidDnError):
        return f"the configured DN is not valid: {text}"
    return f"{type(exc).__name__}: {text}"


def _scrub(reason: str, secrets: list[str]) -> str:
    """A reason with no password in it, whatever a library's error text echoed."""
    for secret in secrets:
        if secret:
            reason = reason.replace(secret, "***")
    return reason
