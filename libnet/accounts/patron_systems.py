"""What a library's own patron system answers when a patron logs in with card and PIN.

Every town library keeps its patrons in its own system: a directory (LDAP) or its library
management system (SIP2). libnet asks that system, never stores the PIN, and gets one of
three values back:

- `Patron`: the card is known, the PIN is right and the card may log in. Name, e-mail and
  language as the system knows them; `order_block` non-empty when the card may log in but
  not order (an expired card, fees), with the system's reason.
- `Refused`: unknown card, wrong PIN, or a card the library blocks. The person logging in
  sees one message for all three; `reason` is for the log and the staff only.
- `Unreachable`: the system did not answer usefully (down, too slow, a broken answer, a
  service account it refused). The patron is told that the library cannot be reached just
  now; `reason` is for the operators, and never holds a password.

A checker is anything with `check(card, pin)`; `libnet.accounts.ldap_patrons` and
`libnet.accounts.sip2_patrons` are the two real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Patron:
    """A card whose PIN was right, as its library's system describes it."""

    card: str
    name: str
    email: str = ""
    language: str = ""  # "de", "en", or "" when the system does not say
    order_block: str = ""  # "": may order; else why not (expired card, fees, ...)


@dataclass(frozen=True, slots=True)
class Refused:
    """Unknown card, wrong PIN or blocked card: one answer to the person, a reason for staff."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unreachable:
    """The library's system gave no usable answer; `reason` for the operators."""

    reason: str


CheckResult = Patron | Refused | Unreachable


class PatronChecker(Protocol):
    def check(self, card: str, pin: str) -> CheckResult:
        """Ask the library's system about this card and PIN; never raises for its failures."""
        ...
