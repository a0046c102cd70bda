"""The union index's text analysis: each analyzer on its own, then a small real Whoosh index."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum import ean
from stdnum import isbn as stdnum_isbn
from whoosh.analysis import Analyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.index import create_in, open_dir
from whoosh.qparser import QueryParser
from whoosh.query import Term
from whoosh.searching import Searcher

from index.analysis import (
    exact_title,
    fold,
    isbn_analyzer,
    isbn_terms,
    keyword_analyzer,
    name_analyzer,
    text_analyzer,
)

# (id, title, authors, isbn)
CATALOGUE = [
    ("hobbit", "Der Hobbit : oder Hin und zurück", "Tolkien, J. R. R.", ""),
    ("kleiner-hobbit", "Der kleine Hobbit", "Tolkien, J. R. R.", ""),
    ("gestern", "Die Welt von gestern : Erinnerungen eines Europäers", "Zweig, Stefan", ""),
    ("ende", "Welt ohne Ende", "Follett, Ken", ""),
    ("potter", "Harry Potter and the Philosopher's Stone", "Rowling, J. K.", ""),
    ("haus", "Das Haus am See", "Müller, Hans", "978-3-498-03528-0"),
    ("hausarzt", "Der Hausarzt : ein Ratgeber", "Mueller, Anna", ""),
    ("gaerten", "Gärten im Ruhrgebiet", "Muller, Pierre", "3-89864-247-X"),
    ("geschichten", "Die schönsten Geschichten für Kinder", "Lindgren, Astrid", ""),
    ("strasse", "Die Straße der Ölsardinen", "Steinbeck, John", ""),
    ("amelie", "Die fabelhafte Welt der Amélie", "Jeunet, Jean-Pierre", ""),
    ("amelie-nfd", "Ame\u0301lie", "Laurain, Antoine", ""),  # decomposed, as from MARC-8
    ("orwell", "1984", "Orwell, George", ""),
    ("quelle", "Die Quelle, Band 3", "Rand, Ayn", ""),
    ("cats", "Warrior Cats, Band 13", "Hunter, Erin", ""),
    ("es", "Es", "King, Stephen", ""),
    ("wieder-da", "Er ist wieder da", "Vermes, Timur", ""),
    ("hat", "The Cat in the Hat", "Seuss, Dr.", ""),
    ("haltern", "Haltern am See : Stadtgeschichte", "Schürmann, Elke", ""),
    ("halten", "Wir halten zusammen", "Kröger, Ömer", ""),
]


def texts(analyzer: Analyzer, value: str) -> list[str]:
    return [token.text for token in analyzer(value)]


def found(searcher: Searcher, field: str, text: str) -> set[str]:
    query = QueryParser(field, searcher.schema).parse(text)
    return {hit["id"] for hit in searcher.search(query, limit=None)}


def catalogue_schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text_analyzer()),
        title_exact=TEXT(analyzer=keyword_analyzer(), phrase=False),
        authors=TEXT(analyzer=name_analyzer()),
        isbn=TEXT(analyzer=isbn_analyzer(), phrase=False),
    )


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """A catalogue index built in tmp_path and closed again."""
    ix = create_in(tmp_path, catalogue_schema())
    with ix.writer() as writer:
        for doc_id, title, authors, isbn in CATALOGUE:
            writer.add_document(
                id=doc_id, title=title, title_exact=title, authors=authors, isbn=isbn
            )
    ix.close()
    return tmp_path


@pytest.fixture
def searcher(index_dir: Path) -> Iterator[Searcher]:
    """A searcher on the index as opened later: the analyzers come out of the index's pickle."""
    ix = open_dir(index_dir)
    with ix.searcher() as searcher:
        yield searcher
    ix.close()


# ------------------------------------------------------------------------------ folding


def test_mueller_mueller_and_muller_fold_to_one_form() -> None:
    assert {fold(name) for name in ("Müller", "Mueller", "Muller", "MÜLLER", "MUELLER")} == {
        "muller"
    }


def test_sharp_s_folds_to_ss() -> None:
    assert fold("Straße") == fold("Strasse") == fold("STRASSE") == fold("STRAẞE") == "strasse"


