"""The demo editions (manifestations) of a work: print, e-book, audiobook, later editions,
the volumes of a multipart work, a film's DVD or an album's CD, each with its numbers."""

from __future__ import annotations

import random
from dataclasses import dataclass

from libnet.demo.standard_numbers import Numbers
from libnet.demo.words import BY_GENRE, LABELS, MULTIPART, PUBLISHERS, SERIES_BY_NAME
from libnet.demo.works import Work


@dataclass(frozen=True, slots=True)
class Edition:
    """One manifestation: what every library's record of it must agree on."""

    edition_id: str
    work: Work
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


class EditionMaker:
    """Makes the editions of each work from one random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.numbers = Numbers(rng)
        self.edition_count = 0

    def editions(self, work: Work) -> list[Edition]:
        """The editions of a work (several for multipart works and formats)."""
        year = 2025 - min(int(self.rng.expovariate(1 / 6)), 40)
        if work.genre == "multipart":
            return self._parts(work, year)
        if work.genre in ("film", "music"):
            return [self._media(work, year)]
        return self._formats(work, year)

    def _new(
        self, work: Work, carrier: str, year: int, publisher: str, place: str = "", **kw
    ) -> Edition:
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
        return Edition(
            f"E{self.edition_count:07d}", work, carrier, min(year, 2025), publisher, place, isbn,
            prefix_len, dnb_id, **kw,
        )  # fmt: skip

    def _pages(self, work: Work) -> int:
        low, high = {
            "children": (24, 220),
            "nonfiction": (96, 380),
            "generic": (80, 260),
            "multipart": (300, 700),
        }.get(work.genre, (220, 560))
        if work.series:
            low, high = SERIES_BY_NAME[work.series].pages
        return self.rng.randint(low, high)

    def _formats(self, work: Work, year: int) -> list[Edition]:
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

    def _parts(self, work: Work, year: int) -> list[Edition]:
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

    def _media(self, work: Work, year: int) -> Edition:
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
