"""A library's MARC 21 bibliographic record mapped to libnet's normalised view, BibRecord.

Every later stage reads BibRecord: the record store, the union index and its deduplication,
the web pages and the loan network. Text is kept as catalogued (case included); only ISBD
punctuation, non-sorting markers and extra whitespace go. Folding is the index's job.

normalise() walks the fields once and dispatches by tag: a harvest normalises thousands of
records a second, so nothing here scans the record twice or compiles a pattern per call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from operator import mul
from unicodedata import normalize

import pymarc
from stdnum import issn
from stdnum.exceptions import ValidationError

from libnet.errors import RecordError
from libnet.records.holdings import KOHA, HoldingsProfile, Item, item_from_field

FORMATS = (
    "book",
    "ebook",
    "audiobook",
    "music",
    "video",
    "map",
    "score",
    "journal",
    "article",
    "game",
    "software",
    "kit",
    "other",
)
NON_BIBLIOGRAPHIC = frozenset("quvwxyz")  # community, holdings (u v x y), classification, authority
UNIMARC_REASON = "UNIMARC record (field 200, no 245): not MARC 21"
NO_TITLE_REASON = "no title (245)"
GARBLED_REASON = "title has no letter or digit (wrong character set?)"
FIRST_YEAR, LAST_YEAR = 1000, 2099  # "2345 [2013?]" is a typo, 008 "9999" means "not known"

_ISBN = re.compile(r"(?<!\d)(?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx](?![\dXx])", re.ASCII)
_ISSN = re.compile(r"(?<!\d)\d{4}-?\d{3}[\dXx](?![\dXx])", re.ASCII)
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")
# the count right before the unit: "XII, 312 p.", "[4], 312 S.", "1 Online-Ressource (312 Seiten)"
_PAGES = re.compile(
    r"(\d+)\]?\s*(?:S\.|S\b|Seiten\b|p\.|p\b|pages?\b|pagine\b|sivua\b|sidor\b|s\.)"
)
_AGE = re.compile(r"\bab\s*(\d{1,2})\b", re.IGNORECASE)
_CHILDREN_WORDS = re.compile(
    r"kinder|kind\b|jugend|children|child\b|juvenile|young adult|bilderbuch|picture book|erstles",
    re.IGNORECASE,
)
_CHILDREN_FORMS = (  # genre terms (655 $a, 6xx $v), casefolded
    "juvenile",
    "children's",
    "kinderbuch",
    "jugendbuch",
    "bilderbuch",
    "kindersachbuch",
    "jugendsachbuch",
    "erstlesebuch",
    "picture book",
)
_CHILDREN_008 = frozenset("abcj")  # 008/22: preschool, primary, pre-adolescent, juvenile
_AUDIENCE_008_TYPES = frozenset("atcdijgkorm")  # 008/22 is target audience for these types
_ELECTRONIC_008 = frozenset("oqs")  # 008/23 form of item: online, direct electronic, electronic
_VIDEO_CARRIERS = frozenset(("vd", "vf", "vr", "vz"))
_SERIAL_LEVELS = frozenset("bis")  # books' 008 layout does not apply to these
_NOT_GIVEN = frozenset(
    (
        "s.l",
        "s.n",
        "o.o",
        "o.v",
        "sine loco",
        "sine nomine",
        "erscheinungsort nicht ermittelbar",
        "verlag nicht ermittelbar",
        "place of publication not identified",
        "publisher not identified",
    )
)
# RDA 336/337/338 terms, English and German, for records that carry no $b code
_CONTENT_TERMS = {
    "text": "txt",
    "spoken word": "spw",
    "gesprochenes wort": "spw",
    "performed music": "prm",
    "aufgeführte musik": "prm",
    "two-dimensional moving image": "tdi",
    "zweidimensionales bewegtes bild": "tdi",
    "cartographic image": "cri",
    "kartografisches bild": "cri",
    "notated music": "ntm",
    "noten": "ntm",
    "computer program": "cop",
    "computerprogramm": "cop",
    "computer dataset": "cod",
    "computerdaten": "cod",
    "three-dimensional form": "tdf",
    "dreidimensionale form": "tdf",
    "still image": "sti",
    "unbewegtes bild": "sti",
}
_MEDIA_TERMS = {
    "unmediated": "n",
    "ohne hilfsmittel zu benutzen": "n",
    "computer": "c",
    "computermedien": "c",
    "audio": "s",
    "video": "v",
    "microform": "h",
    "mikroform": "h",
    "projected": "g",
    "projizierbar": "g",
}
_CARRIER_TERMS = {
    "volume": "nc",
    "band": "nc",
    "sheet": "nb",
    "blatt": "nb",
    "object": "nr",
    "gegenstand": "nr",
    "online resource": "cr",
    "online-ressource": "cr",
    "computer disc": "cd",
    "computerdisk": "cd",
    "computer chip cartridge": "cb",
    "computerchip-cartridge": "cb",
    "audio disc": "sd",
    "audiodisk": "sd",
    "audiocassette": "ss",
    "audiokassette": "ss",
    "videodisc": "vd",
    "videodisk": "vd",
    "videocassette": "vf",
    "videokassette": "vf",
}
# a/t records whose 336 lacks "txt" were given the wrong leader/06; the content type decides
_CONTENT_FORMATS = (
    ("spw", "audiobook"),
    ("prm", "music"),
    ("tdi", "video"),
    ("cri", "map"),
    ("ntm", "score"),
    ("cop", "software"),
)
_TYPE_FORMATS = {
    "i": "audiobook",
    "j": "music",
    "c": "score",
    "d": "score",
    "e": "map",
    "f": "map",
    "r": "game",
    "o": "kit",
    "p": "kit",
}
_SUBDIVISIONS = frozenset("vxyz")
_HEADING_CODES = frozenset("abcdfgklmnopqrst")
_ISBD_END = " /:;=,."
_ISBN10_WEIGHTS = range(1, 10)


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
    format: str  # one of FORMATS
    audience: str  # "children" or ""
    subjects: tuple[str, ...]  # subdivisions joined with " / "
    series: tuple[tuple[str, str], ...]  # (title, volume)
    physical_description: str
    pages: int | None
    description: str
    urls: tuple[str, ...]
    items: tuple[Item, ...]

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


def record_id(record: pymarc.Record, id_field: str = "001") -> str | None:
    """The library's id of the record: "001", or "035$a" style tag$code; None when absent."""
    tag, _, code = id_field.partition("$")
    for field in record.fields:
        if field.tag != tag:
            continue
        if field.is_control_field():
            value = field.data or ""
        else:
            value = next((v for c, v in field.subfields if c == (code or "a")), "")
        value = value.strip()
        if value:
            return value
    return None


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
    reader = _Reader()
    item_tag = profile.tag
    items = []
    for field in record.fields:
        tag = field.tag
        if tag == item_tag:
            items.append(item_from_field(field, library, profile))
        else:
            handler = _HANDLERS.get(tag)
            if handler is not None:
                handler(reader, field)
    if not reader.has_245:
        _reject_unimarc(reader, leader)
    title = reader.title or reader.other_title
    if not title:
        raise RecordError(NO_TITLE_REASON)
    if not title[0].isalnum() and not any(ch.isalnum() for ch in title):
        # what a record in another character set (CP1251 read as MARC-8) turns into
        raise RecordError(GARBLED_REASON)
    f008 = reader.f008
    imprint, old_imprint = reader.imprint, reader.old_imprint
    language = f008[35:38].lower()
    if len(language) != 3 or not language.isascii() or not language.isalpha():
        language = ""  # "|||" not coded, "   " none
    languages = _unique([language, *reader.languages] if language else reader.languages)
    return BibRecord(
        library=library,
        local_id=record_id(record, id_field) or "",
        title=title,
        subtitle=reader.subtitle,
        responsibility=reader.responsibility,
        part_number=reader.part_number,
        part_name=reader.part_name,
        authors=_unique(reader.main_authors + reader.added_authors),
        year=(
            _year(imprint[2])
            or _year(old_imprint[2])
            or (_year(f008[7:11]) if f008[7:11].isdigit() else None)
        ),
        publisher=imprint[1] or old_imprint[1],
        place=imprint[0] or old_imprint[0],
        edition=reader.edition,
        isbns=_unique(reader.isbns),
        issns=_unique(reader.issns),
        other_ids=_unique(reader.other_ids),
        language=language or (languages[0] if languages else ""),
        languages=languages,
        format=_format(record_type, level, reader),
        audience=_audience(record_type, level, reader),
        subjects=_unique(reader.subjects + [" / ".join(c) for c in reader.chains.values()]),
        series=tuple(reader.series.values()),
        physical_description=reader.physical_description,
        pages=reader.pages,
        description="\n".join(reader.descriptions),
        urls=_unique(reader.urls),
        items=tuple(items),
    )


