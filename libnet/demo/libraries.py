"""The eleven demo libraries: the shape of each one's export, and how each catalogues."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from libnet.config import LibraryConfig, SourceConfig
from libnet.demo.words import parse_table
from libnet.records.holdings import PROFILES


@dataclass(frozen=True, slots=True)
class DemoLibrary:
    """One demo library and the shape of its export."""

    code: str
    name: str
    syntax: str  # "iso2709" | "marcxml"
    encoding: str  # "utf-8" | "marc-8" (marc-8 only with iso2709)
    holdings: str  # "koha" (items in 952) | "924" (German union-catalogue holdings)
    isil: str


DEMO_LIBRARIES: tuple[DemoLibrary, ...] = tuple(
    DemoLibrary(*row)
    for row in parse_table("""
castrop-rauxel   | Stadtbibliothek Castrop-Rauxel   | iso2709 | utf-8  | koha | DE-Demo-CAS
datteln          | Stadtbibliothek Datteln          | marcxml | utf-8  | koha | DE-Demo-DAT
dorsten          | Stadtbibliothek Dorsten          | iso2709 | marc-8 | koha | DE-Demo-DOR
gladbeck         | Stadtbücherei Gladbeck           | marcxml | utf-8  | koha | DE-Demo-GLA
haltern          | Stadtbücherei Haltern am See     | iso2709 | utf-8  | 924  | DE-Demo-HAL
herten           | Stadtbibliothek Herten           | marcxml | utf-8  | koha | DE-Demo-HER
marl             | Stadtbibliothek Marl             | iso2709 | utf-8  | koha | DE-Demo-MAR
oer-erkenschwick | Stadtbücherei Oer-Erkenschwick   | marcxml | utf-8  | 924  | DE-Demo-OER
recklinghausen   | Stadtbibliothek Recklinghausen   | iso2709 | utf-8  | koha | DE-Demo-REC
waltrop          | Stadtbücherei Waltrop            | marcxml | utf-8  | koha | DE-Demo-WAL
kreis | Kreis Recklinghausen, Kreisergänzungsbücherei | iso2709 | utf-8  | 924  | DE-Demo-KRE
""")
)


@dataclass(frozen=True, slots=True)
class Habits:
    """How one library catalogues; shares are probabilities per record."""

    size: float = 3.0  # relative stock size: who holds an edition
    id_prefix: str = ""
    id_start: int = 1
    barcode_prefix: str = "9"
    rda_from: int = 2016  # records entered from this year on are RDA (264, "Seiten")
    isbd: float = 0.5  # ISBD punctuation in 245/264/300/490
    isbn10: float = 0.2  # ISBN written as ISBN-10
    hyphens: float = 0.5
    qualifier: float = 0.3  # "(geb.)", ": EUR 12.00" with the ISBN
    no_isbn: float = 0.03
    subtitle: float = 0.8
    article_flag: float = 0.9  # non-sorting article counted in 245 ind2
    angle_article: float = 0.0  # "<<Die>> Tochter ..." (old German non-sort marks)
    spelt_out: float = 0.0  # umlauts written ae, oe, ue, ss
    subjects: float = 0.8
    summary: float = 0.5
    dnb_copy: float = 0.3  # copied from the DNB: 035 (DE-101) and 020 $9
    call_style: int = 0


# positional: size, id_prefix, id_start, barcode_prefix, rda_from, isbd, isbn10, hyphens,
# qualifier, no_isbn
# fmt: off
HABITS: dict[str, Habits] = {
    "castrop-rauxel": Habits(7, "", 40_000, "3101", 2016, 0.7, 0.25, 0.6, 0.3),
    "datteln": Habits(3.5, "", 1_000, "3102", 2017, 0.4, 0.3, 0.3, 0.5, call_style=1),
    "dorsten": Habits(7, "", 500_000, "3103", 9999, 0.9, 0.5, 0.7, 0.5, 0.05, dnb_copy=0.0),
    "gladbeck": Habits(7, "", 200_000, "3104", 2015, 0.3, 0.1, 0.4, 0.2, subtitle=0.6),
    "haltern": Habits(4, "HAL", 1_200_000, "", 2018, 0.6, 0.2, 0.8, 0.2, call_style=2),
    "herten": Habits(6, "", 5_000, "3106", 2016, 0.2, 0.3, 0.2, 0.3, spelt_out=0.3,
                     article_flag=0.5),
    "marl": Habits(8, "", 300_000, "3107", 2015, 0.8, 0.15, 0.7, 0.4, dnb_copy=0.6),
    "oer-erkenschwick": Habits(3, "OE", 70_000, "", 2019, 0.5, 0.35, 0.5, 0.2, spelt_out=0.1,
                               call_style=1),
    "recklinghausen": Habits(10, "", 1_000_000, "3109", 2015, 0.9, 0.1, 0.9, 0.4,
                             dnb_copy=0.7, summary=0.8),
    "waltrop": Habits(3, "", 9_000, "3110", 2017, 0.5, 0.4, 0.3, 0.3, spelt_out=0.15,
                      subtitle=0.5),
    "kreis": Habits(3, "KRE", 10_000_000, "", 2016, 0.7, 0.2, 0.6, 0.3, angle_article=0.4,
                    call_style=2),
}
# fmt: on


def library_configs(folder: Path) -> tuple[LibraryConfig, ...]:
    """The demo libraries as configured libraries, each harvesting its export files from
    folder/CODE/ (as generate() writes them)."""
    return tuple(
        LibraryConfig(
            lib.code,
            lib.name,
            SourceConfig("marc", str(folder / lib.code / "*")),
            isil=lib.isil,
            holdings=PROFILES[lib.holdings],
        )
        for lib in DEMO_LIBRARIES
    )
