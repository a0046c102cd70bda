"""The union record: what the catalogue says about one cluster, decided once for every output.

A cluster is one edition held by several libraries. Its members' records are read in record id
order (libnet.store.published.member_records), and:

- the describing member is the most complete live record (`completeness`: how many fields
  its normalised view fills), the first in record id order of equally complete ones:
  `describing(members)`. The index document takes its title and imprint from it
  (`cluster_doc`), the record page and Dublin Core show it, and its MARC gives the union record's
  bibliographic fields;
- the index document (`ClusterDoc`) unites the members' authors, subjects, series and ISBNs
  and lists every member's copies as holdings, by call number, status and ILL code; its
  volume and part (of a multi-volume work) are the describing member's, the same in every
  member since matching keeps volumes apart;
- the union MARC record (`union_marc`), which SRU's marcxml, OAI-PMH's marc21 and the record
  page's MARCXML and ISO 2709 exports all hand out, field for field the same:
  - leader: the describing record's, with the lengths left for the writer and leader/09 "a"
    (Unicode);
  - 001 is the cluster id, the permalink's number; the describing record's 001, 003 and 005
    are dropped (one library's number, agency and time stamp, not the cluster's);
  - the describing record's bibliographic fields as catalogued, without its holdings: its
    852, the item field of any configured library's holdings profile (Koha's 952, 924 ...)
    and every 9XX field (local fields: Koha's 942 and 999 ...);
  - one 035 "(ISIL)local id" per live member record, the library's code where it has no
    ISIL, so every holding library's record is named (an 035 the record already has is not
    repeated);
  - one 852 per library and call number: $a the ISIL (or the library's name), $h the call
    number, $z the copies per status ("2 verfügbar, 1 ausgeliehen");
  - characters XML 1.0 cannot carry are removed, so the MARCXML and ISO 2709 forms agree.
  Handing out the describing record as it is would give a client one library's 001 and items
  in one library's format that say nothing about the other libraries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import pymarc

from index.analysis import fold
from libnet.config import LibraryConfig
from libnet.records.bib import BibRecord
from libnet.records.marc import parse_stored
from libnet.store.published import MemberRecord
from libnet.xml_text import xml_text

# item statuses (libnet.records.holdings.ITEM_STATUSES) as the 852 $z names them
STATUS_NOTES = {"available": "verfügbar", "on_loan": "ausgeliehen", "lost": "vermisst",
                "not_for_loan": "nicht ausleihbar"}  # fmt: skip
_COMPLETENESS_SKIP = frozenset(("library", "local_id", "items"))
_DROPPED = frozenset(("001", "003", "005", "852"))


@dataclass(frozen=True, slots=True)
class Holding:
    """One library's copies of a cluster member with one call number and status."""

    library: str
    local_id: str
    call_number: str
    status: str  # one of libnet.records.holdings.ITEM_STATUSES
    copies: int
    # the ILL code of 924 $d (libnet.records.holdings); "" where the library's items have none
    # and in documents an index written before the code was kept holds
    ill_code: str = ""


@dataclass(frozen=True, slots=True)
class ClusterDoc:
    """What the index stores for one cluster: one hit."""

    id: int
    title: str
    subtitle: str
    authors: tuple[str, ...]
    subjects: tuple[str, ...]
    series: tuple[str, ...]
    publisher: str
    isbns: tuple[str, ...]
    year: int | None
    format: str
    language: str
    holdings: tuple[Holding, ...]
    # the volume of a multi-volume work ("Bd. 2") and its own title; "" in documents that an
    # index written before volumes were shown holds
    volume: str = ""
    part: str = ""

    @property
    def libraries(self) -> tuple[str, ...]:
        """The holding libraries, each once, in the order of the holdings."""
        return tuple(dict.fromkeys(h.library for h in self.holdings))

    @property
    def available_at(self) -> tuple[str, ...]:
        """The libraries with at least one copy on the shelf."""
        return tuple(dict.fromkeys(h.library for h in self.holdings if h.status == "available"))


def completeness(record: BibRecord) -> int:
    """How many fields a record fills: a cluster is described by its most complete member."""
    return sum(
        1
        for f in fields(record)
        if f.name not in _COMPLETENESS_SKIP and getattr(record, f.name) not in (None, "", ())
    )


def most_complete(records: Sequence[BibRecord]) -> BibRecord:
    """The record that describes a cluster: the most complete, the first of equals."""
    return max(records, key=completeness)  # max keeps the first of equals


def describing(members: Sequence[MemberRecord]) -> MemberRecord | None:
    """The member record that describes a cluster (see most_complete); None when none is live."""
    live = [member for member in members if not member.deleted]
    if not live:
        return None
    best = most_complete([member.bib for member in live])
    return next(member for member in live if member.bib is best)


