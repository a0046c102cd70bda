"""Matching rules of the deduplication: which libraries' records describe one edition.

Three rules join two records, strongest first: a shared ISBN (libnet.records already turned
ISBN-10 into ISBN-13), a shared identifier worth matching (a DNB or union-catalogue number in
035, an EAN in 024), or failing both the same title key, first author and year. Checks keep
apart what only looks alike; each is a lesson from other union catalogues' false merges:
a book, its e-book and its audiobook (the e-book's record may carry the print ISBN), volumes
of a multi-volume work or a numbered series, later or abridged editions, different page
counts, and generic titles ("Gedichte", "Frontmatter") that need more than title and author.
Every Decision names the rule that joined or the check that refused, in a line for librarians.

match_keys() gives the blocking keys: only records sharing a key are ever compared, so a
million records cost a few million comparisons, not a million squared. cluster() groups a
whole catalogue by these rules; index/cluster.py regroups the record store with them, reading
each record's Facts once (record_facts(), blocking_keys(), cluster_facts()).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from unicodedata import combining, normalize

from libnet.records.bib import BibRecord

RULES = ("isbn", "identifier", "title-author-year")  # strongest first, as cluster() joins
_RANKS = {rule: rank for rank, rule in enumerate(RULES)}
MAX_BLOCK = 100  # one edition has at most one record per library; a bigger block is suspect


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether two records are one edition; rule is the joining rule or the refusing check."""

    same: bool
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Join:
    """How a member came into its cluster: matched with another member by a rule."""

    record: int
    matched: int
    decision: Decision


@dataclass(frozen=True, slots=True)
class Cluster:
    """Indexes of records that are one edition; every member but the first has its Join."""

    members: tuple[int, ...]
    joins: tuple[Join, ...]


@dataclass(frozen=True, slots=True)
class Guarded:
    """A match left undone: a member of one cluster conflicts with a member of the other."""

    pair: tuple[int, int]
    conflict: tuple[int, int]
    decision: Decision


@dataclass(frozen=True, slots=True)
class Clustering:
    """cluster()'s result, with what it cost and where it held back."""

    clusters: tuple[Cluster, ...]
    comparisons: int
    guarded: tuple[Guarded, ...]
    large_blocks: tuple[tuple[str, int], ...]  # keys shared by more than max_block records


# --------------------------------------------------------------------------- folding

# keys are stored by index/cluster.py, so this folding is the matcher's own: tuning the search
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


def blocking_keys(facts: Facts) -> list[str]:
    """match_keys() of the record these facts are of."""
    keys = [f"isbn:{number}" for number in facts.isbns]
    keys += [f"id:{value}" for value in facts.ids]
    if facts.title and facts.author and facts.year:
        keys.append(f"tay:{facts.title}|{facts.author}|{facts.year}")
    return keys


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


def _publishers_agree(a: tuple[tuple[str, ...], str], b: tuple[tuple[str, ...], str]) -> bool:
    """Whether two names may be one publisher: a shared word or stem, or one is the initials."""
    for x in a[0]:
        for y in b[0]:
            shorter, longer = (x, y) if len(x) <= len(y) else (y, x)
            if len(shorter) >= 3 and longer.startswith(shorter):
                return True
    return bool((a[1] and a[1] in b[0]) or (b[1] and b[1] in a[0]))


# --------------------------------------------------------------------------- two records


def match_keys(bib: BibRecord) -> frozenset[str]:
    """Blocking keys: records are compared only when they share one.

    "isbn:<ISBN-13>", "id:<identifier>" ("id:(DE-101)1234567890", "id:ean:4012345006940"), and
    "tay:<title key>|<first author's surname>|<year>": none without a title, author or year,
    so a generic title ("Gedichte") never blocks alone; compare() asks it for more besides.
    """
    return frozenset(blocking_keys(record_facts(bib)))


def compare(a: BibRecord, b: BibRecord) -> Decision:
    """Whether two records are one edition, with the rule that joined or the check that refused."""
    return _decide(record_facts(a), record_facts(b))


def conflict(a: BibRecord, b: BibRecord) -> Decision | None:
    """The check that forbids a and b in one cluster, even through others; None when none does.

    Lack of evidence (titles or authors that differ) is no conflict: a cluster may hold
    variants joined through a third record. Formats, volumes, identifiers, years, editions
    and page counts that differ are.
    """
    return _conflict(record_facts(a), record_facts(b))