def test_accents_fold_whether_composed_or_decomposed() -> None:
    assert fold("Amélie") == fold("Ame\u0301lie") == fold("Amelie") == "amelie"
    assert fold("Ödön von Horváth") == "odon von horvath"


def test_letters_without_a_decomposition_fold_by_table() -> None:
    assert fold("Søren Łódź Đorđe Þór") == "soren lodz dorde thor"
    assert fold("Cæsar") == fold("Caesar") == fold("Casar")


def test_ue_after_q_or_a_vowel_keeps_its_e() -> None:
    assert fold("Quelle") == "quelle"
    assert fold("Bauer Feuer Mauer") == "bauer feuer mauer"
    assert fold("Uebel Schuessel") == fold("Übel Schüssel") == "ubel schussel"


def test_fold_of_a_text_folds_each_word_alike() -> None:
    title = "Grüße aus Mönchengladbach, Ærø und Québec"
    assert fold(title) == " ".join(fold(word) for word in title.split())


# ------------------------------------------------------------------------------ analyzers


def test_text_analyzer_folds_before_stemming_so_every_spelling_stems_alike() -> None:
    # stemming first would give "nordseeku" for Nordseekueste and "mun" for Muenster
    for spellings in (
        "Nordseeküste Nordseekueste Nordseekuste",
        "Münster Muenster Munster",
        "Häuser Haeuser Hauser",
        "Müller Mueller Muller",
    ):
        assert len(set(texts(text_analyzer(), spellings))) == 1, spellings


def test_german_plurals_meet_their_singular() -> None:
    analyzer = text_analyzer()
    for singular, plural in [
        ("Geschichte", "Geschichten"),
        ("Kind", "Kinder"),
        ("Haus", "Häuser"),
        ("Buch", "Bücher"),
        ("Stadt", "Städte"),
    ]:
        assert texts(analyzer, singular) == texts(analyzer, plural)


def test_compounds_are_not_split() -> None:
    assert texts(text_analyzer(), "Haus Hausarzt") == ["haus", "hausarzt"]


def test_english_titles_survive_the_german_stemmer() -> None:
    analyzer = text_analyzer()
    assert texts(analyzer, "Philosopher's Stone") == texts(analyzer, "philosophers stones")
    assert texts(analyzer, "cats rings") == texts(analyzer, "cat ring")


def test_towns_of_the_kreis_are_not_stemmed_into_common_words() -> None:
    analyzer = text_analyzer()
    assert texts(analyzer, "Haltern Halterner halten") == ["haltern", "haltern", "halt"]
    assert texts(analyzer, "Marlene Marl") == ["marlene", "marl"]


def test_every_word_keeps_its_position() -> None:
    tokens = [(t.text, t.pos) for t in text_analyzer()("Der kleine Hobbit", positions=True)]
    assert tokens == [("der", 0), ("klein", 1), ("hobbit", 2)]


def test_punctuation_splits_and_a_possessive_s_goes() -> None:
    analyzer = name_analyzer()
    assert texts(analyzer, "Der Hobbit : oder Hin und zurück / Tolkien") == [
        "der", "hobbit", "oder", "hin", "und", "zuruck", "tolkien"
    ]  # fmt: skip
    assert texts(analyzer, "Harry Potter and the Philosopher’s Stone") == [
        "harry", "potter", "and", "the", "philosopher", "stone"
    ]  # fmt: skip
    assert texts(analyzer, "L'amour, O'Brien") == ["l", "amour", "o", "brien"]


def test_numbers_stay_tokens() -> None:
    assert texts(text_analyzer(), "1984 ; Band 3, Teil 1-2") == [
        "1984", "band", "3", "teil", "1", "2"
    ]  # fmt: skip


def test_name_analyzer_folds_but_does_not_stem() -> None:
    analyzer = name_analyzer()
    assert texts(analyzer, "Müller, Hans") == texts(analyzer, "Mueller Hans") == ["muller", "hans"]
    assert texts(analyzer, "Kinder, Sabine") == ["kinder", "sabine"]