def _reject_unimarc(reader: _Reader, leader: str) -> None:
    if reader.has_200a:
        raise RecordError(UNIMARC_REASON)
    if reader.unimarc_100:
        raise RecordError("UNIMARC record (field 100 coded data, no 245): not MARC 21")
    if leader[8] in ("0", "1", "2"):  # UNIMARC's hierarchical level; MARC 21 has " " or "a"
        raise RecordError(f"UNIMARC record (leader/08 {leader[8]!r}, no 245): not MARC 21")


class _Reader:
    """What one walk over a record's fields gathers; each handler reads one kind of field."""

    __slots__ = (
        "added_authors",
        "audience_notes",
        "carrier",
        "chains",
        "children_form",
        "content",
        "descriptions",
        "edition",
        "f007",
        "f008",
        "has_200a",
        "has_245",
        "imprint",
        "isbns",
        "issns",
        "languages",
        "main_authors",
        "media",
        "old_imprint",
        "other_ids",
        "other_title",
        "pages",
        "part_name",
        "part_number",
        "physical_description",
        "responsibility",
        "series",
        "subjects",
        "subtitle",
        "title",
        "unimarc_100",
        "urls",
    )

    def __init__(self) -> None:
        self.f007 = ""
        self.f008 = ""
        self.has_245 = self.has_200a = self.unimarc_100 = self.children_form = False
        self.title = self.subtitle = self.responsibility = ""
        self.part_number = self.part_name = self.other_title = ""
        self.edition = self.physical_description = ""
        self.pages: int | None = None
        self.imprint = self.old_imprint = ("", "", "")  # place, publisher, date
        self.isbns: list[str] = []
        self.issns: list[str] = []
        self.other_ids: list[str] = []
        self.languages: list[str] = []
        self.main_authors: list[str] = []
        self.added_authors: list[str] = []
        self.subjects: list[str] = []
        self.chains: dict[str, list[str]] = {}
        self.series: dict[str, tuple[str, str]] = {}
        self.descriptions: list[str] = []
        self.urls: list[str] = []
        self.audience_notes: list[str] = []
        self.content: set[str] = set()
        self.media: set[str] = set()
        self.carrier: set[str] = set()

    def read_007(self, field: pymarc.Field) -> None:
        if not self.f007:  # the first describes the resource itself, later ones its parts
            self.f007 = field.data or ""

    def read_008(self, field: pymarc.Field) -> None:
        self.f008 = (field.data or "").ljust(40)

    def read_isbn(self, field: pymarc.Field) -> None:
        for code, value in field.subfields:
            if code == "a":  # $z holds cancelled or invalid ISBNs: never ours
                match = _ISBN.search(value)  # one ISBN per 020; the rest is qualifiers
                number = _isbn13(match.group()) if match else ""
                if number:
                    self.isbns.append(number)

    def read_issn(self, field: pymarc.Field) -> None:
        for code, value in field.subfields:
            if code == "a":
                match = _ISSN.search(value)
                number = _issn(match.group()) if match else ""
                if number:
                    self.issns.append(number)

    def read_other_id(self, field: pymarc.Field) -> None:
        for code, value in field.subfields:
            if code == "a" and value.strip():
                self.other_ids.append(value.strip())

    def read_language(self, field: pymarc.Field) -> None:
        for code, value in field.subfields:
            if code == "a":
                value = value.strip().lower()
                # older records pack several codes into one $a: "engger"
                for start in range(0, len(value) - 2, 3):
                    part = value[start : start + 3]
                    if part.isascii() and part.isalpha():
                        self.languages.append(part)

    def read_main_author(self, field: pymarc.Field) -> None:
        name = _name(field)
        if name[:8].isdigit() and field.tag == "100":
            # UNIMARC's 100 is coded data ("19961119d1996    ..."), MARC 21's a name
            self.unimarc_100 = True
        elif name:
            self.main_authors.append(name)

    def read_added_author(self, field: pymarc.Field) -> None:
        name = _name(field)
        if name:
            self.added_authors.append(name)

    def read_uniform_title(self, field: pymarc.Field) -> None:
        if not self.other_title:
            self.other_title = _title(_first(field, "a"))

    def read_title(self, field: pymarc.Field) -> None:
        if self.has_245:
            return
        self.has_245 = True
        first = dict(reversed(field.subfields))
        self.title = _title(first.get("a", "")) or _title(first.get("k", ""))
        self.subtitle = _title(first.get("b", ""))
        self.responsibility = _clean(first.get("c", ""))
        if "n" in first or "p" in first:
            numbers = [_clean(v) for c, v in field.subfields if c == "n"]
            names = [_title(v) for c, v in field.subfields if c == "p"]
            self.part_number = ", ".join(n for n in numbers if n)
            self.part_name = ", ".join(n for n in names if n)

    def read_varying_title(self, field: pymarc.Field) -> None:
        if not self.other_title:
            self.other_title = _title(_first(field, "a"))

    def read_edition(self, field: pymarc.Field) -> None:
        if not self.edition:
            # the final period of "2nd ed." or "2. Aufl." is an abbreviation's: keep it
            self.edition = _clean(_first(field, "a"), " /:;=,")

    def read_imprint(self, field: pymarc.Field) -> None:
        if field.tag == "260":
            if self.old_imprint == ("", "", ""):
                self.old_imprint = _imprint(field)
        elif field.indicator2 == "1" and self.imprint == ("", "", ""):
            self.imprint = _imprint(field)

    def read_extent(self, field: pymarc.Field) -> None:
        if self.physical_description:
            return
        parts = [v for c, v in field.subfields if c in ("a", "b", "c")]
        self.physical_description = " ".join(" ".join(parts).split()).rstrip(" +:;,")
        match = _PAGES.search(_first(field, "a"))
        if match:
            self.pages = int(match.group(1))

    def read_content_type(self, field: pymarc.Field) -> None:
        _rda_codes(field, self.content, _CONTENT_TERMS)

    def read_media_type(self, field: pymarc.Field) -> None:
        _rda_codes(field, self.media, _MEDIA_TERMS)

    def read_carrier_type(self, field: pymarc.Field) -> None:
        _rda_codes(field, self.carrier, _CARRIER_TERMS)

    def read_series_statement(self, field: pymarc.Field) -> None:
        first = dict(reversed(field.subfields))
        title, volume = first.get("a", ""), first.get("v", "")
        if not volume and " ; " in title:  # "Her Waste ; pt. 1"
            title, volume = title.rsplit(" ; ", 1)
        self._add_series(title, volume)

    def read_series_entry(self, field: pymarc.Field) -> None:
        # 800/810/811 give the author in $a and the series in $t; 830 the series in $a
        first = dict(reversed(field.subfields))
        self._add_series(first.get("t") or first.get("a", ""), first.get("v", ""))

    def _add_series(self, title: str, volume: str) -> None:
        title, volume = _title(title), _clean(volume)
        if not title:
            return
        key = title.casefold()
        known = self.series.get(key)
        if known is None or (volume and not known[1]):
            self.series[key] = (known[0] if known else title, volume)

    def read_subject(self, field: pymarc.Field) -> None:
        heading, parts = [], []
        for code, value in field.subfields:
            if code in _SUBDIVISIONS:
                part = _clean(value)
                if part:
                    parts.append(part)
                    if code == "v" and part.casefold().startswith(_CHILDREN_FORMS):
                        self.children_form = True
            elif code in _HEADING_CODES:
                heading.append(value)
        text = _clean(" ".join(heading))
        if text:
            parts.insert(0, text)
            if field.tag == "655" and text.casefold().startswith(_CHILDREN_FORMS):
                self.children_form = True
        if parts:
            self.subjects.append(" / ".join(parts))

    def read_subject_chain(self, field: pymarc.Field) -> None:
        # German RSWK: 689 ind1 numbers the chain, one field per link
        term = _clean(_first(field, "a"))
        if term:
            self.chains.setdefault(field.indicator1, []).append(term)

    def read_audience_note(self, field: pymarc.Field) -> None:
        text = _first(field, "a")
        if text:
            self.audience_notes.append(text)

    def read_summary(self, field: pymarc.Field) -> None:
        text = " ".join(_first(field, "a").split())
        if text:
            self.descriptions.append(text)

    def read_url(self, field: pymarc.Field) -> None:
        for code, value in field.subfields:
            if code == "u" and value.strip():
                self.urls.append(value.strip())

    def read_unimarc_title(self, field: pymarc.Field) -> None:
        if _first(field, "a"):
            self.has_200a = True


