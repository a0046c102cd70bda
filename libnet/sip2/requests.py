"""The SIP2 requests libnet sends, built from plain arguments (SIP2 2.00 layouts): Login
(93), SC Status (99), Patron Information (63), Patron Status (23), Item Information (17)."""

from __future__ import annotations

from datetime import datetime

from libnet.sip2.messages import Request, sip_date

PROTOCOL_VERSION = "2.00"
UNKNOWN_LANGUAGE = "000"


def login(user: str, password: str, location: str = "") -> Request:
    """93 Login: plain user id and password (algorithms 0), CP the location code."""
    fields = [("CN", user), ("CO", password)]
    if location:
        fields.append(("CP", location))
    return Request("93", "00", tuple(fields))


def sc_status(max_print_width: int = 80) -> Request:
    """99 SC Status: status ok (0), print width, protocol version 2.00."""
    return Request("99", f"0{max_print_width:03d}{PROTOCOL_VERSION}")


def patron_information(institution: str, card: str, pin: str, when: datetime) -> Request:
    """63 Patron Information, no item lists asked for (summary all blank)."""
    fixed = UNKNOWN_LANGUAGE + sip_date(when) + " " * 10
    fields = (("AO", institution), ("AA", card), ("AC", ""), ("AD", pin))
    return Request("63", fixed, fields)


def patron_status(institution: str, card: str, pin: str, when: datetime) -> Request:
    """23 Patron Status: the shorter answer (no counts, no e-mail in 2.00's required set)."""
    fixed = UNKNOWN_LANGUAGE + sip_date(when)
    fields = (("AO", institution), ("AA", card), ("AC", ""), ("AD", pin))
    return Request("23", fixed, fields)


def item_information(institution: str, barcode: str, when: datetime) -> Request:
    """17 Item Information: the item's circulation status, due date ... by its barcode (AB)."""
    return Request("17", sip_date(when), (("AO", institution), ("AB", barcode), ("AC", "")))


def answer_code(request: Request) -> str:
    """The code of the answer that belongs to `request` (63 -> 64, 99 -> 98)."""
    if request.code == "99":
        return "98"
    return f"{int(request.code) + 1:02d}"
