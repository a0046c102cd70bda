"""The matching rules of the deduplication, on small records mapped by normalise()."""

from __future__ import annotations

import pymarc
from pymarc import Field, Indicators, Subfield

from index.blocking import match_keys
from index.editions import cluster
from index.facts import title_key
from index.match import compare, conflict
from libnet.records.bib import BibRecord, normalise
from tests.builders import book

KEHLMANN_13 = "978-3-498-03528-0"
KEHLMANN_10 = "3-498-03528-2"  # the same ISBN as ISBN-10, as older records give it
AUDIOBOOK = "00000cim a2200000 i 4500"
VIDEO = "00000cgm a2200000 i 4500"


def df(tag: str, indicators: str, *pairs: str) -> Field:
    """A data field: df("245", "10", "a", "Titel :", "b", "Untertitel")."""
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def bib(
    local_id: str = "1",
    *fields: Field,
    title: str = "Die Vermessung der Welt",
    author: str = "Kehlmann, Daniel",
    isbn: str = KEHLMANN_13,
    year: str = "2005",
    leader: str = "00000cam a2200000 i 4500",
    replace: tuple[str, ...] = (),
) -> BibRecord:
    """The Kehlmann book of tests/builders.py, changed as asked, through normalise().

    The given fields are added after the tags in `replace` are removed; no author, no 100.
    """
    record: pymarc.Record = book(
        local_id, title, author=author, isbn=isbn, year=year, leader=leader
    )
    record.remove_fields(*replace, *(() if author else ("100",)))
    for field in fields:
        record.add_ordered_field(field)
    return normalise(record, "marl")


def pages(count: int) -> Field:
    return df("300", "  ", "a", f"{count} Seiten")


def ebook(local_id: str, isbn: str = KEHLMANN_13) -> BibRecord:
    return bib(local_id, df("338", "  ", "a", "Online-Ressource", "b", "cr"), isbn=isbn)


# --------------------------------------------------------------------------- one edition


def test_kehlmann_under_isbn10_with_hyphens_and_isbn13_is_one_edition() -> None:
    decision = compare(bib("1", isbn=KEHLMANN_10), bib("2", isbn="9783498035280"))
    assert decision.same
    assert decision.rule == "isbn"
    assert decision.reason == "ISBN 9783498035280 shared; same format book, year 2005"


def test_isbn10_and_isbn13_give_the_same_key() -> None:
    assert "isbn:9783498035280" in match_keys(bib("1", isbn=KEHLMANN_10))
    assert match_keys(bib("1", isbn=KEHLMANN_10)) == match_keys(bib("2", isbn=KEHLMANN_13))


def test_umlaut_spellings_isbd_punctuation_and_subtitles_do_not_matter() -> None:
    isbd = bib(
        "1",
        df("245", "14", "a", "<<Die>> Vermessung der Welt :", "b", "Roman /", "c", "Kehlmann."),
        author="Müller, Jürgen",
        replace=("245",),
    )
    plain = bib("2", title="Vermessung der Welt", author="Mueller, Juergen", isbn="")
    assert title_key(isbd) == title_key(plain) == "vermessung der welt"
    decision = compare(isbd, plain)
    assert decision.same
    assert decision.rule == "title-author-year"
    assert "tay:vermessung der welt|muller|2005" in match_keys(isbd) & match_keys(plain)


def test_260_and_264_and_a_bracketed_year_give_the_same_year() -> None:
    old = bib("1", df("260", "  ", "a", "Reinbek", "b", "Rowohlt", "c", "2005"), replace=("264",))
    rda = bib(
        "2",
        df("264", " 1", "a", "Reinbek", "b", "Rowohlt", "c", "[2005]"),
        isbn="",
        replace=("264",),
    )
    assert old.year == rda.year == 2005
    assert compare(old, rda).same


def test_a_copy_without_isbn_joins_on_title_author_and_year() -> None:
    decision = compare(bib("1"), bib("2", isbn=""))
    assert decision.same
    assert decision.rule == "title-author-year"
    assert decision.reason.startswith("title 'vermessung der welt', author 'kehlmann'")


def test_dvds_without_isbn_match_on_the_ean_of_024() -> None:
    def dvd(local_id: str, ean: str) -> BibRecord:
        fields = (Field(tag="007", data="vd cvaizq"), df("024", "3 ", "a", ean))
        return bib(local_id, *fields, title="Sommer in Herne", isbn="", author="", leader=VIDEO)

    first, second = dvd("1", "4012345006940"), dvd("2", "4012345006940")
    assert first.format == "video"
    assert first.other_ids == ("4012345006940",)  # libnet.records.identifiers keeps 024 $a for us
    assert "id:ean:4012345006940" in match_keys(first)
    assert compare(first, second).rule == "identifier"
    other = compare(first, dvd("3", "4012345008388"))
    assert not other.same
    assert other.rule == "identifier-conflict"


