"""The demo works: what all editions of one work share (creators, title, subjects), made up
from the word lists, with a pool of authors of whom a few write much."""

from __future__ import annotations

import random
from dataclasses import dataclass

from libnet.demo.words import (
    ADJ,
    ADJF,
    ALBUMS,
    BANDS,
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
    MALE,
    MULTIPART,
    NONFICTION,
    NOUN,
    NOUNF,
    NOVEL_SUBJECTS,
    NOVEL_SUMMARY,
    NOVEL_TITLES,
    NOVEL_TWIST,
    RUHR,
    SERIES,
    SURNAMES,
)

# Share of works by kind (each kind has a maker in WorkMaker).
GENRES = {"crime": 14, "novel": 19, "english": 4, "generic": 4, "children": 15, "series": 11,
          "nonfiction": 15, "multipart": 2, "film": 10, "music": 6}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
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
class Work:
    """What all editions of one work share: creators, title, subjects, audience."""

    work_id: str
    genre: str  # crime novel english generic children series nonfiction multipart film music
    title: str
    authors: tuple[Person, ...] = ()
    band: str | None = None  # corporate creator (110)
    subtitle: str | None = None
    language: str = "ger"
    translated_from: str | None = None
    translator: Person | None = None
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
    contributors: tuple[tuple[Person, str, str], ...] = ()  # person, $e, $4


class WorkMaker:
    """Makes the next work from one random stream; its editions come from EditionMaker."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.work_count = 0
        self.series_next = {series.name: rng.randint(1, 180) for series in SERIES}
        self.authors = [self._person(FEMALE + MALE, SURNAMES) for _ in range(500)]
        self.en_authors = [self._person(EN_FIRST, EN_SURNAMES) for _ in range(60)]

    def _person(self, forenames: tuple[str, ...], surnames: tuple[str, ...]) -> Person:
        rng = self.rng
        born = rng.randint(1938, 1995) if rng.random() < 0.6 else None
        return Person(rng.choice(surnames), rng.choice(forenames), born)

    def _author(self, english: bool = False) -> Person:
        # a few authors write much: a skewed pick from a fixed pool
        pool = self.en_authors if english else self.authors
        return pool[int(len(pool) * self.rng.random() ** 1.5)]

    def next_work(self) -> Work:
        """The next work, of a kind drawn by GENRES' shares."""
        rng = self.rng
        self.work_count += 1
        work_id = f"W{self.work_count:07d}"
        genre = rng.choices(tuple(GENRES), tuple(GENRES.values()))[0]
        return getattr(self, f"_{genre}")(work_id)

    # ---- one maker per kind of work

    def _crime(self, work_id: str) -> Work:
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
        return Work(
            work_id,
            "crime",
            rng.choice(CRIME_TITLES),
            authors=(author,),
            subtitle=subtitle,
            summary=summary,
            call_group="Kri",
            subjects=("Kriminalroman", "Mord", "Ruhrgebiet", place),
        )

    def _novel(self, work_id: str) -> Work:
        rng = self.rng
        translated = rng.random() < 0.2
        author = self._author(english=translated)
        place = rng.choice((*RUHR, "Münster", "Triest", "Danzig", "Amsterdam"))
        heroine = rng.choice(FEMALE)
        summary = f"{heroine} {rng.choice(NOVEL_SUMMARY)} {place}. {rng.choice(NOVEL_TWIST)}"
        authors = (author,) if rng.random() < 0.92 else (author, self._author())
        return Work(
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

    def _english(self, work_id: str) -> Work:
        rng = self.rng
        return Work(
            work_id,
            "english",
            rng.choice(EN_TITLES),
            authors=(self._author(english=True),),
            subtitle="A Novel" if rng.random() < 0.4 else None,
            language="eng",
            call_group="Eng",
            subjects=("Englisch", "Roman"),
        )

    def _generic(self, work_id: str) -> Work:
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
        return Work(
            work_id,
            "generic",
            title,
            authors=(self._author(english),),
            language="eng" if english else "ger",
            lit_form=lit,
            call_group=group,
            subjects=(title,),
        )

    def _children(self, work_id: str) -> Work:
        rng = self.rng
        name = rng.choice(CHILD_NAMES)
        title = rng.choice(CHILD_TITLES).format(name=name, place=rng.choice(RUHR))
        age = rng.choice((3, 4, 5, 6, 8, 8, 10, 12))
        subjects = tuple(rng.sample(CHILD_SUBJECTS, 2))
        illustrator = self._author()
        bilingual = age <= 5 and rng.random() < 0.15
        return Work(
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

    def _series(self, work_id: str) -> Work:
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
        return Work(
            work_id, "series", title, authors=(self._series_author(name),),
            audience=" " if adult else "j", age=age, series=name, volume=volume,
            subtitle="Kriminalroman" if adult else None, subjects=subjects,
            call_group="Kri" if adult else f"J {subjects[0]}",
        )  # fmt: skip

    def _series_author(self, series: str) -> Person:
        # one author per series (seeded by the series name), a second one now and then
        index = sum(map(ord, series)) % len(self.authors)
        return self.authors[index if self.rng.random() < 0.8 else (index + 1) % 500]

    def _nonfiction(self, work_id: str) -> Work:
        rng = self.rng
        titles, subjects, notation, subtitles = rng.choice(NONFICTION)
        topic = rng.choice(titles)
        return Work(
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

    def _multipart(self, work_id: str) -> Work:
        rng = self.rng
        title, _parts, subjects = rng.choice(MULTIPART)
        editor = self._author()
        return Work(
            work_id,
            "multipart",
            title,
            subjects=subjects,
            call_group="Ego",
            lit_form="0",
            contributors=((editor, "Herausgeber", "edt"),),
        )

    def _film(self, work_id: str) -> Work:
        rng = self.rng
        genre, group = rng.choice(FILMS)
        children = rng.random() < 0.25
        director = self._author()
        actors = tuple((self._author(), "Darsteller", "act") for _ in range(rng.randint(1, 3)))
        return Work(
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

    def _music(self, work_id: str) -> Work:
        rng = self.rng
        band = rng.choice(BANDS) if rng.random() < 0.6 else None
        return Work(
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
