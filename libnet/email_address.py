"""E-mail addresses: the one rule for every address that enters libnet or leaves it in a notice.

An address comes from a form (registration, Mein Konto, the staff and admin pages), the
command line (`libnet users add --email`), config.toml (a library's `email`, `[mail]` sender
and operators) or a library's patron system (LDAP, SIP2). Each is read by normalised_email(),
which uses the email-validator package (syntax only: no DNS lookup, no network) and gives the
address as libnet keeps it, or an AddressProblem saying why not. So "a@b.de\\r\\nBcc: x@y.de"
never reaches a mail header, and a typo like "name@gmail" is caught where it is typed.

Addresses of people must be deliverable on the internet (a domain with a dot, no reserved
name). The operator's own addresses in config.toml may be local to the mail server
(`local=True`): "libnet@localhost" as the sender of a machine that hands mail to its own MTA.
"""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_LENGTH = 320  # the users table's column; the validator's own limit (254) is lower still
_LOCAL_HOST = "localhost"
_STAND_IN = "localhost.invalid-stand-in"  # checks the local part of a ...@localhost address


@dataclass(frozen=True, slots=True)
class AddressProblem:
    """Why a text is not an e-mail address libnet can send to."""

    text: str
    reason: str

    def __str__(self) -> str:
        return f"not an e-mail address: {self.text[:100]!r} ({self.reason})"


def normalised_email(text: str, *, local: bool = False) -> str | AddressProblem:
    """The address as libnet keeps it (trimmed, the domain in lower case and in its ASCII
    form), or the problem. `local`: an address of the operator's, which may name a host of
    the local network or localhost."""
    address = text.strip()
    if not address:
        return AddressProblem(text, "empty")
    if len(address) > MAX_LENGTH:
        return AddressProblem(text, f"longer than {MAX_LENGTH} characters")
    checked = address
    if local and address.lower().endswith(f"@{_LOCAL_HOST}"):
        checked = f"{address.rpartition('@')[0]}@{_STAND_IN}"
    try:
        valid = validate_email(
            checked,
            check_deliverability=False,  # no DNS: a harvest machine may have no resolver
            globally_deliverable=not local,
            allow_smtputf8=False,  # the mailer does not speak SMTPUTF8
            allow_display_name=False,
        )
    except EmailNotValidError as exc:
        return AddressProblem(text, str(exc).rstrip("."))
    found = valid.ascii_email or valid.normalized
    if checked != address:
        return f"{found.rpartition('@')[0]}@{_LOCAL_HOST}"
    return found


def is_email(text: str, *, local: bool = False) -> bool:
    """True when normalised_email() takes the text."""
    return isinstance(normalised_email(text, local=local), str)
