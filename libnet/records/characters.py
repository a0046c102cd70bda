"""What a record's text may hold: the characters XML 1.0 can carry, and no entity references.

A union catalogue hands every record out again as XML (MARCXML exports, SRU, OAI-PMH), so a
record is refused at the door (libnet.records.marc.decode and parse_marcxml) when its text
holds a character that XML 1.0 forbids (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F,
U+FFFE, U+FFFF, a lone surrogate) or an entity reference that nothing expanded (`&foo;`, kept
as such by a parser that resolves no entities). The refusal names the field and the character,
so the library can find and mend the record.

A record stored before these rules may still hold either. Reading it for a page or an export
goes the lenient way: an unexpanded entity reference is escaped so it shows as the text
`&foo;`, and a forbidden character is dropped on output (libnet.xml_text).
"""

from __future__ import annotations

import re

# bytes that stand for a character XML forbids in ISO 2709 data: the C0 controls but tab,
# newline, carriage return and the three MARC separators (and, in MARC-8, ESC, which switches
# character sets), and U+FFFE/U+FFFF in UTF-8. (Lone surrogates are invalid UTF-8 already.)
# One character class each, which a regular expression scans fast; U+FFFE/U+FFFF apart.
_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c]")
_CONTROLS_AND_NONCHARACTERS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1c]|\xef\xbf[\xbe\xbf]")
_NONCHARACTER_START = b"\xef\xbf"
# every byte but the controls, for the quick look: bytes.translate deletes them all at C speed
_FORBIDDEN_C0 = frozenset(range(0x1D)) - {0x09, 0x0A, 0x0D}
_ALL_BUT_CONTROLS = bytes(b for b in range(256) if b not in _FORBIDDEN_C0)

# an entity reference other than XML's five and character references
_UNKNOWN_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)")


def forbidden_in_iso2709(data: bytes) -> str:
    """Where an ISO 2709 record holds a character XML forbids, as a reason; "" when nowhere.

    Looked for in the bytes, so a MARC-8 record counts too (pymarc's MARC-8 decoder would
    drop the character without a word). The record must be structurally sound (parsed).
    """
    flagged = data[9:10] == b"a"
    controls = set(data[24:].translate(None, _ALL_BUT_CONTROLS))
    if not flagged:
        controls.discard(0x1B)  # ESC: MARC-8 switching character sets
    if not controls and _NONCHARACTER_START not in data:
        return ""  # nearly every record: two quick looks and done
    utf8 = reads_as_utf8(data[9:10].decode("latin-1"), data[24:])
    suspect = _CONTROLS_AND_NONCHARACTERS if utf8 else _CONTROLS
    base = int(data[12:17])
    directory = data[24 : base - 1]
    for i in range(0, len(directory), 12):
        tag = directory[i : i + 3].decode("ascii", "replace")
        start = base + int(directory[i + 7 : i + 12])
        body = data[start : start + int(directory[i + 3 : i + 7]) - 1]
        found = suspect.search(body)
        if found is None:
            continue
        code = ""
        if not (tag < "010" and tag.isdigit()):
            opening = body.rfind(b"\x1f", 0, found.start())
            code = f" ${body[opening + 1 : opening + 2].decode('latin-1')}" if opening >= 0 else ""
        char = found.group().decode("utf-8")
        return f"field {tag}{code}: character U+{ord(char):04X}, which XML does not allow"
    return ""


def reads_as_utf8(leader_09: str, body: bytes) -> bool:
    """Whether libnet reads an ISO 2709 record as UTF-8: leader/09 says so ("a"), or it is
    blank and the bytes decode as UTF-8 and hold no ESC (which switches MARC-8's sets)."""
    if leader_09 == "a":
        return True
    if leader_09 != " " or b"\x1b" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def entity_reason(tag: str, code: str, name: str) -> str:
    """The refusal of a record whose field holds an entity reference nothing expanded."""
    where = f"field {tag} ${code}" if code else f"field {tag}" if tag else "record"
    return f"{where}: unexpanded entity reference &{name};"


def escape_unknown_entities(data: bytes) -> bytes:
    """Stored MARCXML with every unknown entity reference escaped: `&foo;` reads as text."""
    return _UNKNOWN_ENTITY.sub(b"&amp;", data)
