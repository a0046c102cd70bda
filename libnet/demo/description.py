"""The descriptive fields of a demo record: creator (100/110), title (245/246), imprint
(260/264), extent (300) and series (490/830), in RAK or RDA wording, with ISBD punctuation or
without, as the library's habits draw."""

from __future__ import annotations

import random

from pymarc import Field, Indicators, Subfield

from libnet.demo.editions import Edition
from libnet.demo.libraries import Habits
from libnet.demo.words import FEMALE, MALE, PLACES, PUBLISHERS, SURNAMES
from libnet.demo.works import Person, Work

ARTICLES = ("Der ", "Die ", "Das ", "Ein ", "Eine ", "The ", "A ")


def isbd_subfields(parts: list[tuple[str, str, str]], isbd: bool) -> list[Subfield]:
    """Subfields from (code, value, ISBD mark before it); the mark ends the previous one."""
    subfields: list[Subfield] = []
    for code, value, mark in parts:
        if isbd and subfields and mark:
            last = subfields[-1]
            subfields[-1] = Subfield(last.code, last.value + mark)
        subfields.append(Subfield(code, value))
    return subfields


def df(tag: str, ind: str, subfields: list[tuple[str, str]]) -> Field:
    return Field(tag, Indicators(ind[0], ind[1]), [Subfield(c, v) for c, v in subfields])


def names(rng: random.Random, ed: Edition, rda: bool) -> list[Field]:
    work = ed.work
    if work.band:
        return [df("110", "2 ", [("a", work.band), *([("4", "prf")] if rda else [])])]
    if not work.authors:
        return []
    author = work.authors[0]
    parts = [("a", author.inverted)]
    if author.born and rda and rng.random() < 0.5:
        parts.append(("d", f"{author.born}-"))
    if rda:
        parts += (
            [("e", "Interpret"), ("4", "prf")]
            if ed.carrier == "music"
            else [("e", "Verfasser"), ("4", "aut")]
        )
    return [df("100", "1 ", parts)]


def titles(rng: random.Random, ed: Edition, habits: Habits, isbd: bool, rda: bool) -> list[Field]:
    work = ed.work
    title = work.title
    if work.language == "eng" and rng.random() < 0.5:
        title = title[0] + title[1:].lower()  # German rules write English titles lowercase
    skip = next((len(a) for a in ARTICLES if title.startswith(a)), 0)
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
    responsibility = _responsibility(rng, ed, rda)
    if responsibility and rng.random() < 0.9:
        parts.append(("c", responsibility, " /"))
    ind1 = "1" if work.authors or work.band else "0"
    fields = [Field("245", Indicators(ind1, str(min(skip, 9))), isbd_subfields(parts, isbd))]
    if "???" in work.title or "&" in work.title:
        variant = work.title.replace("???", "Fragezeichen").replace("&", "und")
        fields.append(df("246", "3 ", [("a", variant)]))
    return fields


def _responsibility(rng: random.Random, ed: Edition, rda: bool) -> str:
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
    text = names if rng.random() < 0.7 else f"von {names}"
    if work.translator:
        text += (
            f" ; aus dem Englischen von {work.translator.direct}"
            if rda
            else f". Aus dem Engl. von {work.translator.direct}"
        )
    if ed.carrier == "audiobook":
        text += " ; gelesen von " + narrator(ed).direct
    return text


def narrator(ed: Edition) -> Person:
    # the same reader in every library's record of one audiobook
    forename = (FEMALE + MALE)[int(ed.edition_id[1:]) % (len(FEMALE) + len(MALE))]
    return Person(SURNAMES[int(ed.edition_id[1:]) * 7 % len(SURNAMES)], forename, None)


def imprint(rng: random.Random, ed: Edition, rda: bool, isbd: bool) -> list[Field]:
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
    subfields = isbd_subfields([("a", place, ""), ("b", name, " :"), ("c", year, ",")], isbd)
    if not rda:
        return [Field("260", Indicators(" ", " "), subfields)]
    fields = [Field("264", Indicators(" ", "1"), subfields)]
    if bracketed:
        fields.append(df("264", " 4", [("c", f"© {ed.year}")]))
    return fields


def extent(rng: random.Random, ed: Edition, rda: bool, isbd: bool) -> Field:
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
    return Field("300", Indicators(" ", " "), isbd_subfields(parts, isbd))


def series(rng: random.Random, work: Work, isbd: bool, rda: bool) -> list[Field]:
    volume = str(work.volume)
    if not rda and rng.random() < 0.5:
        volume = f"Bd. {volume}"
    traced = rng.random() < 0.6
    fields = [
        Field(
            "490",
            Indicators("1" if traced else "0", " "),
            isbd_subfields([("a", work.series, ""), ("v", volume, " ;")], isbd),
        )
    ]
    if traced:
        fields.append(df("830", " 0", [("a", work.series), ("v", str(work.volume))]))
    return fields
