"""Queries priced before they run (index/pricing.py): each bound refuses a query by name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from index.document import cluster_doc
from index.errors import BadSearch, QueryTooBroad
from index.pricing import Bounds
from index.search import UnionIndex
from index.suggest import corrected
from libnet.errors import LibnetError
from libnet.records.bib import normalise
from tests.builders import book

TITLES = (
    ("Die Vermessung der Welt", "Kehlmann, Daniel"),
    ("Die Straße der Ölsardinen", "Steinbeck, John"),
    ("Das Haus am See", "Müller, Hans"),
    ("Sommer am See", "Seemann, Sara"),
    ("Schiffe und Segel", "Segler, Sven"),
    ("Sagen aus Sachsen", "Sachs, Sabine"),
)


def write_catalogue(path: Path) -> None:
    docs = [
        cluster_doc(n, [normalise(book(f"m{n}", title, author=author, isbn=""), "marl")])
        for n, (title, author) in enumerate(TITLES, 1)
    ]
    UnionIndex(path).write(docs)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pricing") / "index"
    write_catalogue(path)
    return path


@pytest.fixture(scope="module")
def catalogue(folder: Path) -> UnionIndex:
    return UnionIndex(folder)


def refused(catalogue: UnionIndex, text: str) -> QueryTooBroad:
    with pytest.raises(QueryTooBroad) as caught:
        catalogue.search(text)
    return caught.value


def ticking(step: float) -> Callable[[], float]:
    """A clock that moves on by step seconds each time it is read; counts its readings."""
    readings = [0]

    def clock() -> float:
        readings[0] += 1
        return readings[0] * step

    clock.readings = readings  # type: ignore[attr-defined]
    return clock


def test_one_or_two_wildcard_words_still_find_their_titles(catalogue: UnionIndex) -> None:
    assert [h.id for h in catalogue.search("kehl*").hits] == [1]
    assert [h.id for h in catalogue.search("verm* welt").hits] == [1]
    assert [h.id for h in catalogue.search("k?hlmann").hits] == [1]
    assert {h.id for h in catalogue.search("seem* OR steinb*").hits} == {2, 4}


def test_as_many_wildcard_words_as_the_bound_allows_are_answered(catalogue: UnionIndex) -> None:
    assert catalogue.search("s* OR h* OR k* OR m* OR w*").total == 6


def test_a_query_with_more_wildcard_words_than_the_bound_is_refused(
    catalogue: UnionIndex,
) -> None:
    error = refused(catalogue, "s* OR h* OR k* OR m* OR w* OR d*")
    assert (error.bound, error.limit) == ("wildcards", 5)
    assert "more than 5 words with a wildcard" in str(error)


def test_forty_infix_wildcards_are_refused_before_they_run(catalogue: UnionIndex) -> None:
    forty = " ".join(f"*{a}{b}*" for a in "aeiou" for b in "lmnrstdg")
    assert refused(catalogue, forty).bound == "wildcards"


def test_a_word_spread_over_several_fields_counts_once(catalogue: UnionIndex) -> None:
    """The parser spreads a typed word over six fields; the patron typed one wildcard word."""
    assert catalogue.search("d* d* d* d* d* d* verm* welt* kehl*").total == 1


def test_a_leading_wildcard_is_answered_when_it_is_the_only_one(catalogue: UnionIndex) -> None:
    assert {h.id for h in catalogue.search("*mann").hits} == {1, 4}
    assert {h.id for h in catalogue.search("*ee* haus").hits} == {3}


def test_a_leading_wildcard_beside_another_wildcard_word_is_refused(
    catalogue: UnionIndex,
) -> None:
    error = refused(catalogue, "*mann verm*")
    assert error.bound == "leading"
    assert "letters before the *" in str(error)
    assert refused(catalogue, "*a* *e*").bound == "leading"


def test_wildcards_matching_more_words_than_the_bound_are_refused(folder: Path) -> None:
    # s* matches sagen, sachsen, sachs, see, seemann, segel, ... in the searched fields
    assert UnionIndex(folder).search("s*").total >= 4
    error = refused(UnionIndex(folder, bounds=Bounds(expanded_terms=3)), "s*")
    assert (error.bound, error.limit) == ("terms", 3)
    assert "more letters before the *" in str(error)


def test_a_term_range_counts_against_the_same_bounds(folder: Path) -> None:
    narrow = UnionIndex(folder, bounds=Bounds(expanded_terms=2))
    assert refused(narrow, "title:[a TO z]").bound == "terms"


def test_every_word_of_a_field_is_no_wildcard_word(catalogue: UnionIndex) -> None:
    """`title:*` costs one look at the field lengths, however many words the field has."""
    assert catalogue.search("title:* kehl* verm* welt* dan* vermessung*").total == 1


def test_a_time_budget_stops_a_query_inside_its_evaluation(folder: Path) -> None:
    clock = ticking(1.0)
    stopped = UnionIndex(folder, bounds=Bounds(seconds=3.5), clock=clock)
    error = refused(stopped, "vermessung welt kehlmann haus see")
    assert (error.bound, error.limit) == ("time", 3.5)
    # the clock was read when the search began and then again inside the evaluation
    assert clock.readings[0] > 2


def test_the_same_query_with_time_to_spare_is_answered(folder: Path) -> None:
    enough = UnionIndex(folder, bounds=Bounds(seconds=10_000), clock=ticking(1.0))
    assert enough.search("vermessung welt kehlmann").total == 1


def test_a_query_too_broad_is_a_bad_search(catalogue: UnionIndex) -> None:
    error = refused(catalogue, "*a* *e*")
    assert isinstance(error, BadSearch) and isinstance(error, LibnetError)


def test_did_you_mean_is_given_up_when_time_runs_out(catalogue: UnionIndex) -> None:
    with catalogue._leased() as snapshot:
        reader = snapshot.searcher.reader()
        assert corrected(reader, "Vermesung") == "Vermessung"
        assert corrected(reader, "Vermesung", lambda: False) is None


def test_completion_reads_no_more_keys_than_its_bound(folder: Path) -> None:
    assert len(UnionIndex(folder).complete("s", 10)) > 1
    assert len(UnionIndex(folder, bounds=Bounds(completion_keys=1)).complete("s", 10)) == 1
