"""Patrons checked by their library's management system over SIP2 (`type = "sip2"`).

One login is one short SIP2 session: connect, Login (93) where `login_user` is set, SC Status
(99), then Patron Information (63) or Patron Status (23) with the card (AA), the PIN (AD) and
the institution (AO = `location_code`), and the connection is closed again.

How the answer is read:
- logged in only when valid patron (BL) and valid password (CQ) are both "Y"; a CQ that is
  missing or blank is a wrong PIN (some systems leave it out when they did not check the PIN,
  and invented card numbers got in that way elsewhere);
- name from AE, e-mail from BE, language from the language field (003 German -> "de", 001
  and 024 English -> "en", else "");
- expired: the card's expiry date in PA or PE (fields some systems add) before today, or a
  screen message (AF) that says "expired"/"abgelaufen". An expired card may log in, with
  `order_block` set to why; the privilege flags that systems such as Koha set for expired
  cards do not refuse it then (a lost card still does);
- blocked: a "Y" among the patron status flags for denied privileges, a lost card, too many
  items (charged, overdue, renewed, claimed returned, lost, billed) or an overdue recall is
  Refused("blocked: ..."); excessive fines or fees alone only block ordering.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from libnet.accounts.patron_systems import CheckResult, Patron, Refused, Unreachable
from libnet.patron_config import PatronsConfig
from libnet.sip2 import requests
from libnet.sip2.connection import Endpoint, Failure
from libnet.sip2.messages import Answer, FieldRefused, parse_sip_date, refusal
from libnet.sip2.patron_status import CARD_LOST, FEES, FINES, language_code, patron_flags
from libnet.sip2.session import Login, open_session

EXPIRY_FIELDS = ("PA", "PE")
EXPIRED_WORDS = ("expired", "abgelaufen")
ORDER_ONLY_FLAGS = frozenset({FINES, FEES})  # these block ordering, not the login


class Sip2Patrons:
    """A `PatronChecker` for one library whose `[libraries.patrons]` has type "sip2"."""

    def __init__(
        self, patrons: PatronsConfig, clock: Callable[[], datetime] = datetime.now
    ) -> None:
        self._patrons = patrons
        self._clock = clock
        self._endpoint = Endpoint(
            patrons.host, patrons.port, patrons.tls, patrons.timeout, patrons.encoding
        )
        self._login = None
        if patrons.login_user:
            if patrons.login_password_file is None:
                raise ValueError("login_user needs login_password_file")
            self._login = Login(
                patrons.login_user, patrons.login_password_file, patrons.location_code
            )

    def check(self, card: str, pin: str) -> CheckResult:
        """Ask the library's system about this card and PIN; never raises for its failures."""
        card = card.strip()
        if not card or not pin:
            return Refused("empty card number or PIN: the library was not asked")
        now = self._clock()
        build = (
            requests.patron_status
            if self._patrons.patron_message == 23
            else requests.patron_information
        )
        request = build(self._patrons.location_code, card, pin, now)
        refused = refusal(request, self._patrons.encoding)
        if refused is not None:
            return Refused(f"card or PIN cannot be sent over SIP2: {refused}")
        connection = open_session(self._endpoint, self._login)
        if isinstance(connection, Failure):
            return Unreachable(connection.reason)
        with connection:
            answer = connection.exchange(request)
        if isinstance(answer, Failure):
            return Unreachable(answer.reason)
        if isinstance(answer, FieldRefused):
            return Refused(f"card or PIN cannot be sent over SIP2: {answer}")
        return patron_from_answer(card, answer, now.date())


def patron_from_answer(card: str, answer: Answer, today: date) -> CheckResult:
    """What a Patron Information (64) or Patron Status (24) answer says of the card."""
    valid, checked = answer.get("BL"), answer.get("CQ")
    if valid != "Y":
        return Refused(f"unknown card (valid patron BL={valid or 'missing'})")
    if checked != "Y":
        if checked == "N":
            return Refused("wrong PIN (valid password CQ=N)")
        return Refused("PIN not checked by the library (CQ missing or blank): taken as wrong")
    flags = patron_flags(answer.fixed[0])
    screen = "; ".join(m.strip() for m in answer.all("AF") if m.strip())
    if CARD_LOST in flags:
        return Refused(_with_screen(f"blocked: {CARD_LOST}", screen))
    expired = _expired(answer, today, screen)
    blocking = [flag for flag in flags if flag not in ORDER_ONLY_FLAGS]
    if blocking and not expired:
        return Refused(_with_screen(f"blocked: {', '.join(blocking)}", screen))
    order_only = [flag for flag in flags if flag in ORDER_ONLY_FLAGS]
    order_block = expired or (_with_screen(", ".join(order_only), screen) if order_only else "")
    return Patron(
        card=card,
        name=answer.get("AE").strip(),
        email=answer.get("BE").strip(),
        language=language_code(answer.fixed[1]),
        order_block=order_block,
    )


def _expired(answer: Answer, today: date, screen: str) -> str:
    """Why the card counts as expired, "" when it does not."""
    for field_id in EXPIRY_FIELDS:
        day = parse_sip_date(answer.get(field_id))
        if day is not None and day < today:
            return f"card expired on {day.isoformat()}"
    if any(word in screen.lower() for word in EXPIRED_WORDS):
        return f"card expired: {screen}"
    return ""


def _with_screen(reason: str, screen: str) -> str:
    return f"{reason} ({screen})" if screen else reason