def cluster_doc(cluster_id: int, members: Sequence[BibRecord]) -> ClusterDoc:
    """Merge a cluster's records: the most complete one describes it, lists are united."""
    best = most_complete(members)
    holdings: list[Holding] = []
    for member in members:
        copies: dict[tuple[str, str, str], int] = {}
        for item in member.items:
            key = (item.call_number, item.status, item.ill_code)
            copies[key] = copies.get(key, 0) + 1
        if not copies:
            holdings.append(Holding(member.library, member.local_id, "", "unknown", 0))
        holdings.extend(
            Holding(member.library, member.local_id, call_number, status, count, ill_code)
            for (call_number, status, ill_code), count in copies.items()
        )
    return ClusterDoc(
        id=cluster_id,
        title=best.title,
        subtitle=best.subtitle,
        authors=_united(m.authors for m in members),
        subjects=_united(m.subjects for m in members),
        series=_united(tuple(title for title, _ in m.series) for m in members),
        publisher=best.publisher,
        isbns=_united(m.isbns for m in members),
        year=best.year,
        format=best.format,
        language=best.language,
        holdings=tuple(holdings),
        volume=best.volume,
        part=best.part,
    )


def _united(lists: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for values in lists:
        for value in values:
            seen.setdefault(fold(value), value)
    return tuple(seen.values())


def union_marc(
    cluster_id: int, members: Sequence[MemberRecord], libraries: Sequence[LibraryConfig]
) -> pymarc.Record | None:
    """The cluster as one MARC record (see the module's docstring); None when no member is live.

    `members` are read with their raw records, in record id order. Raises what parsing the
    describing record raises (libnet.errors.RecordError).
    """
    best = describing(members)
    if best is None:
        return None
    live = [member for member in members if not member.deleted]
    source = parse_stored(best.raw, best.syntax)
    leader = str(source.leader)
    # lengths and base address belong to the source's ISO 2709 form; leader/09: Unicode
    record = pymarc.Record(leader=f"00000{leader[5:9]}a{leader[10:12]}00000{leader[17:]}")
    record.add_field(pymarc.Field("001", data=str(cluster_id)))
    by_code = {library.code: library for library in libraries}
    dropped = _DROPPED | {library.holdings.tag for library in libraries}
    numbers = set()
    for field in source.fields:
        if field.tag not in dropped and not field.tag.startswith("9"):
            record.add_ordered_field(_xml_safe(field))
            if field.tag == "035":
                numbers.update(field.get_subfields("a"))
    for member in live:
        library = by_code.get(member.library)
        number = xml_text(f"({library.isil if library and library.isil else member.library})"
                           f"{member.local_id}")  # fmt: skip
        if number not in numbers:
            numbers.add(number)
            record.add_ordered_field(_field("035", [("a", number)]))
    doc = cluster_doc(cluster_id, [member.bib for member in live])
    for field in _holdings(doc, by_code):
        record.add_ordered_field(field)
    return record


def _holdings(doc: ClusterDoc, libraries: dict[str, LibraryConfig]) -> list[pymarc.Field]:
    """One 852 per library and call number, with the number of copies in each status."""
    copies: dict[tuple[str, str], dict[str, int]] = {}
    for holding in doc.holdings:
        counts = copies.setdefault((holding.library, holding.call_number), {})
        counts[holding.status] = counts.get(holding.status, 0) + holding.copies
    found = []
    for (code, call_number), counts in copies.items():
        library = libraries.get(code)
        subfields = [("a", (library.isil or library.name) if library else code)]
        if call_number:
            subfields.append(("h", call_number))
        note = ", ".join(f"{n} {STATUS_NOTES[s]}" for s, n in counts.items() if s in STATUS_NOTES)
        if note:
            subfields.append(("z", note))
        found.append(_field("852", [(code, xml_text(value)) for code, value in subfields]))
    return found


def _field(tag: str, subfields: list[tuple[str, str]]) -> pymarc.Field:
    return pymarc.Field(
        tag=tag,
        indicators=pymarc.Indicators(" ", " "),
        subfields=[pymarc.Subfield(code, value) for code, value in subfields],
    )


def _xml_safe(field: pymarc.Field) -> pymarc.Field:
    """The field without characters XML 1.0 cannot carry: one record must not break a page."""
    if field.is_control_field():
        return pymarc.Field(field.tag, data=xml_text(field.data or ""))
    return pymarc.Field(
        tag=field.tag,
        indicators=field.indicators,
        subfields=[pymarc.Subfield(code, xml_text(value)) for code, value in field.subfields],
    )
