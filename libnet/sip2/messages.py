"""SIP2 messages on the wire: a request to bytes, bytes to an answer.

A message is a two-digit code, its fixed-width fields, then variable fields `XXvalue|`
(two-letter id, value, `|`), then the error-detection trailer `AY<n>AZ<xxxx>` and a CR. AY is
a sequence number 0-9 that the answer repeats; AZ is the checksum: four hex digits, the two's
complement of the 16-bit sum of every byte from the code up to and including `AZ` (3M SIP2
2.00, "Error Detection"). Request ACS Resend (97) carries AZ without AY.

SIP2 has no escaping: a `|` inside a value would end the field early, and a CR would end the
message. Such a value (say, in a PIN) is refused as a `FieldRefused` before anything is sent.
An answer that cannot be read is a `Garbled`, with `checksum=True` when only its checksum
failed (the sender may resend it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

DELIMITER = "|"
TERMINATOR = b"\r"
RESEND_CODE = "97"  # Request ACS Resend: "send your last message again"

# Widths of the fixed fields of each answer a client may receive (SIP2 2.00).
ANSWER_FIXED_WIDTHS: dict[str, tuple[int, ...]] = {
    "10": (1, 1, 1, 1, 18),  # Checkin
    "12": (1, 1, 1, 1, 18),  # Checkout
    "16": (1, 1, 18),  # Hold
    "18": (2, 2, 2, 18),  # Item Information: circulation status, security, fee type, date
    "20": (1, 18),  # Item Status Update
    "24": (14, 3, 18),  # Patron Status: status flags, language, date
    "26": (14, 3, 18),  # Patron Enable
    "30": (1, 1, 1, 1, 18),  # Renew
    "36": (1, 18),  # End Session
    "38": (1, 18),  # Fee Paid
    "64": (14, 3, 18, 4, 4, 4, 4, 4, 4),  # Patron Information: flags, language, date, counts
    "66": (1, 4, 4, 18),  # Renew All
    "94": (1,),  # Login: ok
    "96": (),  # Request SC Resend
    "98": (1, 1, 1, 1, 1, 1, 3, 3, 18, 4),  # ACS Status: online ... protocol version
}
# Variable fields that may occur more than once in an answer; each is read as a list.
REPEATABLE = frozenset({"AF", "AG", "AS", "AT", "AU", "AV", "BU", "CD"})


@dataclass(frozen=True, slots=True)
class Request:
    """A message to send: its code, its fixed fields already laid out, its variable fields."""

    code: str  # "63"
    fixed: str = ""  # the fixed-width fields, one after the other
    fields: tuple[tuple[str, str], ...] = ()  # (id, value) in order; an id may repeat


@dataclass(frozen=True, slots=True)
class Answer:
    """A message received, checksum verified: fixed fields and variable fields."""

    code: str
    fixed: tuple[str, ...]
    fields: dict[str, str | list[str]] = field(default_factory=dict)  # repeatable: lists
    sequence: int | None = None  # AY, or None when the sender left error detection out

    def get(self, field_id: str) -> str:
        """The value of a variable field, "" when absent (the first of a repeatable one)."""
        value = self.fields.get(field_id, "")
        return value[0] if isinstance(value, list) and value else str(value or "")

    def all(self, field_id: str) -> list[str]:
        """Every value of a variable field, in the order received."""
        value = self.fields.get(field_id)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]


@dataclass(frozen=True, slots=True)
class FieldRefused:
    """A value that SIP2 cannot carry; nothing was sent."""

    field: str  # the field id ("AD") or "fixed"
    reason: str

    def __str__(self) -> str:
        return f"field {self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Garbled:
    """Bytes that are no readable answer."""

    reason: str
    checksum: bool = False  # the message was whole, only its checksum was wrong


def checksum(data: bytes) -> str:
    """The AZ value for `data` (every byte from the code up to and including "AZ")."""
    return f"{-sum(data) & 0xFFFF:04X}"


def checksum_ok(message: bytes) -> bool:
    """Whether a message without its CR, ending in AZxxxx, carries the right checksum."""
    digits = message[-4:]
    try:
        value = int(digits, 16)
    except ValueError:
        return False
    return len(digits) == 4 and (sum(message[:-4]) + value) & 0xFFFF == 0


def refusal(request: Request, encoding: str) -> FieldRefused | None:
    """Why `request` cannot be sent in `encoding`, or None when it can."""
    for field_id, value in (("fixed", request.fixed), *request.fields):
        problem = _value_problem(value, encoding)
        if problem:
            return FieldRefused(field_id, problem)
    return None


def _value_problem(value: str, encoding: str) -> str:
    if DELIMITER in value:
        return "holds '|', which SIP2 cannot carry inside a field"
    if "\r" in value or "\n" in value or "\0" in value:
        return "holds a line break or NUL, which SIP2 cannot carry"
    try:
        value.encode(encoding)
    except UnicodeEncodeError as exc:
        return f"holds a character that {encoding} cannot write (at {exc.start})"
    return ""


def encode(request: Request, sequence: int | None, encoding: str) -> bytes | FieldRefused:
    """The request as bytes with AY `sequence` (None: none, as for 97), AZ and CR."""
    refused = refusal(request, encoding)
    if refused is not None:
        return refused
    text = request.code + request.fixed
    text += "".join(f"{field_id}{value}{DELIMITER}" for field_id, value in request.fields)
    body = text.encode(encoding)
    if sequence is not None:
        body += f"AY{sequence % 10}".encode("ascii")
    body += b"AZ"
    return body + checksum(body).encode("ascii") + TERMINATOR


def decode(message: bytes, encoding: str) -> Answer | Garbled:
    """One received message (its CR may be there or not) as an Answer, or why not."""
    body = message.removesuffix(TERMINATOR).lstrip(b"\n")  # some servers end with CR LF
    sequence: int | None = None
    if len(body) >= 6 and body[-6:-4] == b"AZ":
        if not checksum_ok(body):
            return Garbled(f"wrong checksum {body[-4:].decode('ascii', 'replace')}", checksum=True)
        body = body[:-6]
        if len(body) >= 3 and body[-3:-1] == b"AY" and body[-1:].isdigit():
            sequence = int(body[-1:])
            body = body[:-3]
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        return Garbled(f"not {encoding} at byte {exc.start}: set `encoding` to the server's")
    code = text[:2]
    widths = ANSWER_FIXED_WIDTHS.get(code)
    if widths is None:
        return Garbled(f"no SIP2 answer: starts with {text[:8]!r}")
    fixed: list[str] = []
    at = 2
    for width in widths:
        if at + width > len(text):
            return Garbled(f"answer {code} too short for its fixed fields")
        fixed.append(text[at : at + width])
        at += width
    fields = _variable_fields(text[at:])
    if isinstance(fields, Garbled):
        return fields
    return Answer(code, tuple(fixed), fields, sequence)


def _variable_fields(text: str) -> dict[str, str | list[str]] | Garbled:
    single: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    for piece in text.split(DELIMITER):
        if not piece:
            continue  # after the last `|`, or a doubled one
        field_id, value = piece[:2], piece[2:]
        if len(field_id) < 2 or not (field_id.isascii() and field_id.isalnum()):
            return Garbled(f"no field id at {piece[:8]!r}")
        if field_id != field_id.upper():
            return Garbled(f"no field id at {piece[:8]!r}")
        if field_id in REPEATABLE:
            repeated.setdefault(field_id, []).append(value)
        else:
            single.setdefault(field_id, value)  # a repeated single field: the first counts
    return {**single, **repeated}


def sip_date(when: datetime) -> str:
    """A SIP2 date, YYYYMMDDZZZZHHMMSS: zone "    " for local time, "   Z" for UTC."""
    if when.tzinfo is None:
        return when.strftime("%Y%m%d    %H%M%S")
    return when.astimezone(UTC).strftime("%Y%m%d   Z%H%M%S")


def parse_sip_date(text: str) -> date | None:
    """The day of a SIP2 date (or of a bare YYYYMMDD), None when it is none."""
    try:
        return datetime.strptime(text.strip()[:8], "%Y%m%d").date()
    except ValueError:
        return None