def _decide(a: Facts, b: Facts) -> Decision:
    code = _verdict(a, b)
    if code == "isbn":
        shared = a.isbns & b.isbns
        return Decision(True, "isbn", f"ISBN {min(shared)} shared; {_agreeing(a, b)}")
    if code == "identifier":
        shared = a.ids & b.ids
        return Decision(True, "identifier", f"{_show_id(min(shared))} shared; {_agreeing(a, b)}")
    if code == "title-author-year":
        return Decision(
            True,
            "title-author-year",
            f"title {a.title!r}, author {a.author!r}, year {a.year} agree; {_agreeing(a, b)}",
        )
    return _refusal(code, a, b)


def _verdict(a: Facts, b: Facts) -> str:
    """_decide() without its Decision: the joining rule, or the code of the refusal.

    cluster() asks this of millions of pairs and nearly all are refused: a Decision with its
    sentence costs more than the checks, so it is made only for the pairs that need one.
    """
    refused = _conflict_code(a, b)
    if refused:
        return refused
    if a.isbns & b.isbns:
        return "isbn"
    if a.ids & b.ids:
        return "identifier"
    if not a.title or not b.title:
        return "no-title"
    if a.title != b.title:
        return "title"
    if not a.author or not b.author:
        return "no-author"
    if a.author != b.author:
        return "author"
    if a.initial and b.initial and a.initial != b.initial:
        return "initial"
    if a.year is None or b.year is None:
        return "no-year"
    if a.generic and not (a.publisher[0] and b.publisher[0] and a.pages and b.pages):
        return "generic-title"
    if a.subtitle and b.subtitle and not _starts_alike(a.subtitle, b.subtitle):
        return "subtitle"
    if not _publishers_agree(a.publisher, b.publisher) and a.publisher[0] and b.publisher[0]:
        return "publisher"
    return "title-author-year"


def _conflict(a: Facts, b: Facts) -> Decision | None:
    code = _conflict_code(a, b)
    return _refusal(code, a, b) if code else None


def _conflict_code(a: Facts, b: Facts) -> str | None:
    """The code of the check that forbids a and b in one cluster (see conflict()), or None."""
    if a.format != b.format:
        return "format"
    if _parts_differ(a.part, b.part):
        return "volume"
    if a.series and b.series and _series_volumes_differ(a, b):
        return "series-volume"
    if a.isbns & b.isbns or a.ids & b.ids:
        if not _titles_agree(a.title, b.title):
            return "identified-title"
        if _pages_differ(a.pages, b.pages, gross=True):
            return "identified-pages"
        return None
    if a.isbns and b.isbns:
        return "isbn-conflict"
    if a.ids and b.ids and {_kind(i) for i in a.ids} & {_kind(i) for i in b.ids}:
        return "identifier-conflict"  # both have a DNB number, or both an EAN, and not the same
    if a.issns and b.issns and not a.issns & b.issns:
        return "issn-conflict"
    if a.year is not None and b.year is not None and a.year != b.year:
        return "year"
    if a.edition.differs(b.edition):
        return "edition"
    if _pages_differ(a.pages, b.pages, gross=False):
        return "pages"
    if a.language and b.language and a.language != b.language:
        return "language"
    return None


def _series_volumes_differ(a: Facts, b: Facts) -> tuple[str, str, str] | None:
    """The first series both records are in with other volume numbers: (series, a's, b's)."""
    for series, volume in a.series:
        for other_series, other in b.series:
            if series == other_series and volume != other:
                return series, volume, other
    return None


