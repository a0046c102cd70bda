"""Text analysis for the union index: folding, German stemming, names, exact titles, ISBNs.

Patrons type what they remember: Mueller or Muller for Müller, Strasse for Straße, Amelie for
Amélie. Documents and queries go through the same analyzer, so all of these meet in one term.
Whoosh pickles each field's analyzer into the index by module path, so every tokenizer and
filter lives here at module level, where an index opened later can import it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

from stdnum import isbn
from whoosh.analysis import CompositeAnalyzer, Filter, IDTokenizer, Token, Tokenizer
from whoosh.lang.snowball.german import GermanStemmer

# marks that NFKD splits off Latin, Greek and Cyrillic letters; other scripts keep theirs
_MARK_RANGES = (
    (0x300, 0x36F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
)
_MARKS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _MARK_RANGES)
# letters NFKD leaves whole; ae and oe lose their e afterwards, like ä and ö
_LETTERS = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ħ": "h",
            "ı": "i", "ŧ": "t"}  # fmt: skip
_FOLD_TABLE = str.maketrans(
    _LETTERS | {chr(c): None for low, high in _MARK_RANGES for c in range(low, high + 1)}
)
# Lucene's GermanNormalizationFilter: the e of ae and oe goes, and the e of ue unless the u
# follows a vowel or q, so Mueller = Muller but Quelle, Bauer and Feuer keep theirs
_GERMAN_E = re.compile(r"(?<=[ao])e|(?<![aeiouyq]u)(?<=u)e")

# letters and digits, with any combining marks of a decomposed (NFD) record; U+02BC is an
# apostrophe to a reader but a letter to Python
_WORD = re.compile(rf"[^\W_\u02bc]+(?:[{_MARKS}]+[^\W_\u02bc]*)*")
_APOSTROPHES = frozenset("'’‘´`ʼ")

# as libnet.records.identifiers reads 020 $a: 10 or 13 digits, hyphens or spaces anywhere, X last
_ISBN = re.compile(r"(?<!\d)(?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx](?![\dXx])", re.ASCII)
_ISBN_SEPARATORS = str.maketrans("", "", "- \t\n\r\f\v")

_german_stem = GermanStemmer().stem
# Haltern am See would stem to "halt", as halten and Halt do; Marlene to Marl, another town
_UNSTEMMED = frozenset({"haltern", "marlene"})
_MEMO_SIZE = 200_000  # words per generation; a full memo holds about 40 MB


def fold(text: str) -> str:
    """Lower case without accents, umlauts or ß: Müller, Mueller, MULLER all give "muller"."""
    if text.isascii():
        text = text.lower()
    else:
        # NFKD first: casefold of a decomposed letter needs no special cases (İ, ǅ)
        text = unicodedata.normalize("NFKD", text).casefold().translate(_FOLD_TABLE)
    if "e" in text:
        return _GERMAN_E.sub("", text)
    return text


def german_stem(word: str) -> str:
    """The Snowball German stem of a folded word; a few local place names stay whole."""
    return word if word in _UNSTEMMED else _german_stem(word)


def words(text: str) -> Iterator[re.Match[str]]:
    """The words of text: runs of letters and digits, without the s of an English possessive.

    "Philosopher's Stone" gives Philosopher and Stone, so the phrase "philosophers stone"
    still matches; other apostrophes split (L'amour gives L and amour).
    """
    for match in _WORD.finditer(text):
        start = match.start()
        if (
            match.end() - start == 1
            and text[start] in "sS"
            and start > 1
            and text[start - 1] in _APOSTROPHES
            and text[start - 2].isalnum()
        ):
            continue
        yield match


Term = tuple[int, str, str, int, int]  # position, text, original, start and end character


class _TermTokenizer(Tokenizer):
    """A Whoosh tokenizer whose terms() says what the value holds; this fills in the tokens."""

    def terms(self, value: str, tokenize: bool) -> Iterator[Term]:
        raise NotImplementedError

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, text, original, start, end in self.terms(value, tokenize):
            t.text = text
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = original
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + start
                t.endchar = start_char + end
            yield t


class WordTokenizer(_TermTokenizer):
    """Whoosh tokenizer over words(): punctuation, ISBD marks and apostrophes split."""

    def terms(self, value: str, tokenize: bool) -> Iterator[Term]:
        if not tokenize:  # prefix and wildcard queries: the word as typed
            yield 0, value, value, 0, len(value)
            return
        for pos, match in enumerate(words(value)):
            yield pos, match.group(), match.group(), match.start(), match.end()


class _Memo:
    """A function's answers for the words seen lately, in two generations of _MEMO_SIZE.

    Catalogue words repeat (Zipf): a hit costs about 0.1 µs, folding a word 0.5 µs and
    Whoosh's pure-Python Snowball stemmer 4 to 10 µs. When the new generation is full it
    becomes the old one and the older answers go; a word still in use moves up on its next hit.
    """

    def __init__(self, function: Callable[[str], str]) -> None:
        self.function = function
        self.new: dict[str, str] = {}
        self.old: dict[str, str] = {}

    def miss(self, word: str) -> str:
        value = self.old.get(word)
        if value is None:
            value = self.function(word)
        if len(self.new) >= _MEMO_SIZE:
            self.old, self.new = self.new, {}
        self.new[word] = value
        return value


class _MemoFilter(Filter):
    """Replaces each token's text by the memo's answer; one memo for all fields of a process."""

    memo: _Memo

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        memo = self.memo
        for t in tokens:
            try:
                t.text = memo.new[t.text]
            except KeyError:
                t.text = memo.miss(t.text)
            yield t


class FoldFilter(_MemoFilter):
    """Folds each token with fold()."""

    memo = _Memo(fold)


class GermanStemFilter(_MemoFilter):
    """The Snowball German stem of each folded token."""

    is_morph = True
    memo = _Memo(german_stem)


class ExactTitleFilter(Filter):
    """Replaces the token, a whole title, with its exact_title() key."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = exact_title(t.text)
            yield t


class IsbnTokenizer(_TermTokenizer):
    """Every ISBN in the value as isbn_terms(); the terms of one ISBN share a position."""

    def terms(self, value: str, tokenize: bool) -> Iterator[Term]:
        for pos, match in enumerate(_ISBN.finditer(value)):
            for term in _terms(match.group()):
                yield pos, term, match.group(), match.start(), match.end()


def text_analyzer() -> CompositeAnalyzer:
    """Titles, subjects, series, descriptions: folded words, German stems, no stop words.

    Folding comes before stemming, so the stemmer sees one spelling of each word (Mueller,
    Müller and Muller stem alike). Every word is indexed, articles too: "Es", "Sie" and "Er
    ist wieder da" are titles, and the phrase "der Hobbit" must not match "Der kleine Hobbit".
    """
    return WordTokenizer() | FoldFilter() | GermanStemFilter()


def name_analyzer() -> CompositeAnalyzer:
    """Authors and publishers: folded words, no stemming ("Müller, Hans" = "mueller hans")."""
    return WordTokenizer() | FoldFilter()


def exact_title(text: str) -> str:
    """The key of the exact-title boost: the folded words, the article kept, nothing else.

    "Der Hobbit : oder Hin und zurück" gives "der hobbit oder hin und zuruck".
    """
    # split again after folding: compatibility forms such as the isolated Arabic ligatures
    # (U+FC5E) fold into a space and combining marks
    return " ".join(fold(" ".join(match.group() for match in words(text))).split())


def keyword_analyzer() -> CompositeAnalyzer:
    """One term per value, its exact_title(): for the exact-title field."""
    return IDTokenizer() | ExactTitleFilter()


def isbn_terms(value: str) -> list[str]:
    """The index terms of the ISBNs in value: ISBN-13 digits, then ISBN-10 when there is one.

    "978-3-498-03528-0", "9783498035280", "3-498-03528-2" and "3498035282" all give
    ["9783498035280", "3498035282"]. An ISBN with a wrong check digit gives nothing.
    """
    terms: list[str] = []
    for match in _ISBN.finditer(value):
        terms.extend(term for term in _terms(match.group()) if term not in terms)
    return terms


def _terms(candidate: str) -> list[str]:
    number = candidate.translate(_ISBN_SEPARATORS).upper()
    if number.startswith("978") and len(number) == 13:
        # what stdnum's to_isbn10() does, at a tenth of its cost: nearly every document has one
        if (
            not (number.isascii() and number.isdigit())
            or _ean_check_digit(number[:12]) != number[12]
        ):
            return []
        return [number, number[3:12] + _isbn10_check_digit(number[3:12])]
    # to_isbn13() computes a new check digit and would make a wrong ISBN-10 look valid
    if not isbn.is_valid(number):
        return []
    if len(number) == 10:
        return [isbn.to_isbn13(number), number]
    return [number]  # a 979 ISBN has no ISBN-10


def _ean_check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return str((10 - total % 10) % 10)


def _isbn10_check_digit(digits: str) -> str:
    check = (11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11) % 11
    return "X" if check == 10 else str(check)


def isbn_analyzer() -> IsbnTokenizer:
    """The ISBN field, documents and queries: any form typed finds the record."""
    return IsbnTokenizer()