_HANDLERS: dict[str, Callable[[_Reader, pymarc.Field], None]] = {
    "007": _Reader.read_007,
    "008": _Reader.read_008,
    "020": _Reader.read_isbn,
    "022": _Reader.read_issn,
    "024": _Reader.read_other_id,
    "028": _Reader.read_other_id,
    "035": _Reader.read_other_id,
    "041": _Reader.read_language,
    "100": _Reader.read_main_author,
    "110": _Reader.read_main_author,
    "111": _Reader.read_main_author,
    "130": _Reader.read_uniform_title,
    "200": _Reader.read_unimarc_title,
    "240": _Reader.read_uniform_title,
    "245": _Reader.read_title,
    "246": _Reader.read_varying_title,
    "250": _Reader.read_edition,
    "260": _Reader.read_imprint,
    "264": _Reader.read_imprint,
    "300": _Reader.read_extent,
    "336": _Reader.read_content_type,
    "337": _Reader.read_media_type,
    "338": _Reader.read_carrier_type,
    "385": _Reader.read_audience_note,
    "440": _Reader.read_series_statement,
    "490": _Reader.read_series_statement,
    "520": _Reader.read_summary,
    "521": _Reader.read_audience_note,
    "600": _Reader.read_subject,
    "610": _Reader.read_subject,
    "611": _Reader.read_subject,
    "630": _Reader.read_subject,
    "650": _Reader.read_subject,
    "651": _Reader.read_subject,
    "655": _Reader.read_subject,
    "689": _Reader.read_subject_chain,
    "700": _Reader.read_added_author,
    "710": _Reader.read_added_author,
    "711": _Reader.read_added_author,
    "800": _Reader.read_series_entry,
    "810": _Reader.read_series_entry,
    "811": _Reader.read_series_entry,
    "830": _Reader.read_series_entry,
    "856": _Reader.read_url,
}


