"""A library's MARC 21 bibliographic record mapped to libnet's normalised view, BibRecord.

Every later stage reads BibRecord: the record store, the union index and its deduplication,
the web pages and the loan network. Text is kept as catalogued (case included); only ISBD
punctuation, non-sorting markers and extra whitespace go. Folding is the index's job.

normalise() walks the fields once and dispatches by tag: a harvest normalises thousands of
records a second, so nothing here scans the record twice or compiles a pattern per call.
Each concern reads its own fields (identifiers, titles, agents, publication, subjects,
formats) into one Gathered; this module builds the BibRecord from it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import pymarc

from libnet.errors import RecordError
from libnet.records.agents import READERS as AGENT_READERS
from libnet.records.formats import READERS as FORMAT_READERS
from libnet.records.formats import audience_of, format_of
from libnet.records.gathered import FieldReader, Gathered
from libnet.records.holdings import KOHA, HoldingsProfile, Item, item_from_field
from libnet.records.identifiers import READERS as IDENTIFIER_READERS
from libnet.records.identifiers import record_id
from libnet.records.publication import READERS as PUBLICATION_READERS
from libnet.records.publication import year_of
from libnet.records.subjects import READERS as SUBJECT_READERS
from libnet.records.text import first, unique
from libnet.records.titles import READERS as TITLE_READERS
from libnet.records.volumes import volume_of

NON_BIBLIOGRAPHIC = frozenset("quvwxyz")  # community, holdings (u v x y), classification, authority
UNIMARC_REASON = "UNIMARC record (field 200, no 245): not MARC 21"
NO_TITLE_REASON = "no title (245)"
GARBLED_REASON = "title has no letter or digit (wrong character set?)"


@dataclass(frozen=True, slots=True)
class BibRecord:
    """One library's bibliographic record in libnet's normalised view."""

    library: str
    local_id: str
    title: str
    subtitle: str
    responsibility: str
    part_number: str
    part_name: str
    authors: tuple[str, ...]  # 1XX first, then 7XX
    year: int | None
    publisher: str
    place: str
    edition: str
    isbns: tuple[str, ...]  # ISBN-13 without hyphens
    issns: tuple[str, ...]  # NNNN-NNNN
    other_ids: tuple[str, ...]  # 024, 028, 035 $a as catalogued
    language: str  # ISO 639-2
    languages: tuple[str, ...]
    format: str  # one of libnet.records.formats.FORMATS
    audience: str  # "children" or ""
    subjects: tuple[str, ...]  # subdivisions joined with " / "
    series: tuple[tuple[str, str], ...]  # (title, volume)
    physical_description: str
    pages: int | None
    description: str
    urls: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def volume(self) -> str:
        """The volume of a multi-volume work this record is ("Bd. 2"), "" for none: 245 $n, or
        the numbering of a series named like the title (libnet.records.volumes)."""
        return volume_of(self.title, self.part_number, self.series)

    @property
    def part(self) -> str:
        """The volume's own title (245 $p: "Aus dem Nachlass"), "" for none."""
        return self.part_name

    def to_dict(self) -> dict:
        """A JSON-ready dict: tuples become lists, items become dicts."""
        data = {name: getattr(self, name) for name in _FIELD_NAMES}
        for name in _TUPLE_FIELDS:
            data[name] = list(data[name])
        data["series"] = [list(pair) for pair in self.series]
        data["items"] = [{name: getattr(item, name) for name in _ITEM_NAMES} for item in self.items]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> BibRecord:
        """The record to_dict() gave."""
        values = dict(data)
        for name in _TUPLE_FIELDS:
            values[name] = tuple(values[name])
        values["series"] = tuple((title, volume) for title, volume in data["series"])
        values["items"] = tuple(Item(**item) for item in data["items"])
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(BibRecord))
_TUPLE_FIELDS = ("authors", "isbns", "issns", "other_ids", "languages", "subjects", "urls")
_ITEM_NAMES = tuple(f.name for f in fields(Item))


