"""Seeded demo catalogue: the eleven libraries' MARC exports, and the truth about them.

The project ships no third-party data, so ``make demo`` and the benchmarks run on this. Each
edition (manifestation) is held by one to eight libraries; each library catalogues it with its
own habits (ISBN-10 or -13, ISBD punctuation or not, RAK or RDA, umlauts spelt out...), which
is the work a union catalogue has to do. ``truth.tsv`` says which records are one edition and
which editions are one work. Records are written as they are made, so memory stays flat.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from pymarc import Field, Indicators, Record, Subfield

from libnet.demo_words import (
    ADJ,
    ADJF,
    ALBUMS,
    BANDS,
    BY_GENRE,
    CATS,
    CHILD_NAMES,
    CHILD_SUBJECTS,
    CHILD_SUMMARY,
    CHILD_TITLES,
    CHILD_TWIST,
    CRIME_SUMMARY,
    CRIME_TITLES,
    CRIME_TWIST,
    DOES,
    EN_FIRST,
    EN_SURNAMES,
    EN_TITLES,
    FEMALE,
    FILM_TITLES,
    FILMS,
    GENERIC_TITLES,
    LABELS,
    MALE,
    MULTIPART,
    NONFICTION,
    NOUN,
    NOUNF,
    NOVEL_SUBJECTS,
    NOVEL_SUMMARY,
    NOVEL_TITLES,
    NOVEL_TWIST,
    PLACES,
    PUBLISHERS,
    RUHR,
    SERIES,
    SERIES_BY_NAME,
    SONGS,
    SURNAMES,
    parse_table,
)

_MARC_NS = "http://www.loc.gov/MARC21/slim"


@dataclass(frozen=True, slots=True)
class DemoLibrary:
    """One demo library and the shape of its export."""

    code: str
    name: str
    syntax: str  # "iso2709" | "marcxml"
    encoding: str  # "utf-8" | "marc-8" (marc-8 only with iso2709)
    holdings: str  # "koha" (items in 952) | "924" (German union-catalogue holdings)
    isil: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What generate() wrote; records and per_library count broken records too."""

    records: int
    broken: int
    files: tuple[Path, ...]
    per_library: dict[str, int]


DEMO_LIBRARIES: tuple[DemoLibrary, ...] = tuple(
    DemoLibrary(*row)
    for row in parse_table("""
castrop-rauxel   | Stadtbibliothek Castrop-Rauxel   | iso2709 | utf-8  | koha | DE-Demo-CAS
datteln          | Stadtbibliothek Datteln          | marcxml | utf-8  | koha | DE-Demo-DAT
dorsten          | Stadtbibliothek Dorsten          | iso2709 | marc-8 | koha | DE-Demo-DOR
gladbeck         | Stadtbücherei Gladbeck           | marcxml | utf-8  | koha | DE-Demo-GLA
haltern          | Stadtbücherei Haltern am See     | iso2709 | utf-8  | 924  | DE-Demo-HAL
herten           | Stadtbibliothek Herten           | marcxml | utf-8  | koha | DE-Demo-HER
marl             | Stadtbibliothek Marl             | iso2709 | utf-8  | koha | DE-Demo-MAR
oer-erkenschwick | Stadtbücherei Oer-Erkenschwick   | marcxml | utf-8  | 924  | DE-Demo-OER
recklinghausen   | Stadtbibliothek Recklinghausen   | iso2709 | utf-8  | koha | DE-Demo-REC
waltrop          | Stadtbücherei Waltrop            | marcxml | utf-8  | koha | DE-Demo-WAL
kreis | Kreis Recklinghausen, Kreisergänzungsbücherei | iso2709 | utf-8  | 924  | DE-Demo-KRE
""")
)


# --------------------------------------------------------------------------- library habits


@dataclass(frozen=True, slots=True)
class _Habits:
    """How one library catalogues; shares are probabilities per record."""

    size: float = 3.0  # relative stock size: who holds an edition
    id_prefix: str = ""
    id_start: int = 1
    barcode_prefix: str = "9"
    rda_from: int = 2016  # records entered from this year on are RDA (264, "Seiten")
    isbd: float = 0.5  # ISBD punctuation in 245/264/300/490
    isbn10: float = 0.2  # ISBN written as ISBN-10
    hyphens: float = 0.5
    qualifier: float = 0.3  # "(geb.)", ": EUR 12.00" with the ISBN
    no_isbn: float = 0.03
    subtitle: float = 0.8
    article_flag: float = 0.9  # non-sorting article counted in 245 ind2
    angle_article: float = 0.0  # "<<Die>> Tochter ..." (old German non-sort marks)
    spelt_out: float = 0.0  # umlauts written ae, oe, ue, ss
    subjects: float = 0.8
    summary: float = 0.5
    dnb_copy: float = 0.3  # copied from the DNB: 035 (DE-101) and 020 $9
    call_style: int = 0


# positional: size, id_prefix, id_start, barcode_prefix, rda_from, isbd, isbn10, hyphens,
# qualifier, no_isbn
# fmt: off
_HABITS: dict[str, _Habits] = {
    "castrop-rauxel": _Habits(7, "", 40_000, "3101", 2016, 0.7, 0.25, 0.6, 0.3),
    "datteln": _Habits(3.5, "", 1_000, "3102", 2017, 0.4, 0.3, 0.3, 0.5, call_style=1),
    "dorsten": _Habits(7, "", 500_000, "3103", 9999, 0.9, 0.5, 0.7, 0.5, 0.05, dnb_copy=0.0),
    "gladbeck": _Habits(7, "", 200_000, "3104", 2015, 0.3, 0.1, 0.4, 0.2, subtitle=0.6),
    "haltern": _Habits(4, "HAL", 1_200_000, "", 2018, 0.6, 0.2, 0.8, 0.2, call_style=2),
    "herten": _Habits(6, "", 5_000, "3106", 2016, 0.2, 0.3, 0.2, 0.3, spelt_out=0.3,
                      article_flag=0.5),
    "marl": _Habits(8, "", 300_000, "3107", 2015, 0.8, 0.15, 0.7, 0.4, dnb_copy=0.6),
    "oer-erkenschwick": _Habits(3, "OE", 70_000, "", 2019, 0.5, 0.35, 0.5, 0.2, spelt_out=0.1,
                                call_style=1),
    "recklinghausen": _Habits(10, "", 1_000_000, "3109", 2015, 0.9, 0.1, 0.9, 0.4,
                              dnb_copy=0.7, summary=0.8),
    "waltrop": _Habits(3, "", 9_000, "3110", 2017, 0.5, 0.4, 0.3, 0.3, spelt_out=0.15,
                       subtitle=0.5),
    "kreis": _Habits(3, "KRE", 10_000_000, "", 2016, 0.7, 0.2, 0.6, 0.3, angle_article=0.4,
                     call_style=2),
}
# fmt: on

# Share of works by kind (each kind has a maker in _Catalogue).
_GENRES = {"crime": 14, "novel": 19, "english": 4, "generic": 4, "children": 15, "series": 11,
           "nonfiction": 15, "multipart": 2, "film": 10, "music": 6}  # fmt: skip

