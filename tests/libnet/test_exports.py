"""RIS, BibTeX and Dublin Core of a record: exact text for one book, then rules, then the corpus."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pymarc
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pymarc import Field, Indicators, Subfield

from libnet.errors import RecordError
from libnet.records.bib import BibRecord, normalise
from libnet.records.exports import DC_NS, OAI_DC_NS, bibtex, dublin_core, dublin_core_xml, ris
from libnet.records.formats import FORMATS

RIS_LINE = re.compile(r"^[A-Z][A-Z0-9]  - ")
DC_ELEMENTS = frozenset(  # the fifteen elements of simple Dublin Core
    (
        "title",
        "creator",
        "subject",
        "description",
        "publisher",
        "contributor",
        "date",
        "type",
        "format",
        "identifier",
        "source",
        "language",
        "relation",
        "coverage",
        "rights",
    )
)


def title_only(title: str = "Titel") -> BibRecord:
    """A record with nothing but a title (001 and 245 $a), as normalise() maps it."""
    record = pymarc.Record(leader="00000nam a2200000 c 4500")
    record.add_field(Field(tag="001", data="m1"))
    record.add_field(
        Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", title)])
    )
    return normalise(record, "marl")


FULL = replace(
    title_only("Über die Größe der Straße"),
    subtitle="Roman",
    authors=("Kehlmann, Daniel", "Müller, Jörg"),
    year=2005,
    publisher="Rowohlt",
    place="Reinbek bei Hamburg",
    edition="2. Aufl.",
    isbns=("9783498035280", "9783499241000"),
    language="ger",
    languages=("ger",),
    subjects=("Gauß, Carl Friedrich", "Vermessung / Geschichte 1800-1850"),
    series=(("Rowohlt-Taschenbücher", "24100"),),
    physical_description="302 S. ; 22 cm",
    pages=302,
    description="Zwei Forscher vermessen die Welt.\nDer zweite Absatz.",
)


def ris_lines(text: str) -> list[str]:
    """The lines of one RIS reference, after checking each ends in CRLF and nothing else breaks."""
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert text.splitlines() == lines  # no \n, \r, \u2028 ... inside a value
    return lines


def assert_ris_structure(text: str) -> None:
    lines = ris_lines(text)
    assert lines[0].startswith("TY  - ")
    assert lines[-1] == "ER  - "
    assert all(RIS_LINE.match(line) for line in lines), lines


def assert_braces_balance(text: str) -> None:
    depth = 0
    for ch in text:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, text
    assert depth == 0, text


def assert_oai_dc_structure(element: etree._Element) -> None:
    """What oai_dc.xsd demands: <oai_dc:dc> holding only DC elements, each plain text."""
    assert element.tag == f"{{{OAI_DC_NS}}}dc"
    for child in element:
        assert etree.QName(child).namespace == DC_NS
        assert etree.QName(child).localname in DC_ELEMENTS
        assert len(child) == 0 and child.text and not child.attrib


def dc_values(element: etree._Element) -> list[tuple[str, str]]:
    return [(etree.QName(child).localname, child.text) for child in element]


# --- RIS ---------------------------------------------------------------------------------


def test_ris_of_a_full_book_is_exactly_this() -> None:
    assert ris(FULL) == (
        "TY  - BOOK\r\n"
        "TI  - Über die Größe der Straße: Roman\r\n"
        "AU  - Kehlmann, Daniel\r\n"
        "AU  - Müller, Jörg\r\n"
        "PY  - 2005\r\n"
        "ET  - 2. Aufl.\r\n"
        "CY  - Reinbek bei Hamburg\r\n"
        "PB  - Rowohlt\r\n"
        "SP  - 302\r\n"
        "T3  - Rowohlt-Taschenbücher\r\n"
        "VL  - 24100\r\n"
        "SN  - 9783498035280\r\n"
        "SN  - 9783499241000\r\n"
        "KW  - Gauß, Carl Friedrich\r\n"
        "KW  - Vermessung / Geschichte 1800-1850\r\n"
        "LA  - ger\r\n"
        "AB  - Zwei Forscher vermessen die Welt. Der zweite Absatz.\r\n"
        "ER  - \r\n"
    )


def test_ris_of_a_title_only_record_has_type_title_and_end() -> None:
    assert ris(title_only()) == "TY  - BOOK\r\nTI  - Titel\r\nER  - \r\n"


@pytest.mark.parametrize("record", [FULL, title_only()], ids=["full", "title only"])
def test_every_ris_line_is_tag_two_spaces_dash_space_and_the_last_is_er(
    record: BibRecord,
) -> None:
    assert_ris_structure(ris(record))


# the RIS type of every format: SOUND is a recording, MUSIC a printed score
RIS_TYPE_OF = {
    "book": "BOOK",
    "ebook": "EBOOK",
    "audiobook": "SOUND",
    "music": "SOUND",
    "video": "VIDEO",
    "map": "MAP",
    "score": "MUSIC",
    "journal": "SER",
    "article": "JOUR",
    "software": "COMP",
    "game": "GEN",
    "kit": "GEN",
    "other": "GEN",
}


def test_every_format_has_a_ris_type() -> None:
    assert set(RIS_TYPE_OF) == set(FORMATS)


@pytest.mark.parametrize(("format_", "kind"), RIS_TYPE_OF.items())
def test_ris_type_follows_the_format(format_: str, kind: str) -> None:
    assert ris(replace(title_only(), format=format_)).startswith(f"TY  - {kind}\r\n")


def test_ris_page_count_is_given_for_books_only() -> None:
    assert "SP  - 302\r\n" not in ris(replace(FULL, format="audiobook"))


def test_ris_title_joins_part_and_subtitle_without_doubling_a_question_mark() -> None:
    # the volume's number goes to VL, its own title stays in the title
    record = replace(title_only("Wer bin ich?"), part_number="Teil 2", part_name="Der Weg")
    assert "TI  - Wer bin ich? Der Weg\r\n" in ris(record)
    assert "VL  - 2\r\n" in ris(record)
    assert "TI  - Titel: Untertitel\r\n" in ris(replace(title_only(), subtitle="Untertitel"))
    assert "TI  - Wer? Ich\r\n" in ris(replace(title_only("Wer?"), subtitle="Ich"))


# --- BibTeX ------------------------------------------------------------------------------


def test_bibtex_of_a_full_book_is_exactly_this() -> None:
    assert bibtex(FULL, "libnet-1234") == (
        "@book{libnet-1234,\n"
        "  author = {Kehlmann, Daniel and Müller, Jörg},\n"
        "  title = {{Über die Größe der Straße: Roman}},\n"
        "  edition = {2. Aufl.},\n"
        "  series = {Rowohlt-Taschenbücher},\n"
        "  number = {24100},\n"
        "  address = {Reinbek bei Hamburg},\n"
        "  publisher = {Rowohlt},\n"
        "  year = {2005},\n"
        "  isbn = {9783498035280},\n"
        "  language = {ger},\n"
        "  keywords = {{Gauß, Carl Friedrich}, Vermessung / Geschichte 1800-1850},\n"
        "  abstract = {Zwei Forscher vermessen die Welt. Der zweite Absatz.},\n"
        "}\n"
    )


def test_bibtex_of_a_title_only_record_has_the_title_only() -> None:
    assert bibtex(title_only(), "libnet-1") == "@book{libnet-1,\n  title = {{Titel}},\n}\n"


def test_bibtex_escapes_its_special_characters_in_the_title() -> None:
    record = title_only("50% & mehr: C# für $-Profis_2 {neu} ~x^2 a\\b")
    assert bibtex(record, "k").splitlines()[1] == (
        r"  title = {{50\% \& mehr: C\# für \$-Profis\_2"
        r" \textbraceleft{}neu\textbraceright{} \textasciitilde{}x\textasciicircum{}2"
        r" a\textbackslash{}b}},"
    )


def test_bibtex_lone_brace_in_a_title_leaves_the_braces_balanced() -> None:
    assert_braces_balance(bibtex(title_only("Klammer { auf"), "k"))


def test_bibtex_corporate_and_uninverted_names_are_taken_literally() -> None:
    record = replace(
        title_only(), authors=("Stadtbibliothek Marl", "Homer", "Simon and Garfunkel, Duo")
    )
    assert "  author = {{Stadtbibliothek Marl} and {Homer} and {Simon and Garfunkel, Duo}},\n" in (
        bibtex(record, "k")
    )


@pytest.mark.parametrize(
    ("key", "safe"),
    [
        ("libnet-1234", "libnet-1234"),
        ("marl-(DE-599)BSZ 12,3", "marl-DE-599-BSZ-12-3"),
        ("Müller{}%", "Muller"),
    ],
)
def test_bibtex_key_keeps_only_safe_characters(key: str, safe: str) -> None:
    assert bibtex(title_only(), key).startswith(f"@book{{{safe},\n")


def test_bibtex_key_without_a_letter_or_digit_is_refused() -> None:
    with pytest.raises(ValueError, match="BibTeX key"):
        bibtex(title_only(), "{ß}")


@pytest.mark.parametrize(
    ("format_", "entry"),
    [("book", "@book"), ("ebook", "@book"), ("article", "@article"), ("video", "@misc")],
)
def test_bibtex_entry_type_follows_the_format(format_: str, entry: str) -> None:
    assert bibtex(replace(title_only(), format=format_), "k").startswith(f"{entry}{{k,")


# --- Dublin Core -------------------------------------------------------------------------


def test_dublin_core_of_a_full_book_holds_the_crosswalk_elements() -> None:
    assert dc_values(dublin_core(FULL)) == [
        ("title", "Über die Größe der Straße : Roman"),
        ("creator", "Kehlmann, Daniel"),
        ("creator", "Müller, Jörg"),
        ("subject", "Gauß, Carl Friedrich"),
        ("subject", "Vermessung / Geschichte 1800-1850"),
        ("description", "Zwei Forscher vermessen die Welt."),
        ("description", "Der zweite Absatz."),
        ("publisher", "Reinbek bei Hamburg : Rowohlt"),
        ("date", "2005"),
        ("type", "Text"),
        ("format", "302 S. ; 22 cm"),
        ("identifier", "urn:isbn:9783498035280"),
        ("identifier", "urn:isbn:9783499241000"),
        ("language", "ger"),
        ("relation", "Rowohlt-Taschenbücher ; 24100"),
    ]


def test_dublin_core_of_a_title_only_record_has_title_and_type() -> None:
    assert dc_values(dublin_core(title_only())) == [("title", "Titel"), ("type", "Text")]


@pytest.mark.parametrize("record", [FULL, title_only()], ids=["full", "title only"])
def test_dublin_core_has_the_structure_oai_dc_xsd_demands(record: BibRecord) -> None:
    # ../shared/schemas has no oai_dc.xsd: it imports W3C's xml.xsd over the network and
    # cannot be loaded offline, so its rules are checked here (see its README)
    element = dublin_core(record)
    assert_oai_dc_structure(element)
    assert element.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        f"{OAI_DC_NS} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )


@pytest.mark.parametrize(
    ("format_", "dcmi_type"),
    [
        ("book", "Text"),
        ("score", "Text"),
        ("audiobook", "Sound"),
        ("music", "Sound"),
        ("video", "MovingImage"),
        ("map", "Image"),
        ("software", "Software"),
        ("game", "InteractiveResource"),
        ("kit", "Collection"),
        ("other", None),
    ],
)
def test_dublin_core_type_is_from_the_dcmi_type_vocabulary(
    format_: str, dcmi_type: str | None
) -> None:
    types = [
        v for k, v in dc_values(dublin_core(replace(title_only(), format=format_))) if k == "type"
    ]
    assert types == ([dcmi_type] if dcmi_type else [])


def test_dublin_core_xml_is_a_utf8_document_of_the_same_element() -> None:
    data = dublin_core_xml(FULL)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<oai_dc:dc ")
    assert "Größe".encode() in data
    parsed = etree.fromstring(data)
    assert dc_values(parsed) == dc_values(dublin_core(FULL))


# --- any text ----------------------------------------------------------------------------


@given(title=st.text(min_size=1), subtitle=st.text(), author=st.text(), subject=st.text())
def test_any_text_keeps_ris_lines_bibtex_braces_and_xml_intact(
    title: str, subtitle: str, author: str, subject: str
) -> None:
    record = replace(
        title_only(), title=title, subtitle=subtitle, authors=(author,), subjects=(subject,)
    )
    assert_ris_structure(ris(record))
    assert_braces_balance(bibtex(record, "k"))
    element = etree.fromstring(dublin_core_xml(record))
    assert_oai_dc_structure(element)


# --- the shared corpus -------------------------------------------------------------------


def corpus_records(corpus_dir: Path) -> list[pymarc.Record]:
    records = []
    for path in sorted((corpus_dir / "marc21").glob("*.dat")):
        with path.open("rb") as stream:
            reader = pymarc.MARCReader(stream, to_unicode=True, permissive=True)
            records += [record for record in reader if record is not None]
    for path in sorted((corpus_dir / "marcxml").glob("*.xml")):
        records += [r for r in pymarc.parse_xml_to_array(str(path)) if r is not None]
    return records


@pytest.mark.corpus
def test_every_mapped_corpus_record_exports_in_every_format(corpus_dir: Path) -> None:
    exported = 0
    for record in corpus_records(corpus_dir):
        try:
            bib_record = normalise(record, "marl")
        except RecordError:
            continue
        assert_ris_structure(ris(bib_record))
        assert_braces_balance(bibtex(bib_record, f"marl-{bib_record.local_id}-x"))
        assert_oai_dc_structure(etree.fromstring(dublin_core_xml(bib_record)))
        exported += 1
    assert exported >= 45