def normalise(
    record: pymarc.Record,
    library: str,
    profile: HoldingsProfile = KOHA,
    id_field: str = "001",
) -> BibRecord:
    """Map one MARC 21 bibliographic record, or raise RecordError when it must not be indexed."""
    leader = str(record.leader).ljust(24)
    record_type, level = leader[6], leader[7]
    if record_type in NON_BIBLIOGRAPHIC:
        raise RecordError(f"not a bibliographic record (leader/06 {record_type!r})")
    gathered = Gathered()
    item_tag = profile.tag
    items = []
    for field in record.fields:
        tag = field.tag
        if tag == item_tag:
            items.append(item_from_field(field, library, profile))
        else:
            reader = _READERS.get(tag)
            if reader is not None:
                reader(gathered, field)
    if not gathered.has_245:
        _reject_unimarc(gathered, leader)
    title = gathered.title or gathered.other_title
    if not title:
        raise RecordError(NO_TITLE_REASON)
    if not title[0].isalnum() and not any(ch.isalnum() for ch in title):
        # what a record in another character set (CP1251 read as MARC-8) turns into
        raise RecordError(GARBLED_REASON)
    f008 = gathered.f008
    imprint, old_imprint = gathered.imprint, gathered.old_imprint
    language = f008[35:38].lower()
    if len(language) != 3 or not language.isascii() or not language.isalpha():
        language = ""  # "|||" not coded, "   " none
    languages = unique([language, *gathered.languages] if language else gathered.languages)
    return BibRecord(
        library=library,
        local_id=record_id(record, id_field) or "",
        title=title,
        subtitle=gathered.subtitle,
        responsibility=gathered.responsibility,
        part_number=gathered.part_number,
        part_name=gathered.part_name,
        authors=unique(gathered.main_authors + gathered.added_authors),
        year=(
            year_of(imprint[2])
            or year_of(old_imprint[2])
            or (year_of(f008[7:11]) if f008[7:11].isdigit() else None)
        ),
        publisher=imprint[1] or old_imprint[1],
        place=imprint[0] or old_imprint[0],
        edition=gathered.edition,
        isbns=unique(gathered.isbns),
        issns=unique(gathered.issns),
        other_ids=unique(gathered.other_ids),
        language=language or (languages[0] if languages else ""),
        languages=languages,
        format=format_of(record_type, level, gathered),
        audience=audience_of(record_type, level, gathered),
        subjects=unique(gathered.subjects + [" / ".join(c) for c in gathered.chains.values()]),
        series=tuple(gathered.series.values()),
        physical_description=gathered.physical_description,
        pages=gathered.pages,
        description="\n".join(gathered.descriptions),
        urls=unique(gathered.urls),
        items=tuple(items),
    )


def _reject_unimarc(gathered: Gathered, leader: str) -> None:
    if gathered.has_200a:
        raise RecordError(UNIMARC_REASON)
    if gathered.unimarc_100:
        raise RecordError("UNIMARC record (field 100 coded data, no 245): not MARC 21")
    if leader[8] in ("0", "1", "2"):  # UNIMARC's hierarchical level; MARC 21 has " " or "a"
        raise RecordError(f"UNIMARC record (leader/08 {leader[8]!r}, no 245): not MARC 21")


def _read_007(gathered: Gathered, field: pymarc.Field) -> None:
    if not gathered.f007:  # the first describes the resource itself, later ones its parts
        gathered.f007 = field.data or ""


def _read_008(gathered: Gathered, field: pymarc.Field) -> None:
    gathered.f008 = (field.data or "").ljust(40)


def _read_language(gathered: Gathered, field: pymarc.Field) -> None:
    for code, value in field.subfields:
        if code == "a":
            value = value.strip().lower()
            # older records pack several codes into one $a: "engger"
            for start in range(0, len(value) - 2, 3):
                part = value[start : start + 3]
                if part.isascii() and part.isalpha():
                    gathered.languages.append(part)


def _read_unimarc_title(gathered: Gathered, field: pymarc.Field) -> None:
    if first(field, "a"):
        gathered.has_200a = True


# coded data, languages and the UNIMARC sign read here; every other field by its concern
_READERS: dict[str, FieldReader] = {
    "007": _read_007,
    "008": _read_008,
    "041": _read_language,
    "200": _read_unimarc_title,
    **IDENTIFIER_READERS,
    **TITLE_READERS,
    **AGENT_READERS,
    **PUBLICATION_READERS,
    **SUBJECT_READERS,
    **FORMAT_READERS,
}