# How many libraries hold one edition: most few, popular ones most (mean about 2.5).
_HOLDERS = (1, 2, 3, 4, 5, 6, 7, 8)
_HOLDER_WEIGHTS = (36, 26, 15, 9, 6, 4, 2, 2)
_BROKEN_SHARE = 0.002
_FIRST_BROKEN_AFTER = 5  # every library gets one broken record early, so small runs have one

_ISO_BREAKS = ("directory_past_end", "wrong_length", "invalid_utf8", "no_001")
_MARC8_BREAKS = ("directory_past_end", "wrong_length", "marc8_labelled_utf8", "no_001")
_XML_BREAKS = ("datafield_without_tag", "no_001", "junk_element")


# --------------------------------------------------------------------------- the catalogue


@dataclass(frozen=True, slots=True)
class _Person:
    surname: str
    forename: str
    born: int | None

    @property
    def inverted(self) -> str:
        return f"{self.surname}, {self.forename}"

    @property
    def direct(self) -> str:
        return f"{self.forename} {self.surname}"


@dataclass(frozen=True, slots=True)
class _Work:
    """What all editions of one work share: creators, title, subjects, audience."""

    work_id: str
    genre: str  # crime novel english generic children series nonfiction multipart film music
    title: str
    authors: tuple[_Person, ...] = ()
    band: str | None = None  # corporate creator (110)
    subtitle: str | None = None
    language: str = "ger"
    translated_from: str | None = None
    translator: _Person | None = None
    audience: str = " "  # 008/22: "j" for children
    age: int | None = None
    subjects: tuple[str, ...] = ()
    summary: str | None = None
    series: str | None = None
    volume: int | None = None
    call_group: str = "Rom"
    lit_form: str = "1"  # 008/33 of books: 1 fiction, 0 non-fiction, p poetry...
    parallel: str | None = None  # bilingual books: parallel title, second language
    second_language: str | None = None
    contributors: tuple[tuple[_Person, str, str], ...] = ()  # person, $e, $4


@dataclass(frozen=True, slots=True)
class _Edition:
    """One manifestation: what every library's record of it must agree on."""

    edition_id: str
    work: _Work
    carrier: str  # book ebook audiobook dvd music
    year: int
    publisher: str  # key into PUBLISHERS, or a label name for DVDs and CDs
    place: str  # key into PLACES
    isbn: str | None  # 13 digits
    prefix_len: int  # digits of group + publisher in the ISBN-10, for hyphens
    dnb_id: str | None
    height: int
    price: str
    ean: str | None = None
    edition: tuple[str, str] | None = None  # (RDA, RAK) edition statement
    extent: int = 0  # pages, or minutes
    discs: int = 0
    binding: str = ""  # ISBN qualifier
    part: tuple[str, str] | None = None  # number, title of a volume of a multipart work
    url: str | None = None
    print_isbn: str | None = None  # for e-books: the print edition's ISBN (776)
    abridged: bool = False