def test_a_dnb_number_joins_copies_of_one_dnb_record() -> None:
    dnb = df("035", "  ", "a", "(DE-101)975987461")
    decision = compare(bib("1", dnb, isbn=""), bib("2", dnb, title="Vermessung", isbn=""))
    assert decision.same
    assert decision.rule == "identifier"
    assert "(DE-101)975987461" in decision.reason


def test_an_ean_of_superscript_digits_is_no_identifier() -> None:
    """str.isdigit() says yes to "²", and int() raised ValueError out of the matching."""
    odd = bib("1", df("024", "3 ", "a", "²" * 13), isbn="")
    assert not any(key.startswith("id:") for key in match_keys(odd))
    assert compare(odd, bib("2", isbn="")).same


def test_a_librarys_own_035_number_is_no_identifier_to_match_on() -> None:
    own = df("035", "  ", "a", "(DE-Demo-MAR)4711")
    assert not any(key.startswith("id:") for key in match_keys(bib("1", own)))


# --------------------------------------------------------------------------- kept apart


def test_the_audiobook_of_the_book_is_not_the_same_edition() -> None:
    audiobook = bib("2", isbn="978-3-89903-123-2", leader=AUDIOBOOK)
    decision = compare(bib("1"), audiobook)
    assert not decision.same
    assert decision.rule == "format"
    assert decision.reason == "formats differ: book vs audiobook"


def test_an_ebook_carrying_the_print_isbn_is_not_the_print_edition() -> None:
    decision = compare(bib("1"), ebook("2"))
    assert not decision.same
    assert decision.rule == "format"
    assert decision.reason == "formats differ: book vs ebook (ISBN 9783498035280 shared)"


def test_gedichte_by_two_authors_never_merge() -> None:
    first = bib("1", pages(120), title="Gedichte", author="Schulz, Anna", isbn="")
    second = bib("2", pages(120), title="Gedichte", author="Weiß, Jörg", isbn="")
    assert not match_keys(first) & match_keys(second)
    decision = compare(first, second)
    assert not decision.same
    assert decision.rule == "author"


def test_gedichte_by_one_author_without_isbn_do_not_merge_on_title_when_years_differ() -> None:
    first = bib("1", title="Gedichte", author="Schulz, Anna", isbn="", year="2001")
    second = bib("2", title="Gedichte", author="Schulz, Anna", isbn="", year="2004")
    decision = compare(first, second)
    assert not decision.same
    assert decision.rule == "year"


def test_a_generic_title_needs_publisher_and_pages_besides_author_and_year() -> None:
    bare = compare(
        bib("1", title="Gedichte", author="Schulz, Anna", isbn=""),
        bib("2", title="Gedichte", author="Schulz, Anna", isbn=""),
    )
    assert not bare.same
    assert bare.rule == "generic-title"
    described = compare(
        bib("1", pages(120), title="Gesammelte Gedichte", author="Schulz, Anna", isbn=""),
        bib("2", pages(121), title="Gesammelte Gedichte", author="Schulz, Anna", isbn=""),
    )
    assert described.same


def test_match_keys_never_yield_a_key_for_a_generic_title_alone() -> None:
    assert match_keys(bib("1", title="Gedichte", author="", isbn="")) == frozenset()
    keys = match_keys(bib("2", title="Frontmatter", author="Schulz, Anna", isbn=""))
    assert keys == {"tay:frontmatter|schulz|2005"}  # author and year, never the title alone


def test_a_record_with_no_title_key_evidence_gets_no_title_key() -> None:
    untitled = bib("1", title="[Ohne Titel]", isbn="")
    assert title_key(untitled) == ""
    assert match_keys(untitled) == frozenset()
    assert not any(k.startswith("tay:") for k in match_keys(bib("2", author="", isbn="")))
    assert compare(untitled, bib("3", title="[Ohne Titel]", isbn="")).rule == "title"


def test_volume_1_and_2_of_a_series_stay_apart() -> None:
    def volume(local_id: str, number: str) -> BibRecord:
        series = df("490", "1 ", "a", "Die drei ???", "v", number)
        return bib(local_id, series, title="Die drei ??? und der Geist", isbn="")

    assert compare(volume("1", "Bd. 12"), volume("2", "12")).same
    decision = compare(volume("1", "12"), volume("2", "13"))
    assert not decision.same
    assert decision.rule == "series-volume"
    assert decision.reason == "series 'drei': volume 12 vs 13"


def test_volumes_of_a_multi_volume_work_stay_apart_even_under_the_set_isbn() -> None:
    def volume(local_id: str, number: str, name: str) -> BibRecord:
        title = df("245", "10", "a", "Geschichte des Ruhrgebiets.", "n", number, "p", name)
        return bib(local_id, title, replace=("245",))

    first = volume("1", "Band 1", "Von den Anfängen bis 1850")
    assert compare(first, volume("2", "Bd. 1", "Von den Anfaengen bis 1850")).same
    decision = compare(first, volume("3", "Band 2", "Das Zeitalter der Industrie"))
    assert not decision.same
    assert decision.rule == "volume"


