"""MARC-8, the character set of older MARC 21 records: are these bytes valid MARC-8?

pymarc decodes MARC-8 and prints what it cannot map to stderr; libnet.records.marc asks
marc8_problem() first and refuses a record whose text is neither UTF-8 nor MARC-8.
"""

from __future__ import annotations

from pymarc.marc8_mapping import CODESETS, ODD_MAP

FIELD_END = 0x1E
SUBFIELD_START = 0x1F

_G0_SETS = {0x28, 0x2C, 0x24}  # ( , $  designate G0
_G1_SETS = {0x29, 0x2D}  # ) -  designate G1 (pymarc reads "$" always as G0)
_BASIC_LATIN, _ANSEL, _CJK = 0x42, 0x45, 0x31


def marc8_problem(body: bytes) -> str:
    """Why these bytes are not MARC-8, or "" when every character maps (same rules as pymarc)."""
    g0, g1 = _BASIC_LATIN, _ANSEL
    pos, size = 0, len(body)
    while pos < size:
        byte = body[pos]
        if byte in (FIELD_END, SUBFIELD_START):
            g0, g1 = _BASIC_LATIN, _ANSEL  # pymarc decodes every subfield afresh
            pos += 1
            continue
        if byte == 0x1B:
            nxt = body[pos + 1] if pos + 1 < size else -1
            if nxt in _G0_SETS:
                step = 3 if nxt == 0x24 and pos + 2 < size and body[pos + 2] == 0x2C else 2
                if pos + step >= size:
                    return f"escape sequence cut off at byte {pos}"
                g0 = body[pos + step]
                pos += step + 1
            elif nxt in _G1_SETS:
                if pos + 2 >= size:
                    return f"escape sequence cut off at byte {pos}"
                g1 = body[pos + 2]
                pos += 3
            elif nxt in CODESETS or nxt == 0x73:
                g0 = _BASIC_LATIN if nxt == 0x73 else nxt
                pos += 2
            else:
                return f"unknown escape sequence at byte {pos}"
            if g0 not in CODESETS or g1 not in CODESETS:
                return f"unknown character set at byte {pos}"
            continue
        if g0 == _CJK:
            if pos + 3 > size:
                return f"multi-byte character cut off at byte {pos}"
            code = (body[pos] << 16) | (body[pos + 1] << 8) | body[pos + 2]
            if code >= 0x20 and code not in CODESETS[g0] and code not in ODD_MAP:
                return f"no character 0x{code:06x} at byte {pos}"
            pos += 3
            continue
        pos += 1
        if byte < 0x20 or 0x80 < byte < 0xA0:
            continue
        table = CODESETS[g1] if byte > 0x80 else CODESETS[g0]
        if byte not in table and byte not in ODD_MAP:
            return f"no character 0x{byte:02x} at byte {pos - 1}"
    return ""
