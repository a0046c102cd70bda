"""Deduplication quality and speed: index.match's rules against the demo data's truth.

Run on demand, never in the test suite:

    .venv/bin/python -m bench.dedup [--titles N] [--seed S] [--show K]

Demo data (N editions, about 2.5 N records) is generated into a temporary folder, read with
the MARC file reader, normalised with each library's holdings profile and clustered with
index.editions.cluster. truth.tsv says which records are one edition; the report gives pairwise
precision and recall (pairs of records in one predicted cluster against pairs of one edition),
the comparisons and time, the false merges and missed merges by rule with examples, and how
often the chain guard held a match back. Generation and reading are not timed. Records the
truth leaves out (a broken export can lose its 001) are clustered but not scored. The demo's
ISBN ranges last for about 100,000 titles.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harvesters.marc_files import read_marc_file
from index.editions import Clustering, cluster
from index.match import Decision, compare, conflict
from libnet.demo import DEMO_LIBRARIES, generate
from libnet.errors import RecordError
from libnet.records.bib import BibRecord, normalise
from libnet.records.harvested import RecordProblem
from libnet.records.holdings import PROFILES

GOAL_PRECISION, GOAL_RECALL = 0.99, 0.95


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The demo records as the matcher sees them, with the truth about each."""

    records: list[BibRecord]
    editions: list[str | None]  # edition id from truth.tsv; None for a record it leaves out
    problems: int  # records the reader or normalise() refused


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--titles", type=int, default=20_000, help="editions to generate")
    parser.add_argument("--seed", type=int, default=1, help="seed of the demo data")
    parser.add_argument("--show", type=int, default=8, help="examples of each kind of error")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="libnet-dedup-") as tmp:
        started = time.perf_counter()
        try:
            summary = generate(Path(tmp), titles=args.titles, seed=args.seed)
        except ValueError as exc:
            raise SystemExit(f"--titles {args.titles}: {exc}") from None
        print(f"{summary.records:,} records of {args.titles:,} editions generated", flush=True)
        catalogue = read_catalogue(Path(tmp))
        print(
            f"{len(catalogue.records):,} records read and normalised, {catalogue.problems} "
            f"refused ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    # the catalogue lives through the run: the garbage collector need not walk it again and again
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    result = cluster(catalogue.records)
    seconds = time.perf_counter() - started
    ok = report(catalogue, result, seconds, args.show)
    return 0 if ok else 1


def read_catalogue(folder: Path) -> Catalogue:
    """Every demo file read and normalised, in library order, with truth.tsv's edition ids."""
    truth = {}
    with (folder / "truth.tsv").open(encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            library, local_id, edition, _work = line.rstrip("\n").split("\t")
            truth[library, local_id] = edition
    records, problems = [], 0
    for library in DEMO_LIBRARIES:
        for path in sorted((folder / library.code).iterdir()):
            for item in read_marc_file(path):
                if isinstance(item, RecordProblem):
                    problems += 1
                    continue
                try:
                    records.append(normalise(item.record, library.code, PROFILES[library.holdings]))
                except RecordError:
                    problems += 1
    editions = [truth.get((bib.library, bib.local_id)) for bib in records]
    return Catalogue(records, editions, problems)


# --------------------------------------------------------------------------- the report


def report(catalogue: Catalogue, result: Clustering, seconds: float, show: int) -> bool:
    """Print the measurements; True when precision and recall reach their goals."""
    records, editions = catalogue.records, catalogue.editions
    true_pairs = _pairs(Counter(e for e in editions if e is not None).values())
    predicted = found = 0
    for group in result.clusters:
        labels = Counter(editions[i] for i in group.members if editions[i] is not None)
        predicted += _pairs([sum(labels.values())])
        found += _pairs(labels.values())
    precision = found / predicted if predicted else 1.0
    recall = found / true_pairs if true_pairs else 1.0
    multi = sum(1 for c in result.clusters if len(c.members) > 1)
    print(
        f"\n{len(records):,} records -> {len(result.clusters):,} clusters ({multi:,} with more "
        f"than one record); {len(set(e for e in editions if e)):,} editions in truth.tsv"
    )
    print(
        f"clustering: {seconds:.1f} s, {len(records) / seconds:,.0f} records/s, "
        f"{result.comparisons:,} comparisons ({result.comparisons / len(records):.2f} a record)"
    )
    for key, size in result.large_blocks[:show]:
        print(f"  warning: {size} records share the key {key!r}; compared with neighbours only")
    rules = Counter(j.decision.rule for c in result.clusters for j in c.joins)
    print("joins by rule: " + ", ".join(f"{rule} {n:,}" for rule, n in rules.most_common()))
    print(
        f"pairwise precision {precision:.4f} ({found:,} of {predicted:,} predicted pairs)"
        f", recall {recall:.4f} ({found:,} of {true_pairs:,} true pairs)"
    )
    _false_merges(catalogue, result, show)
    _missed_merges(catalogue, result, show)
    _chains(catalogue, result, show)
    met = precision >= GOAL_PRECISION and recall >= GOAL_RECALL
    print(
        f"\ngoal precision >= {GOAL_PRECISION} and recall >= {GOAL_RECALL}: "
        f"{'met' if met else 'NOT MET'} (precision {precision:.4f}, recall {recall:.4f})"
    )
    return met


def _pairs(counts: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in counts)


def _false_merges(catalogue: Catalogue, result: Clustering, show: int) -> None:
    """Joins between records of different editions: each made a false merge."""
    records, editions = catalogue.records, catalogue.editions
    wrong = [
        j
        for c in result.clusters
        for j in c.joins
        if editions[j.record] and editions[j.matched] and editions[j.record] != editions[j.matched]
    ]
    print(f"\nfalse merges: {len(wrong):,} joins between different editions")
    for rule, n in Counter(j.decision.rule for j in wrong).most_common():
        print(f"  {rule}: {n:,}")
    for join in wrong[:show]:
        print(f"  - {join.decision.rule}: {join.decision.reason}")
        print(f"      {_describe(records[join.record], editions[join.record])}")
        print(f"      {_describe(records[join.matched], editions[join.matched])}")


def _missed_merges(catalogue: Catalogue, result: Clustering, show: int) -> None:
    """Pairs of one edition in different clusters, by the check that refused them."""
    records, editions = catalogue.records, catalogue.editions
    where = {i: n for n, c in enumerate(result.clusters) for i in c.members}
    by_edition = defaultdict(list)
    for i, edition in enumerate(editions):
        if edition is not None:
            by_edition[edition].append(i)
    refusals: Counter[str] = Counter()
    examples: dict[str, list[tuple[int, int, Decision]]] = defaultdict(list)
    for members in by_edition.values():
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                if where[a] != where[b]:
                    decision = compare(records[a], records[b])
                    rule = decision.rule if not decision.same else "guarded: " + decision.rule
                    refusals[rule] += 1
                    if len(examples[rule]) < show:
                        examples[rule].append((a, b, decision))
    print(f"\nmissed merges: {sum(refusals.values()):,} pairs of one edition kept apart")
    for rule, n in refusals.most_common():
        print(f"  {rule}: {n:,}")
    for rule, _n in refusals.most_common(4):
        for a, b, decision in examples[rule][: max(1, show // 2)]:
            print(f"  - {rule}: {decision.reason}")
            print(f"      {_describe(records[a], editions[a])}")
            print(f"      {_describe(records[b], editions[b])}")


def _chains(catalogue: Catalogue, result: Clustering, show: int) -> None:
    """Members that came together only through others, and what the guard held back."""
    records, editions = catalogue.records, catalogue.editions
    indirect = Counter()
    for group in result.clusters:
        members = group.members
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                if compare(records[a], records[b]).same:
                    continue
                truth = "same edition" if editions[a] == editions[b] else "different editions"
                clash = conflict(records[a], records[b])
                indirect[f"{'conflicting' if clash else 'no direct match'}, {truth}"] += 1
    print(f"\nchained pairs (one cluster, no direct match): {sum(indirect.values()):,}")
    for kind, n in indirect.most_common():
        print(f"  {kind}: {n:,}")
    held = Counter(
        "right" if editions[g.pair[0]] != editions[g.pair[1]] else "wrong" for g in result.guarded
    )
    print(
        f"chain guard: {len(result.guarded):,} matches held back because another member "
        f"conflicts ({held['right']:,} rightly: the matched pair were different editions; "
        f"{held['wrong']:,} wrongly)"
    )
    for guarded in result.guarded[:show]:
        a, b = guarded.pair
        x, y = guarded.conflict
        print(f"  - held back {_describe(records[a], editions[a])}")
        print(f"      ~ {_describe(records[b], editions[b])}")
        print(f"      as {records[x].library}/{records[x].local_id} and ", end="")
        print(f"{records[y].library}/{records[y].local_id}: {guarded.decision.reason}")


def _describe(bib: BibRecord, edition: str | None) -> str:
    author = bib.authors[0] if bib.authors else "-"
    isbn = ",".join(bib.isbns) or "no ISBN"
    extra = " ".join(
        filter(
            None,
            (
                f"$n {bib.part_number}" if bib.part_number else "",
                ";".join(f"{t} {v}" for t, v in bib.series),
                bib.edition,
                f"{bib.pages} p." if bib.pages else "",
            ),
        )
    )
    return (
        f"{edition or '?'} {bib.library}/{bib.local_id}: {bib.title!r} / {author} / {bib.year} / "
        f"{bib.format} / {bib.publisher} / {isbn} {extra}"
    )


if __name__ == "__main__":
    sys.exit(main())