def _refusal(code: str, a: Facts, b: Facts) -> Decision:
    """The Decision, with its sentence for librarians, of a refusal code of _verdict()."""
    if code == "format":
        shared = a.isbns & b.isbns
        also = f" (ISBN {min(shared)} shared)" if shared else ""
        return Decision(False, "format", f"formats differ: {a.format} vs {b.format}{also}")
    if code == "volume":
        return Decision(False, "volume", f"volumes differ: {_part(a)} vs {_part(b)}")
    if code == "series-volume":
        series, volume, other = _series_volumes_differ(a, b) or ("", "", "")
        return Decision(False, "series-volume", f"series {series!r}: volume {volume} vs {other}")
    if code == "identified-title":
        return Decision(
            False, "title", f"identifier shared but titles differ: {a.title!r} vs {b.title!r}"
        )
    if code == "identified-pages":
        return Decision(
            False, "pages", f"identifier shared but page counts differ: {a.pages} vs {b.pages}"
        )
    if code == "isbn-conflict":
        return Decision(False, "isbn-conflict", f"ISBNs differ: {min(a.isbns)} vs {min(b.isbns)}")
    if code == "identifier-conflict":
        kind = min({_kind(i) for i in a.ids} & {_kind(i) for i in b.ids})
        return Decision(
            False,
            "identifier-conflict",
            f"identifiers differ: {_show_id(_of_kind(a.ids, kind))} vs "
            f"{_show_id(_of_kind(b.ids, kind))}",
        )
    if code == "issn-conflict":
        return Decision(False, "identifier-conflict", "ISSNs differ")
    if code == "year":
        return Decision(False, "year", f"years differ: {a.year} vs {b.year}")
    if code == "edition":
        return Decision(False, "edition", f"editions differ: {a.edition} vs {b.edition}")
    if code == "pages":
        return Decision(False, "pages", f"page counts differ: {a.pages} vs {b.pages}")
    if code == "language":
        return Decision(False, "language", f"languages differ: {a.language} vs {b.language}")
    if code == "no-title":
        return Decision(False, "title", "no title to match on")
    if code == "title":
        return Decision(False, "title", f"titles differ: {a.title!r} vs {b.title!r}")
    if code == "no-author":
        return Decision(False, "author", "no author to match on")
    if code == "author":
        return Decision(False, "author", f"first authors differ: {a.author!r} vs {b.author!r}")
    if code == "initial":
        return Decision(
            False,
            "author",
            f"first authors differ: {a.author!r} with forenames {a.initial}. and {b.initial}.",
        )
    if code == "no-year":
        return Decision(False, "year", "no year to match on")
    if code == "generic-title":
        return Decision(
            False,
            "generic-title",
            f"generic title {a.title!r}: needs publisher and page count in both records",
        )
    if code == "subtitle":
        return Decision(False, "subtitle", f"subtitles differ: {a.subtitle!r} vs {b.subtitle!r}")
    if code == "publisher":
        return Decision(
            False,
            "publisher",
            f"publishers differ: {' '.join(sorted(a.publisher[0]))!r} vs "
            f"{' '.join(sorted(b.publisher[0]))!r}",
        )
    raise ValueError(f"no refusal {code!r}")


