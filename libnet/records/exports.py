"""A record for reference managers (RIS, BibTeX) and as Dublin Core (OAI-PMH oai_dc, SRU dc).

Every export reads the normalised BibRecord only; the raw record goes out as MARCXML or MARC 21
through libnet.records.marc (to_marcxml, to_iso2709). Empty fields are left out, values become
one line (a newline in a title must not end a RIS line), and the same record always gives the
same text.
"""

from __future__ import annotations

import re
from unicodedata import normalize

from lxml import etree

from libnet.records.bib import BibRecord
from libnet.records.volumes import volume_number

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC_NS = "http://purl.org/dc/elements/1.1/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_XSD = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

# RIS reference types: SOUND is a sound recording, MUSIC a printed score, SER a serial
# publication; GEN (generic) for what RIS has no type for
RIS_TYPES = {
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
}
BIBTEX_TYPES = {"book": "book", "ebook": "book", "article": "article"}  # others @misc
# DCMI Type Vocabulary; "other" gets no dc:type. "game" is a board game (leader/06 r) or a
# video game (m): InteractiveResource fits both.
DCMI_TYPES = {
    "book": "Text",
    "ebook": "Text",
    "article": "Text",
    "journal": "Text",
    "score": "Text",
    "audiobook": "Sound",
    "music": "Sound",
    "video": "MovingImage",
    "map": "Image",
    "software": "Software",
    "game": "InteractiveResource",
    "kit": "Collection",
}

# line and paragraph separators, control characters and what XML 1.0 cannot carry
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_LATEX = {
    "\\": r"\textbackslash{}",
    # BibTeX counts every brace, escaped or not: "\{" alone would leave the entry open
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LATEX_SPECIAL = re.compile(r"[\\{}%&$#_~^]")
_AND = re.compile(r"(?:^|\s)and(?:\s|$)", re.IGNORECASE)
_KEY_UNSAFE = re.compile(r"[^A-Za-z0-9_.:]+")  # a run, "-" included, becomes one "-"
_SENTENCE_END = (".", "?", "!")


def ris(record: BibRecord) -> str:
    """The record as one RIS reference: CRLF lines "TAG  - value", TY first, ER last."""
    kind = RIS_TYPES.get(record.format, "GEN")
    # Zotero has no subtitle field and reads a book's T2 as its series: the subtitle joins TI
    tags = [("TY", kind), ("TI", _citation_title(record))]
    tags += [("AU", author) for author in record.authors]  # "Surname, Forename" as catalogued
    tags += [
        ("PY", str(record.year or "")),
        ("ET", record.edition),
        ("CY", record.place),
        ("PB", record.publisher),
    ]
    if kind in ("BOOK", "EBOOK") and record.pages:
        tags.append(("SP", str(record.pages)))  # a book's SP is its number of pages
    # Zotero reads T3 as the series of a book and of a sound recording (T2 of a book only).
    # RIS has one volume per reference, VL: the volume of a multi-volume work where the record
    # is one ("Der Mann ohne Eigenschaften", VL 2: the work and its volume are what a citation
    # names), else the number of the first series, as a series is cited ("Rowohlt-
    # Taschenbücher", VL 24100).
    tags += [("T3", title) for title, _ in record.series]
    if record.volume:
        tags.append(("VL", volume_number(record.volume)))
    elif record.series:
        tags.append(("VL", record.series[0][1]))
    tags += [("SN", number) for number in record.isbns + record.issns]
    tags += [("KW", subject) for subject in record.subjects]
    tags += [("LA", record.language), ("AB", record.description)]
    lines = [f"{tag}  - {text}\r\n" for tag, value in tags if (text := _line(value))]
    return "".join(lines) + "ER  - \r\n"


def bibtex(record: BibRecord, key: str) -> str:
    """The record as one BibTeX entry in UTF-8 under key, made safe (ValueError if none is left)."""
    series_title, series_number = record.series[0] if record.series else ("", "")
    fields = [
        ("author", " and ".join(_bibtex_name(a) for a in record.authors if _line(a))),
        # German capitalisation must survive styles that lowercase titles: brace all of it
        ("title", _braced(_latex(_citation_title(record)))),
        ("edition", _latex(record.edition)),
        ("series", _latex(series_title)),
        # BibTeX's and biblatex's "number" is the number in a series; "volume" is a volume of
        # a multi-volume work (the title then names the volume's own title, not its number)
        ("volume", _latex(volume_number(record.volume))),
        ("number", _latex(series_number)),
        ("address", _latex(record.place)),
        ("publisher", _latex(record.publisher)),
        ("year", str(record.year or "")),
        # BibTeX has one ISBN and one ISSN field: the first catalogued
        ("isbn", record.isbns[0] if record.isbns else ""),
        ("issn", record.issns[0] if record.issns else ""),
        ("language", _latex(record.language)),
        ("keywords", ", ".join(_keyword(s) for s in record.subjects if _line(s))),
        ("abstract", _latex(record.description)),
    ]
    body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields if value)
    return f"@{BIBTEX_TYPES.get(record.format, 'misc')}{{{_bibtex_key(key)},\n{body}}}\n"