def _format(record_type: str, level: str, reader: _Reader) -> str:
    """One of FORMATS from leader/06-07, 007, 008 and the RDA 336/337/338 types."""
    if level == "s":
        return "journal"
    if record_type in ("a", "t"):
        if level in ("a", "b"):
            return "article"
        content = reader.content
        if content and "txt" not in content:
            for code, name in _CONTENT_FORMATS:
                if code in content:
                    return name
        return "ebook" if _electronic(reader) else "book"
    if record_type == "g":
        video = (
            reader.f007[:1] in ("v", "m")
            or reader.f008[33:34] in ("v", "m")
            or "tdi" in reader.content
            or not _VIDEO_CARRIERS.isdisjoint(reader.carrier)
        )
        return "video" if video else "other"
    if record_type == "m":
        return "game" if reader.f008[26:27] == "g" else "software"
    return _TYPE_FORMATS.get(record_type, "other")


def _electronic(reader: _Reader) -> bool:
    if reader.f008[23:24] in _ELECTRONIC_008 or reader.f007[:1] == "c" or "cr" in reader.carrier:
        return True
    # a printed book with a CD-ROM has 337 "n" and 338 "nc" besides "c" and "cd"
    if reader.carrier:
        return all(code[:1] == "c" for code in reader.carrier)
    return reader.media == {"c"}


