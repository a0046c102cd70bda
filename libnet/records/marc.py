"""MARC 21 bytes and MARCXML to pymarc records and back, strictly.

pymarc's own ISO 2709 decoder repairs what it can (missing indicators become blanks, a bad
subfield code is guessed) and prints MARC-8 problems to stderr. A union catalogue must not
index guessed data, so this decoder refuses a structurally broken record with a reason, and
decides the character set from the bytes: a record flagged UTF-8 must decode as UTF-8; an
unflagged one is UTF-8 when it decodes as such (many exports forget the flag), else MARC-8
when every character is valid MARC-8, else it is refused. A sound record with one malformed
field is kept: the field is repaired where that has only one reading, or left out, and the
record says so (libnet.records.iso_fields, RawRecord.repairs).
"""

from __future__ import annotations

import copy
import dataclasses
import re
from xml.etree import ElementTree

import pymarc
from lxml import etree

from libnet.errors import RecordError
from libnet.records.characters import (
    entity_reason,
    escape_unknown_entities,
    forbidden_in_iso2709,
    reads_as_utf8,
)
from libnet.records.harvested import ISO2709, FieldRepair, RawRecord, RecordProblem, excerpt
from libnet.records.iso_fields import CODES, decode_field
from libnet.records.marc8 import marc8_problem
from libnet.xml_text import xml_text

MARC_NS = "http://www.loc.gov/MARC21/slim"
RECORD_END = 0x1D
FIELD_END = 0x1E
SUBFIELD_START = 0x1F
MAX_FIELD_BYTES = 9999  # ISO 2709 cannot carry a longer field; longer means broken data


