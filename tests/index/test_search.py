"""The union index on a real Whoosh index in tmp_path: clusters in, hits and facets out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from index.document import ClusterDoc, Holding, cluster_doc
from index.errors import BadSearch
from index.search import UnionIndex
from libnet.errors import LibnetError
from libnet.records.bib import BibRecord, normalise
from tests.builders import book
from tests.index.whoosh_reference import search_with_whoosh

THREE_COPIES = (("Rom Keh", "0"), ("Rom Keh", "0"), ("Rom Keh", "0"))


def record(library: str, local_id: str, **fields) -> BibRecord:
    items = fields.pop("items", (("Rom", "0"),))
    extra = {k: fields.pop(k) for k in ("subjects", "format", "language") if k in fields}
    bib = normalise(book(local_id, items=items, **fields), library)
    return replace(bib, **extra)


def on_loan(bib: BibRecord) -> BibRecord:
    return replace(bib, items=tuple(replace(i, status="on_loan") for i in bib.items))


@pytest.fixture
def kehlmann() -> ClusterDoc:
    marl = record("marl", "m1", items=THREE_COPIES, subjects=("Gauß, Carl Friedrich",))
    herten = on_loan(record("herten", "h7", isbn="3-498-03528-2"))
    return cluster_doc(1, [marl, herten])


@pytest.fixture
def catalogue(tmp_path: Path, kehlmann: ClusterDoc) -> UnionIndex:
    docs = [
        kehlmann,
        cluster_doc(
            2,
            [
                record(
                    "dorsten",
                    "d1",
                    title="Die Straße der Ölsardinen",
                    author="Steinbeck, John",
                    isbn="",
                    year="1986",
                    subjects=("Kalifornien",),
                )
            ],
        ),
        cluster_doc(
            3,
            [
                record(
                    "herten",
                    "h2",
                    title="Das Haus am See",
                    author="Müller, Hans",
                    isbn="3-89864-247-X",
                    year="2012",
                    language="eng",
                )
            ],
        ),
        cluster_doc(
            4,
            [
                record(
                    "marl",
                    "m9",
                    title="Die Welt",
                    author="Weltmann, Anna",
                    isbn="",
                    year="2015",
                    format="ebook",
                )
            ],
        ),
    ]
    union = UnionIndex(tmp_path / "index")
    assert union.write(docs) == 4
    return union


def ids(result) -> list[int]:
    return [hit.id for hit in result.hits]


def test_records_of_two_libraries_are_one_hit_with_both_libraries(
    catalogue: UnionIndex, kehlmann: ClusterDoc
) -> None:
    result = catalogue.search("kehlmann")
    assert result.total == 1
    assert kehlmann.libraries == ("marl", "herten")
    assert {h.library for h in result.hits[0].holdings} == {"marl", "herten"}


def test_copies_with_one_call_number_and_status_collapse(kehlmann: ClusterDoc) -> None:
    assert kehlmann.holdings[0] == Holding("marl", "m1", "Rom Keh", "available", 3)
    assert kehlmann.available_at == ("marl",)


def test_member_without_items_has_one_unknown_holding() -> None:
    doc = cluster_doc(9, [record("marl", "m1", items=())])
    assert doc.holdings == (Holding("marl", "m1", "", "unknown", 0),)


def test_most_complete_member_describes_the_cluster_and_lists_are_united() -> None:
    sparse = replace(record("marl", "m1", title="Vermessung"), publisher="", subjects=())
    full = record("herten", "h1", author="KEHLMANN, Daniel", subjects=("Roman",))
    full = replace(full, authors=(*full.authors, "Gauss, Carl"))
    doc = cluster_doc(5, [sparse, full])
    assert doc.title == "Die Vermessung der Welt"
    assert doc.authors == ("Kehlmann, Daniel", "Gauss, Carl")
    assert doc.subjects == ("Roman",)


def test_home_library_comes_first_then_libraries_with_a_copy_on_the_shelf(
    tmp_path: Path,
) -> None:
    members = [
        on_loan(record("dorsten", "d1")),
        record("marl", "m1"),
        on_loan(record("herten", "h1")),
        record("gladbeck", "g1"),
    ]
    union = UnionIndex(tmp_path / "index")
    union.write([cluster_doc(1, members)])
    order = [h.library for h in union.search("kehlmann", home="herten").hits[0].holdings]
    assert order == ["herten", "marl", "gladbeck", "dorsten"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Müller", [3]),
        ("Mueller", [3]),
        ("Muller", [3]),
        ("Straße", [2]),
        ("Strasse", [2]),
        ("3-498-03528-2", [1]),  # the ISBN-10 of herten's record, with hyphens
        ("9783498035280", [1]),
        ("978-3-498-03528-0", [1]),
        ("3 89864 247 X", [3]),
        ('"vermessung der welt"', [1]),
        ('"welt der vermessung"', []),
        ("author:kehlmann", [1]),
        ("title:welt", [4, 1]),
        ("subject:gauss", [1]),
        ("isbn:3-89864-247-X", [3]),
        ("year:[2000 TO 2013]", [1, 3]),
        ("steinbeck OR müller", [2, 3]),
        ("welt NOT kehlmann", [4]),
        ("vermess*", [1]),
        ("Die Welt", [4, 1]),
    ],
)
def test_query_finds(catalogue: UnionIndex, query: str, expected: list[int]) -> None:
    assert sorted(ids(catalogue.search(query))) == sorted(expected)


@pytest.mark.parametrize("query", ["Die Welt", "die welt", "title:welt", "welt"])
def test_exact_title_ranks_first(catalogue: UnionIndex, query: str) -> None:
    assert ids(catalogue.search(query)) == [4, 1]


@pytest.mark.parametrize(
    "query",
    ['"vermessung der', "(welt", "welt)", "[2000 TO", "AND", "welt OR", "NOT", "title:",
     "OR OR", ":", "year:[abc TO 2010]", "year:abc", "", "   ", "*", '"', "AND kehlmann"],
)  # fmt: skip
def test_mistyped_query_never_raises(catalogue: UnionIndex, query: str) -> None:
    result = catalogue.search(query)
    assert result.total == len(result.hits)


# found by tests/fuzz: each raised from Whoosh's parser or from one of the two search paths
@pytest.mark.parametrize(
    "query",
    [
        '(NOT NOT title:"")',  # an IndexError: Whoosh makes a NOT of nothing
        'library:"welt welt"',  # a QueryError: a phrase in a field without positions
        'spell:"a b"', "doc:x",  # fields of the index's own; doc is only stored
        'year:""', 'year:"1990 2000"',  # a ValueError in the fast path: no number
        'isbn:"3-498-03528-2 3-89864-247-X"',  # isbn keeps no positions either
    ],
)  # fmt: skip
def test_queries_that_broke_the_search_are_answered_on_both_paths(
    catalogue: UnionIndex, query: str
) -> None:
    assert catalogue.search(query).total == search_with_whoosh(catalogue, query).total


def test_only_the_searchable_fields_can_be_named_in_a_query(catalogue: UnionIndex) -> None:
    assert ids(catalogue.search("library:marl")) == []  # the words library and marl
    assert ids(catalogue.search("welt library:marl")) == []
    assert sorted(ids(catalogue.search("id:2 OR isbn:3-89864-247-X"))) == [2, 3]


def test_mistyped_query_falls_back_to_its_words(catalogue: UnionIndex) -> None:
    assert ids(catalogue.search('"vermessung der')) == [1]
    assert ids(catalogue.search("kehlmann OR")) == [1]
    assert catalogue.search("title:").total == 0


def test_filters_and_within_and_across_facets(catalogue: UnionIndex) -> None:
    assert sorted(ids(catalogue.search("*", filters={"library": ["herten", "dorsten"]}))) == [
        1,
        2,
        3,
    ]
    assert ids(catalogue.search("*", filters={"library": ["marl"], "format": ["ebook"]})) == [4]
    assert ids(catalogue.search("*", filters={"decade": ["1980"]})) == [2]
    assert ids(catalogue.search("*", filters={"language": ["eng"]})) == [3]
    assert ids(catalogue.search("*", filters={"available": ["herten"]})) == [3]
    with pytest.raises(ValueError):
        catalogue.search("*", filters={"colour": ["red"]})


def test_facets_count_all_hits_not_only_the_page(catalogue: UnionIndex) -> None:
    result = catalogue.search("*", page_size=1)
    assert len(result.hits) == 1
    assert result.facets["library"] == [("herten", 2), ("marl", 2), ("dorsten", 1)]
    assert result.facets["format"] == [("book", 3), ("ebook", 1)]
    assert result.facets["language"] == [("ger", 3), ("eng", 1)]
    assert result.facets["decade"] == [("2010", 2), ("1980", 1), ("2000", 1)]
    assert result.facets["subject"] == [("Gauß, Carl Friedrich", 1), ("Kalifornien", 1)]


def test_sorting(catalogue: UnionIndex) -> None:
    assert ids(catalogue.search("*", sort="year_desc")) == [4, 3, 1, 2]
    assert ids(catalogue.search("*", sort="year_asc")) == [2, 1, 3, 4]
    assert ids(catalogue.search("*", sort="title")) == [3, 2, 1, 4]


def test_undated_cluster_comes_last_when_newest_come_first(tmp_path: Path) -> None:
    undated = replace(record("marl", "m1"), year=None)
    union = UnionIndex(tmp_path / "index")
    union.write([cluster_doc(1, [undated]), cluster_doc(2, [record("marl", "m2")])])
    assert ids(union.search("kehlmann", sort="year_desc")) == [2, 1]
    assert union.search("kehlmann").facets["decade"] == [("2000", 1)]


def test_paging_is_one_based_and_total_counts_all(catalogue: UnionIndex) -> None:
    pages = [ids(catalogue.search("*", sort="year_asc", page=n, page_size=3)) for n in (1, 2, 3)]
    assert pages == [[2, 1, 3], [4], []]
    assert catalogue.search("*", page=2, page_size=3).total == 4


def test_updated_doc_replaces_the_old_one(tmp_path: Path, kehlmann: ClusterDoc) -> None:
    union = UnionIndex(tmp_path / "index")
    union.write([kehlmann])
    union.search("kehlmann")
    union.write([replace(kehlmann, title="Ruhm")])
    assert union.count() == 1
    assert [h.title for h in union.search("kehlmann").hits] == ["Ruhm"]
    assert union.search("vermessung").total == 0


def test_deleted_id_leaves_the_index(catalogue: UnionIndex) -> None:
    assert catalogue.write([], delete=[1, 99]) == 0
    assert catalogue.count() == 3
    assert catalogue.search("kehlmann").total == 0


def test_failed_write_changes_nothing(catalogue: UnionIndex, kehlmann: ClusterDoc) -> None:
    with pytest.raises(ValueError):
        catalogue.write([replace(kehlmann, title="Ruhm"), kehlmann], delete=[2])
    assert catalogue.count() == 4
    assert ids(catalogue.search("vermessung")) == [1]


def test_index_reopens_from_disk(catalogue: UnionIndex, tmp_path: Path) -> None:
    again = UnionIndex(tmp_path / "index")
    assert again.count() == 4
    hit = again.search("kehlmann", home="herten").hits[0]
    assert hit.holdings[0] == Holding("herten", "h7", "Rom", "on_loan", 1)
    assert hit.isbns == ("9783498035280",)


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        ("Vermesung der Welt", "Vermessung der Welt"),
        ("vermesung der welt", "vermessung der welt"),
        ("Kehlman", "Kehlmann"),
        ("KEHLMAN", "KEHLMANN"),
        ("author:kehlman", "author:kehlmann"),
        ("Ölsardinnen", "Ölsardinen"),  # as catalogued, umlaut and all
        ("olsardinnen", "ölsardinen"),
        ("OLSARDINNEN", "ÖLSARDINEN"),
        ("Strase der Olsardinen", "Straße der Olsardinen"),  # a word found is left as typed
    ],
)
def test_misspelt_query_suggests_the_indexed_words(
    catalogue: UnionIndex, query: str, suggestion: str
) -> None:
    result = catalogue.search(query)
    assert result.total == 0
    assert result.suggestion == suggestion
    assert catalogue.search(suggestion).total > 0


def test_did_you_mean_offers_the_most_frequent_catalogued_spelling(tmp_path: Path) -> None:
    union = UnionIndex(tmp_path / "index")
    union.write(
        [
            cluster_doc(1, [record("marl", "m1", title="Märchen aus Köln", isbn="")]),
            cluster_doc(2, [record("marl", "m2", title="Grimms Märchen", isbn="")]),
            cluster_doc(3, [record("marl", "m3", title="MAERCHEN", isbn="")]),
            cluster_doc(4, [record("marl", "m4", title="Die Strasse", isbn="")]),
            cluster_doc(5, [record("marl", "m5", title="Fußball", author="Strauß, Eva")]),
        ]
    )
    assert union.search("Marchn").suggestion == "Märchen"  # 2 Märchen, 1 Maerchen
    # the words the index has stay as typed
    assert union.search("maerchn aus koln").suggestion == "märchen aus koln"
    assert union.search("fussbal").suggestion == "fußball"
    assert union.search("Strauss").suggestion is None  # found: folded, it is Strauß
    assert union.search("Strase").suggestion == "Strasse"  # catalogued so, ß or not


def test_suggestion_finds_the_misspelt_book(catalogue: UnionIndex) -> None:
    suggestion = catalogue.search("Vermesung der Welt").suggestion
    assert suggestion is not None
    assert ids(catalogue.search(suggestion)) == [1]


def test_query_with_enough_hits_gets_no_suggestion(catalogue: UnionIndex) -> None:
    assert catalogue.search("die").total >= 3
    assert catalogue.search("die").suggestion is None
    assert catalogue.search("kehlmann").suggestion is None  # one hit, every word indexed


def test_suggestion_must_find_more_than_the_query(catalogue: UnionIndex) -> None:
    # "kehlman" would become kehlmann, but no Kehlmann is in Dorsten either
    assert catalogue.search("kehlman", filters={"library": ["dorsten"]}).suggestion is None
    assert catalogue.search("xyzzy").suggestion is None
    assert catalogue.search("vermess*").suggestion is None


@pytest.mark.parametrize(
    "query",
    ["", "   ", "*", '"vermesung der', "AND", "title:", "vermesung AND OR", "Ωμέγα", "東京",
     "a" * 300, "kehlman " * 40, "3-498-03528-9", "year:[abc TO 2010]", "ve?mesung", "x:y:z"],
)  # fmt: skip
def test_suggestion_never_raises(catalogue: UnionIndex, query: str) -> None:
    result = catalogue.search(query)
    assert result.suggestion is None or result.suggestion != query


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("vermess", ["Die Vermessung der Welt"]),
        ("Die Verm", ["Die Vermessung der Welt"]),
        ("der w", ["Die Vermessung der Welt"]),
        ("kehl", ["Kehlmann, Daniel"]),
        ("kehlmann, d", ["Kehlmann, Daniel"]),
        ("mü", ["Müller, Hans"]),
        ("mu", ["Müller, Hans"]),
        ("mue", ["Müller, Hans"]),
        ("MUELLER", ["Müller, Hans"]),
        ("strasse", ["Die Straße der Ölsardinen"]),
        ("olsard", ["Die Straße der Ölsardinen"]),
        ("oelsard", ["Die Straße der Ölsardinen"]),
        ("ÖLSARD", ["Die Straße der Ölsardinen"]),
        ("die straß", ["Die Straße der Ölsardinen"]),
        ("daniel", []),  # an author completes from the start of the heading only
        ("", []),
        ("  ,; ", []),
        ("zzz", []),
    ],
)
def test_prefix_completes_titles_and_authors_as_catalogued(
    catalogue: UnionIndex, prefix: str, expected: list[str]
) -> None:
    assert catalogue.complete(prefix) == expected


def test_completions_come_most_clusters_first_then_alphabetically(
    catalogue: UnionIndex,
) -> None:
    assert catalogue.complete("welt") == ["Die Vermessung der Welt", "Die Welt", "Weltmann, Anna"]
    catalogue.write([cluster_doc(5, [record("dorsten", "d5", title="Die Welt", isbn="")])])
    assert catalogue.complete("welt") == ["Die Welt", "Die Vermessung der Welt", "Weltmann, Anna"]
    assert catalogue.complete("d") == [
        "Die Welt",
        "Das Haus am See",
        "Die Straße der Ölsardinen",
        "Die Vermessung der Welt",
    ]
    assert catalogue.complete("ol") == ["Die Straße der Ölsardinen"]


def test_completion_limit_is_respected(catalogue: UnionIndex) -> None:
    assert catalogue.complete("welt", limit=2) == ["Die Vermessung der Welt", "Die Welt"]
    assert catalogue.complete("welt", limit=0) == []


def test_spellings_that_fold_alike_are_one_completion(tmp_path: Path) -> None:
    union = UnionIndex(tmp_path / "index")
    union.write(
        [
            cluster_doc(1, [record("marl", "m1", title="Ruhm", author="Mueller, Hans")]),
            cluster_doc(2, [record("marl", "m2", title="Ruhm", author="Müller, Hans")]),
            cluster_doc(3, [record("marl", "m3", title="Ruhe", author="Müller, Hans")]),
        ]
    )
    assert union.complete("mul") == ["Müller, Hans"]
    assert union.complete("ruh") == ["Ruhm", "Ruhe"]


def test_completions_of_equal_count_sort_by_folded_form(tmp_path: Path) -> None:
    union = UnionIndex(tmp_path / "index")
    union.write(
        [
            cluster_doc(1, [record("marl", "m1", title="Das Pferd")]),
            cluster_doc(2, [record("marl", "m2", title="Das Öl")]),
        ]
    )
    assert union.complete("das") == ["Das Öl", "Das Pferd"]


def test_deleted_cluster_leaves_the_completions(catalogue: UnionIndex) -> None:
    catalogue.write([], delete=[4])
    assert catalogue.complete("welt") == ["Die Vermessung der Welt"]
    catalogue.write([cluster_doc(1, [record("marl", "m1", title="Ruhm")])])
    assert catalogue.complete("vermess") == []
    assert catalogue.complete("ruhm") == ["Ruhm"]


def test_long_prefix_is_compared_beyond_the_stored_key(tmp_path: Path) -> None:
    long_title = "Ein sehr langer Titel " * 5
    union = UnionIndex(tmp_path / "index")
    union.write(
        [
            cluster_doc(1, [record("marl", "m1", title=long_title + "über Bücher")]),
            cluster_doc(2, [record("marl", "m2", title=long_title + "über Briefe")]),
        ]
    )
    assert union.complete(long_title + "über Bü") == [
        " ".join((long_title + "über Bücher").split())
    ]


def test_a_search_the_index_cannot_do_raises_its_own_error(catalogue: UnionIndex) -> None:
    for asked in ({"sort": "colour"}, {"filters": {"colour": ["red"]}}, {"page": 0}):
        with pytest.raises(BadSearch) as caught:
            catalogue.search("*", **asked)
        assert isinstance(caught.value, LibnetError) and isinstance(caught.value, ValueError)
