"""What kind of resource a record describes, and for whom: its format and its audience.

The format comes from leader/06-07, 007, 008 and the RDA content, media and carrier types
(336/337/338); the audience from 008/22, genre terms and audience notes (385, 521).
"""

from __future__ import annotations

import re

import pymarc

from libnet.records.gathered import FieldReader, Gathered
from libnet.records.text import filled

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

_AGE = re.compile(r"\bab\s*(\d{1,2})\b", re.IGNORECASE)
_CHILDREN_WORDS = re.compile(
    r"kinder|kind\b|jugend|children|child\b|juvenile|young adult|bilderbuch|picture book|erstles",
    re.IGNORECASE,
)
_CHILDREN_008 = frozenset("abcj")  # 008/22: preschool, primary, pre-adolescent, juvenile
_AUDIENCE_008_TYPES = frozenset("atcdijgkorm")  # 008/22 is target audience for these types
_ELECTRONIC_008 = frozenset("oqs")  # 008/23 form of item: online, direct electronic, electronic
_VIDEO_CARRIERS = frozenset(("vd", "vf", "vr", "vz"))
_SERIAL_LEVELS = frozenset("bis")  # books' 008 layout does not apply to these
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


def read_content_type(gathered: Gathered, field: pymarc.Field) -> None:
    _rda_codes(field, gathered.content, _CONTENT_TERMS)


def read_media_type(gathered: Gathered, field: pymarc.Field) -> None:
    _rda_codes(field, gathered.media, _MEDIA_TERMS)


def read_carrier_type(gathered: Gathered, field: pymarc.Field) -> None:
    _rda_codes(field, gathered.carrier, _CARRIER_TERMS)


def read_audience_note(gathered: Gathered, field: pymarc.Field) -> None:
    gathered.audience_notes.extend(filled(field, "a")[:1])


READERS: dict[str, FieldReader] = {
    "336": read_content_type,
    "337": read_media_type,
    "338": read_carrier_type,
    "385": read_audience_note,
    "521": read_audience_note,
}


def format_of(record_type: str, level: str, gathered: Gathered) -> str:
    """One of FORMATS from leader/06-07, 007, 008 and the RDA 336/337/338 types."""
    if level == "s":
        return "journal"
    if record_type in ("a", "t"):
        if level in ("a", "b"):
            return "article"
        content = gathered.content
        if content and "txt" not in content:
            for code, name in _CONTENT_FORMATS:
                if code in content:
                    return name
        return "ebook" if _electronic(gathered) else "book"
    if record_type == "g":
        video = (
            gathered.f007[:1] in ("v", "m")
            or gathered.f008[33:34] in ("v", "m")
            or "tdi" in gathered.content
            or not _VIDEO_CARRIERS.isdisjoint(gathered.carrier)
        )
        return "video" if video else "other"
    if record_type == "m":
        return "game" if gathered.f008[26:27] == "g" else "software"
    return _TYPE_FORMATS.get(record_type, "other")


def audience_of(record_type: str, level: str, gathered: Gathered) -> str:
    """The audience: "children" when the record says the resource is for children, else ""."""
    if (
        record_type in _AUDIENCE_008_TYPES
        and level not in _SERIAL_LEVELS
        and gathered.f008[22:23] in _CHILDREN_008
    ):
        return "children"
    if gathered.children_form:
        return "children"
    for note in gathered.audience_notes:
        lowered = note.casefold()
        if "fsk" in lowered or "usk" in lowered or "pegi" in lowered:
            continue  # film and game ratings: "FSK ab 0" is no children's film
        if _CHILDREN_WORDS.search(note):
            return "children"
        age = _AGE.search(note)
        if age and int(age.group(1)) <= 12:
            return "children"
    return ""


def _electronic(gathered: Gathered) -> bool:
    if (
        gathered.f008[23:24] in _ELECTRONIC_008
        or gathered.f007[:1] == "c"
        or "cr" in gathered.carrier
    ):
        return True
    # a printed book with a CD-ROM has 337 "n" and 338 "nc" besides "c" and "cd"
    if gathered.carrier:
        return all(code[:1] == "c" for code in gathered.carrier)
    return gathered.media == {"c"}


def _rda_codes(field: pymarc.Field, codes: set[str], terms: dict[str, str]) -> None:
    for code, value in field.subfields:
        if code == "b":
            codes.add(value.strip().lower())
        elif code == "a":
            known = terms.get(value.strip().lower())
            if known:
                codes.add(known)
