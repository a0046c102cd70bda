"""The MARC 21 mapping: small records built with pymarc for each rule, then the real corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pymarc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymarc import Field, Indicators, Subfield
from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError

from libnet.errors import RecordError
from libnet.records.bib import (
    GARBLED_REASON,
    NO_TITLE_REASON,
    UNIMARC_REASON,
    BibRecord,
    normalise,
)
from libnet.records.formats import FORMATS
from libnet.records.holdings import DE_924, KOHA, Item, items_from_record
from libnet.records.identifiers import record_id

BOOK = "00000nam a2200000 c 4500"
Corpus = list[tuple[str, pymarc.Record]]  # (file name, record)
BASE_008 = "261101s2019    gw " + " " * 17 + "ger d"


def f008(**at: str) -> Field:
    """An 008 with characters replaced at positions: f008(p22="j", p23="o")."""
    data = list(BASE_008)
    for key, value in at.items():
        position = int(key[1:])
        data[position : position + len(value)] = value
    return Field(tag="008", data="".join(data))


def df(tag: str, indicators: str, *pairs: str) -> Field:
    """A data field: df("245", "10", "a", "Titel :", "b", "Untertitel")."""
    subfields = [Subfield(pairs[i], pairs[i + 1]) for i in range(0, len(pairs), 2)]
    return Field(tag=tag, indicators=Indicators(*indicators), subfields=subfields)


def marc(*fields: Field, leader: str = BOOK, title: str | None = "Titel") -> pymarc.Record:
    """A record with 001 and, unless title is None, a 245 $a; then the given fields."""
    record = pymarc.Record(leader=leader)
    record.add_field(Field(tag="001", data="id-1"))
    if title is not None:
        record.add_field(df("245", "10", "a", title))
    record.add_field(*fields)
    return record


def bib(*fields: Field, **kwargs) -> BibRecord:
    return normalise(marc(*fields, **kwargs), "marl")


# --- identifiers -------------------------------------------------------------------------


def test_isbn_is_pulled_out_of_its_qualifiers_and_stored_as_isbn13() -> None:
    record = bib(
        df("020", "  ", "a", "3-446-23391-1 (geb.)"),
        df("020", "  ", "a", "978-3-498-03528-0 : EUR 19.90"),
        df("020", "  ", "a", "ISBN 0-596-00085-5"),
    )
    assert record.isbns == ("9783446233911", "9783498035280", "9780596000851")


def test_isbn_with_a_wrong_check_digit_is_dropped_not_repaired() -> None:
    # converting first would compute a fresh check digit: 9783446233911, valid-looking
    record = bib(df("020", "  ", "a", "3-446-23391-2"), df("020", "  ", "a", "9783446233912"))
    assert record.isbns == ()


def test_cancelled_isbn_in_020z_is_left_out() -> None:
    record = bib(df("020", "  ", "z", "3-446-23391-1", "a", "978-3-498-03528-0"))
    assert record.isbns == ("9783498035280",)


def test_isbn10_and_its_isbn13_are_one_isbn() -> None:
    record = bib(df("020", "  ", "a", "3446233911"), df("020", "  ", "a", "978-3-446-23391-1"))
    assert record.isbns == ("9783446233911",)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.sampled_from("0123456789X"))
def test_isbn10_check_agrees_with_stdnum(body: str, check: str) -> None:
    number = body + check
    try:
        expected = (stdnum_isbn.to_isbn13(stdnum_isbn.validate(number)),)
    except ValidationError:
        expected = ()
    assert bib(df("020", "  ", "a", number)).isbns == expected


@given(
    st.sampled_from(["978", "979", "977"]), st.text(alphabet="0123456789", min_size=10, max_size=10)
)
def test_isbn13_check_agrees_with_stdnum(prefix: str, rest: str) -> None:
    number = prefix + rest
    try:
        expected = (stdnum_isbn.validate(number),)
    except ValidationError:
        expected = ()
    assert bib(df("020", "  ", "a", number)).isbns == expected


def test_issn_is_validated_and_hyphenated() -> None:
    record = bib(df("022", "  ", "a", "03785955"), df("022", "  ", "a", "0378-5956"))
    assert record.issns == ("0378-5955",)


def test_other_identifiers_come_from_024_028_and_035() -> None:
    record = bib(
        df("024", "3 ", "a", "4006381333931"),
        df("028", "00", "a", "1259", "b", "Atlantic"),
        df("035", "  ", "a", "(DE-599)DNB1234567"),
    )
    assert record.other_ids == ("4006381333931", "1259", "(DE-599)DNB1234567")


def test_record_id_reads_a_control_field_or_a_subfield() -> None:
    record = marc(df("035", "  ", "a", " (DE-599)DNB1234567 "), df("035", "  ", "a", "(OCoLC)1"))
    assert record_id(record) == "id-1"
    assert record_id(record, "035$a") == "(DE-599)DNB1234567"
    assert record_id(record, "036$a") is None
    assert record_id(marc(Field(tag="003", data="  ")), "003") is None


# --- title, names, imprint ---------------------------------------------------------------


def test_title_loses_isbd_punctuation_and_keeps_its_case() -> None:
    title = df(
        "245",
        "14",
        *("a", "The pragmatic programmer :", "b", "from journeyman to master /"),
        *("c", "Andrew Hunt, David Thomas."),
    )
    record = normalise(marc(title, title=None), "marl")
    assert record.title == "The pragmatic programmer"
    assert record.subtitle == "from journeyman to master"
    assert record.responsibility == "Andrew Hunt, David Thomas"


def test_non_sorting_markers_and_supplied_title_brackets_go() -> None:
    assert bib(title="\x98Die \x9cZauberflöte").title == "Die Zauberflöte"
    assert bib(title="<<Der>> Prozess /").title == "Der Prozess"
    assert bib(title="[Ohne Titel].").title == "Ohne Titel"
    assert bib(title="Und dann ...").title == "Und dann ..."


def test_title_parts_and_form_title() -> None:
    title = df("245", "00", "a", "Harry Potter.", "n", "1,", "p", "Der Stein der Weisen /")
    record = bib(title, title=None)
    assert (record.title, record.part_number, record.part_name) == (
        "Harry Potter",
        "1",
        "Der Stein der Weisen",
    )
    assert bib(df("245", "00", "k", "Briefe,", "f", "1900-1910"), title=None).title == "Briefe"


def test_decomposed_umlauts_are_composed() -> None:
    assert bib(title="Mu\u0308nchen").title == "M\u00fcnchen"


def test_authors_main_entry_first_then_added_entries_without_dates() -> None:
    record = bib(
        df("700", "1 ", "a", "Mullin, Virginia L.", "e", "ill."),
        df("100", "1 ", "a", "Hunt, Andrew,", "d", "1964-", "4", "aut"),
        df("710", "2 ", "a", "United States.", "b", "Office of the First Lady."),
        df("700", "1 ", "a", "Hunt, Andrew,", "d", "1964-"),
    )
    assert record.authors == (
        "Hunt, Andrew",
        "Mullin, Virginia L.",
        "United States. Office of the First Lady",
    )


def test_264_publication_statement_wins_over_260() -> None:
    record = bib(
        df("260", "  ", "a", "Reinbek :", "b", "Rowohlt,", "c", "2005."),
        df("264", " 4", "c", "© 2010"),
        df("264", " 1", "a", "[München] :", "b", "Hanser,", "c", "[2019]"),
    )
    assert (record.place, record.publisher, record.year) == ("München", "Hanser", 2019)


def test_260_is_read_when_there_is_no_264() -> None:
    record = bib(df("260", "  ", "a", "New York, N.Y. :", "b", "[s.n.],", "c", "c1957."))
    assert (record.place, record.publisher, record.year) == ("New York, N.Y.", "", 1957)


@pytest.mark.parametrize(
    ("date", "year"),
    [
        ("c2019", 2019),
        ("[2019]", 2019),
        ("2019?", 2019),
        ("[1968, c1962]", 1968),
        ("2345 [2013?]", 2013),
        ("[19--]", 2019),  # no four digits: 008/07-10 answers
    ],
)
def test_year_is_the_first_four_digit_year(date: str, year: int) -> None:
    assert bib(f008(), df("264", " 1", "c", date)).year == year


def test_year_falls_back_to_008_and_unknown_is_none() -> None:
    assert bib(f008(p07="1999")).year == 1999
    assert bib(f008(p07="19uu")).year is None
    assert bib(f008(p07="9999")).year is None


def test_a_year_in_superscript_digits_is_no_year() -> None:
    """str.isdigit() says yes to "²⁰¹⁹", and int() raised ValueError out of normalise()."""
    assert bib(f008(p07="²⁰¹⁹")).year is None
    assert bib(f008(p07="1999"), df("264", " 1", "c", "©²⁰¹⁹")).year == 1999


def test_edition_keeps_the_period_of_its_abbreviation() -> None:
    assert bib(df("250", "  ", "a", "2. Aufl.")).edition == "2. Aufl."


@pytest.mark.parametrize(
    ("extent", "pages"),
    [
        ("312 S.", 312),
        ("312 Seiten", 312),
        ("XII, 312 p.", 312),
        ("[4], 312 S. :", 312),
        ("1 Online-Ressource (XVI, 312 Seiten)", 312),
        ("1 DVD-Video (95 Min.)", None),
        ("p. cm.", None),
    ],
)
def test_page_count_is_read_from_the_extent(extent: str, pages: int | None) -> None:
    record = bib(df("300", "  ", "a", extent, "c", "24 cm"))
    assert record.pages == pages
    assert record.physical_description == f"{extent} 24 cm"


def test_language_from_008_then_041() -> None:
    record = bib(f008(p35="ger"), df("041", "1 ", "a", "ger", "a", "engfre", "h", "ita"))
    assert (record.language, record.languages) == ("ger", ("ger", "eng", "fre"))
    assert bib(f008(p35="|||"), df("041", "0 ", "a", "eng")).language == "eng"
    assert bib(f008(p35="   ")).language == ""


# --- subjects, series, audience ----------------------------------------------------------


def test_subjects_join_their_subdivisions_and_rswk_chains() -> None:
    record = bib(
        df("650", " 0", "a", "Chemistry", "x", "Experiments", "v", "Juvenile literature."),
        df("600", "14", "a", "Goethe, Johann Wolfgang von,", "d", "1749-1832", "2", "gnd"),
        df("689", "00", "D", "g", "a", "Recklinghausen", "0", "(DE-588)4049025-1"),
        df("689", "01", "D", "s", "a", "Geschichte"),
        df("689", "0 ", "5", "DE-101"),
        df("689", "10", "a", "Bergbau"),
        df("650", " 0", "a", "Chemistry", "x", "Experiments", "v", "Juvenile literature."),
    )
    assert record.subjects == (
        "Chemistry / Experiments / Juvenile literature",
        "Goethe, Johann Wolfgang von, 1749-1832",
        "Recklinghausen / Geschichte",
        "Bergbau",
    )


def test_series_with_volume_unique_by_title() -> None:
    record = bib(
        df("490", "1 ", "a", "Die drei ??? ;", "v", "12"),
        df("490", "0 ", "a", "Her Waste ; pt. 1"),
        df("830", " 0", "a", "Die drei ???", "v", "12"),
        df("800", "1 ", "a", "Tolkien, J. R. R.", "t", "Der Herr der Ringe", "v", "2"),
    )
    assert record.series == (
        ("Die drei ???", "12"),
        ("Her Waste", "pt. 1"),
        ("Der Herr der Ringe", "2"),
    )


@pytest.mark.parametrize(
    "fields",
    [
        [f008(p22="j")],
        [f008(p22="b")],
        [df("521", "  ", "a", "Ab 8 Jahren")],
        [df("385", "  ", "a", "Kinder")],
        [df("655", " 7", "a", "Kinderbuch", "2", "gnd-content")],
    ],
    ids=["008 juvenile", "008 primary", "521 age", "385 term", "655 genre"],
)
def test_childrens_books_are_recognised(fields: list[Field]) -> None:
    assert bib(*fields).audience == "children"


@pytest.mark.parametrize(
    ("fields", "leader"),
    [
        ([f008(p22="e")], BOOK),
        ([df("521", "  ", "a", "FSK ab 6 freigegeben")], BOOK),
        ([df("650", " 7", "a", "Kinderbuch")], BOOK),  # a book about children's books
        ([f008(p22="j")], "00000nas a2200000 c 4500"),  # serials: 008/22 is form of original
    ],
    ids=["adult", "film rating", "topic", "serial"],
)
def test_adult_and_unknown_audiences_stay_empty(fields: list[Field], leader: str) -> None:
    assert bib(*fields, leader=leader).audience == ""


# --- format ------------------------------------------------------------------------------

DVD = [
    Field(tag="007", data="vd cvaizq"),
    df("336", "  ", "a", "zweidimensionales bewegtes Bild", "b", "tdi", "2", "rdacontent"),
    df("338", "  ", "a", "Videodisk", "b", "vd", "2", "rdacarrier"),
]


@pytest.mark.parametrize(
    ("leader", "fields", "expected"),
    [
        (BOOK, [f008(), df("338", "  ", "a", "Band", "b", "nc")], "book"),
        ("00000cam a2200000 c 4500", [], "book"),
        (BOOK, [f008(p23="o")], "ebook"),
        (BOOK, [Field(tag="007", data="cr |||||||||||"), f008()], "ebook"),
        (BOOK, [df("338", "  ", "a", "Online-Ressource")], "ebook"),
        (BOOK, [df("337", "  ", "a", "Computermedien")], "ebook"),
        (
            BOOK,
            [df("337", "  ", "b", "n"), df("338", "  ", "b", "nc"), df("338", "  ", "b", "cd")],
            "book",
        ),
        ("00000nim a2200000 c 4500", [Field(tag="007", data="sd fsngnnmmned")], "audiobook"),
        (
            BOOK,
            [df("336", "  ", "a", "gesprochenes Wort"), df("338", "  ", "b", "sd")],
            "audiobook",
        ),
        ("00000njm a2200000 c 4500", [Field(tag="007", data="sd fsngnnmmned")], "music"),
        ("00000ngm a2200000 c 4500", DVD, "video"),
        ("00000ngm a2200000 c 4500", [Field(tag="007", data="vd cvaizq")], "video"),
        ("00000ngm a2200000 c 4500", [df("338", "  ", "b", "gs")], "other"),  # slides
        ("00000nas a2200000 c 4500", [f008(p23="o")], "journal"),
        ("00000naa a2200000 c 4500", [], "article"),
        ("00000nem a2200000 c 4500", [], "map"),
        ("00000ncm a2200000 c 4500", [], "score"),
        ("00000nrm a2200000 c 4500", [], "game"),
        ("00000nmm a2200000 c 4500", [f008(p26="g")], "game"),
        ("00000nmm a2200000 c 4500", [f008(p26="b")], "software"),
        ("00000nom a2200000 c 4500", [], "kit"),
        ("00000nkm a2200000 c 4500", [], "other"),
    ],
)
def test_format_from_leader_007_008_and_rda_types(
    leader: str, fields: list[Field], expected: str
) -> None:
    assert expected in FORMATS
    assert bib(*fields, leader=leader).format == expected


# --- holdings ----------------------------------------------------------------------------


def koha_item(*pairs: str) -> Field:
    return df("952", "  ", "a", "MARL", "o", "Rom Keh", "p", "31000123", "y", "BK", *pairs)


@pytest.mark.parametrize(
    ("pairs", "status", "lendable"),
    [
        (("7", "0", "1", "0"), "available", True),
        ((), "available", True),
        (("q", "2026-12-01"), "on_loan", True),
        (("1", "1"), "lost", False),
        (("1", "1", "q", "2026-12-01"), "lost", False),
        (("7", "1"), "not_for_loan", False),
        (("7", "-1"), "not_for_loan", False),  # Koha: ordered
    ],
)
def test_koha_items_carry_their_circulation_status(
    pairs: tuple[str, ...], status: str, lendable: bool
) -> None:
    (item,) = normalise(marc(koha_item(*pairs)), "marl").items
    assert (item.status, item.lendable) == (status, lendable)
    assert (item.library, item.branch, item.call_number, item.barcode, item.item_type) == (
        "marl",
        "MARL",
        "Rom Keh",
        "31000123",
        "BK",
    )
    assert item.due_date == ("2026-12-01" if "q" in pairs else "")


@pytest.mark.parametrize(
    ("code", "lendable"),
    [
        ("a", True),  # loan only, no copies
        ("b", False),  # paper copies only: no loan goes out
        ("c", True),  # loan and copies
        ("d", False),  # no interlibrary loan
        ("e", False),  # electronic copies only
        ("", True),  # no code: nothing says the volume stays home
    ],
)
def test_924_items_lend_by_their_ill_code(code: str, lendable: bool) -> None:
    record = marc(df("924", "0 ", "a", "123", "b", "DE-Re1", "d", code, "g", "Rom Keh"))
    (item,) = items_from_record(record, "reck", DE_924)
    # 924 has no circulation data, and "d" says nothing about borrowing at home
    assert item == Item("reck", "DE-Re1", "Rom Keh", "", "", "unknown", "", code)
    assert item.lendable is lendable
    assert normalise(record, "reck", DE_924).items == (item,)


def test_an_ill_code_is_read_in_either_case_and_the_first_of_two_wins() -> None:
    record = marc(df("924", "0 ", "b", "DE-Re1", "d", " D ", "d", "a"))
    (item,) = items_from_record(record, "reck", DE_924)
    assert (item.ill_code, item.lendable) == ("d", False)


def test_items_of_another_profile_are_not_read() -> None:
    record = marc(koha_item(), df("924", "0 ", "b", "DE-Re1", "d", "a"))
    assert [i.branch for i in normalise(record, "marl", KOHA).items] == ["MARL"]


# --- rejections --------------------------------------------------------------------------


def test_unimarc_record_is_rejected() -> None:
    record = marc(
        df("100", "  ", "a", "19961119d1996    ||||0itac50      ba"),
        df("200", "1 ", "a", "L'altra faccia della spirale", "f", "Isaac Asimov"),
        leader="02498nam0 22007213i 4500",
        title=None,
    )
    with pytest.raises(RecordError, match=r"^UNIMARC record \(field 200, no 245\): not MARC 21$"):
        normalise(record, "marl")


@pytest.mark.parametrize(
    ("fields", "leader", "reason"),
    [
        (
            [df("100", "  ", "a", "19961119d1996    ||||0itac50      ba")],
            "02498nam  22007213i 4500",
            "UNIMARC record (field 100 coded data, no 245): not MARC 21",
        ),
        ([], "02498nam0 22007213i 4500", "UNIMARC record (leader/08 '0', no 245): not MARC 21"),
    ],
    ids=["field 100", "leader/08"],
)
def test_unimarc_without_field_200_is_recognised_too(
    fields: list[Field], leader: str, reason: str
) -> None:
    with pytest.raises(RecordError) as caught:
        bib(*fields, leader=leader, title=None)
    assert str(caught.value) == reason


@pytest.mark.parametrize("kind", ["z", "y", "x", "w", "q", "u", "v"])
def test_authority_holdings_and_classification_records_are_rejected(kind: str) -> None:
    with pytest.raises(RecordError) as caught:
        bib(leader=f"00000n{kind}  a2200000 n 4500")
    assert str(caught.value) == f"not a bibliographic record (leader/06 '{kind}')"


def test_record_without_title_is_rejected() -> None:
    with pytest.raises(RecordError, match=r"^no title \(245\)$") as caught:
        bib(df("100", "1 ", "a", "Kehlmann, Daniel"), title=None)
    assert str(caught.value) == NO_TITLE_REASON


def test_record_without_245_but_with_a_varying_title_is_kept() -> None:
    assert bib(df("246", "3 ", "a", "Suuret draamat"), title=None).title == "Suuret draamat"


def test_title_without_any_letter_is_rejected_as_wrongly_decoded() -> None:
    with pytest.raises(RecordError, match="wrong character set") as caught:
        bib(title="\u0328\u030b\u0301 \u0327\u0308!")
    assert str(caught.value) == GARBLED_REASON


# --- the stored form ---------------------------------------------------------------------


def test_to_dict_and_from_dict_round_trip_through_json() -> None:
    record = bib(
        f008(p22="j"),
        df("020", "  ", "a", "3-446-23391-1"),
        df("100", "1 ", "a", "Kehlmann, Daniel"),
        df("490", "1 ", "a", "Reihe", "v", "3"),
        df("650", " 0", "a", "Hase"),
        koha_item("q", "2026-12-01"),
    )
    data = json.loads(json.dumps(record.to_dict()))
    assert data["isbns"] == ["9783446233911"]
    assert data["series"] == [["Reihe", "3"]]
    assert data["items"][0]["status"] == "on_loan"
    assert BibRecord.from_dict(data) == record


# --- the shared corpus -------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_records(corpus_dir: Path) -> Corpus:
    """Every record of the corpus's MARC 21 and MARCXML files, with its file name."""
    found = []
    for path in sorted((corpus_dir / "marc21").glob("*.dat")):
        # this one file is UTF-8 but says nothing in leader/09
        force_utf8 = path.name == "pymarc-utf8_without_leader_flag.dat"
        with path.open("rb") as stream:
            reader = pymarc.MARCReader(
                stream, to_unicode=True, permissive=True, force_utf8=force_utf8
            )
            found += [(path.name, record) for record in reader if record is not None]
    for path in sorted((corpus_dir / "marcxml").glob("*.xml")):
        records = pymarc.parse_xml_to_array(str(path))
        found += [(path.name, record) for record in records if record is not None]
    return found


