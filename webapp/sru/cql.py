"""A parser of CQL 1.2, the query language of SRU, into a small tree of frozen dataclasses.

The grammar is the yacc grammar of the CQL 1.2 specification
(https://www.loc.gov/standards/sru/cql/spec.html), here with repetition for recursion:

    sortedQuery      ::= prefixAssignment* scopedClause [ SORTBY singleSpec+ ]
    cqlQuery         ::= prefixAssignment* scopedClause
    prefixAssignment ::= ">" prefix "=" uri | ">" uri
    scopedClause     ::= searchClause ( boolean modifier* searchClause )*  -- left to right
    boolean          ::= AND | OR | NOT | PROX                               -- any case
    searchClause     ::= "(" cqlQuery ")" | index relation searchTerm | searchTerm
    relation         ::= comparitor modifier*
    comparitor       ::= "=" | ">" | "<" | ">=" | "<=" | "<>" | "==" | identifier
    modifier         ::= "/" modifierName [ comparitorSymbol modifierValue ]
    singleSpec       ::= index modifier*
    prefix, uri, modifierName, modifierValue, searchTerm, index ::= term
    term             ::= identifier | AND | OR | NOT | PROX | SORTBY
    identifier       ::= charString1 | charString2

charString1 is a bare word: any run of characters other than whitespace and ( ) = < > " /.
charString2 is a quoted string, in which a backslash escapes the next character. The reserved
words and, or, not, prox and sortBy (any case) are terms too: `title = and`, `or`, `sortBy`
alone and `>and="uri" and.title = x` are queries. They are read as keywords in just two
places, where a term cannot stand: after a whole search clause (a boolean or sortBy), and
as a relation (a comparitor is an identifier, which is no reserved word: in `a and b` the
`and` is the boolean). One token of lookahead decides every choice.

The tree is webapp.sru.cql_tree's; webapp.sru.cql_writer writes it back as CQL.

The parser raises only `CQLError` (SRU diagnostic info:srw/diagnostic/1/10). Parentheses may
nest `MAX_DEPTH` deep; a chain of booleans is read in a loop, so `a and b and ...` may be
long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import NoReturn

from webapp.errors import CQLError
from webapp.sru.cql_tree import (
    BOOLEANS,
    KEYWORDS,
    SERVER_CHOICE,
    Boolean,
    Modifier,
    Node,
    PrefixAssignment,
    Query,
    Relation,
    SearchClause,
    SortKey,
    Term,
)

MAX_DEPTH = 64  # nested parentheses; each level costs the parser two stack frames


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
        # symbol or an identifier (a quoted string, or a word that is no keyword) can only be
        # a relation; a keyword after a term is a boolean or sortBy.
        if self.token.kind in ("symbol", "quoted") or (
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
            name = self.string("a modifier name", since)
            if self.token.kind == "symbol":
                comparison = self.advance().text
                value = self.string("a modifier value", since)
                modifiers.append(Modifier(name, comparison, value))
            else:
                modifiers.append(Modifier(name))
        return tuple(modifiers)

    def string(self, expected: str, since: int | None = None) -> str:
        """A term: a bare word, a keyword among them, or a quoted string."""
        token = self.token
        if token.kind in ("quoted", "word"):
            self.advance()
            return token.text
        self.fail(expected, since)
