"""Small MARC records for tests, built with pymarc."""

from __future__ import annotations

from pathlib import Path

import pymarc
from pymarc import Field, Indicators, Subfield


def book(
    local_id: str,
    title: str = "Die Vermessung der Welt",
    *,
    author: str = "Kehlmann, Daniel",
    isbn: str = "978-3-498-03528-0",
    year: str = "2005",
    items: tuple[tuple[str, str], ...] = (("Rom Keh", "0"),),
    leader: str = "00000cam a2200000 i 4500",
    volume: str = "",
    part: str = "",
    series: tuple[str, str] | None = None,
) -> pymarc.Record:
    """A printed book with Koha items (call number, not-for-loan code); a volume of a
    multi-volume work with `volume` (245 $n) and `part` (245 $p), in a series with
    `series` (490 $a, $v)."""
    record = pymarc.Record(leader=leader)
    if local_id:
        record.add_field(Field(tag="001", data=local_id))
    record.add_field(Field(tag="008", data=f"201120s{year}    gw            000 1 ger d"))
    if isbn:
        record.add_field(
            Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)])
        )
    record.add_field(
        Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)])
    )
    record.add_field(
        Field(
            tag="245",
            indicators=Indicators("1", "0"),
            subfields=[
                Subfield("a", title),
                *([Subfield("n", volume)] if volume else []),
                *([Subfield("p", part)] if part else []),
            ],
        )
    )
    record.add_field(
        Field(
            tag="264",
            indicators=Indicators(" ", "1"),
            subfields=[Subfield("a", "Reinbek"), Subfield("b", "Rowohlt"), Subfield("c", year)],
        )
    )
    if series:
        record.add_field(
            Field(
                tag="490",
                indicators=Indicators("1", " "),
                subfields=[Subfield("a", series[0]), Subfield("v", series[1])],
            )
        )
    for n, (call_number, not_for_loan) in enumerate(items):
        record.add_field(
            Field(
                tag="952",
                indicators=Indicators(" ", " "),
                subfields=[
                    Subfield("a", "marl"),
                    Subfield("o", call_number),
                    Subfield("p", f"{local_id}-{n}"),
                    Subfield("7", not_for_loan),
                    Subfield("1", "0"),
                ],
            )
        )
    return record


def with_924(record: pymarc.Record, isil: str, *ill_codes: str) -> pymarc.Record:
    """The record with one German union-catalogue holding (924) per ILL code ($d), numbered
    call numbers "Rom 1", "Rom 2" ... and no Koha items."""
    for field in record.get_fields("952"):
        record.remove_field(field)
    for n, code in enumerate(ill_codes, start=1):
        record.add_field(
            Field(
                tag="924",
                indicators=Indicators("0", " "),
                subfields=[
                    Subfield("a", f"{isil}-{n}"),
                    Subfield("b", isil),
                    Subfield("d", code),
                    Subfield("g", f"Rom {n}"),
                ],
            )
        )
    return record


def iso2709(*records: pymarc.Record) -> bytes:
    """Records as one ISO 2709 file, UTF-8 with leader/09 'a'."""
    out = b""
    for record in records:
        leader = str(record.leader)
        record.leader = pymarc.Leader(leader[:9] + "a" + leader[10:])
        out += record.as_marc()
    return out


def marcxml(*records: pymarc.Record) -> bytes:
    """Records as one MARCXML collection."""
    body = b"".join(pymarc.record_to_xml(r, namespace=False) for r in records)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<collection xmlns="http://www.loc.gov/MARC21/slim">' + body + b"</collection>\n"
    )


def raw_iso2709(leader: str, fields: list[tuple[str, bytes]]) -> bytes:
    """An ISO 2709 record from raw field bodies: for bytes pymarc would not write."""
    directory = b""
    data = b""
    for tag, body in fields:
        body += b"\x1e"
        directory += tag.encode() + b"%04d%05d" % (len(body), len(data))
        data += body
    base = 24 + len(directory) + 1
    length = base + len(data) + 1
    head = f"{length:05d}{leader[5:12]}{base:05d}{leader[17:]}".encode()
    return head + directory + b"\x1e" + data + b"\x1d"


def raw_book(local_id: str, title: bytes, leader: str = "00000cam  2200000 i 4500") -> bytes:
    """A small book record whose title bytes are written as given (any encoding)."""
    return raw_iso2709(
        leader,
        [
            ("001", local_id.encode()),
            ("008", b"201120s2005    gw            000 1 ger d"),
            ("245", b"10\x1fa" + title),
        ],
    )


def kehlmann_in_two_libraries(folder: Path) -> str:
    """A config.toml in folder with Marl (ISBN-10) and Herten (ISBN-13) holding one book."""
    (folder / "marl.mrc").write_bytes(iso2709(book("m1", isbn="3-498-03528-2")))
    (folder / "herten.mrc").write_bytes(iso2709(book("h1")))
    text = '[storage]\ndata_dir = "var"\n'
    for code in ("marl", "herten"):
        text += f'[[libraries]]\ncode = "{code}"\nname = "{code}"\n'
        text += f'[libraries.source]\ntype = "marc"\nurl = "{code}.mrc"\n'
    (folder / "config.toml").write_text(text)
    return str(folder / "config.toml")