def _parts_differ(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Volume numbers must be equal; volume titles too, unless one record left its out."""
    if a[0] != b[0]:
        return True
    return a[1] != b[1] and not (a[0] and (not a[1] or not b[1]))


def _titles_agree(a: str, b: str) -> bool:
    """Lenient: with a shared identifier, half the shorter title's words suffice."""
    if a == b or not a or not b:
        return True
    wa, wb = set(a.split()), set(b.split())
    return len(wa & wb) * 2 >= min(len(wa), len(wb))


def _starts_alike(a: str, b: str) -> bool:
    return a.startswith(b) or b.startswith(a)


def _pages_differ(a: int | None, b: int | None, gross: bool) -> bool:
    """Counting unnumbered pages or not moves a count by a few; another book moves it more.

    With a shared identifier only a gross difference counts (a set's ISBN on one volume).
    """
    if not a or not b:
        return False
    smaller, larger = (a, b) if a < b else (b, a)
    allowed = max(50, larger // 3) if gross else max(10, larger // 50)
    return larger - smaller > allowed


def _kind(identifier: str) -> str:
    if identifier.startswith("("):
        return identifier.split(")", 1)[0] + ")"
    return identifier.partition(":")[0]


def _of_kind(ids: frozenset[str], kind: str) -> str:
    return min(i for i in ids if _kind(i) == kind)


def _show_id(identifier: str) -> str:
    kind, _, value = identifier.partition(":")
    return f"{kind.upper()} {value}" if kind in ("ean", "issn") else identifier


def _part(facts: Facts) -> str:
    number, name = facts.part
    return " ".join(filter(None, (number, repr(name) if name else ""))) or "none"


def _agreeing(a: Facts, b: Facts) -> str:
    year = f"year {a.year}" if a.year == b.year else f"years {a.year} and {b.year}"
    return f"same format {a.format}, {year}"


# --------------------------------------------------------------------------- a catalogue


def cluster(
    records: Sequence[BibRecord],
    max_block: int = MAX_BLOCK,
    never: Collection[frozenset[int]] = (),
    always: Sequence[tuple[int, int, str]] = (),
) -> Clustering:
    """Group records into editions: compare within blocks, join by rule, strongest first.

    A match joins two clusters only if no member of one conflicts with a member of the other,
    so a chain A~B~C never puts A and C together when A and C are different editions. A block
    bigger than max_block (a key too common to mean anything) compares each record with its
    next max_block neighbours only, and is reported. Librarians' corrections come first:
    `always` pairs (a, b, note) are joined whatever the rules say, and no two records of a
    `never` pair end up together.
    """
    return cluster_facts([record_facts(bib) for bib in records], max_block, never, always)


def cluster_facts(
    facts: Sequence[Facts],
    max_block: int = MAX_BLOCK,
    never: Collection[frozenset[int]] = (),
    always: Sequence[tuple[int, int, str]] = (),
) -> Clustering:
    """cluster() of records whose facts are already known (record_facts())."""
    keys = [blocking_keys(fact) for fact in facts]
    blocks: dict[str, list[int]] = {}
    for index, record_keys in enumerate(keys):
        for key in record_keys:
            blocks.setdefault(key, []).append(index)
    large = tuple(sorted((k, len(v)) for k, v in blocks.items() if len(v) > max_block))
    matches, comparisons = [], 0
    for index, fact in enumerate(facts):
        candidates: set[int] = set()
        for key in keys[index]:
            block = blocks[key]
            if len(block) > 1:
                start = bisect_right(block, index)
                candidates.update(block[start : start + max_block])
        comparisons += len(candidates)
        for other in candidates:
            verdict = _verdict(fact, facts[other])
            if verdict in _RANKS:  # the Decision itself is made for the few that join
                matches.append((_RANKS[verdict], index, other))
    matches.sort()
    return _join(facts, matches, comparisons, large, frozenset(never), always)


def _join(
    facts: Sequence[Facts],
    matches: list[tuple[int, int, int]],
    comparisons: int,
    large: tuple[tuple[str, int], ...],
    never: frozenset[frozenset[int]] = frozenset(),
    always: Sequence[tuple[int, int, str]] = (),
) -> Clustering:
    parent = list(range(len(facts)))
    members: dict[int, list[int]] = {}  # by root, for clusters of two or more
    edges: dict[int, list[tuple[int, Decision]]] = {}
    guarded = []

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def unite(a: int, b: int, decision: Decision) -> None:
        ra, rb = root(a), root(b)
        xs, ys = members.get(ra, [ra]), members.get(rb, [rb])
        keep, gone = (ra, rb) if len(xs) >= len(ys) else (rb, ra)
        parent[gone] = keep
        members.pop(gone, None)
        members[keep] = xs + ys
        edges.setdefault(a, []).append((b, decision))
        edges.setdefault(b, []).append((a, decision))

    for a, b, note in always:
        if root(a) != root(b):
            reason = "joined by a librarian" + (f": {note}" if note else "")
            unite(a, b, Decision(True, "librarian", reason))
    for rank, a, b in matches:
        ra, rb = root(a), root(b)
        if ra == rb:
            continue
        xs, ys = members.get(ra, [ra]), members.get(rb, [rb])
        clash = _vetoed(never, xs, ys) or _clash(facts, xs, ys, identified=rank < len(RULES) - 1)
        if clash:
            guarded.append(Guarded((a, b), clash[:2], clash[2]))
            continue
        unite(a, b, _decide(facts[a], facts[b]))
    groups = {min(group): sorted(group) for group in members.values()}
    clusters = [
        _explained(groups[index], edges) if index in groups else Cluster((index,), ())
        for index in range(len(facts))
        if index in groups or (parent[index] == index and index not in members)
    ]
    return Clustering(tuple(clusters), comparisons, tuple(guarded), large)


def _vetoed(
    never: frozenset[frozenset[int]], xs: list[int], ys: list[int]
) -> tuple[int, int, Decision] | None:
    """A pair across two clusters that a librarian said must never share a cluster."""
    if never:
        for x in xs:
            for y in ys:
                if frozenset((x, y)) in never:
                    return x, y, Decision(False, "librarian", "kept apart by a librarian")
    return None


def _clash(
    facts: Sequence[Facts], xs: list[int], ys: list[int], identified: bool
) -> tuple[int, int, Decision] | None:
    """The first pair of members across two clusters that conflict, if any.

    A match on a shared identifier outweighs members' ISBNs that differ (one DNB record can
    name two ISBNs, an e-book record can carry the print ISBN); one on title, author and year
    does not.
    """
    for x in xs:
        for y in ys:
            code = _conflict_code(facts[x], facts[y])
            if code and not (identified and code == "isbn-conflict"):
                return x, y, _refusal(code, facts[x], facts[y])
    return None


def _explained(group: list[int], edges: dict[int, list[tuple[int, Decision]]]) -> Cluster:
    """The members, each after the first with the match that reached it from the first."""
    joins, seen, queue = [], {group[0]}, [group[0]]
    for current in queue:
        for other, decision in edges.get(current, ()):
            if other not in seen:
                seen.add(other)
                queue.append(other)
                joins.append(Join(other, current, decision))
    return Cluster(tuple(group), tuple(joins))
