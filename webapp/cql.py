"""A parser of CQL 1.2, the query language of SRU, into a small tree of frozen dataclasses.

The grammar (https://www.loc.gov/standards/sru/cql/spec.html), as this module reads it:

    sortedQuery      ::= prefixAssignment* scopedClause [ "sortBy" sortKey+ ]
    cqlQuery         ::= prefixAssignment* scopedClause
    prefixAssignment ::= ">" [ string "=" ] string
    scopedClause     ::= searchClause ( boolean modifier* searchClause )*   -- left to right
    searchClause     ::= "(" cqlQuery ")" | string relation string | string
    relation         ::= ( "=" | "==" | "<>" | "<" | ">" | "<=" | ">=" | name ) modifier*
    modifier         ::= "/" name [ comparison string ]
    sortKey          ::= string modifier*
    boolean          ::= "and" | "or" | "not" | "prox"                 -- any case

A string is a bare word (any run of characters other than whitespace and ( ) = < > " /) or a
quoted string in which a backslash escapes the next character. A name is a bare word. Unlike
the spec's yacc grammar, the keywords and, or, not, prox and sortBy (any case) are never read
as a bare string: "and" must be quoted to be searched, so a lone `and` is a syntax error.

Strings keep their backslash escapes (`Term.raw`), so a masked `\\*` stays apart from the
wildcard `*`; `Term.parts()` splits a term into literal text and masking characters.
Names of indexes, relations and modifiers are kept as written; CQL compares them without
regard to case. Booleans are stored in lower case.

The parser raises only `CQLError` (SRU diagnostic info:srw/diagnostic/1/10). Parentheses may
nest `MAX_DEPTH` deep; a chain of booleans is read in a loop, so `a and b and ...` may be
long, but its tree is then as deep as the chain is long: walk it with `search_clauses()` or
an explicit stack, not by recursion.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import Enum
from typing import NoReturn

MAX_DEPTH = 64  # nested parentheses; each level costs the parser two stack frames
SERVER_CHOICE = "cql.serverChoice"  # the index of a bare term
BOOLEANS = ("and", "or", "not", "prox")
COMPARISONS = ("=", "==", "<>", "<", ">", "<=", ">=")
KEYWORDS = frozenset((*BOOLEANS, "sortby"))


class CQLError(ValueError):
    """A query that is not CQL; `position` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


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


