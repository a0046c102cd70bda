"""What the holdings-overlap report (Bestandsabgleich) groups a record's title by.

The report counts titles per subject and decade over a million records in seconds, so it does
not read the normalised records: the store keeps these three short values beside each record
(records.short_title, .subject, .decade), written when the record is harvested.

- subject: the main heading of the record's first subject (what comes before the first " / "
  subdivision), at most SUBJECT_LENGTH characters; "" when the record has none.
- decade: the publication year rounded down to ten (2005 -> 2000); None without a year.
- short title: title and subtitle, at most TITLE_LENGTH characters, for the report's lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from libnet.records.bib import BibRecord

SUBJECT_LENGTH = 200
TITLE_LENGTH = 300


@dataclass(frozen=True, slots=True)
class OverlapKeys:
    short_title: str
    subject: str
    decade: int | None


NO_KEYS = OverlapKeys("", "", None)  # a deleted record's


def overlap_keys(bib: BibRecord) -> OverlapKeys:
    subject = bib.subjects[0].split(" / ", 1)[0].strip() if bib.subjects else ""
    title = f"{bib.title} : {bib.subtitle}" if bib.subtitle else bib.title
    decade = bib.year // 10 * 10 if bib.year is not None else None
    return OverlapKeys(title[:TITLE_LENGTH], subject[:SUBJECT_LENGTH], decade)
