"""Suggestions: completions of a search box's prefix, and "did you mean" for a mistyped query.

Both match folded words ("marchen" for Märchen, Maerchen and MÄRCHEN) and show what the
catalogue wrote: a completion is a title or author heading as catalogued, and a corrected word
is its most frequent catalogued spelling (the spell_forms field keeps each folded word of
titles, authors and subjects with the spellings it was folded from), in the case the patron
typed: "Marchn" becomes "Märchen", "strase" "straße".
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

from whoosh.reading import IndexReader

from index.analysis import exact_title, fold, words
from index.document import ClusterDoc

# completion keys are cut here: a title has one key per word, each as long as the rest of it;
# complete() checks a longer prefix against the display form
COMPLETION_KEY_CHARS = 60
_UNIT_SEPARATOR = "\x1f"  # between folded key and display form; str.split() drops it
OPERATORS = frozenset(("AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"))
NOT_WORDS = OPERATORS | {"TO"}  # never corrected; dropped from a mistyped query
_LONGEST_CORRECTED = 30  # letters; a longer word is no typo we can fix cheaply


def complete(reader: IndexReader, prefix: str, limit: int, most_keys: int) -> list[str]:
    """Titles and authors as catalogued that start with prefix, most clusters first.

    A title also completes from any of its words ("vermess", "welt" and "der w" give "Die
    Vermessung der Welt"), an author only from the heading's start ("kehl" gives "Kehlmann,
    Daniel"). Folded, so "mü", "mu" and "mue" give "Müller, Hans"; spellings that fold alike
    are one completion, shown in their most frequent form. Only the first most_keys keys with
    the prefix (in alphabetical order) are read, so a short prefix costs a bounded time.
    """
    key = exact_title(prefix)
    if not key or limit < 1:
        return []
    # display form -> (clusters, a term of it); all keys of one title share their clusters
    found: dict[str, tuple[int, bytes]] = {}
    keys = reader.iter_prefix("complete", key[:COMPLETION_KEY_CHARS])
    for term, info in islice(keys, most_keys):
        display = term.decode("utf-8").partition(_UNIT_SEPARATOR)[2]
        if display not in found or found[display][0] < info.doc_frequency():
            found[display] = (info.doc_frequency(), term)
    if len(key) > COMPLETION_KEY_CHARS:
        found = {
            display: value
            for display, value in found.items()
            if any(k.startswith(key) for k in _completion_keys(display))
        }
    spellings: dict[str, list[tuple[int, str, bytes]]] = {}
    for display, (clusters, term) in found.items():
        spellings.setdefault(fold(display), []).append((clusters, display, term))
    # ties alphabetically by the folded form, so Ö sorts with O and not after Z
    ranked = sorted(
        (
            -sum(clusters for clusters, _, _ in group),
            folded,
            min((-clusters, display) for clusters, display, _ in group)[1],
            [term for _, _, term in group],
        )
        for folded, group in spellings.items()
    )
    # doc frequencies still count deleted documents until their segment is merged
    live = not reader.has_deletions()
    shown: list[str] = []
    for _, _, display, terms in ranked:
        if live or any(reader.postings("complete", t).is_active() for t in terms):
            shown.append(display)
            if len(shown) == limit:
                break
    return shown


def corrected(
    reader: IndexReader, text: str, in_time: Callable[[], bool] = lambda: True
) -> str | None:
    """text with each word missing from the spell field replaced by its nearest one there.

    Operators, field names, numbers and wildcard words stay as typed; a replacement takes the
    case of the word it replaces. None when no word changed, or when in_time() turns false
    before every word is looked at (each costs milliseconds, and a query may have a hundred).
    """
    corrector = reader.corrector("spell")
    changes: list[tuple[int, int, str]] = []
    for match in words(text):
        if not in_time():
            return None
        word, start, end = match.group(), match.start(), match.end()
        if (
            word in NOT_WORDS
            or text[end : end + 1] in (":", "*", "?")
            or text[start - 1 : start] in ("*", "?")
            or any(c.isdigit() for c in word)
            or len(word) > _LONGEST_CORRECTED
        ):
            continue
        folded = fold(word)
        if reader.doc_frequency("spell", folded):
            continue
        for maxdist in (1, 2) if len(folded) > 4 else (1,):
            # most misspellings keep the first letter; the prefix also keeps the search short
            nearest = corrector.suggest(folded, limit=1, maxdist=maxdist, prefix=1)
            if nearest:
                spelling = catalogued_spelling(reader, nearest[0])
                changes.append((start, end, _same_case(spelling, word)))
                break
    for start, end, replacement in reversed(changes):
        text = text[:start] + replacement + text[end:]
    return text if changes else None


def catalogued_spelling(reader: IndexReader, folded: str) -> str:
    """The folded word as the catalogue spells it most often, in lower case; on a tie the
    spelling with letters that folding drops (Märchen before Maerchen); the folded word
    itself in an index written before spellings were kept."""
    if "spell_forms" not in reader.schema:
        return folded
    key = f"{folded}{_UNIT_SEPARATOR}".encode()
    best, best_rank = folded, (0, False)
    for term, info in reader.iter_prefix("spell_forms", key):
        spelling = term.decode("utf-8").partition(_UNIT_SEPARATOR)[2]
        rank = (info.doc_frequency(), not spelling.isascii())
        if rank > best_rank:
            best, best_rank = spelling, rank
    return best


def spellings(doc: ClusterDoc) -> str:
    """The spell_forms field's value: one line per word of the title, authors and subjects,
    its folded form, the unit separator and the word in lower case as catalogued."""
    lines = set()
    for text in (doc.title, *doc.authors, *doc.subjects):
        for match in words(text):
            word = match.group()
            lines.add(f"{fold(word)}{_UNIT_SEPARATOR}{word.lower()}")
    return "\n".join(sorted(lines))


def _same_case(replacement: str, word: str) -> str:
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[0].isupper():
        return replacement.capitalize()
    return replacement


def _completion_keys(title: str) -> list[str]:
    """The folded title from each of its words on: a title completes from any word."""
    folded = exact_title(title).split()
    return [" ".join(folded[n:]) for n in range(len(folded))]


def completions(doc: ClusterDoc) -> str:
    """The complete field's value: one line per key, each key with its display form."""
    lines: set[str] = set()
    title = " ".join(doc.title.split())  # no line break or unit separator in a display form
    lines.update(
        f"{key[:COMPLETION_KEY_CHARS]}{_UNIT_SEPARATOR}{title}" for key in _completion_keys(title)
    )
    for author in doc.authors:
        author = " ".join(author.split())
        key = exact_title(author)
        if key:
            lines.add(f"{key[:COMPLETION_KEY_CHARS]}{_UNIT_SEPARATOR}{author}")
    return "\n".join(sorted(lines))