# Everything but a lone `"` matches one of these, so a failed match is an unclosed quote.
# The quoted alternative has no nested repetition and cannot backtrack badly.
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<symbol>==|<>|<=|>=|[=<>])
      | (?P<punct>[()/])
      | (?P<quoted>"(?:[^"\\]|\\.)*")
      | (?P<word>[^\s()=<>"/]+)""",
    re.VERBOSE | re.DOTALL,
)
_BARE = re.compile(r'[^\s()=<>"/]+')


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # symbol, punct, quoted, word or end
    text: str  # quoted: the inside of the quotes
    pos: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.lower() in (words or KEYWORDS)


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise CQLError(f"unclosed quoted string starting at position {pos}", pos)
        kind = match.lastgroup or ""
        if kind == "quoted":
            tokens.append(_Token(kind, match.group()[1:-1], pos))
        elif kind != "space":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def parse(text: str) -> Query:
    """Parse a CQL query; raise CQLError with the position of the first problem."""
    return _Parser(text).sorted_query()


class _Parser:
    """Recursive descent over the token list, one method per rule of the grammar above."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    @property
    def token(self) -> _Token:
        return self.tokens[self.index]

    def at(self, kind: str, text: str) -> bool:
        return self.token.kind == kind and self.token.text == text

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, expected: str, since: int | None = None, hint: str = "") -> NoReturn:
        """Raise at the current token; `since` is where the text quoted as context starts."""
        token = self.token
        message = f"expected {expected}"
        if since is not None:
            context = " ".join(self.text[since : token.pos].split())
            if len(context) > 40:
                context = "..." + context[-37:]
            message += f" after '{context}'"
        message += f" at position {token.pos}"
        if token.kind == "end":
            message += ", but the query ends" if self.text.strip() else ", but the query is empty"
        elif token.is_keyword():
            message += f", found the keyword '{token.text}'"
        else:
            shown = token.text if len(token.text) <= 30 else token.text[:27] + "..."
            message += f', found "{shown}"' if token.kind == "quoted" else f", found '{shown}'"
        raise CQLError(message + hint, token.pos)

    def sorted_query(self) -> Query:
        prefixes = self.prefix_assignments()
        root = self.scoped_clause(0)
        sort_keys: list[SortKey] = []
        if self.token.is_keyword("sortby"):
            since = self.advance().pos
            index = self.string("a sort key", since)
            sort_keys.append(SortKey(index, self.modifiers()))
            while self.token.kind != "end":
                index = self.string("a sort key or the end of the query")
                sort_keys.append(SortKey(index, self.modifiers()))
        if self.token.kind != "end":
            self.fail("a boolean operator, 'sortBy' or the end of the query")
        return Query(root, tuple(sort_keys), prefixes)

    def prefix_assignments(self) -> tuple[PrefixAssignment, ...]:
        assignments = []
        while self.at("symbol", ">"):
            since = self.advance().pos
            first = self.string("a context set prefix or URI", since)
            if self.at("symbol", "="):
                self.advance()
                assignments.append(PrefixAssignment(first, self.string("a URI", since)))
            else:
                assignments.append(PrefixAssignment(None, first))
        return tuple(assignments)

    def scoped_clause(self, depth: int) -> Node:
        # A loop, not recursion: booleans group left to right, and a long chain of them
        # must not grow the stack.
        node = self.search_clause(depth)
        while self.token.is_keyword(*BOOLEANS):
            since = self.token.pos
            op = self.advance().text.lower()
            modifiers = self.modifiers()
            right = self.search_clause(depth, since)
            node = Boolean(op, node, right, modifiers)
        return node

    def search_clause(self, depth: int, since: int | None = None) -> Node:
        start = self.token
        if self.at("punct", "("):
            if depth >= MAX_DEPTH:
                message = f"parentheses nested more than {MAX_DEPTH} deep at position {start.pos}"
                raise CQLError(message, start.pos)
            self.advance()
            prefixes = self.prefix_assignments()
            node = self.scoped_clause(depth + 1)
            if not self.at("punct", ")"):
                unclosed = self.token.kind == "end"
                hint = f" (the '(' at position {start.pos} is not closed)" if unclosed else ""
                self.fail("a boolean operator or ')'", hint=hint)
            self.advance()
            # `(>a="x" (>b="y" q))` scopes q under both; inner assignments come later
            return replace(node, prefixes=prefixes + node.prefixes) if prefixes else node
        first = self.string("a search term", since)
        # One token of lookahead tells `index relation term` from a bare term: a comparison
        # symbol or a word that is no keyword can only be a relation.
        if self.token.kind == "symbol" or (
            self.token.kind == "word" and not self.token.is_keyword()
        ):
            relation = Relation(self.advance().text, self.modifiers())
            term = self.string("a search term", start.pos)
            return SearchClause(first, relation, Term(term))
        return SearchClause(SERVER_CHOICE, Relation("="), Term(first))

    def modifiers(self) -> tuple[Modifier, ...]:
        modifiers = []
        while self.at("punct", "/"):
            since = self.advance().pos
            if self.token.kind != "word" or self.token.is_keyword():
                self.fail("a modifier name", since)
            name = self.advance().text
            if self.token.kind == "symbol":
                comparison = self.advance().text
                value = self.string("a modifier value", since)
                modifiers.append(Modifier(name, comparison, value))
            else:
                modifiers.append(Modifier(name))
        return tuple(modifiers)

    def string(self, expected: str, since: int | None = None) -> str:
        token = self.token
        if token.kind == "quoted" or (token.kind == "word" and not token.is_keyword()):
            self.advance()
            return token.text
        self.fail(expected, since, " (quote a keyword to search it)" if token.is_keyword() else "")


def search_clauses(tree: Query | Node) -> Iterator[SearchClause]:
    """Every search clause of the tree from left to right, without recursion."""
    stack: list[Node] = [tree.root if isinstance(tree, Query) else tree]
    while stack:
        node = stack.pop()
        if isinstance(node, SearchClause):
            yield node
        else:
            stack += (node.right, node.left)


def to_cql(tree: Query | Node) -> str:
    """Write a tree as canonical CQL, so that parse(to_cql(parse(q))) == parse(q)."""
    if not isinstance(tree, Query):
        return _write(tree)
    text = "".join(f"{_prefix(p)} " for p in tree.prefixes) + _write(tree.root)
    if tree.sort_keys:
        keys = (_string(key.index) + _modifiers(key.modifiers) for key in tree.sort_keys)
        text += " sortBy " + " ".join(keys)
    return text


def _write(node: Node) -> str:
    # An explicit stack of pending text and nodes, so a long chain of booleans is no deeper
    # to write than to parse.
    out: list[str] = []
    stack: list[str | Node] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item.prefixes:  # a prefix scope needs its own parentheses
            scope = "".join(f"{_prefix(p)} " for p in item.prefixes)
            stack += [")", replace(item, prefixes=()), "(" + scope]
        elif isinstance(item, SearchClause):
            out.append(_clause(item))
        else:
            # Booleans group left to right, so only a boolean on the right needs parentheses.
            nested = isinstance(item.right, Boolean) and not item.right.prefixes
            operator = f" {item.op}{_modifiers(item.modifiers)} "
            stack += [")" if nested else "", item.right, "(" if nested else "", operator]
            stack.append(item.left)
    return "".join(out)


def _clause(clause: SearchClause) -> str:
    term = _string(clause.term.raw)
    if clause.index == SERVER_CHOICE and clause.relation == Relation("="):
        return term
    relation = clause.relation.name + _modifiers(clause.relation.modifiers)
    return f"{_string(clause.index)} {relation} {term}"


def _modifiers(modifiers: tuple[Modifier, ...]) -> str:
    text = ""
    for modifier in modifiers:
        text += "/" + modifier.name
        if modifier.comparison is not None:
            text += modifier.comparison + _string(modifier.value or "")
    return text


def _prefix(assignment: PrefixAssignment) -> str:
    if assignment.prefix is None:
        return ">" + _string(assignment.uri)
    return f">{_string(assignment.prefix)}={_string(assignment.uri)}"


def _string(raw: str) -> str:
    """A bare word where the parser reads one back as the same string, else a quoted one."""
    if _BARE.fullmatch(raw) and raw.lower() not in KEYWORDS:
        return raw
    quoted = []
    chars = iter(raw)
    for char in chars:
        if char == "\\":
            quoted.append("\\" + next(chars, "\\"))  # keep escapes; complete a trailing one
        else:
            quoted.append('\\"' if char == '"' else char)
    return '"' + "".join(quoted) + '"'