def test_exact_title_drops_punctuation_and_keeps_the_article() -> None:
    assert exact_title("Der Hobbit : oder Hin und zurück") == "der hobbit oder hin und zuruck"
    assert exact_title(" Der  Hobbit. ") == exact_title("der hobbit") == "der hobbit"
    assert texts(keyword_analyzer(), "Die Welt ; [Roman]") == ["die welt roman"]


@given(st.text())
@example("ﱞ")  # an isolated Arabic ligature: folds into a space and combining marks
def test_any_text_is_analysed_into_non_empty_words(text: str) -> None:
    for analyzer in (text_analyzer(), name_analyzer()):
        assert all(texts(analyzer, text))
    assert exact_title(text) == " ".join(exact_title(text).split())


# ------------------------------------------------------------------------------ ISBNs


def test_every_form_of_an_isbn_gives_the_same_terms() -> None:
    forms = ["978-3-498-03528-0", "9783498035280", "3-498-03528-2", "3498035282"]
    forms += ["ISBN 978 3 498 03528 0", "3-498-03528-2 (Gb.) : 22,00 EUR"]
    assert {tuple(isbn_terms(form)) for form in forms} == {("9783498035280", "3498035282")}


def test_isbn_check_digit_x_is_found_in_either_case() -> None:
    assert isbn_terms("3-89864-247-x") == isbn_terms("389864247X") == [
        "9783898642477", "389864247X"
    ]  # fmt: skip


def test_an_isbn_with_a_wrong_check_digit_gives_no_terms() -> None:
    # converted blindly, the ISBN-10 would turn into a valid-looking ISBN-13
    assert isbn_terms("3-498-03528-3") == []
    assert isbn_terms("978-3-498-03528-1") == []


def test_an_isbn_979_has_only_its_isbn13() -> None:
    assert isbn_terms("979-10-90636-07-1") == ["9791090636071"]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_isbn10_and_isbn13_of_one_book_give_the_same_terms(body: str) -> None:
    isbn13 = "978" + body + ean.calc_check_digit("978" + body)
    isbn10 = stdnum_isbn.to_isbn10(isbn13)
    hyphenated = f"{isbn10[0]}-{isbn10[1:4]}-{isbn10[4:9]}-{isbn10[9]}"
    assert isbn_terms(isbn13) == isbn_terms(isbn10) == isbn_terms(hyphenated.lower())
    assert isbn_terms(isbn13) == [isbn13, isbn10]


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from("0123456789X"))
def test_an_isbn10_with_any_wrong_check_digit_gives_no_terms(body: str, check: str) -> None:
    isbn10 = body + check
    assert (isbn_terms(isbn10) != []) == stdnum_isbn.is_valid(isbn10)


def test_isbn_analyzer_gives_each_isbn_its_terms_at_one_position() -> None:
    tokens = isbn_analyzer()("9783498035280 ; 3-89864-247-X", positions=True)
    assert [(t.text, t.pos) for t in tokens] == [
        ("9783498035280", 0), ("3498035282", 0), ("9783898642477", 1), ("389864247X", 1)
    ]  # fmt: skip


# ------------------------------------------------------------------------------ searching


@pytest.mark.parametrize("query", ["Müller", "Mueller", "Muller", "MÜLLER"])
def test_every_spelling_of_mueller_finds_all_three_authors(searcher: Searcher, query: str) -> None:
    assert found(searcher, "authors", query) == {"haus", "hausarzt", "gaerten"}


def test_author_name_in_either_order_finds_the_record(searcher: Searcher) -> None:
    assert found(searcher, "authors", "Hans Mueller") == {"haus"}


@pytest.mark.parametrize("query", ["Strasse", "Straße", "Oelsardinen", "olsardine"])
def test_strasse_finds_strasse(searcher: Searcher, query: str) -> None:
    assert found(searcher, "title", query) == {"strasse"}


@pytest.mark.parametrize("query", ["Amelie", "Amélie", "Ame\u0301lie", "AMELIE"])
def test_amelie_finds_composed_and_decomposed_amelie(searcher: Searcher, query: str) -> None:
    assert found(searcher, "title", query) == {"amelie", "amelie-nfd"}


def test_haeuser_finds_haus_but_haus_does_not_find_hausarzt(searcher: Searcher) -> None:
    assert found(searcher, "title", "Häuser") == {"haus"}
    assert found(searcher, "title", "Haus") == {"haus"}
    assert found(searcher, "title", "Hausarzt") == {"hausarzt"}


