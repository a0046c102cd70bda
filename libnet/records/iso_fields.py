"""One field of an ISO 2709 record decoded, and repaired or left out when it is malformed.

Exports often carry a record that is sound as a whole (leader, directory, character set) with
one malformed field: three indicator characters, a subfield delimiter with no code, an empty
subfield. Refusing the whole record for that would hide the title from patrons, so such a
field is repaired where the repair is unambiguous and loses no text, or its broken part is
left out; either way it is reported as a FieldRepair, which the harvest run keeps apart from
its rejects (`libnet runs --repairs RUN`).

    malformed                               what happens                        action
    indicators of one or no character       padded with blanks to two           repaired
    indicators of more than two characters  cut to the first two                repaired
    a delimiter at the end, or two in a row the empty delimiter removed         repaired
    a subfield with a code but no text      removed                             repaired
    a stray delimiter ending a control field  removed                           repaired
    indicators that are not ASCII           the field left out                  left out
    a subfield without a code               that subfield left out              left out
    a control field with delimiters inside  the field left out                  left out
    a tag that is not alphanumeric          the field left out                  left out

Text that does not decode in the record's character set is no field defect but a broken
record: RecordError, as before.
"""

from __future__ import annotations

import pymarc
from pymarc.marc8 import marc8_to_unicode

from libnet.errors import RecordError
from libnet.records.harvested import LEFT_OUT, REPAIRED, FieldRepair

CODES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz")
_DELIMITER = "\x1f"


def decode_field(
    place: int, tag: str, body: bytes, utf8: bool, repairs: list[FieldRepair]
) -> pymarc.Field | None:
    """The field at `place` (1 for the first), or None when it is left out; repairs noted."""
    if not (len(tag) == 3 and tag.isascii() and tag.isalnum()):
        repairs.append(FieldRepair(tag, LEFT_OUT, f"tag {tag!r} is not a MARC tag", place))
        return None
    if tag < "010" and tag.isdigit():
        return _control_field(place, tag, body, utf8, repairs)
    text = _utf8(body, tag) if utf8 else body.decode("latin-1")
    parts = text.split(_DELIMITER)
    indicators = _indicators(place, tag, parts[0], len(parts) > 1, repairs)
    if indicators is None:
        return None
    subfields = []
    last = len(parts) - 1
    for i, part in enumerate(parts[1:], start=1):
        code, value = part[:1], part[1:]
        if not part:
            where = "at the end" if i == last else "without a code or text"
            note = f"a stray delimiter {where} removed"
            repairs.append(FieldRepair(tag, REPAIRED, note, place))
        elif code not in CODES:
            shown = _short(part if utf8 else _marc8(part.encode("latin-1")))
            note = f"a subfield without a code left out ({shown})"
            repairs.append(FieldRepair(tag, LEFT_OUT, note, place))
        elif not value:
            note = f"the empty subfield ${code} removed"
            repairs.append(FieldRepair(tag, REPAIRED, note, place))
        else:
            subfields.append(
                pymarc.Subfield(code, value if utf8 else _marc8(value.encode("latin-1")))
            )
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(*indicators), subfields=subfields)


def _indicators(
    place: int, tag: str, found: str, has_subfields: bool, repairs: list[FieldRepair]
) -> str | None:
    if len(found) == 2 and found.isascii():
        return found
    shown = repr(found)
    if not found.isascii() or (len(found) > 2 and not has_subfields):
        # not ASCII: no indicator at all; long and no delimiter: text where the subfields go
        note = f"indicators {_short(found)} cannot be read"
        repairs.append(FieldRepair(tag, LEFT_OUT, note, place))
        return None
    if len(found) > 2:
        note = f"indicators {shown} cut to two ({found[:2]!r})"
    elif found:
        note = f"indicators {shown} padded with a blank to two"
    else:
        note = "no indicators: two blanks put in"
    repairs.append(FieldRepair(tag, REPAIRED, note, place))
    return found[:2].ljust(2)


def _control_field(
    place: int, tag: str, body: bytes, utf8: bool, repairs: list[FieldRepair]
) -> pymarc.Field | None:
    data = body.rstrip(b"\x1f")
    if b"\x1f" in data:
        note = "a control field with subfield delimiters cannot be read"
        repairs.append(FieldRepair(tag, LEFT_OUT, note, place))
        return None
    if data != body:
        repairs.append(FieldRepair(tag, REPAIRED, "a stray delimiter at the end removed", place))
    return pymarc.Field(tag=tag, data=_utf8(data, tag) if utf8 else _marc8(data))


def _utf8(raw: bytes, tag: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise RecordError(f"field {tag}: invalid UTF-8 (byte 0x{bad})") from None


def _marc8(raw: bytes) -> str:
    return marc8_to_unicode(raw, hide_utf8_warnings=True)


def _short(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")