@pytest.mark.corpus
def test_every_corpus_record_maps_with_a_title_or_is_rejected(corpus_records: Corpus) -> None:
    assert len(corpus_records) > 50
    mapped = 0
    for name, record in corpus_records:
        try:
            bib_record = normalise(record, "marl")
        except RecordError as exc:
            assert str(exc), name
            continue
        mapped += 1
        assert bib_record.title, name
        assert bib_record.format in FORMATS, name
        assert BibRecord.from_dict(json.loads(json.dumps(bib_record.to_dict()))) == bib_record
    assert mapped >= 45


@pytest.mark.corpus
def test_corpus_unimarc_record_is_rejected_as_unimarc(corpus_records: Corpus) -> None:
    (record,) = [r for name, r in corpus_records if name == "pymarc-testunimarc.dat"]
    with pytest.raises(RecordError) as caught:
        normalise(record, "marl")
    assert str(caught.value) == UNIMARC_REASON


@pytest.mark.corpus
def test_corpus_record_with_several_isbns_yields_them_all(corpus_records: Corpus) -> None:
    (record,) = [r for name, r in corpus_records if name == "pymarc-multi_isbn.dat"]
    assert normalise(record, "marl").isbns == ("9780914378280", "9780914378297", "9780914378266")


@pytest.mark.corpus
def test_corpus_cp1251_records_are_rejected_not_indexed_as_garbage(corpus_records: Corpus) -> None:
    records = [r for name, r in corpus_records if name == "pymarc-1251.dat"]
    assert len(records) == 6
    for record in records:
        with pytest.raises(RecordError, match="wrong character set"):
            normalise(record, "marl")
