"""A CQL tree written back as canonical CQL: parse(to_cql(parse(q))) == parse(q)."""

from __future__ import annotations

import re
from dataclasses import replace

from webapp.sru.cql_tree import (
    COMPARISONS,
    KEYWORDS,
    SERVER_CHOICE,
    Boolean,
    Modifier,
    Node,
    PrefixAssignment,
    Query,
    Relation,
    SearchClause,
)

_BARE = re.compile(r'[^\s()=<>"/]+')  # a string the parser reads back as a bare word


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
    name = clause.relation.name
    # a named relation is an identifier: quoted where it is no bare word or a keyword
    relation = (name if name in COMPARISONS else _string(name)) + _modifiers(
        clause.relation.modifiers
    )
    return f"{_string(clause.index)} {relation} {term}"


def _modifiers(modifiers: tuple[Modifier, ...]) -> str:
    text = ""
    for modifier in modifiers:
        text += "/" + _string(modifier.name)
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