class _Numbers:
    """ISBN, EAN and DNB number ranges; every number is used once."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next: dict[tuple[str, str], int] = {}
        self._ean = 4_012_345_000_000 // 10 + rng.randrange(1000)
        self._dnb = 100_000_000 + rng.randrange(10_000_000)

    def isbn(self, publisher: str) -> tuple[str, int, str]:
        """A fresh ISBN-13, the length of its group+publisher prefix, and its publisher.

        A small publisher's ranges run out in big runs; its books then go to another
        publisher of the same language group, so no ISBN is ever given twice.
        """
        group = PUBLISHERS[publisher][2][0][0]
        others = [p for p, row in PUBLISHERS.items() if p != publisher and row[2][0][0] == group]
        for candidate in (publisher, *others):
            for prefix in PUBLISHERS[candidate][2]:
                digits = 9 - len(prefix[0]) - len(prefix[1])
                number = self._next.get(prefix, self._rng.randrange(10**digits // 20 + 1))
                if number < 10**digits:
                    self._next[prefix] = number + self._rng.randint(1, 2)
                    body = f"978{prefix[0]}{prefix[1]}{number:0{digits}d}"
                    return body + _isbn13_check(body), 9 - digits, candidate
        raise ValueError("the demo's ISBN ranges are exhausted: ask for fewer titles")

    def ean(self) -> str:
        self._ean += self._rng.randint(1, 9)
        body = f"{self._ean:012d}"
        return body + _isbn13_check(body)

    def dnb(self) -> str:
        self._dnb += self._rng.randint(1, 400)
        body = str(self._dnb)
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        return body + ("X" if check == 10 else str(check))


def _isbn13_check(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def _isbn10(isbn13: str) -> str:
    body = isbn13[3:12]
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return body + ("X" if check == 10 else str(check))


def _hyphenate(digits: str, prefix_len: int) -> str:
    """ISBN with hyphens after group, publisher and title number (978 first for ISBN-13)."""
    head, rest = ("978-", digits[3:]) if len(digits) == 13 else ("", digits)
    # every group the demo uses (0, 1, 3) is one digit long
    return f"{head}{rest[:1]}-{rest[1:prefix_len]}-{rest[prefix_len:9]}-{rest[9:]}"


class _Catalogue:
    """Makes works and their editions from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.numbers = _Numbers(rng)
        self.work_count = 0
        self.edition_count = 0
        self.series_next = {series.name: rng.randint(1, 180) for series in SERIES}
        self.authors = [self._person(FEMALE + MALE, SURNAMES) for _ in range(500)]
        self.en_authors = [self._person(EN_FIRST, EN_SURNAMES) for _ in range(60)]

    def _person(self, forenames: tuple[str, ...], surnames: tuple[str, ...]) -> _Person:
        rng = self.rng
        born = rng.randint(1938, 1995) if rng.random() < 0.6 else None
        return _Person(rng.choice(surnames), rng.choice(forenames), born)

    def _author(self, english: bool = False) -> _Person:
        # a few authors write much: a skewed pick from a fixed pool
        pool = self.en_authors if english else self.authors
        return pool[int(len(pool) * self.rng.random() ** 1.5)]

    def next_work(self) -> list[_Edition]:
        """The editions of the next work (several for multipart works and formats)."""
        rng = self.rng
        self.work_count += 1
        work_id = f"W{self.work_count:07d}"
        genre = rng.choices(tuple(_GENRES), tuple(_GENRES.values()))[0]
        work = getattr(self, f"_{genre}")(work_id)
        year = 2025 - min(int(rng.expovariate(1 / 6)), 40)
        if genre == "multipart":
            return self._parts(work, year)
        if genre in ("film", "music"):
            return [self._media(work, year)]
        return self._formats(work, year)

    # ---- works

    def _crime(self, work_id: str) -> _Work:
        rng = self.rng
        author = self._author()
        place = rng.choice(RUHR)
        summary = (
            f"Kommissarin {rng.choice(SURNAMES)} ermittelt in {place}: "
            f"{rng.choice(CRIME_SUMMARY)} {rng.choice(CRIME_TWIST)}"
        )
        subtitle = rng.choice(
            ("Kriminalroman", "Ein Ruhrgebietskrimi", f"Ein {place}-Krimi", "Kriminalroman")
        )
        return _Work(
            work_id,
            "crime",
            rng.choice(CRIME_TITLES),
            authors=(author,),
            subtitle=subtitle,
            summary=summary,
            call_group="Kri",
            subjects=("Kriminalroman", "Mord", "Ruhrgebiet", place),
        )

    def _novel(self, work_id: str) -> _Work:
        rng = self.rng
        translated = rng.random() < 0.2
        author = self._author(english=translated)
        place = rng.choice((*RUHR, "Münster", "Triest", "Danzig", "Amsterdam"))
        heroine = rng.choice(FEMALE)
        summary = f"{heroine} {rng.choice(NOVEL_SUMMARY)} {place}. {rng.choice(NOVEL_TWIST)}"
        authors = (author,) if rng.random() < 0.92 else (author, self._author())
        return _Work(
            work_id,
            "novel",
            rng.choice(NOVEL_TITLES),
            authors=authors,
            subtitle="Roman" if rng.random() < 0.8 else "Roman in drei Teilen",
            translated_from="eng" if translated else None,
            translator=self._author() if translated else None,
            summary=summary,
            subjects=tuple(rng.sample(NOVEL_SUBJECTS, 2)),
        )

    def _english(self, work_id: str) -> _Work:
        rng = self.rng
        return _Work(
            work_id,
            "english",
            rng.choice(EN_TITLES),
            authors=(self._author(english=True),),
            subtitle="A Novel" if rng.random() < 0.4 else None,
            language="eng",
            call_group="Eng",
            subjects=("Englisch", "Roman"),
        )

    def _generic(self, work_id: str) -> _Work:
        # the deduplicator's trap: one short title, many different books
        rng = self.rng
        title = rng.choice(GENERIC_TITLES)
        english = title == "Poems"
        lit = {
            "Gedichte": "p",
            "Poems": "p",
            "Erzählungen": "j",
            "Geschichten": "j",
            "Kochbuch": "0",
            "Märchen": "f",
        }.get(title, "1")
        group = {"p": "Lyr", "0": "Xh 1"}.get(lit, "Rom")
        return _Work(
            work_id,
            "generic",
            title,
            authors=(self._author(english),),
            language="eng" if english else "ger",
            lit_form=lit,
            call_group=group,
            subjects=(title,),
        )

    def _children(self, work_id: str) -> _Work:
        rng = self.rng
        name = rng.choice(CHILD_NAMES)
        title = rng.choice(CHILD_TITLES).format(name=name, place=rng.choice(RUHR))
        age = rng.choice((3, 4, 5, 6, 8, 8, 10, 12))
        subjects = tuple(rng.sample(CHILD_SUBJECTS, 2))
        illustrator = self._author()
        bilingual = age <= 5 and rng.random() < 0.15
        return _Work(
            work_id,
            "children",
            title,
            authors=(self._author(),),
            audience="j",
            age=age,
            subjects=subjects,
            call_group="Bi" if age <= 5 else f"J {subjects[0]}",
            summary=f"{name} {rng.choice(CHILD_SUMMARY)} {rng.choice(CHILD_TWIST)}",
            parallel=f"{name} ve ejderha" if bilingual else None,
            second_language="tur" if bilingual else None,
            contributors=((illustrator, "Illustrator", "ill"),),
        )

    def _series(self, work_id: str) -> _Work:
        rng = self.rng
        series = rng.choice(SERIES)
        name, age, subjects = series.name, series.age, series.subjects
        volume = self.series_next[name]
        self.series_next[name] += 1
        title = rng.choice(series.patterns).format(
            adj=rng.choice(ADJ), noun=rng.choice(NOUN), adjf=rng.choice(ADJF),
            nounf=rng.choice(NOUNF), does=rng.choice(DOES), phrase=rng.choice(CATS),
            crime=rng.choice(CRIME_TITLES),
        )  # fmt: skip
        adult = age is None
        return _Work(
            work_id, "series", title, authors=(self._series_author(name),),
            audience=" " if adult else "j", age=age, series=name, volume=volume,
            subtitle="Kriminalroman" if adult else None, subjects=subjects,
            call_group="Kri" if adult else f"J {subjects[0]}",
        )  # fmt: skip

    def _series_author(self, series: str) -> _Person:
        # one author per series (seeded by the series name), a second one now and then
        index = sum(map(ord, series)) % len(self.authors)
        return self.authors[index if self.rng.random() < 0.8 else (index + 1) % 500]

    def _nonfiction(self, work_id: str) -> _Work:
        rng = self.rng
        titles, subjects, notation, subtitles = rng.choice(NONFICTION)
        topic = rng.choice(titles)
        return _Work(
            work_id,
            "nonfiction",
            topic,
            authors=(self._author(),),
            subtitle=rng.choice(subtitles) if rng.random() < 0.7 else None,
            subjects=tuple(rng.sample(subjects, min(2, len(subjects)))),
            call_group=notation,
            lit_form="0",
            summary=(
                f"Der Band zeigt Schritt für Schritt: {topic}. "
                "Mit vielen Abbildungen und Tipps aus der Praxis."
            ),
        )

    def _multipart(self, work_id: str) -> _Work:
        rng = self.rng
        title, _parts, subjects = rng.choice(MULTIPART)
        editor = self._author()
        return _Work(
            work_id,
            "multipart",
            title,
            subjects=subjects,
            call_group="Ego",
            lit_form="0",
            contributors=((editor, "Herausgeber", "edt"),),
        )

    def _film(self, work_id: str) -> _Work:
        rng = self.rng
        genre, group = rng.choice(FILMS)
        children = rng.random() < 0.25
        director = self._author()
        actors = tuple((self._author(), "Darsteller", "act") for _ in range(rng.randint(1, 3)))
        return _Work(
            work_id,
            "film",
            rng.choice(FILM_TITLES),
            audience="j" if children else " ",
            age=rng.choice((0, 6)) if children else rng.choice((6, 12, 12, 16)),
            subjects=(genre, "Spielfilm"),
            call_group="DVD Kin" if children else f"DVD {group}",
            contributors=((director, "Regisseur", "drt"), *actors),
            translated_from="eng" if rng.random() < 0.4 else None,
        )

    def _music(self, work_id: str) -> _Work:
        rng = self.rng
        band = rng.choice(BANDS) if rng.random() < 0.6 else None
        return _Work(
            work_id,
            "music",
            rng.choice(ALBUMS),
            authors=() if band else (self._author(),),
            band=band,
            subjects=("Rockmusik",) if band else ("Popmusik",),
            call_group="CD Roc" if band else "CD Pop",
            lit_form=" ",
        )

    # ---- editions

    def _new(
        self, work: _Work, carrier: str, year: int, publisher: str, place: str = "", **kw
    ) -> _Edition:
        rng = self.rng
        self.edition_count += 1
        isbn, prefix_len = None, 0
        if publisher in PUBLISHERS:
            isbn, prefix_len, publisher = self.numbers.isbn(publisher)
            place = PUBLISHERS[publisher][1]
        german = isbn is not None and isbn[3] == "3"
        kw.setdefault("height", rng.choice((19, 21, 22, 24)))
        kw.setdefault("price", f"{rng.randint(8, 28)}.{rng.choice(('00', '95', '99', '90'))}")
        dnb_id = self.numbers.dnb() if german and rng.random() < 0.8 else None
        return _Edition(
            f"E{self.edition_count:07d}", work, carrier, min(year, 2025), publisher, place, isbn,
            prefix_len, dnb_id, **kw,
        )  # fmt: skip

    def _pages(self, work: _Work) -> int:
        low, high = {
            "children": (24, 220),
            "nonfiction": (96, 380),
            "generic": (80, 260),
            "multipart": (300, 700),
        }.get(work.genre, (220, 560))
        if work.series:
            low, high = SERIES_BY_NAME[work.series].pages
        return self.rng.randint(low, high)

    def _formats(self, work: _Work, year: int) -> list[_Edition]:
        rng = self.rng
        genre = work.genre
        if work.series:
            publisher = SERIES_BY_NAME[work.series].publisher
        else:
            publisher = rng.choice(BY_GENRE.get(genre, BY_GENRE["novel"]))
        pages = self._pages(work)
        first = self._new(
            work,
            "book",
            year,
            publisher,
            extent=pages,
            binding=rng.choice(("geb.", "geb.", "kart.", "Pb.")),
            edition=("1. Auflage", "1. Aufl.") if rng.random() < 0.3 else None,
        )
        editions = [first]
        fiction = genre in ("crime", "novel", "english", "series")
        if fiction and rng.random() < 0.25 and year < 2025:
            editions.append(
                self._new(
                    work,
                    "ebook",
                    year,
                    publisher,
                    extent=pages,
                    binding="ePub",
                    url=f"https://onleihe.example/ruhr/mediaInfo,0-0-{rng.randrange(10**9)}"
                    "-200-0-0-0-0-0-0-0.html",
                    print_isbn=first.isbn,
                    price=f"{rng.randint(4, 19)}.99",
                )
            )
        has_audio = work.series is not None and SERIES_BY_NAME[work.series].audio
        if (fiction or genre == "children") and (has_audio or rng.random() < 0.15):
            minutes = pages * rng.randint(9, 14) // 10
            abridged = rng.random() < 0.4
            if abridged:
                minutes = minutes * 6 // 10
            label = "hoerverlag" if work.language == "eng" else rng.choice(BY_GENRE["audio"])
            editions.append(
                self._new(
                    work,
                    "audiobook",
                    year,
                    label,
                    extent=minutes,
                    discs=max(1, minutes // 75),
                    binding="Audio-CD",
                    abridged=abridged,
                    edition=("Gekürzte Lesung", "Gekürzte Lesung") if abridged else None,
                )
            )
        if genre in ("crime", "novel") and rng.random() < 0.12 and year < 2024:
            later = min(2025, year + rng.randint(1, 3))
            editions.append(
                self._new(
                    work,
                    "book",
                    later,
                    rng.choice(BY_GENRE["paperback"]),
                    extent=pages + rng.randint(-20, 20),
                    binding="kart.",
                    edition=rng.choice(
                        (
                            ("Taschenbuchausgabe", "Taschenbuchausg."),
                            ("Ungekürzte Ausgabe", "Ungekürzte Ausg."),
                        )
                    ),
                )
            )
        if genre in ("nonfiction", "children", "generic") and rng.random() < 0.12 and year < 2022:
            number = rng.randint(2, 5)
            editions.append(
                self._new(
                    work,
                    "book",
                    min(2025, year + rng.randint(1, 4)),
                    publisher,
                    extent=pages + rng.randint(0, 40),
                    binding=first.binding,
                    edition=rng.choice(
                        (
                            (f"{number}. Auflage", f"{number}. Aufl."),
                            (f"{number}., überarbeitete Auflage", f"{number}., überarb. Aufl."),
                            ("Neuausgabe", "Neuausg."),
                        )
                    ),
                )
            )
        return editions

    def _parts(self, work: _Work, year: int) -> list[_Edition]:
        parts = next(p for t, p, _s in MULTIPART if t == work.title)
        publisher = self.rng.choice(("klartext", "kosmos", "hanser"))
        return [
            self._new(
                work,
                "book",
                year + i // 2,
                publisher,
                extent=self._pages(work),
                binding="geb.",
                part=(str(i + 1), title),
                height=24,
            )
            for i, title in enumerate(parts)
        ]

    def _media(self, work: _Work, year: int) -> _Edition:
        rng = self.rng
        if work.genre == "film":
            label, place = rng.choice(LABELS[:4])
            return self._new(
                work,
                "dvd",
                year,
                label,
                place=place,
                extent=rng.randint(80, 150),
                discs=1,
                ean=self.numbers.ean(),
            )
        label, place = rng.choice(LABELS[4:6])
        return self._new(
            work,
            "music",
            year,
            label,
            place=place,
            extent=rng.randint(38, 74),
            discs=1,
            ean=self.numbers.ean(),
        )


# --------------------------------------------------------------------------- one record


_SPELL_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_ARTICLES = ("Der ", "Die ", "Das ", "Ein ", "Eine ", "The ", "A ")
# fmt: off
_CARRIERS = {
    # carrier: leader/06, 007, 336, 337, 338, Koha item type
    "book": ("a", None, ("Text", "txt"), ("ohne Hilfsmittel zu benutzen", "n"), ("Band", "nc"),
             "BK"),
    "ebook": ("a", "cr uuu---uuuuu", ("Text", "txt"), ("Computermedien", "c"),
              ("Online-Ressource", "cr"), "EBOOK"),
    "audiobook": ("i", "sd fsngnnmmned", ("gesprochenes Wort", "spw"), ("audio", "s"),
                  ("Audiodisk", "sd"), "CD"),
    "music": ("j", "sd fsngnnmmned", ("aufgeführte Musik", "prm"), ("audio", "s"),
              ("Audiodisk", "sd"), "CD"),
    "dvd": ("g", "vd cvaizq", ("zweidimensionales bewegtes Bild", "tdi"), ("video", "v"),
            ("Videodisk", "vd"), "DVD"),
}
# fmt: on


def _isbd(parts: list[tuple[str, str, str]], isbd: bool) -> list[Subfield]:
    """Subfields from (code, value, ISBD mark before it); the mark ends the previous one."""
    subfields: list[Subfield] = []
    for code, value, mark in parts:
        if isbd and subfields and mark:
            last = subfields[-1]
            subfields[-1] = Subfield(last.code, last.value + mark)
        subfields.append(Subfield(code, value))
    return subfields


def _df(tag: str, ind: str, subfields: list[tuple[str, str]]) -> Field:
    return Field(tag, Indicators(ind[0], ind[1]), [Subfield(c, v) for c, v in subfields])


class _RecordMaker:
    """Writes one library's record for one edition, in that library's habits."""

    def __init__(self, rng: random.Random, export: datetime) -> None:
        self.rng = rng
        self.export = export

    def record(
        self, ed: _Edition, lib: DemoLibrary, habits: _Habits, local_id: str, shelf: _Shelf
    ) -> Record:
        rng = self.rng
        work = ed.work
        entered = self._entered(ed.year)
        rda = entered.year >= habits.rda_from
        isbd = rng.random() < habits.isbd
        modified = entered + timedelta(
            seconds=rng.randrange(max(1, int((self.export - entered).total_seconds())))
        )
        leader06, f007, content, media, carrier, itype = _CARRIERS[ed.carrier]
        desc = "i" if isbd else "c"
        coding = " " if lib.encoding == "marc-8" else "a"
        leader = f"00000{rng.choice('nc')}{leader06}m {coding}2200000 {desc} 4500"
        fields: list[Field] = [
            Field("001", data=local_id),
            Field("003", data=lib.isil),
            Field("005", data=modified.strftime("%Y%m%d%H%M%S.0")),
        ]
        if f007:
            fields.append(Field("007", data=f007))
        fields.append(Field("008", data=self._f008(ed, entered)))
        fields += self._identifiers(ed, habits)
        fields.append(
            _df(
                "040",
                "  ",
                [("a", lib.isil), ("b", "ger"), ("c", lib.isil), ("e", "rda" if rda else "rakwb")],
            )
        )
        languages = self._languages(ed)
        if languages:
            fields.append(languages)
        fields += self._names(ed, rda)
        fields += self._titles(ed, habits, isbd, rda)
        if ed.edition and (ed.edition[0] != "1. Auflage" or rng.random() < 0.6):
            fields.append(_df("250", "  ", [("a", ed.edition[0] if rda else ed.edition[1])]))
        fields += self._imprint(ed, rda, isbd)
        fields.append(self._extent(ed, rda, isbd))
        fields.append(_df("336", "  ", [("a", content[0]), ("b", content[1]), ("2", "rdacontent")]))
        fields.append(_df("337", "  ", [("a", media[0]), ("b", media[1]), ("2", "rdamedia")]))
        fields.append(_df("338", "  ", [("a", carrier[0]), ("b", carrier[1]), ("2", "rdacarrier")]))
        fields += self._notes(ed, habits, rda)
        fields += self._subjects(work, habits)
        fields += self._added(ed, rda)
        if work.series:
            fields += self._series(work, isbd, rda)
        if ed.print_isbn and rng.random() < 0.7:
            fields.append(
                _df(
                    "776",
                    "08",
                    [
                        ("i", "Erscheint auch als"),
                        ("n", "Druck-Ausgabe"),
                        ("z", _hyphenate(ed.print_isbn, ed.prefix_len)),
                    ],
                )
            )
        if ed.url:
            fields.append(_df("856", "40", [("u", ed.url), ("z", "Zum Online-Angebot")]))
        fields += self._items(ed, lib, habits, shelf, entered, itype)
        if lib.holdings == "koha":
            number = "".join(filter(str.isdigit, local_id))
            fields.append(_df("942", "  ", [("c", itype)]))
            fields.append(_df("999", "  ", [("c", number), ("d", number)]))
        fields.sort(key=lambda f: f.tag)  # stable: repeated fields keep their order
        if rng.random() < habits.spelt_out:
            for f in fields:
                if not f.control_field:
                    f.subfields = [
                        Subfield(s.code, s.value.translate(_SPELL_OUT)) for s in f.subfields
                    ]
        return Record(leader=leader, fields=fields)

    def _entered(self, year: int) -> datetime:
        start = datetime(max(year, 2001), 1, 1)
        span = max(1, int((self.export - start).total_seconds()) - 86_400)
        return start + timedelta(seconds=self.rng.randrange(span))

    def _f008(self, ed: _Edition, entered: datetime) -> str:
        work = ed.work
        head = f"{entered:%y%m%d}s{ed.year}    {PLACES.get(ed.place, ('', '', 'gw '))[2]}"
        aud = work.audience
        if ed.carrier in ("book", "ebook"):
            ill = "a   " if work.audience == "j" else "    "
            form = "o" if ed.carrier == "ebook" else " "
            index = "1" if work.genre in ("nonfiction", "multipart") else "0"
            middle = f"{ill}{aud}{form}     00{index} {work.lit_form} "
        elif ed.carrier in ("audiobook", "music"):
            comp, text = ("pp", "  ") if ed.carrier == "music" else ("nn", "f ")
            if work.series and work.audience == "j":
                text = "d "  # an audio drama (Hörspiel)
            middle = f"{comp}n {aud}       {text} n "
        else:
            technique = "a" if work.audience == "j" and ed.extent < 100 else "l"
            middle = f"{min(ed.extent, 999):03d} {aud}          v{technique}"
        return f"{head}{middle}{work.language} d"

    def _identifiers(self, ed: _Edition, habits: _Habits) -> list[Field]:
        rng = self.rng
        fields = []
        dnb_copy = ed.dnb_id is not None and rng.random() < habits.dnb_copy
        isbn = ed.isbn
        if ed.print_isbn and rng.random() < 0.05:
            isbn = ed.print_isbn  # a real cataloguing slip: the e-book under the print ISBN
        if isbn and rng.random() >= habits.no_isbn:
            digits = _isbn10(isbn) if rng.random() < habits.isbn10 else isbn
            text = _hyphenate(digits, ed.prefix_len) if rng.random() < habits.hyphens else digits
            price = f"EUR {ed.price}" if rng.random() < 0.7 else f"EUR {ed.price.replace('.', ',')}"
            if dnb_copy:
                parts = [
                    ("a", isbn),
                    ("c", f"{ed.binding} : {price}"),
                    ("9", _hyphenate(isbn, ed.prefix_len)),
                ]
            elif rng.random() < habits.qualifier:
                style = rng.randrange(3)
                suffix = (f" ({ed.binding})", f" : {price}", f" ({ed.binding}) : {price}")[style]
                parts = [("a", text + suffix)]
            elif rng.random() < 0.3:
                parts = [("a", text), ("q", ed.binding), ("c", price)]
            else:
                parts = [("a", text)]
            fields.append(_df("020", "  ", parts))
        if ed.ean:
            fields.append(_df("024", "3 ", [("a", ed.ean)]))
        if dnb_copy:
            fields.append(_df("035", "  ", [("a", f"(DE-101){ed.dnb_id}")]))
        return fields

    def _languages(self, ed: _Edition) -> Field | None:
        work = ed.work
        if work.second_language:
            return _df("041", "0 ", [("a", work.language), ("a", work.second_language)])
        if work.translated_from and ed.carrier == "dvd":
            return _df("041", "1 ", [("a", "ger"), ("a", "eng"), ("j", "ger"), ("h", "eng")])
        if work.translated_from:
            return _df("041", "1 ", [("a", work.language), ("h", work.translated_from)])
        return None

    def _names(self, ed: _Edition, rda: bool) -> list[Field]:
        work = ed.work
        if work.band:
            return [_df("110", "2 ", [("a", work.band), *([("4", "prf")] if rda else [])])]
        if not work.authors:
            return []
        author = work.authors[0]
        parts = [("a", author.inverted)]
        if author.born and rda and self.rng.random() < 0.5:
            parts.append(("d", f"{author.born}-"))
        if rda:
            parts += (
                [("e", "Interpret"), ("4", "prf")]
                if ed.carrier == "music"
                else [("e", "Verfasser"), ("4", "aut")]
            )
        return [_df("100", "1 ", parts)]

    def _titles(self, ed: _Edition, habits: _Habits, isbd: bool, rda: bool) -> list[Field]:
        rng = self.rng
        work = ed.work
        title = work.title
        if work.language == "eng" and rng.random() < 0.5:
            title = title[0] + title[1:].lower()  # German rules write English titles lowercase
        skip = next((len(a) for a in _ARTICLES if title.startswith(a)), 0)
        if skip and rng.random() < habits.angle_article:
            title = f"<<{title[: skip - 1]}>>{title[skip - 1 :]}"
            skip = 0
        elif skip and rng.random() >= habits.article_flag:
            skip = 0
        parts = [("a", title, "")]
        if ed.part:
            number = f"Band {ed.part[0]}" if rda else f"Bd. {ed.part[0]}"
            parts += [("n", number, "."), ("p", ed.part[1], ",")]
        if ed.carrier in ("audiobook", "dvd", "music") and not rda:
            parts.append(("h", "[Tonträger]" if ed.carrier != "dvd" else "[Bildtonträger]", ""))
        if work.parallel:
            parts.append(("b", work.parallel, " ="))
        elif work.subtitle and rng.random() < habits.subtitle:
            parts.append(("b", work.subtitle, " :"))
        responsibility = self._responsibility(ed, rda)
        if responsibility and rng.random() < 0.9:
            parts.append(("c", responsibility, " /"))
        ind1 = "1" if work.authors or work.band else "0"
        fields = [Field("245", Indicators(ind1, str(min(skip, 9))), _isbd(parts, isbd))]
        if "???" in work.title or "&" in work.title:
            variant = work.title.replace("???", "Fragezeichen").replace("&", "und")
            fields.append(_df("246", "3 ", [("a", variant)]))
        return fields

    def _responsibility(self, ed: _Edition, rda: bool) -> str:
        work = ed.work
        if work.band:
            return work.band
        names = " ; ".join(a.direct for a in work.authors)
        if work.genre == "film":
            director = work.contributors[0][0]
            return f"Regie: {director.direct}"
        if work.genre == "multipart":
            editor = work.contributors[0][0]
            return f"herausgegeben von {editor.direct}" if rda else f"hrsg. von {editor.direct}"
        text = names if self.rng.random() < 0.7 else f"von {names}"
        if work.translator:
            text += (
                f" ; aus dem Englischen von {work.translator.direct}"
                if rda
                else f". Aus dem Engl. von {work.translator.direct}"
            )
        if ed.carrier == "audiobook":
            text += " ; gelesen von " + self._narrator(ed).direct
        return text

    def _narrator(self, ed: _Edition) -> _Person:
        # the same reader in every library's record of one audiobook
        forename = (FEMALE + MALE)[int(ed.edition_id[1:]) % (len(FEMALE) + len(MALE))]
        return _Person(SURNAMES[int(ed.edition_id[1:]) * 7 % len(SURNAMES)], forename, None)

    def _imprint(self, ed: _Edition, rda: bool, isbd: bool) -> list[Field]:
        rng = self.rng
        if ed.publisher in PUBLISHERS:
            names = PUBLISHERS[ed.publisher][0]
            name = names[0] if rda or rng.random() < 0.5 else names[1]
        else:
            name = ed.publisher
        rda_place, rak_place, _country = PLACES.get(ed.place, (ed.place, ed.place, ""))
        place = rda_place if rda else rak_place
        # RDA records an unstated year as "[2023]" and the copyright year in 264 _4
        bracketed = rda and rng.random() < 0.15
        year = f"[{ed.year}]" if bracketed else str(ed.year)
        subfields = _isbd([("a", place, ""), ("b", name, " :"), ("c", year, ",")], isbd)
        if not rda:
            return [Field("260", Indicators(" ", " "), subfields)]
        fields = [Field("264", Indicators(" ", "1"), subfields)]
        if bracketed:
            fields.append(_df("264", " 4", [("c", f"© {ed.year}")]))
        return fields

    def _extent(self, ed: _Edition, rda: bool, isbd: bool) -> Field:
        rng = self.rng
        minutes = "Minuten" if rda else "Min."
        parts = []
        if ed.carrier == "book":
            parts.append(("a", f"{ed.extent} Seiten" if rda else f"{ed.extent} S.", ""))
            if ed.work.audience == "j" or ed.work.genre == "nonfiction":
                parts.append(("b", "Illustrationen" if rda else "Ill.", " :"))
            if rng.random() < 0.7:
                parts.append(("c", f"{ed.height} cm", " ;"))
        elif ed.carrier == "ebook":
            parts.append(("a", f"1 Online-Ressource ({ed.extent} Seiten)", ""))
        elif ed.carrier == "audiobook":
            discs = f"{ed.discs} CDs" if ed.discs > 1 else "1 CD"
            parts.append(("a", f"{discs} ({ed.extent} {minutes})", ""))
        elif ed.carrier == "dvd":
            parts.append(("a", f"1 DVD-Video ({ed.extent} {minutes})", ""))
            if rng.random() < 0.5:
                parts.append(("b", "farbig" if rda else "farb.", " :"))
        else:
            parts.append(("a", f"1 CD ({ed.extent} {minutes})", ""))
        return Field("300", Indicators(" ", " "), _isbd(parts, isbd))

    def _series(self, work: _Work, isbd: bool, rda: bool) -> list[Field]:
        volume = str(work.volume)
        if not rda and self.rng.random() < 0.5:
            volume = f"Bd. {volume}"
        traced = self.rng.random() < 0.6
        fields = [
            Field(
                "490",
                Indicators("1" if traced else "0", " "),
                _isbd([("a", work.series, ""), ("v", volume, " ;")], isbd),
            )
        ]
        if traced:
            fields.append(_df("830", " 0", [("a", work.series), ("v", str(work.volume))]))
        return fields

    def _notes(self, ed: _Edition, habits: _Habits, rda: bool) -> list[Field]:
        rng = self.rng
        work = ed.work
        fields = []
        if work.second_language:
            fields.append(_df("546", "  ", [("a", "Text deutsch und türkisch")]))
        if ed.carrier == "audiobook":
            reader = self._narrator(ed).direct
            fields.append(_df("511", "0 ", [("a", f"Gelesen von {reader}")]))
            if ed.abridged:
                fields.append(_df("500", "  ", [("a", "Gekürzte Lesung")]))
        if ed.carrier == "music" and rng.random() < 0.6:
            songs = " ; ".join(rng.sample(SONGS, rng.randint(4, 8)))
            fields.append(_df("505", "0 ", [("a", songs)]))
        if ed.carrier == "dvd":
            cast = ", ".join(p.direct for p, _e, code in work.contributors if code == "act")
            fields.append(_df("511", "1 ", [("a", f"Darsteller: {cast}")]))
        if work.summary and rng.random() < habits.summary:
            text = work.summary
            if rng.random() < 0.3:
                text = text.split(". ")[0].rstrip(".") + "."  # some keep the first sentence
            fields.append(_df("520", "  ", [("a", text)]))
        if work.age is not None:
            if ed.carrier == "dvd":
                fields.append(_df("521", "  ", [("a", f"FSK ab {work.age}")]))
            else:
                fields.append(
                    _df(
                        "521",
                        "  ",
                        [("a", f"Ab {work.age} Jahren" if rda else f"ab {work.age} J.")],
                    )
                )
        return fields

    def _subjects(self, work: _Work, habits: _Habits) -> list[Field]:
        rng = self.rng
        if not work.subjects or rng.random() >= habits.subjects:
            return []
        chosen = [s for s in work.subjects if rng.random() < 0.8] or [work.subjects[0]]
        return [_df("650", " 7", [("a", s), ("2", "gnd")]) for s in chosen]

    def _added(self, ed: _Edition, rda: bool) -> list[Field]:
        work = ed.work
        fields = [
            _df("700", "1 ", [("a", a.inverted), *([("4", "aut")] if rda else [])])
            for a in work.authors[1:]
        ]
        people = list(work.contributors)
        if work.translator:
            people.append((work.translator, "Übersetzer", "trl"))
        if ed.carrier == "audiobook":
            people.append((self._narrator(ed), "Sprecher", "nrt"))
        for person, role, code in people:
            parts = [("a", person.inverted)]
            if rda:
                parts += [("e", role), ("4", code)]
            fields.append(_df("700", "1 ", parts))
        return fields

    def _items(
        self,
        ed: _Edition,
        lib: DemoLibrary,
        habits: _Habits,
        shelf: _Shelf,
        entered: datetime,
        itype: str,
    ) -> list[Field]:
        rng = self.rng
        count = 1 if ed.carrier == "ebook" else rng.choices((1, 2, 3), (70, 22, 8))[0]
        call = self._call_number(ed, habits)
        fields = []
        for _ in range(count):
            shelf.items += 1
            if lib.holdings == "924":
                ill = "e" if ed.carrier == "ebook" else rng.choices("abcd", (80, 5, 10, 5))[0]
                parts = [
                    ("a", f"{shelf.items:09d}"),
                    ("b", lib.isil),
                    ("c", "NRW"),
                    ("d", ill),
                    ("g", call),
                ]
                if ed.url:
                    parts.append(("k", ed.url))
                fields.append(_df("924", "1 " if ed.carrier == "ebook" else "0 ", parts))
                continue
            reference = ed.work.genre in ("nonfiction", "multipart") and rng.random() < 0.1
            parts = [
                ("a", lib.code),
                ("b", lib.code),
                ("d", (entered + timedelta(days=rng.randint(0, 30))).strftime("%Y-%m-%d")),
                ("o", call),
                ("p", f"{habits.barcode_prefix}{shelf.items:08d}"),
                ("y", itype),
                ("7", "1" if reference else "0"),
                ("1", "1" if rng.random() < 0.02 else "0"),
            ]
            if not reference and rng.random() < 0.2:
                due = self.export + timedelta(days=rng.randint(1, 28))
                parts.append(("q", due.strftime("%Y-%m-%d")))
            parts.append(("9", str(shelf.items)))
            fields.append(_df("952", "  ", parts))
        return fields

    def _call_number(self, ed: _Edition, habits: _Habits) -> str:
        work = ed.work
        if ed.carrier == "ebook":
            return "E-Book"
        name = work.band or (work.authors[0].surname if work.authors else work.title)
        name = name.replace("<<", "").replace(">>", "")
        if ed.carrier == "audiobook":
            group = "HB J" if work.audience == "j" else "HB"
        elif ed.carrier == "dvd":
            return work.call_group
        else:
            group = work.call_group
        if habits.call_style == 1:
            return f"{group} {name[:4]}"
        if habits.call_style == 2:
            return f"{group} {name[:3]}".upper()
        return f"{group} {name[:4] if work.audience == 'j' else name[:3]}"


# --------------------------------------------------------------------------- bytes on disk


# fmt: off
_MARC8_SPACING = {"ß": 0xC7, "Ø": 0xA2, "ø": 0xB2, "Æ": 0xA5, "æ": 0xB5, "Œ": 0xA6, "œ": 0xB6,
                  "Ł": 0xA1, "ł": 0xB1, "ı": 0xB8, "©": 0xC3, "°": 0xC0, "€": 0xC8}
# combining marks: grave, acute, circumflex, tilde, breve, diaeresis, ring, caron, cedilla
_MARC8_COMBINING = {"\u0300": 0xE1, "\u0301": 0xE2, "\u0302": 0xE3, "\u0303": 0xE4,
                    "\u0306": 0xE6, "\u0308": 0xE8, "\u030a": 0xEA, "\u030c": 0xE9,
                    "\u0327": 0xF0}
# fmt: on


def to_marc8(text: str) -> bytes:
    """Text as MARC-8 (ANSEL): combining marks go before their letter, ü is 0xE8 'u'."""
    out = bytearray()
    for char in text:
        if char < "\x80":
            out.append(ord(char))
        elif char in _MARC8_SPACING:
            out.append(_MARC8_SPACING[char])
        else:
            base, *marks = unicodedata.normalize("NFD", char)
            if base >= "\x80" or not marks or any(m not in _MARC8_COMBINING for m in marks):
                raise ValueError(f"no MARC-8 for {char!r} in the demo's small table")
            out += bytes(_MARC8_COMBINING[m] for m in marks)
            out.append(ord(base))
    return bytes(out)


_NON_ASCII_PLACEHOLDER = "\x01"  # one byte in UTF-8, like the Latin-1 byte that replaces it


def _iso2709(record: Record, lib: DemoLibrary, damage: str | None) -> bytes:
    """The record in ISO 2709, in the library's encoding, broken on purpose if asked."""
    latin1 = ""
    if damage in ("invalid_utf8", "marc8_labelled_utf8"):
        latin1 = _mark_non_ascii(record, lib.encoding == "utf-8")
    if lib.encoding == "marc-8":
        for f in record.fields:
            if not f.control_field:
                # pymarc writes leader/09 " " records as Latin-1: pass the MARC-8 bytes as such
                f.subfields = [
                    Subfield(s.code, to_marc8(s.value).decode("latin-1")) for s in f.subfields
                ]
        record.to_unicode = False  # else pymarc sets leader/09 to "a" and writes UTF-8
    data = record.as_marc()
    if latin1:
        data = data.replace(_NON_ASCII_PLACEHOLDER.encode(), latin1.encode("latin-1"))
    if damage == "marc8_labelled_utf8":
        data = data[:9] + b"a" + data[10:]
    elif damage == "wrong_length":
        data = f"{len(data) + 120:05d}".encode() + data[5:]
    elif damage == "directory_past_end":
        base = int(data[12:17])
        entry = base - 1 - 12  # the last directory entry
        past = len(data) - base + 500
        data = data[: entry + 7] + f"{past:05d}".encode() + data[entry + 12 :]
    return data


def _mark_non_ascii(record: Record, placeholder: bool) -> str:
    """Make sure the record has a non-ASCII letter; in UTF-8 swap the first for a placeholder."""
    for f in record.fields:
        if f.control_field or f.tag in ("952", "924"):
            continue
        for i, s in enumerate(f.subfields):
            letter = next((c for c in s.value if c in "äöüÄÖÜßéè"), None)
            if letter:
                if placeholder:
                    f.subfields[i] = Subfield(
                        s.code, s.value.replace(letter, _NON_ASCII_PLACEHOLDER, 1)
                    )
                return letter
    note = "Geschenk des F" + (_NON_ASCII_PLACEHOLDER if placeholder else "ö") + "rdervereins"
    record.add_ordered_field(_df("500", "  ", [("a", note)]))
    return "ö"


def _marcxml(record: Record, damage: str | None) -> bytes:
    """One <record> element, without namespace (the collection declares it).

    Written by hand: pymarc's record_to_xml_node and ElementTree took most of the run time.
    """
    out = [f"<record><leader>{record.leader}</leader>"]
    for f in record.fields:
        if f.control_field:
            out.append(f'<controlfield tag="{f.tag}">{escape(f.data)}</controlfield>')
            continue
        if damage == "junk_element":
            out.append(
                '<div xmlns="http://www.w3.org/1999/xhtml">'
                "Fehler beim Export: Datensatz gesperrt (Zeitüberschreitung)</div>"
            )
            break
        tag = "" if damage == "datafield_without_tag" and f.tag == "245" else f' tag="{f.tag}"'
        out.append(f'<datafield{tag} ind1="{f.indicator1}" ind2="{f.indicator2}">')
        out += [f'<subfield code="{s.code}">{escape(s.value)}</subfield>' for s in f.subfields]
        out.append("</datafield>")
    out.append("</record>\n")
    return "".join(out).encode("utf-8")


class _Output:
    """One library's files: a new one every records_per_file records."""

    def __init__(self, directory: Path, lib: DemoLibrary, per_file: int) -> None:
        self.directory = directory
        self.lib = lib
        self.per_file = per_file
        self.files: list[Path] = []
        self.handle: BinaryIO | None = None
        self.in_file = 0
        self.records = 0
        self.broken = 0
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob(f"{lib.code}-[0-9][0-9][0-9][0-9]*"):
            old.unlink()  # a smaller rerun must not leave a stale tail behind

    def write(self, data: bytes) -> None:
        if self.handle is None or self.in_file == self.per_file:
            self._next_file()
        assert self.handle is not None
        self.handle.write(data)
        self.in_file += 1
        self.records += 1

    def _next_file(self) -> None:
        self.close()
        suffix = "xml" if self.lib.syntax == "marcxml" else "mrc"
        path = self.directory / f"{self.lib.code}-{len(self.files) + 1:04d}.{suffix}"
        self.handle = path.open("wb")
        self.files.append(path)
        self.in_file = 0
        if self.lib.syntax == "marcxml":
            self.handle.write(
                b'<?xml version="1.0" encoding="UTF-8"?>\n'
                b'<collection xmlns="' + _MARC_NS.encode() + b'">\n'
            )

    def close(self) -> None:
        if self.handle is not None:
            if self.lib.syntax == "marcxml":
                self.handle.write(b"</collection>\n")
            self.handle.close()
            self.handle = None


@dataclass
class _Shelf:
    """A library's running numbers (mutable bookkeeping, not a value)."""

    next_id: int
    items: int = 0
    good: int = 0
    broken: int = 0


# --------------------------------------------------------------------------- generate


def generate(
    out_dir: Path,
    titles: int = 2000,
    seed: int = 1,
    libraries: tuple[DemoLibrary, ...] = DEMO_LIBRARIES,
    broken: bool = True,
    records_per_file: int = 5000,
) -> DemoSummary:
    """Write every library's export and truth.tsv under out_dir; same arguments, same bytes.

    ``titles`` is the number of editions. Files are out_dir/<code>/<code>-0001.mrc (or .xml);
    truth.tsv lists each good record: library, local_id (001), edition_id, work_id.
    """
    _check(libraries, titles, records_per_file)
    rng = random.Random(seed)
    export = datetime(2026, 1, 5, 8) + timedelta(minutes=rng.randrange(200 * 24 * 60))
    catalogue = _Catalogue(rng)
    maker = _RecordMaker(rng, export)
    out_dir.mkdir(parents=True, exist_ok=True)
    habits = [_HABITS.get(lib.code, _Habits()) for lib in libraries]
    outputs = [_Output(out_dir / lib.code, lib, records_per_file) for lib in libraries]
    shelves = [_Shelf(h.id_start) for h in habits]
    weights = [h.size for h in habits]
    made = 0
    try:
        with (out_dir / "truth.tsv").open("w", encoding="utf-8", newline="\n") as truth:
            truth.write("library\tlocal_id\tedition_id\twork_id\n")
            while made < titles:
                for ed in catalogue.next_work()[: titles - made]:
                    made += 1
                    for i in _holders(rng, weights):
                        lib, shelf = libraries[i], shelves[i]
                        shelf.next_id += rng.randint(1, 3)  # gaps: deleted records
                        local_id = f"{habits[i].id_prefix}{shelf.next_id}"
                        record = maker.record(ed, lib, habits[i], local_id, shelf)
                        damage = _damage(rng, lib, shelf, broken)
                        outputs[i].write(_serialise(record, lib, damage))
                        if damage:
                            shelf.broken += 1
                        else:
                            shelf.good += 1
                            truth.write(
                                f"{lib.code}\t{local_id}\t{ed.edition_id}\t{ed.work.work_id}\n"
                            )
    finally:
        for output in outputs:
            output.close()
    return DemoSummary(
        records=sum(o.records for o in outputs),
        broken=sum(s.broken for s in shelves),
        files=tuple(path for o in outputs for path in o.files),
        per_library={lib.code: o.records for lib, o in zip(libraries, outputs, strict=True)},
    )


def _check(libraries: tuple[DemoLibrary, ...], titles: int, records_per_file: int) -> None:
    if titles < 0 or records_per_file < 1:
        raise ValueError("titles must be >= 0 and records_per_file >= 1")
    if len({lib.code for lib in libraries}) != len(libraries) or not libraries:
        raise ValueError("libraries must be a non-empty set of distinct codes")
    for lib in libraries:
        if lib.syntax not in ("iso2709", "marcxml") or lib.holdings not in ("koha", "924"):
            raise ValueError(f"{lib.code}: unknown syntax or holdings")
        if lib.encoding not in ("utf-8", "marc-8") or (
            lib.encoding == "marc-8" and lib.syntax != "iso2709"
        ):
            raise ValueError(f"{lib.code}: MARC-8 only exists in ISO 2709")


def _holders(rng: random.Random, weights: list[float]) -> list[int]:
    """Indexes of the libraries holding one edition; bigger libraries more often."""
    count = min(rng.choices(_HOLDERS, _HOLDER_WEIGHTS)[0], len(weights))
    # weighted sampling without replacement (Efraimidis-Spirakis keys)
    keys = [rng.random() ** (1.0 / w) for w in weights]
    return sorted(sorted(range(len(weights)), key=keys.__getitem__, reverse=True)[:count])


def _damage(rng: random.Random, lib: DemoLibrary, shelf: _Shelf, broken: bool) -> str | None:
    """Which way to break this record, or None; one early per library, then about 0.2 %."""
    chance = rng.random()  # drawn always, so broken=False changes nothing else
    if not broken:
        return None
    due = shelf.broken == 0 and shelf.good >= _FIRST_BROKEN_AFTER
    if not (due or chance < _BROKEN_SHARE):
        return None
    if lib.syntax == "marcxml":
        kinds = _XML_BREAKS
    else:
        kinds = _MARC8_BREAKS if lib.encoding == "marc-8" else _ISO_BREAKS
    return kinds[(shelf.broken + len(lib.code)) % len(kinds)]


def _serialise(record: Record, lib: DemoLibrary, damage: str | None) -> bytes:
    if damage == "no_001":
        record.remove_fields("001", "999")
    if lib.syntax == "marcxml":
        return _marcxml(record, damage)
    return _iso2709(record, lib, damage)