def dublin_core(record: BibRecord) -> etree._Element:
    """The record as <oai_dc:dc>, mapped as in the Library of Congress MARC to DC crosswalk."""
    root = etree.Element(
        f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
    )
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_XSD}")
    for name, value in _dc_elements(record):
        text = _line(value)
        if text:
            etree.SubElement(root, f"{{{DC_NS}}}{name}").text = text
    return root


def dublin_core_xml(record: BibRecord) -> bytes:
    """dublin_core() as an XML document, UTF-8."""
    return etree.tostring(
        dublin_core(record), encoding="UTF-8", xml_declaration=True, pretty_print=True
    )


def _dc_elements(record: BibRecord) -> list[tuple[str, str]]:
    """(element, value) pairs in the order of the fifteen DC elements."""
    title, subtitle = _title_and_subtitle(record)
    publisher = record.publisher
    if publisher and record.place:  # the crosswalk's 260 $a $b
        publisher = f"{record.place} : {publisher}"
    elements = [("title", f"{title} : {subtitle}" if subtitle else title)]
    elements += [("creator", author) for author in record.authors]  # 1XX and 7XX alike
    elements += [("subject", subject) for subject in record.subjects]
    elements += [("description", text) for text in record.description.split("\n")]  # per 520
    elements += [
        ("publisher", publisher),
        ("date", str(record.year or "")),
        ("type", DCMI_TYPES.get(record.format, "")),
        ("format", record.physical_description),
    ]
    elements += [("identifier", f"urn:isbn:{number}") for number in record.isbns]
    elements += [("identifier", f"urn:issn:{number}") for number in record.issns]
    elements += [("language", code) for code in record.languages or (record.language,)]
    elements += [
        ("relation", f"{series} ; {volume}" if volume else series)
        for series, volume in record.series
    ]
    return elements


def _title_and_subtitle(record: BibRecord, numbered: bool = True) -> tuple[str, str]:
    """The title with its part ("Titel. Band 2, Teilname") and the subtitle, each one line;
    not `numbered`: without the volume's number, which a citation gives as its volume."""
    title = _line(record.title)
    number = _line(record.part_number) if numbered or not record.volume else ""
    part = ", ".join(filter(None, (number, _line(record.part_name))))
    if part:
        title += (" " if title.endswith(_SENTENCE_END) else ". ") + part
    return title, _line(record.subtitle)


def _citation_title(record: BibRecord) -> str:
    """ "Title: Subtitle", as reference managers and citation styles write it; a volume's
    number goes to the volume (RIS VL, BibTeX volume), its own title stays in the title."""
    title, subtitle = _title_and_subtitle(record, numbered=False)
    if not subtitle:
        return title
    return f"{title} {subtitle}" if title.endswith(_SENTENCE_END) else f"{title}: {subtitle}"


def _line(value: str) -> str:
    """value as one line: separators and control characters become spaces, runs collapse."""
    return " ".join(_UNSAFE.sub(" ", value).split())


def _latex(value: str) -> str:
    return _LATEX_SPECIAL.sub(lambda m: _LATEX[m.group()], _line(value))


def _braced(value: str) -> str:
    return f"{{{value}}}" if value else ""


def _bibtex_name(name: str) -> str:
    """A catalogued name; braced (taken literally) unless it is "Surname, Forename".

    Corporate bodies ("Stadtbibliothek Marl") and names with an "and" or several commas would
    otherwise be split or misparsed by BibTeX.
    """
    text = _latex(name)
    if text.count(",") == 1 and not _AND.search(text):
        return text
    return _braced(text)


def _keyword(subject: str) -> str:
    """A subject for the comma-separated keywords; braced when it holds a comma itself."""
    text = _latex(subject)
    return _braced(text) if "," in text else text


def _bibtex_key(key: str) -> str:
    """key in letters, digits and _ . : - only; accents are dropped ("Müller" -> "Muller")."""
    ascii_key = normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    safe = _KEY_UNSAFE.sub("-", ascii_key).strip("-")
    if not any(ch.isalnum() for ch in safe):
        raise ValueError(f"BibTeX key {key!r} has no letter or digit to keep")
    return safe