def parse_iso2709(data: bytes, repairs: list[FieldRepair] | None = None) -> pymarc.Record:
    """Decode one ISO 2709 record (leader to record terminator) or raise RecordError.

    A malformed field is repaired or left out (libnet.records.iso_fields); what was done to
    which field is appended to `repairs`.
    """
    if len(data) < 26:
        raise RecordError(f"record of {len(data)} bytes is shorter than a leader")
    try:
        leader = data[:24].decode("ascii")
    except UnicodeDecodeError:
        raise RecordError("leader is not ASCII") from None
    if not leader[:5].isdigit() or int(leader[:5]) != len(data):
        raise RecordError(f"leader gives record length {leader[:5]!r}, record has {len(data)}")
    if not leader[12:17].isdigit():
        raise RecordError(f"leader gives no base address of data ({leader[12:17]!r})")
    base = int(leader[12:17])
    if not 25 <= base < len(data) or data[base - 1] != FIELD_END:
        raise RecordError(f"base address {base} does not end the directory")
    if data[-1] != RECORD_END:
        raise RecordError("record does not end with a record terminator")
    directory = data[24 : base - 1]
    if len(directory) % 12:
        raise RecordError("directory length is not a multiple of 12")
    utf8 = _is_utf8_record(leader, data[base:])
    record = pymarc.Record(leader=leader)
    fields = record.fields
    found = [] if repairs is None else repairs
    end_of_data = len(data) - 1
    for i in range(0, len(directory), 12):
        entry = directory[i : i + 12]
        tag = entry[:3].decode("ascii", "replace")
        if not entry[3:].isdigit():
            raise RecordError(f"directory entry {i // 12 + 1} is broken ({_show(entry)})")
        start = base + int(entry[7:12])
        end = start + int(entry[3:7])
        if end > end_of_data or end <= start or data[end - 1] != FIELD_END:
            raise RecordError(f"field {tag}: directory points outside the field data")
        field = decode_field(i // 12 + 1, tag, data[start : end - 1], utf8, found)
        if field is not None:
            fields.append(field)
    if not fields:
        raise RecordError("record has no fields")
    return record


_TAGS: set[str] = set()  # tags seen valid: most records repeat the same few dozen


def _valid_tag(tag: str) -> bool:
    if len(tag) == 3 and tag.isascii() and tag.isalnum():
        _TAGS.add(tag)
        return True
    return False


def _is_utf8_record(leader: str, body: bytes) -> bool:
    """True for UTF-8, False for MARC-8, from leader/09 and the bytes; RecordError otherwise."""
    if reads_as_utf8(leader[9], body):
        return True
    if leader[9] != " ":
        raise RecordError(f"unknown character coding in leader/09 ({leader[9]!r})")
    problem = marc8_problem(body)
    if problem:
        raise RecordError(f"text is neither UTF-8 nor MARC-8: {problem}")
    return False


def iso2709_001(data: bytes) -> str:
    """The 001 of an ISO 2709 record, also of a broken one when it can be found; else ""."""
    try:
        base = int(data[12:17])
        directory = data[24 : base - 1]
        for i in range(0, len(directory), 12):
            if directory[i : i + 3] == b"001":
                start = base + int(directory[i + 7 : i + 12])
                length = int(directory[i + 3 : i + 7])
                return data[start : start + length - 1].decode("ascii").strip()
    except (ValueError, UnicodeDecodeError):
        pass
    return ""


def _names(local: str) -> frozenset[str]:
    return frozenset({local, f"{{{MARC_NS}}}{local}"})


_LEADER, _CONTROL = _names("leader"), _names("controlfield")
_DATA, _SUBFIELD = _names("datafield"), _names("subfield")


def parse_marcxml(element: etree._Element) -> pymarc.Record:
    """Read one MARCXML <record> element (with or without the MARC namespace) or raise."""
    leader = None
    record = pymarc.Record()
    fields = record.fields
    for child in element:
        name = child.tag
        if name in _DATA:
            fields.append(_xml_datafield(child))
        elif name in _CONTROL:
            tag = child.get("tag", "")
            if tag not in _TAGS and not _valid_tag(tag):
                raise RecordError(f"controlfield with bad tag {tag!r}")
            _no_entity(child, tag)
            fields.append(pymarc.Field(tag=tag, data=_checked(tag, child.text or "")))
        elif name in _LEADER:
            _no_entity(child, "")
            leader = (child.text or "").replace("#", " ")
            if len(leader) != 24:
                raise RecordError(f"leader has {len(leader)} characters, not 24")
        elif isinstance(name, str):  # not a comment or processing instruction
            local = name.rpartition("}")[2]
            raise RecordError(f"unexpected element <{local}> in a MARCXML record")
        elif isinstance(child, etree._Entity):
            raise RecordError(entity_reason("", "", child.name))
    if leader is None:
        raise RecordError("record has no leader")
    if not fields:
        raise RecordError("record has no fields")
    record.leader = pymarc.Leader(leader)
    return record


def _xml_datafield(child: etree._Element) -> pymarc.Field:
    tag = child.get("tag", "")
    if tag not in _TAGS and not _valid_tag(tag):
        raise RecordError(f"datafield with bad tag {tag!r}")
    ind1, ind2 = child.get("ind1", " "), child.get("ind2", " ")
    if len(ind1) != 1 or len(ind2) != 1:
        raise RecordError(f"field {tag}: indicators {ind1!r}, {ind2!r} are not one character")
    subfields = []
    size = 0
    for sub in child:
        code = sub.get("code", "")
        if sub.tag not in _SUBFIELD or code not in CODES:
            if isinstance(sub, etree._Entity):
                raise RecordError(entity_reason(tag, "", sub.name))
            if not isinstance(sub.tag, str):
                continue  # a comment
            raise RecordError(f"field {tag}: bad subfield (code {code!r})")
        if len(sub):  # a child inside a subfield: only an entity reference gets this far
            _no_entity(sub, tag, code)
        text = sub.text or ""
        size += len(text)
        subfields.append(pymarc.Subfield(code, text))
    if size > MAX_FIELD_BYTES // 4:
        _checked(tag, "".join(value for _code, value in subfields))
    return pymarc.Field(tag=tag, indicators=pymarc.Indicators(ind1, ind2), subfields=subfields)


def _no_entity(element: etree._Element, tag: str, code: str = "") -> None:
    """Refuse an element holding an entity reference that the parser did not expand.

    A document with a DTD can declare an entity; with resolve_entities=False lxml keeps a
    reference to it as a node, and the element's text ends before it. Kept, the record would
    lose that text and its stored bytes would no longer parse.
    """
    for node in element:
        if isinstance(node, etree._Entity):
            raise RecordError(entity_reason(tag or "leader", code, node.name))


def _checked(tag: str, text: str) -> str:
    if len(text) > MAX_FIELD_BYTES // 4 and len(text.encode("utf-8")) > MAX_FIELD_BYTES:
        raise RecordError(f"field {tag} is longer than the {MAX_FIELD_BYTES} bytes MARC allows")
    return text


def decode(raw: RawRecord) -> RawRecord | RecordProblem:
    """A harvested record with its pymarc form, or the problem that keeps it out."""
    if raw.record is not None or (raw.deleted and not raw.data):
        return raw
    if raw.context:
        return _decode_in_context(raw)
    repairs: list[FieldRepair] = []
    try:
        if raw.syntax == ISO2709:
            record = parse_iso2709(raw.data, repairs)
            forbidden = forbidden_in_iso2709(raw.data)
            if forbidden:
                raise RecordError(forbidden)
        else:
            record = parse_marcxml_bytes(raw.data)
    except RecordError as exc:
        local_id = iso2709_001(raw.data) if raw.syntax == ISO2709 else _xml_001(raw.data)
        return RecordProblem(raw.position, str(exc), local_id, excerpt(raw.data))
    return dataclasses.replace(raw, record=record, repairs=tuple(repairs))


def _decode_in_context(raw: RawRecord) -> RawRecord | RecordProblem:
    """A record cut out of a MARCXML file: read inside the file's root, then kept standalone."""
    root = re.match(rb"(?:<\?xml[^>]*\?>\s*)?<([^\s>/]+)", raw.context)
    document = raw.context + raw.data + b"</" + (root.group(1) if root else b"collection") + b">"
    try:
        element = etree.fromstring(document, _SAFE_PARSER)[0]
    except (etree.XMLSyntaxError, IndexError) as exc:
        reason = f"not well-formed XML: {exc}" if str(exc) else "not well-formed XML"
        return RecordProblem(raw.position, reason, "", excerpt(raw.data))
    try:
        record = parse_marcxml(element)
    except RecordError as exc:
        return RecordProblem(raw.position, str(exc), marcxml_001(element), excerpt(raw.data))
    kept = raw.data if _stands_alone(raw) else marcxml_element_bytes(element)
    return dataclasses.replace(raw, data=kept, record=record, context=b"")


# a prefixed element name (marc:record), and the part from the colon of a prefixed attribute
# name (xsi:schemaLocation, xmlns:marc): both start with a literal, which a search finds fast
_PREFIXED_ELEMENT = re.compile(rb"<[\w.-]+:")
_ATTRIBUTE_AFTER_PREFIX = re.compile(rb":[\w.-]+\s*=")
_NAME_BYTE = re.compile(rb"[\w.-]")
_SPACE = re.compile(rb"\s")
_ENCODING = re.compile(rb"""<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']""")


def _stands_alone(raw: RawRecord) -> bool:
    """Whether a record cut out of a MARCXML file reads the same without the file around it.

    Then the store keeps it byte for byte as the library sent it. Without a namespace prefix
    its elements lose only the file's default namespace, which no reader asks for; a prefix
    declared by the file's root, or a file in another encoding than UTF-8, needs the record
    written anew as a standalone element (marcxml_element_bytes).
    """
    declared = _ENCODING.match(raw.context)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return False
    return not _prefixed(raw.data)


def _prefixed(data: bytes) -> bool:
    """Whether data holds a prefixed name: `<name:` or whitespace, `name:name`, `=`."""
    if _PREFIXED_ELEMENT.search(data):
        return True
    for found in _ATTRIBUTE_AFTER_PREFIX.finditer(data):
        start = colon = found.start()
        while start > 0 and _NAME_BYTE.match(data, start - 1):
            start -= 1
        if 0 < start < colon and _SPACE.match(data, start - 1):
            return True
    return False


def _xml_001(data: bytes) -> str:
    try:
        return marcxml_001(etree.fromstring(data, _SAFE_PARSER))
    except etree.XMLSyntaxError:
        return ""


def marcxml_element_bytes(element: etree._Element) -> bytes:
    """The <record> element as UTF-8 bytes, as kept in the record store.

    Cut out of its file or protocol answer: without the text after it and without the
    namespace declarations of the envelope that the record does not use.
    """
    if len(element.nsmap) > 1:  # inside a protocol envelope: drop what the record does not use
        element = copy.deepcopy(element)
        etree.cleanup_namespaces(element)
    return etree.tostring(element, encoding="utf-8", with_tail=False)


def marcxml_001(element: etree._Element) -> str:
    """The 001 of a MARCXML record element, also of a broken one; "" when it has none."""
    for child in element:
        is_control = isinstance(child.tag, str) and child.tag.endswith("controlfield")
        if is_control and child.get("tag") == "001":
            return (child.text or "").strip()
    return ""


def parse_marcxml_bytes(data: bytes) -> pymarc.Record:
    """Read a stored MARCXML record (the bytes of one <record> element)."""
    try:
        element = etree.fromstring(data, _SAFE_PARSER)
    except etree.XMLSyntaxError as exc:
        raise RecordError(f"not well-formed XML: {exc}") from None
    return parse_marcxml(element)


def to_marcxml(record: pymarc.Record) -> bytes:
    """A record as a namespaced MARCXML <record> element, UTF-8 (not character references).

    A character XML cannot carry (in a record stored before the reader refused them) is left
    out, so the answer stays well-formed.
    """
    node = pymarc.record_to_xml_node(record, namespace=True)
    return xml_text(ElementTree.tostring(node, encoding="unicode")).encode("utf-8")


def to_iso2709(record: pymarc.Record) -> bytes:
    """A record as ISO 2709, UTF-8, with leader/09 saying so."""
    leader = str(record.leader)
    record.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])
    return record.as_marc()


_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


#: what makes an lxml parser safe for answers from elsewhere: it fetches nothing (no DTD,
#: no network) and expands no entities; the streaming parser of harvesters/http.py takes them too
SAFE_PARSER_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False}


def safe_parser() -> etree.XMLParser:
    """An XML parser that fetches nothing and expands no entities."""
    return etree.XMLParser(**SAFE_PARSER_OPTIONS)


def _show(raw: bytes) -> str:
    return repr(raw.decode("latin-1"))


def parse_stored(data: bytes, syntax: str) -> pymarc.Record:
    """A stored record's bytes in their harvested syntax (ISO 2709 or MARCXML) as a pymarc Record.

    Lenient where the harvest is strict, for records stored before a rule refused them: an
    entity reference nobody expanded reads as its text `&foo;` (libnet.records.characters).
    Raises RecordError when the bytes cannot be read even so.
    """
    if syntax == ISO2709:
        return parse_iso2709(data)
    try:
        return parse_marcxml_bytes(data)
    except RecordError:
        escaped = escape_unknown_entities(data) if b"&" in data else data
        if escaped == data:
            raise
        return parse_marcxml_bytes(escaped)
