"""One library's demo record of one edition, in that library's habits: leader, control
fields, numbers, notes, subjects and added entries; the description and the items come from
description.py and holdings.py."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pymarc import Field, Record, Subfield

from libnet.demo.description import (
    df,
    extent,
    imprint,
    names,
    narrator,
    series,
    titles,
)
from libnet.demo.editions import Edition
from libnet.demo.holdings import Shelf, items
from libnet.demo.libraries import DemoLibrary, Habits
from libnet.demo.standard_numbers import hyphenate, isbn10
from libnet.demo.words import PLACES, SONGS
from libnet.demo.works import Work

_SPELL_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
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


class RecordMaker:
    """Writes one library's record for one edition, in that library's habits."""

    def __init__(self, rng: random.Random, export: datetime) -> None:
        self.rng = rng
        self.export = export

    def record(
        self, ed: Edition, lib: DemoLibrary, habits: Habits, local_id: str, shelf: Shelf
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
            df(
                "040",
                "  ",
                [("a", lib.isil), ("b", "ger"), ("c", lib.isil), ("e", "rda" if rda else "rakwb")],
            )
        )
        languages = self._languages(ed)
        if languages:
            fields.append(languages)
        fields += names(rng, ed, rda)
        fields += titles(rng, ed, habits, isbd, rda)
        if ed.edition and (ed.edition[0] != "1. Auflage" or rng.random() < 0.6):
            fields.append(df("250", "  ", [("a", ed.edition[0] if rda else ed.edition[1])]))
        fields += imprint(rng, ed, rda, isbd)
        fields.append(extent(rng, ed, rda, isbd))
        fields.append(df("336", "  ", [("a", content[0]), ("b", content[1]), ("2", "rdacontent")]))
        fields.append(df("337", "  ", [("a", media[0]), ("b", media[1]), ("2", "rdamedia")]))
        fields.append(df("338", "  ", [("a", carrier[0]), ("b", carrier[1]), ("2", "rdacarrier")]))
        fields += self._notes(ed, habits, rda)
        fields += self._subjects(work, habits)
        fields += self._added(ed, rda)
        if work.series:
            fields += series(rng, work, isbd, rda)
        if ed.print_isbn and rng.random() < 0.7:
            fields.append(
                df(
                    "776",
                    "08",
                    [
                        ("i", "Erscheint auch als"),
                        ("n", "Druck-Ausgabe"),
                        ("z", hyphenate(ed.print_isbn, ed.prefix_len)),
                    ],
                )
            )
        if ed.url:
            fields.append(df("856", "40", [("u", ed.url), ("z", "Zum Online-Angebot")]))
        fields += items(rng, self.export, ed, lib, habits, shelf, entered, itype)
        if lib.holdings == "koha":
            number = "".join(filter(str.isdigit, local_id))
            fields.append(df("942", "  ", [("c", itype)]))
            fields.append(df("999", "  ", [("c", number), ("d", number)]))
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

    def _f008(self, ed: Edition, entered: datetime) -> str:
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

    def _identifiers(self, ed: Edition, habits: Habits) -> list[Field]:
        rng = self.rng
        fields = []
        dnb_copy = ed.dnb_id is not None and rng.random() < habits.dnb_copy
        isbn = ed.isbn
        if ed.print_isbn and rng.random() < 0.05:
            isbn = ed.print_isbn  # a real cataloguing slip: the e-book under the print ISBN
        if isbn and rng.random() >= habits.no_isbn:
            digits = isbn10(isbn) if rng.random() < habits.isbn10 else isbn
            text = hyphenate(digits, ed.prefix_len) if rng.random() < habits.hyphens else digits
            price = f"EUR {ed.price}" if rng.random() < 0.7 else f"EUR {ed.price.replace('.', ',')}"
            if dnb_copy:
                parts = [
                    ("a", isbn),
                    ("c", f"{ed.binding} : {price}"),
                    ("9", hyphenate(isbn, ed.prefix_len)),
                ]
            elif rng.random() < habits.qualifier:
                style = rng.randrange(3)
                suffix = (f" ({ed.binding})", f" : {price}", f" ({ed.binding}) : {price}")[style]
                parts = [("a", text + suffix)]
            elif rng.random() < 0.3:
                parts = [("a", text), ("q", ed.binding), ("c", price)]
            else:
                parts = [("a", text)]
            fields.append(df("020", "  ", parts))
        if ed.ean:
            fields.append(df("024", "3 ", [("a", ed.ean)]))
        if dnb_copy:
            fields.append(df("035", "  ", [("a", f"(DE-101){ed.dnb_id}")]))
        return fields

    def _languages(self, ed: Edition) -> Field | None:
        work = ed.work
        if work.second_language:
            return df("041", "0 ", [("a", work.language), ("a", work.second_language)])
        if work.translated_from and ed.carrier == "dvd":
            return df("041", "1 ", [("a", "ger"), ("a", "eng"), ("j", "ger"), ("h", "eng")])
        if work.translated_from:
            return df("041", "1 ", [("a", work.language), ("h", work.translated_from)])
        return None

    def _notes(self, ed: Edition, habits: Habits, rda: bool) -> list[Field]:
        rng = self.rng
        work = ed.work
        fields = []
        if work.second_language:
            fields.append(df("546", "  ", [("a", "Text deutsch und türkisch")]))
        if ed.carrier == "audiobook":
            reader = narrator(ed).direct
            fields.append(df("511", "0 ", [("a", f"Gelesen von {reader}")]))
            if ed.abridged:
                fields.append(df("500", "  ", [("a", "Gekürzte Lesung")]))
        if ed.carrier == "music" and rng.random() < 0.6:
            songs = " ; ".join(rng.sample(SONGS, rng.randint(4, 8)))
            fields.append(df("505", "0 ", [("a", songs)]))
        if ed.carrier == "dvd":
            cast = ", ".join(p.direct for p, _e, code in work.contributors if code == "act")
            fields.append(df("511", "1 ", [("a", f"Darsteller: {cast}")]))
        if work.summary and rng.random() < habits.summary:
            text = work.summary
            if rng.random() < 0.3:
                text = text.split(". ")[0].rstrip(".") + "."  # some keep the first sentence
            fields.append(df("520", "  ", [("a", text)]))
        if work.age is not None:
            if ed.carrier == "dvd":
                fields.append(df("521", "  ", [("a", f"FSK ab {work.age}")]))
            else:
                fields.append(
                    df(
                        "521",
                        "  ",
                        [("a", f"Ab {work.age} Jahren" if rda else f"ab {work.age} J.")],
                    )
                )
        return fields

    def _subjects(self, work: Work, habits: Habits) -> list[Field]:
        rng = self.rng
        if not work.subjects or rng.random() >= habits.subjects:
            return []
        chosen = [s for s in work.subjects if rng.random() < 0.8] or [work.subjects[0]]
        return [df("650", " 7", [("a", s), ("2", "gnd")]) for s in chosen]

    def _added(self, ed: Edition, rda: bool) -> list[Field]:
        work = ed.work
        fields = [
            df("700", "1 ", [("a", a.inverted), *([("4", "aut")] if rda else [])])
            for a in work.authors[1:]
        ]
        people = list(work.contributors)
        if work.translator:
            people.append((work.translator, "Übersetzer", "trl"))
        if ed.carrier == "audiobook":
            people.append((narrator(ed), "Sprecher", "nrt"))
        for person, role, code in people:
            parts = [("a", person.inverted)]
            if rda:
                parts += [("e", role), ("4", code)]
            fields.append(df("700", "1 ", parts))
        return fields
