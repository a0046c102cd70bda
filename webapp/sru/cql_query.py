"""A CQL query of the SRU server, checked and written in the union index's own query language.

webapp.sru.cql parses the query; this module maps each search clause to the index and writes it in
index.search's syntax. No text of the query becomes engine syntax: a term is cut into words
with index.analysis.words() (letters and digits only) and each word is quoted, a year or a
cluster id must be digits, an ISBN goes through index.analysis.isbn_terms(). Every operand is
parenthesised, so `dc.title = "a) OR (b"` searches the words a, OR and b in the title.

    cql.serverChoice  any field     =, all, any (words)  adj, ==, exact (phrase)
    dc.title          title:        the same
    dc.creator        author:       the same
    dc.subject        subject:      the same
    bath.isbn         isbn:         =, ==, exact, adj, all (every ISBN), any (one of them)
    dc.date           year:         =, ==, <, >, <=, >=, within "1990 2000"
    rec.id            id:           =, ==, exact (one cluster), any "12 13" (one of them);
                                    a merged cluster's id finds the cluster it went into
    cql.allRecords    everything    any relation, any term: `cql.allRecords = 1`

An index without a prefix is of the dc set; `>x="uri"` names sets anew. `and`, `or` and `not`
(and not) combine clauses; a trailing `*` on a word of at least MIN_PREFIX characters is the
engine's prefix search. `sortBy dc.date` (/sort.descending) and `sortBy dc.title` sort;
/sort.ignoreCase and /sort.ignoreAccents are what they do anyway.
rec.id and cql.allRecords use the index's id field (`id:"12"`, everything is `NOT id:"0"`):
the engine's parser takes any field of its schema. What the index cannot answer raises
Diagnostic with the SRU diagnostic that says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from index.analysis import isbn_terms, words
from webapp.errors import CQLError, Diagnostic
from webapp.sru.cql import parse
from webapp.sru.cql_tree import (
    Mask,
    Modifier,
    Node,
    PrefixAssignment,
    SearchClause,
    SortKey,
    Term,
    search_clauses,
)

MAX_QUERY_CHARS = 2_000
MAX_CLAUSES = 100
MAX_TERM_CHARS = 500
MIN_PREFIX = 2  # `a*` would expand to every word beginning with a

CONTEXT_SETS = {
    "cql": "info:srw/cql-context-set/1/cql-v1.2",
    "dc": "info:srw/cql-context-set/1/dc-v1.1",
    "bath": "http://zing.z3950.org/cql/bath/2.0/",
    "rec": "info:srw/cql-context-set/2/rec-1.1",
}
DEFAULT_SET = "dc"
_OLDER_SETS = {
    "info:srw/cql-context-set/1/cql-v1.1": "cql",
    "info:srw/cql-context-set/2/rec-1.0": "rec",
}
_SET_OF_URI = {uri: name for name, uri in CONTEXT_SETS.items()} | _OLDER_SETS

TEXT_RELATIONS = ("=", "all", "any", "adj", "==", "exact")
DATE_RELATIONS = ("=", "==", "<", ">", "<=", ">=", "within")
PHRASE_RELATIONS = frozenset(("adj", "==", "exact"))


@dataclass(frozen=True, slots=True)
class Index:
    """A CQL index the server answers, and how (the explain record lists these)."""

    context_set: str
    name: str
    title: str
    kind: str  # text, isbn, date, id, all
    field: str  # the engine's field; "" for every field
    relations: tuple[str, ...]


INDEXES = (
    Index("cql", "serverChoice", "Alle Felder", "text", "", TEXT_RELATIONS),
    Index("cql", "allRecords", "Alle Titel", "all", "", ("=",)),
    Index("dc", "title", "Titel", "text", "title", TEXT_RELATIONS),
    Index("dc", "creator", "Person", "text", "author", TEXT_RELATIONS),
    Index("dc", "subject", "Schlagwort", "text", "subject", TEXT_RELATIONS),
    Index("bath", "isbn", "ISBN", "isbn", "isbn", TEXT_RELATIONS),
    Index("dc", "date", "Erscheinungsjahr", "date", "year", DATE_RELATIONS),
    Index("rec", "id", "Titel-ID (Cluster)", "id", "id", ("=", "==", "exact", "any")),
)  # fmt: skip
_INDEX = {(i.context_set, i.name.lower()): i for i in INDEXES}
SORTS = {("dc", "date", False): "year_asc", ("dc", "date", True): "year_desc",
         ("dc", "title", False): "title"}  # fmt: skip

# The sort set's modifiers the index obeys: its title key is folded, without case or accents.
_SORT_MODIFIERS = ("ascending", "descending", "ignorecase", "ignoreaccents")

# everything: no cluster has id 0 (ids count from 1)
_EVERYTHING = 'NOT id:"0"'
_YEAR = re.compile(r"\d{1,4}")
_ID = re.compile(r"\d{1,18}")


@dataclass(frozen=True, slots=True)
class EngineQuery:
    """What to ask UnionIndex.search: text None means that nothing can match."""

    text: str | None
    sort: str = "relevance"


@dataclass(frozen=True, slots=True)
class _Part:
    """A translated subtree: engine text, or kind "none"/"all" for nothing/everything."""

    kind: str  # term, and, or, not, none, all
    text: str = ""


_NONE, _ALL = _Part("none"), _Part("all")


def translate(text: str, current: Callable[[int], int | None] = lambda i: i) -> EngineQuery:
    """The engine query for a CQL query; raises Diagnostic for what cannot be answered.

    `current` says where a cluster id of rec.id leads now: itself, the cluster it was merged
    into (so an old permalink's id finds its title), or None when the cluster is gone.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise Diagnostic(12, str(MAX_QUERY_CHARS))
    try:
        tree = parse(text)
    except CQLError as exc:
        raise Diagnostic(10, str(exc)) from None
    for count, _ in enumerate(search_clauses(tree), 1):
        if count > MAX_CLAUSES:
            raise Diagnostic(38, str(MAX_CLAUSES - 1))
    sets = _assign(_default_sets(), tree.prefixes)
    part = _translate(tree.root, sets, current)
    sort = _sort(tree.sort_keys, sets)
    if part.kind == "none":
        return EngineQuery(None, sort)
    return EngineQuery(_EVERYTHING if part.kind == "all" else part.text, sort)


def _default_sets() -> dict[str | None, str]:
    return {None: DEFAULT_SET, **{name: name for name in CONTEXT_SETS}}


def _assign(sets: dict[str | None, str], prefixes: tuple[PrefixAssignment, ...]) -> dict:
    """The prefix -> context set map after `>prefix="uri"` assignments.

    A set the server does not know maps to its URI: only an index that uses the prefix
    fails (diagnostic 15), as an assignment by itself asks for nothing.
    """
    if not prefixes:
        return sets
    sets = dict(sets)
    for assignment in prefixes:
        known = _SET_OF_URI.get(assignment.uri, assignment.uri)
        sets[assignment.prefix.lower() if assignment.prefix else None] = known
    return sets


def _translate(root: Node, sets: dict, current: Callable[[int], int | None]) -> _Part:
    """The tree bottom-up with explicit stacks: a chain of booleans may be long."""
    todo: list[tuple[Node, dict, bool]] = [(root, sets, False)]
    done: list[_Part] = []
    while todo:
        node, scope, children_done = todo.pop()
        if not children_done:
            scope = _assign(scope, node.prefixes)
        if isinstance(node, SearchClause):
            done.append(_clause(node, scope, current))
        elif children_done:
            right, left = done.pop(), done.pop()
            done.append(_combine(node.op, left, right))
        else:
            if node.op not in ("and", "or", "not"):
                raise Diagnostic(37, node.op)
            if node.modifiers:
                raise Diagnostic(46, node.modifiers[0].name)
            todo += [(node, scope, True), (node.right, scope, False), (node.left, scope, False)]
    return done.pop()


def _combine(op: str, left: _Part, right: _Part) -> _Part:
    if op == "or":
        if "all" in (left.kind, right.kind):
            return _ALL
        if "none" in (left.kind, right.kind):
            return right if left.kind == "none" else left
        return _Part("or", f"{_operand(left, 'or')} OR {_operand(right, 'or')}")
    if op == "not":  # left and not right
        if left.kind == "none" or right.kind == "all":
            return _NONE
        if right.kind == "none":
            return left
        right = _Part("not", f"NOT ({right.text})")
        if left.kind == "all":
            return right
    if "none" in (left.kind, right.kind):
        return _NONE
    if left.kind == "all" or right.kind == "all":
        return right if left.kind == "all" else left
    # "AND NOT" would be two operators in a row, which the engine reads as a typing error
    return _Part("and", f"{_operand(left, 'and')} AND {_operand(right, 'and')}")


def _operand(part: _Part, op: str) -> str:
    return part.text if part.kind == op else f"({part.text})"


def _index(name: str, sets: dict) -> Index:
    prefix, dot, short = name.rpartition(".")
    key = prefix.lower() if dot else None
    if key not in sets:
        raise Diagnostic(15, prefix)
    if sets[key] not in CONTEXT_SETS:
        raise Diagnostic(15, sets[key])  # the URI of a set assigned to an unknown one
    index = _INDEX.get((sets[key], short.lower()))
    if index is None:
        raise Diagnostic(16, name)
    return index


def _relation(name: str) -> str:
    return name.lower().removeprefix("cql.")


def _clause(clause: SearchClause, sets: dict, current: Callable[[int], int | None]) -> _Part:
    index = _index(clause.index, sets)
    relation = _relation(clause.relation.name)
    if clause.relation.modifiers:
        raise Diagnostic(20, _modifier(clause.relation.modifiers[0]))
    if index.kind == "all":
        return _ALL  # CQL: every record, whatever the relation and term
    if relation not in index.relations:
        raise Diagnostic(19, clause.relation.name)
    if len(clause.term.raw) > MAX_TERM_CHARS:
        raise Diagnostic(23, str(MAX_TERM_CHARS))
    if index.kind == "text":
        return _text(index.field, relation, _words(clause.term))
    literal = _literal(clause.term)
    if index.kind == "isbn":
        terms = [f"isbn:{term}" for term in isbn_terms(literal)]
        return _group("OR" if relation == "any" else "AND", terms)
    if index.kind == "id":
        ids = literal.split() if relation == "any" else [literal.strip()]
        now = [current(int(i)) for i in ids if _ID.fullmatch(i)]
        return _group("OR", [f'id:"{i}"' for i in dict.fromkeys(now) if i is not None])
    return _years(relation, literal)


def _modifier(modifier: Modifier) -> str:
    return modifier.name + (f"{modifier.comparison}{modifier.value}" if modifier.comparison else "")


def _literal(term: Term) -> str:
    """The term's text; masking is for words only."""
    parts = term.parts()
    for part in parts:
        if isinstance(part, Mask):
            raise Diagnostic(28, part.value)
    return "".join(part for part in parts if isinstance(part, str))


def _words(term: Term) -> list[tuple[str, bool]]:
    """The words of a term, each with whether a trailing * makes it a prefix."""
    found: list[tuple[str, bool]] = []
    parts = term.parts()
    for n, part in enumerate(parts):
        before = parts[n - 1] if n else None
        if isinstance(part, str):
            matches = list(words(part))
            if matches and before is Mask.ANY and matches[0].start() == 0:
                raise Diagnostic(49, term.raw)  # kohle*pott
            found += [(match.group(), False) for match in matches]
        elif part is Mask.ANY:
            if not isinstance(before, str) or not _ends_in_word(before):
                raise Diagnostic(49, term.raw)  # *kohle, "kohle *"
            word = found[-1][0]
            if len(word) < MIN_PREFIX:
                raise Diagnostic(29, str(MIN_PREFIX))
            found[-1] = (word, True)
        elif part is Mask.ONE:
            raise Diagnostic(28, part.value)
        else:
            raise Diagnostic(31, part.value)
    return found


def _ends_in_word(text: str) -> bool:
    matches = list(words(text))
    return bool(matches) and matches[-1].end() == len(text)


def _text(field: str, relation: str, found: list[tuple[str, bool]]) -> _Part:
    prefix = f"{field}:" if field else ""
    if relation in PHRASE_RELATIONS and len(found) > 1:
        if any(is_prefix for _, is_prefix in found):
            raise Diagnostic(33)
        return _Part("term", f'{prefix}"{" ".join(word for word, _ in found)}"')
    terms = [f"{prefix}{word}*" if is_prefix else f'{prefix}"{word}"' for word, is_prefix in found]
    return _group("OR" if relation == "any" else "AND", terms)


def _group(op: str, terms: list[str]) -> _Part:
    if not terms:
        return _NONE
    if len(terms) == 1:
        return _Part("term", terms[0])
    return _Part(op.lower(), f" {op} ".join(f"({term})" for term in terms))


def _years(relation: str, literal: str) -> _Part:
    years = literal.split()
    if relation == "within":
        if len(years) != 2 or not all(_YEAR.fullmatch(y) for y in years):
            raise Diagnostic(36, literal)
        low, high = sorted(int(y) for y in years)
        return _Part("term", f"year:[{low} TO {high}]")
    if len(years) != 1 or not _YEAR.fullmatch(years[0]):
        raise Diagnostic(36, literal)
    year = int(years[0])
    if relation == "<" and year == 0:
        return _NONE
    ranges = {
        "=": f"[{year} TO {year}]",
        "==": f"[{year} TO {year}]",
        "<": f"[TO {year - 1}]",
        "<=": f"[TO {year}]",
        ">": f"[{year + 1} TO]",
        ">=": f"[{year} TO]",
    }
    return _Part("term", f"year:{ranges[relation]}")


def _sort(keys: tuple[SortKey, ...], sets: dict) -> str:
    if not keys:
        return "relevance"
    if len(keys) > 1:
        raise Diagnostic(84, "1")
    key = keys[0]
    index = _index(key.index, sets)
    descending = False
    for modifier in key.modifiers:
        name = modifier.name.lower().removeprefix("sort.")
        if name not in _SORT_MODIFIERS or modifier.comparison:
            raise Diagnostic(80, _modifier(modifier))
        if name in ("ascending", "descending"):
            descending = name == "descending"
    sort = SORTS.get((index.context_set, index.name, descending))
    if sort is None:
        raise Diagnostic(80, key.index + ("/sort.descending" if descending else ""))
    return sort