def _audience(record_type: str, level: str, reader: _Reader) -> str:
    if (
        record_type in _AUDIENCE_008_TYPES
        and level not in _SERIAL_LEVELS
        and reader.f008[22:23] in _CHILDREN_008
    ):
        return "children"
    if reader.children_form:
        return "children"
    for note in reader.audience_notes:
        lowered = note.casefold()
        if "fsk" in lowered or "usk" in lowered or "pegi" in lowered:
            continue  # film and game ratings: "FSK ab 0" is no children's film
        if _CHILDREN_WORDS.search(note):
            return "children"
        age = _AGE.search(note)
        if age and int(age.group(1)) <= 12:
            return "children"
    return ""


def _rda_codes(field: pymarc.Field, codes: set[str], terms: dict[str, str]) -> None:
    for code, value in field.subfields:
        if code == "b":
            codes.add(value.strip().lower())
        elif code == "a":
            known = terms.get(value.strip().lower())
            if known:
                codes.add(known)


def _isbn13(text: str) -> str:
    """The ISBN-13 of a valid ISBN (10 or 13 digits), "" for an invalid one.

    The check digit is tested before conversion: converting computes a new check digit and
    would turn a wrong ISBN-10 into a valid-looking ISBN-13. This does what
    stdnum.isbn.validate() and to_isbn13() do (a test compares the two on random numbers) at
    a tenth of the cost: stdnum took 9 µs per ISBN-13, a fifth of a typical record's mapping.
    """
    number = "".join(text.split()).replace("-", "").upper()  # _ISBN matched ASCII only
    if len(number) == 10:
        if not number[:9].isdigit():
            return ""
        # digits as bytes: b"0" is 48, so each weighted sum is off by 48 times its weights
        check = (sum(map(mul, _ISBN10_WEIGHTS, number[:9].encode())) - 48 * 45) % 11
        if number[9] != ("X" if check == 10 else str(check)):
            return ""
        body = "978" + number[:9]
        return body + _ean_check_digit(body)
    if len(number) == 13 and number.isdigit() and number[:3] in ("978", "979"):
        return number if number[12] == _ean_check_digit(number[:12]) else ""
    return ""


