"""The tree a CQL query parses into: frozen dataclasses, one per part of the grammar.

Strings keep their backslash escapes (`Term.raw`), so a masked `\\*` stays apart from the
wildcard `*`; `Term.parts()` splits a term into literal text and masking characters.
Names of indexes, relations and modifiers are kept as written; CQL compares them without
regard to case. Booleans are stored in lower case. A chain of booleans makes a tree as deep
as the chain is long: walk it with `search_clauses()` or an explicit stack, not by recursion.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

SERVER_CHOICE = "cql.serverChoice"  # the index of a bare term
BOOLEANS = ("and", "or", "not", "prox")
COMPARISONS = ("=", "==", "<>", "<", ">", "<=", ">=")
KEYWORDS = frozenset((*BOOLEANS, "sortby"))


class Mask(Enum):
    """A masking character in a term (CQL context set, section "Masking")."""

    ANY = "*"  # zero or more characters
    ONE = "?"  # exactly one character
    ANCHOR = "^"  # the beginning or end of the field


@dataclass(frozen=True, slots=True)
class Modifier:
    """`/name` or `/name<comparison>value` after a relation, boolean or sort key."""

    name: str  # "relevant", "unit", "sort.descending"
    comparison: str | None = None  # one of COMPARISONS, None for a bare `/name`
    value: str | None = None  # as written, without quotes, escapes kept


@dataclass(frozen=True, slots=True)
class Relation:
    """A comparison symbol ("=", "<>" ...) or a named relation ("any", "cql.exact")."""

    name: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True, slots=True)
class Term:
    """A search term as written, without surrounding quotes and with its backslash escapes."""

    raw: str

    def parts(self) -> tuple[str | Mask, ...]:
        """Literal text (escapes resolved) and the masking characters between it, in order."""
        parts: list[str | Mask] = []
        text: list[str] = []
        chars = iter(self.raw)
        for char in chars:
            if char == "\\":
                text.append(next(chars, "\\"))  # a trailing backslash stands for itself
            elif char in "*?^":
                if text:
                    parts.append("".join(text))
                    text = []
                parts.append(Mask(char))
            else:
                text.append(char)
        if text:
            parts.append("".join(text))
        return tuple(parts)


@dataclass(frozen=True, slots=True)
class PrefixAssignment:
    """`>prefix="uri"` maps a context set's short name; `>"uri"` sets the default set."""

    prefix: str | None
    uri: str


@dataclass(frozen=True, slots=True)
class SearchClause:
    """`index relation term`; a bare term has index cql.serverChoice and relation `=`.

    `prefixes` are the assignments opening a parenthesised query that is only this clause.
    """

    index: str
    relation: Relation
    term: Term
    prefixes: tuple[PrefixAssignment, ...] = ()


@dataclass(frozen=True, slots=True)
class Boolean:
    """`left op right`; `prefixes` open the parenthesised query this boolean is the top of."""

    op: str  # one of BOOLEANS, lower case
    left: Node
    right: Node
    modifiers: tuple[Modifier, ...] = ()
    prefixes: tuple[PrefixAssignment, ...] = ()


Node = SearchClause | Boolean


@dataclass(frozen=True, slots=True)
class SortKey:
    """One key after `sortBy`: an index and its modifiers (`sort.descending` ...)."""

    index: str
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    """A whole query. `prefixes` are those before it; they apply to `root` and `sort_keys`."""

    root: Node
    sort_keys: tuple[SortKey, ...] = ()
    prefixes: tuple[PrefixAssignment, ...] = ()


def search_clauses(tree: Query | Node) -> Iterator[SearchClause]:
    """Every search clause of the tree from left to right, without recursion."""
    stack: list[Node] = [tree.root if isinstance(tree, Query) else tree]
    while stack:
        node = stack.pop()
        if isinstance(node, SearchClause):
            yield node
        else:
            stack += (node.right, node.left)
