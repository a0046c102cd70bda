"""What one walk over a record's fields gathers, before normalise() builds the BibRecord.

Each module of a concern (identifiers, titles, agents, publication, subjects, formats) reads
its fields into one Gathered and names the tags it reads in its READERS table.
"""

from __future__ import annotations

from collections.abc import Callable

import pymarc


class Gathered:
    """The fields of one record as read so far; each reader fills its own part."""

    __slots__ = (
        "added_authors",
        "audience_notes",
        "carrier",
        "chains",
        "children_form",
        "content",
        "descriptions",
        "edition",
        "f007",
        "f008",
        "has_200a",
        "has_245",
        "imprint",
        "isbns",
        "issns",
        "languages",
        "main_authors",
        "media",
        "old_imprint",
        "other_ids",
        "other_title",
        "pages",
        "part_name",
        "part_number",
        "physical_description",
        "responsibility",
        "series",
        "subjects",
        "subtitle",
        "title",
        "unimarc_100",
        "urls",
    )

    def __init__(self) -> None:
        self.f007 = ""
        self.f008 = ""
        self.has_245 = self.has_200a = self.unimarc_100 = self.children_form = False
        self.title = self.subtitle = self.responsibility = ""
        self.part_number = self.part_name = self.other_title = ""
        self.edition = self.physical_description = ""
        self.pages: int | None = None
        self.imprint = self.old_imprint = ("", "", "")  # place, publisher, date
        self.isbns: list[str] = []
        self.issns: list[str] = []
        self.other_ids: list[str] = []
        self.languages: list[str] = []
        self.main_authors: list[str] = []
        self.added_authors: list[str] = []
        self.subjects: list[str] = []
        self.chains: dict[str, list[str]] = {}
        self.series: dict[str, tuple[str, str]] = {}
        self.descriptions: list[str] = []
        self.urls: list[str] = []
        self.audience_notes: list[str] = []
        self.content: set[str] = set()
        self.media: set[str] = set()
        self.carrier: set[str] = set()


#: reads one field into the Gathered
FieldReader = Callable[[Gathered, pymarc.Field], None]