def test_a_second_edition_of_a_later_year_stays_apart() -> None:
    second = bib("2", df("250", "  ", "a", "2. Auflage"), isbn="", year="2007")
    decision = compare(bib("1"), second)
    assert not decision.same
    assert decision.rule == "year"
    assert decision.reason == "years differ: 2005 vs 2007"


def test_a_revised_edition_of_the_same_year_stays_apart() -> None:
    first = bib("1", df("250", "  ", "a", "1. Aufl."), isbn="")
    revised = bib("2", df("250", "  ", "a", "2., überarb. Aufl."), isbn="")
    assert compare(bib("3", isbn=""), first).same  # no statement is the first edition
    decision = compare(first, revised)
    assert not decision.same
    assert decision.rule == "edition"


def test_a_paperback_edition_of_the_same_year_stays_apart() -> None:
    first = bib("1", df("250", "  ", "a", "1. Auflage"), isbn="")
    paperback = bib("2", df("250", "  ", "a", "Taschenbuchausg."), isbn="")
    decision = compare(first, paperback)
    assert not decision.same
    assert decision.reason == "editions differ: edition 1 vs edition 1 paperback"


def test_different_isbns_keep_apart_what_title_author_and_year_would_join() -> None:
    decision = compare(bib("1"), bib("2", isbn="978-3-499-24100-0"))
    assert not decision.same
    assert decision.rule == "isbn-conflict"


def test_very_different_page_counts_keep_apart_what_title_author_and_year_would_join() -> None:
    decision = compare(bib("1", pages(300), isbn=""), bib("2", pages(352), isbn=""))
    assert not decision.same
    assert decision.rule == "pages"
    assert compare(bib("1", pages(300), isbn=""), bib("2", pages(304), isbn="")).same


def test_one_surname_with_other_forenames_is_another_author() -> None:
    decision = compare(bib("1", isbn=""), bib("2", author="Kehlmann, Michael", isbn=""))
    assert not decision.same
    assert decision.rule == "author"


# --------------------------------------------------------------------------- a catalogue


def test_every_member_of_a_cluster_says_which_rule_joined_it() -> None:
    records = [bib("1"), bib("2", isbn=KEHLMANN_10), bib("3", isbn=""), ebook("4")]
    result = cluster(records)
    assert [c.members for c in result.clusters] == [(0, 1, 2), (3,)]
    joins = {j.record: (j.matched, j.decision.rule) for j in result.clusters[0].joins}
    assert joins == {1: (0, "isbn"), 2: (0, "title-author-year")}


def test_a_chain_never_joins_two_editions_that_conflict() -> None:
    # b matches a and c on title, author and year; a and c carry different ISBNs
    a, b, c = bib("1"), bib("2", isbn=""), bib("3", isbn="978-3-499-24100-0")
    assert compare(a, b).same and compare(b, c).same
    assert conflict(a, c) is not None
    result = cluster([a, b, c])
    assert [c.members for c in result.clusters] == [(0, 1), (2,)]
    assert len(result.guarded) == 1
    assert result.guarded[0].decision.rule == "isbn-conflict"


def test_a_shared_dnb_number_outweighs_the_print_isbn_on_an_ebook_record() -> None:
    dnb = df("035", "  ", "a", "(DE-101)1012548384")
    e_isbn = "978-3-499-24100-0"
    slip = bib("1", dnb, df("338", "  ", "a", "Online-Ressource", "b", "cr"))
    right = bib("2", dnb, df("338", "  ", "a", "Online-Ressource", "b", "cr"), isbn=e_isbn)
    assert compare(slip, ebook("3", isbn=e_isbn)).rule == "isbn-conflict"
    result = cluster([slip, right, ebook("3", isbn=e_isbn)])
    assert [c.members for c in result.clusters] == [(0, 1, 2)]
    assert {j.decision.rule for j in result.clusters[0].joins} == {"isbn", "identifier"}


def test_only_records_sharing_a_key_are_compared() -> None:
    titles = ["Tschick", "Momo", "Krabat", "Emil und die Detektive"]
    records = [bib(str(n), title=t, isbn="") for n, t in enumerate(titles)]
    result = cluster(records)
    assert result.comparisons == 0
    assert len(result.clusters) == 4


def test_a_key_shared_by_too_many_records_is_reported_and_still_clusters() -> None:
    records = [bib(str(n)) for n in range(5)]
    result = cluster(records, max_block=2)
    assert ("isbn:9783498035280", 5) in result.large_blocks
    assert [c.members for c in result.clusters] == [(0, 1, 2, 3, 4)]
    assert result.comparisons <= 5 * 2 * 2  # two neighbours per record and key
