"""A catalogue grouped into editions by the matching rules (index/match.py).

cluster() compares records within their blocks (index/blocking.py) and joins them by rule,
strongest first, never across a conflict; each member keeps the evidence of the match that
reached it. index/grouping.py regroups the record store with cluster_facts().
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from index.blocking import MAX_BLOCK, Blocks
from index.facts import Facts, record_facts
from index.match import RULES, Decision, conflict_code, decide, refusal, verdict
from libnet.records.bib import BibRecord

_RANKS = {rule: rank for rank, rule in enumerate(RULES)}


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
    `always` pairs (a, b, evidence line: index.evidence.librarian_line) are joined whatever
    the rules say, and no two records of a `never` pair end up together.
    """
    return cluster_facts([record_facts(bib) for bib in records], max_block, never, always)


def cluster_facts(
    facts: Sequence[Facts],
    max_block: int = MAX_BLOCK,
    never: Collection[frozenset[int]] = (),
    always: Sequence[tuple[int, int, str]] = (),
) -> Clustering:
    """cluster() of records whose facts are already known (record_facts())."""
    blocks = Blocks(facts)
    matches, comparisons = [], 0
    for index, fact in enumerate(facts):
        candidates = blocks.candidates(index, max_block)
        comparisons += len(candidates)
        for other in candidates:
            found = verdict(fact, facts[other])
            if found in _RANKS:  # the Decision itself is made for the few that join
                matches.append((_RANKS[found], index, other))
    matches.sort()
    return _join(facts, matches, comparisons, blocks.large(max_block), frozenset(never), always)


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

    for a, b, reason in always:
        if root(a) != root(b):
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
        unite(a, b, decide(facts[a], facts[b]))
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
            code = conflict_code(facts[x], facts[y])
            if code and not (identified and code == "isbn-conflict"):
                return x, y, refusal(code, facts[x], facts[y])
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
