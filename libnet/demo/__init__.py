"""Seeded demo catalogue: the eleven libraries' MARC exports, and the truth about them.

The project ships no third-party data, so ``make demo`` and the benchmarks run on this. Each
edition (manifestation) is held by one to eight libraries; each library catalogues it with its
own habits (ISBN-10 or -13, ISBD punctuation or not, RAK or RDA, umlauts spelt out...), which
is the work a union catalogue has to do. ``truth.tsv`` says which records are one edition and
which editions are one work. Records are written as they are made, so memory stays flat.

How it is made, one module each: the word lists (words), the libraries and their habits
(libraries), works (works) and their editions (editions) with their ISBNs (standard_numbers),
one library's record of an edition (record, description) with its items (holdings), the
records broken on purpose (broken), the export files (exports), and generate() (generate).
"""

from libnet.demo.exports import to_marc8
from libnet.demo.generate import DemoSummary, generate
from libnet.demo.libraries import DEMO_LIBRARIES, DemoLibrary, library_configs

__all__ = [
    "DEMO_LIBRARIES",
    "DemoLibrary",
    "DemoSummary",
    "generate",
    "library_configs",
    "to_marc8",
]
