"""Matching rules of the deduplication: whether two records describe one edition.

Three rules join two records, strongest first: a shared ISBN (libnet.records already turned
ISBN-10 into ISBN-13), a shared identifier worth matching (a DNB or union-catalogue number in
035, an EAN in 024), or failing both the same title key, first author and year. Checks keep
apart what only looks alike; each is a lesson from other union catalogues' false merges:
a book, its e-book and its audiobook (the e-book's record may carry the print ISBN), volumes
of a multi-volume work or a numbered series, later or abridged editions, different page
counts, and generic titles ("Gedichte", "Frontmatter") that need more than title and author.
Every Decision names the rule that joined or the check that refused, in a line for librarians.

The rules read each record's Facts (index/facts.py); records are compared only when they
share a blocking key (index/blocking.py); index/editions.py groups a whole catalogue by these
rules, and index/grouping.py regroups the record store with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from index.facts import Facts, publishers_agree, record_facts
from libnet.records.bib import BibRecord

RULES = ("isbn", "identifier", "title-author-year")  # strongest first, as clusters are joined


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether two records are one edition; rule is the joining rule or the refusing check."""

    same: bool
    rule: str
    reason: str


def compare(a: BibRecord, b: BibRecord) -> Decision:
    """Whether two records are one edition, with the rule that joined or the check that refused."""
    return decide(record_facts(a), record_facts(b))


def conflict(a: BibRecord, b: BibRecord) -> Decision | None:
    """The check that forbids a and b in one cluster, even through others; None when none does.

    Lack of evidence (titles or authors that differ) is no conflict: a cluster may hold
    variants joined through a third record. Formats, volumes, identifiers, years, editions
    and page counts that differ are.
    """
    return _conflict(record_facts(a), record_facts(b))


def decide(a: Facts, b: Facts) -> Decision:
    code = verdict(a, b)
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
    return refusal(code, a, b)


def verdict(a: Facts, b: Facts) -> str:
    """decide() without its Decision: the joining rule, or the code of the refusal.

    cluster() asks this of millions of pairs and nearly all are refused: a Decision with its
    sentence costs more than the checks, so it is made only for the pairs that need one.
    """
    refused = conflict_code(a, b)
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
    if not publishers_agree(a.publisher, b.publisher) and a.publisher[0] and b.publisher[0]:
        return "publisher"
    return "title-author-year"


def _conflict(a: Facts, b: Facts) -> Decision | None:
    code = conflict_code(a, b)
    return refusal(code, a, b) if code else None


def conflict_code(a: Facts, b: Facts) -> str | None:
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


def refusal(code: str, a: Facts, b: Facts) -> Decision:
    """The Decision, with its sentence for librarians, of a refusal code of verdict()."""
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