def _ean_check_digit(body: str) -> str:
    """The check digit of a 12-digit EAN body: weights 1 and 3 alternating."""
    digits = body.encode()
    return str((48 * 24 - sum(digits[0::2]) - 3 * sum(digits[1::2])) % 10)


def _issn(text: str) -> str:
    try:
        return issn.format(issn.validate(text))
    except ValidationError:
        return ""


def _imprint(field: pymarc.Field) -> tuple[str, str, str]:
    place = publisher = date = ""
    for code, value in field.subfields:
        if code == "a" and not place:
            place = _supplied(value)
        elif code == "b" and not publisher:
            publisher = _supplied(value)
        elif code == "c" and not date:
            date = value
    return place, publisher, date


def _supplied(value: str) -> str:
    """Place or publisher without the brackets of supplied data; "" for "[S.l.]", "[s.n.]"."""
    text = _abbreviated(value.replace("[", "").replace("]", ""))
    return "" if text.casefold().rstrip(".") in _NOT_GIVEN else text


def _year(text: str) -> int | None:
    """The first plausible four-digit year in "c2019", "[2019]", "2019?", "[1968, c1962]"."""
    bare = text.strip(" []c?.©")
    if len(bare) == 4 and bare.isascii() and bare.isdigit():  # the usual case, done quickly
        year = int(bare)
        return year if FIRST_YEAR <= year <= LAST_YEAR else None
    for match in _YEAR.finditer(text):
        year = int(match.group())
        if FIRST_YEAR <= year <= LAST_YEAR:
            return year
    return None


def _name(field: pymarc.Field) -> str:
    """$a of a name field, with $b for corporate bodies; dates and roles left out."""
    corporate = field.tag in ("110", "710")
    parts = [v for c, v in field.subfields if c == "a" or (corporate and c == "b")]
    if not parts:
        return ""
    if not corporate:
        parts = parts[:1]
    return _abbreviated(" ".join(parts))


def _abbreviated(value: str) -> str:
    """Like _clean, but a final initial keeps its period: "Mullin, Virginia L.", "N.Y."."""
    text = _clean(value)
    if (
        len(text) >= 2
        and text[-1].isupper()
        and text[-2] in " .-"
        and value.rstrip(" /:;=,").endswith(".")
    ):
        text += "."
    return text


def _first(field: pymarc.Field, wanted: str) -> str:
    for code, value in field.subfields:
        if code == wanted:
            return value
    return ""


def _title(value: str) -> str:
    """A title as catalogued, without brackets of a supplied title."""
    if "[" in value or "]" in value:
        value = value.replace("[", "").replace("]", "")
    return _clean(value)


def _clean(value: str, trailing: str = _ISBD_END) -> str:
    """Text without non-sorting markers, ISBD end punctuation and extra whitespace."""
    if not value:
        return ""
    if not value.isascii():
        if "\x98" in value or "\x9c" in value:
            value = value.replace("\x98", "").replace("\x9c", "")
        value = normalize("NFC", value)
    if "<<" in value:  # the German "<<Die>> Zauberflöte"
        value = value.replace("<<", "").replace(">>", "")
    value = " ".join(value.split())
    stripped = value.rstrip(trailing)
    if len(stripped) != len(value) and value.rstrip(" /:;=,").endswith("..."):
        return value.rstrip(" /:;=,")  # an ellipsis belongs to the text
    return stripped


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values)) if len(values) > 1 else tuple(values)