def test_singular_finds_the_plural(searcher: Searcher) -> None:
    assert found(searcher, "title", "Geschichte Kind") == {"geschichten"}
    assert found(searcher, "title", "Garten") == {"gaerten"}


def test_philosopher_stone_finds_harry_potter(searcher: Searcher) -> None:
    for query in ["philosopher stone", "Philosophers Stone", '"philosopher\'s stone"']:
        assert found(searcher, "title", query) == {"potter"}, query


def test_cats_finds_the_cat_in_the_hat(searcher: Searcher) -> None:
    assert found(searcher, "title", "cats hat") == {"hat"}


def test_phrase_der_hobbit_finds_der_hobbit_but_not_der_kleine_hobbit(searcher: Searcher) -> None:
    assert found(searcher, "title", '"der Hobbit"') == {"hobbit"}
    assert found(searcher, "title", "Hobbit") == {"hobbit", "kleiner-hobbit"}


def test_phrase_die_welt_finds_only_die_welt(searcher: Searcher) -> None:
    assert found(searcher, "title", '"die Welt"') == {"gestern"}
    assert found(searcher, "title", '"Welt ohne Ende"') == {"ende"}


def test_titles_made_of_stop_words_are_found(searcher: Searcher) -> None:
    assert found(searcher, "title", "Es") == {"es"}
    assert found(searcher, "title", '"er ist wieder da"') == {"wieder-da"}


def test_quelle_is_found_as_quelle(searcher: Searcher) -> None:
    assert found(searcher, "title", "Quelle") == {"quelle"}
    assert found(searcher, "title", "Qulle") == set()


def test_numbers_are_found(searcher: Searcher) -> None:
    assert found(searcher, "title", "1984") == {"orwell"}
    assert found(searcher, "title", '"Band 3"') == {"quelle"}
    assert found(searcher, "title", '"Band 13"') == {"cats"}


def test_haltern_does_not_find_halten(searcher: Searcher) -> None:
    assert found(searcher, "title", "Haltern") == {"haltern"}
    assert found(searcher, "title", "halten") == {"halten"}


@pytest.mark.parametrize(
    "query", ["978-3-498-03528-0", "9783498035280", "3-498-03528-2", "3498035282"]
)
def test_isbn_in_every_form_finds_the_record(searcher: Searcher, query: str) -> None:
    assert found(searcher, "isbn", query) == {"haus"}


@pytest.mark.parametrize("query", ["3-89864-247-x", "389864247X", "9783898642477"])
def test_isbn_with_check_digit_x_finds_the_record(searcher: Searcher, query: str) -> None:
    assert found(searcher, "isbn", query) == {"gaerten"}


def test_isbn_with_a_wrong_check_digit_finds_nothing(searcher: Searcher) -> None:
    assert found(searcher, "isbn", "3-498-03528-3") == set()


def test_exact_title_key_matches_only_the_whole_title(searcher: Searcher) -> None:
    def exact(title: str) -> set[str]:
        hits = searcher.search(Term("title_exact", exact_title(title)), limit=None)
        return {hit["id"] for hit in hits}

    assert exact("der hobbit oder hin und zurueck") == {"hobbit"}
    assert exact("Der kleine Hobbit.") == {"kleiner-hobbit"}
    assert exact("Hobbit") == set()


def test_analyzers_are_read_back_from_the_index_by_module_path(index_dir: Path) -> None:
    # a new interpreter has none of this module's objects: it must import index.analysis
    script = textwrap.dedent(f"""
        import json
        from whoosh.index import open_dir
        from whoosh.qparser import QueryParser
        ix = open_dir({str(index_dir)!r})
        modules = sorted({{type(item).__module__ for item in ix.schema["title"].analyzer}})
        with ix.searcher() as searcher:
            query = QueryParser("authors", ix.schema).parse("Mueller")
            ids = sorted(hit["id"] for hit in searcher.search(query))
        print(json.dumps([modules, ids]))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    modules, ids = json.loads(result.stdout)
    assert modules == ["index.analysis"]
    assert ids == ["gaerten", "haus", "hausarzt"]
