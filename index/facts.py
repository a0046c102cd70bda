"""One record's facts for matching: what the rules read of it, folded once.

The matcher folds text its own way (accents and umlauts go, a spelt-out umlaut too), reads
the identifiers worth matching on (ISBN, a shared catalogue's 035 number, an EAN), volume
numbers, edition statements, page counts and publishers. index/match.py compares two
records' Facts; index/editions.py groups a catalogue of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from unicodedata import combining, normalize

from libnet.records.bib import BibRecord

# --------------------------------------------------------------------------- folding

# keys are stored by index/grouping.py, so this folding is the matcher's own: tuning the search
# analysis must not re-key the store. Accents and umlauts go (ü -> u), and a spelt-out umlaut
# loses its e as well (ue -> u): Müller, Mueller and Muller meet.
_LETTERS = {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "ı": "i", "đ": "d", "þ": "th"}
_FOLD_TABLE = {  # Latin-1 and Latin Extended-A/B without their marks, folded once here
    code: "".join(ch for ch in normalize("NFKD", chr(code)) if not combining(ch))
    for code in range(0xC0, 0x250)
} | {ord(letter): plain for letter, plain in _LETTERS.items()}
_SPELT_UMLAUT = re.compile(r"(?<=[aou])e")
_NON_WORD = re.compile(r"[\W_]+")


def _fold(text: str) -> str:
    text = text.casefold()
    if not text.isascii():
        text = text.translate(_FOLD_TABLE)
    return " ".join(_NON_WORD.sub(" ", _SPELT_UMLAUT.sub("", text)).split())


def _folded_words(words: str) -> frozenset[str]:
    return frozenset(_fold(words).split())


_ARTICLES = _folded_words(
    "der die das ein eine the a an le la les l el il lo los las un une una uno"
)
# a title made only of these words says what kind of text it is, not which one
_GENERIC_WORDS = _folded_words(
    "gedicht gedichte lyrik erzählung erzählungen geschichten kurzgeschichten novellen roman "
    "romane märchen sagen briefe tagebuch tagebücher aufzeichnungen kochbuch rezepte werke "
    "schriften gesammelte ausgewählte sämtliche auswahl neue späte frühe kleine poems poetry "
    "stories tales short essays letters diaries diary works collected selected complete "
    "cookbook novel novels frontmatter front backmatter back matter preface vorwort "
    "einleitung introduction inhalt contents index register anhang appendix bibliography "
    "bibliographie jahrbuch jahresbericht bericht report proceedings katalog catalogue "
    "catalog festschrift"
)
# what cataloguers write when the item names itself nothing: no title to match on at all
_NO_TITLE = frozenset(
    _fold(text) for text in ("Ohne Titel", "o.T.", "Titel fehlt", "Untitled", "Sine titulo")
)
_NO_LANGUAGE = frozenset(("und", "mul", "zxx", "mis"))  # undetermined, several, none, other
_AND = frozenset(("und", "and", "et"))  # "&" is no word: "Emil & Ella" is "Emil und Ella"
_CONNECTORS = _folded_words(
    "und and & of in im aus von vom zum zur für for mit with to at band bd teil vol volume"
)


# --------------------------------------------------------------------------- one record's facts


@dataclass(frozen=True, slots=True)
class Facts:
    """What the rules read of one record, folded once (cluster() keeps a million of these).

    Much smaller than the record itself, so a regrouping of the whole catalogue keeps these
    and not the records.
    """

    title: str
    subtitle: str
    generic: bool
    author: str  # first author's surname, folded, without spaces
    initial: str  # first letter of the first author's forename
    year: int | None
    format: str
    language: str
    isbns: frozenset[str]
    ids: frozenset[str]  # "ean:4012345006940", "(DE-101)1234567890"
    issns: frozenset[str]
    part: tuple[str, str]  # volume number and volume title of 245 $n/$p
    series: tuple[tuple[str, str], ...]  # (series key, volume number)
    edition: _Edition
    pages: int | None
    publisher: tuple[tuple[str, ...], str]  # significant words, initials


def record_facts(bib: BibRecord) -> Facts:
    """What the rules read of one record."""
    title = title_key(bib)
    authors = bib.authors
    isbns, ids = set(bib.isbns), set()
    for raw in bib.other_ids:
        kind, value = _identifier(raw)
        if kind == "isbn":
            isbns.add(value)
        elif kind:
            ids.add(kind + value if kind.startswith("(") else f"{kind}:{value}")
    if bib.format == "journal":
        ids.update(f"issn:{number}" for number in bib.issns)
    return Facts(
        title=title,
        subtitle=_fold(bib.subtitle),
        generic=all(w in _GENERIC_WORDS or w in _CONNECTORS or w.isdigit() for w in title.split()),
        author=_surname_key(authors[0]) if authors else "",
        initial=_fold(authors[0].partition(",")[2])[:1] if authors else "",
        year=bib.year,
        format=bib.format,
        language="" if bib.language in _NO_LANGUAGE else bib.language,
        isbns=frozenset(isbns),
        ids=frozenset(ids),
        issns=frozenset(bib.issns),
        part=(_number(bib.part_number), _fold(bib.part_name)),
        series=tuple((_title(t), _number(v)) for t, v in bib.series if v),
        edition=_edition(bib.edition),
        pages=bib.pages,
        publisher=_publisher(bib.publisher),
    )


def title_key(bib: BibRecord) -> str:
    """The title proper folded for matching: no article, punctuation, case, accents or umlauts.

    The subtitle stays out (libraries transcribe it or not), and so do 245 $n/$p: volumes are
    compared on their own. A subtitle or parallel title left in $a is cut at its ISBD mark.
    "" for a title that names nothing ("[Ohne Titel]", "o.T."): it is no evidence.
    """
    key = _title(bib.title)
    return "" if key in _NO_TITLE else key


def _title(text: str) -> str:
    for mark in (" : ", " = ", " / "):
        cut = text.find(mark)
        if cut > 0:
            text = text[:cut]
    words = _fold(text).split()
    if len(words) > 1 and words[0] in _ARTICLES:
        del words[0]
    return " ".join(w for w in words if w not in _AND) or " ".join(words)


def _surname_key(name: str) -> str:
    words = _fold(name.split(",", 1)[0]).split()
    if len(words) > 1 and words[0] in _ARTICLES:  # a band or body: "Die Zechenbarone"
        del words[0]
    return "".join(words)


_OCLC_PREFIX = re.compile(r"^(?:ocm|ocn|on)")
_PREFIXED = re.compile(r"^\(([^)]*)\)\s*(.+)$")
# 035 numbers shared across libraries only when copied from one catalogue: the DNB, the ZDB,
# the German union catalogues, WorldCat. A library's own (ISIL-prefixed) numbers never meet.
_SHARED_CATALOGUES = frozenset(
    ("DE-101", "DE-600", "DE-601", "DE-603", "DE-604", "DE-605", "DE-576", "DE-627", "OCOLC")
)


def _identifier(raw: str) -> tuple[str, str]:
    """(kind, value) of an 024/028/035 $a worth matching on, ("", "") otherwise."""
    text = raw.strip()
    prefixed = _PREFIXED.match(text)
    if prefixed:
        source, number = prefixed.group(1).strip().upper(), prefixed.group(2).strip()
        if source not in _SHARED_CATALOGUES:
            return "", ""
        if source == "OCOLC":
            number = _OCLC_PREFIX.sub("", number).lstrip("0")
        return f"({source})", number.upper()
    digits = text.replace("-", "").replace(" ", "")
    if not digits.isascii():  # "²".isdigit() too, but int() refuses it
        return "", ""
    if len(digits) == 12 and digits.isdigit():
        digits = "0" + digits  # a UPC is an EAN with a leading 0
    if len(digits) != 13 or not digits.isdigit() or not _ean_valid(digits):
        return "", ""
    if digits[:3] in ("978", "979") and digits[:4] != "9790":  # 979-0 is an ISMN
        return "isbn", digits
    return "ean", digits


def _ean_valid(digits: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    return (10 - total % 10) % 10 == int(digits[12])


_DIGITS = re.compile(r"\d+")
_ROMAN = {"i": 1, "v": 5, "x": 10}


def _number(text: str) -> str:
    """A volume number for comparing: "Bd. 12", "Band 12" and "12" give "12"; "II" gives "2"."""
    if not text:
        return ""
    digits = _DIGITS.search(text)
    if digits:
        return str(int(digits.group()))
    folded = _fold(text)
    for word in folded.split():
        if set(word) <= _ROMAN.keys():  # "Teil II"; a smaller numeral before a larger subtracts
            values = [_ROMAN[ch] for ch in word]
            pairs = zip(values, [*values[1:], 0], strict=True)
            return str(sum(-v if v < w else v for v, w in pairs))
    return folded


_EDITION_NUMBER = re.compile(r"(?<!\d)(\d{1,2})\s*(?:\.|st\b|nd\b|rd\b|th\b|e\b|er\b)")
_ORDINALS = {
    word: n
    for n, words in enumerate(
        ("erste first", "zweite second", "dritte third", "vierte fourth", "fünfte fifth"), 1
    )
    for word in _folded_words(words)
}


# kinds of edition that are other manifestations of one text: a paperback, a large-print or
# licensed edition; their statements differ from the original's, whose may say "1. Auflage"
_EDITION_KINDS = {
    "taschenbuch": "paperback",
    "paperback": "paperback",
    "grossdruck": "large print",
    "sonderausg": "special",
    "lizenzausg": "licensed",
    "neuausg": "new",
    "ungekurzt": "unabridged",
    "unabridged": "unabridged",
}


@dataclass(frozen=True, slots=True)
class _Edition:
    """What an edition statement (250) says: "2., überarb. Aufl." is the second edition."""

    number: int = 1  # 1 when the statement gives none
    abridged: bool = False
    kinds: tuple[str, ...] = ()
    stated: bool = False

    def differs(self, other: _Edition) -> bool:
        """Other numbers or abridgement differ; other kinds only when both records state one."""
        if self.number != other.number or self.abridged != other.abridged:
            return True
        return self.stated and other.stated and self.kinds != other.kinds

    def __str__(self) -> str:
        words = [f"edition {self.number}", *self.kinds, "abridged" if self.abridged else ""]
        return " ".join(filter(None, words))


_NOT_STATED = _Edition()


def _edition(text: str) -> _Edition:
    if not text:
        return _NOT_STATED
    words = _fold(text).split()
    found = _EDITION_NUMBER.search(text.casefold())
    number = (
        int(found.group(1)) if found else next((_ORDINALS[w] for w in words if w in _ORDINALS), 1)
    )
    abridged = any(w.startswith(("gekurzt", "abridged", "kurzfassung")) for w in words)
    kinds = {kind for w in words for start, kind in _EDITION_KINDS.items() if w.startswith(start)}
    return _Edition(number, abridged, tuple(sorted(kinds)), True)


_PUBLISHER_NOISE = _folded_words(
    "verlag verl verlagsgruppe der die das und and gmbh mbh co kg ag ltd inc books publishing "
    "publishers publ buchverlag buchverl edition editions press"
)


def _publisher(text: str) -> tuple[tuple[str, ...], str]:
    """Significant words of a publisher's name, and its initials ("Dt. Taschenbuch-Verl.": dtv)."""
    words = _fold(text).split()
    initials = "".join(w[0] for w in words) if len(words) > 1 else ""
    return tuple(w for w in words if w not in _PUBLISHER_NOISE), initials


def publishers_agree(a: tuple[tuple[str, ...], str], b: tuple[tuple[str, ...], str]) -> bool:
    """Whether two names may be one publisher: a shared word or stem, or one is the initials."""
    for x in a[0]:
        for y in b[0]:
            shorter, longer = (x, y) if len(x) <= len(y) else (y, x)
            if len(shorter) >= 3 and longer.startswith(shorter):
                return True
    return bool((a[1] and a[1] in b[0]) or (b[1] and b[1] in a[0]))
