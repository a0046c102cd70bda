"""The bibliographic model: one library's record from its MARC bytes to libnet's normalised view.

- harvested: what a harvester hands over (RawRecord) or reports (RecordProblem).
- marc: strict ISO 2709 and MARCXML decoding, and MARC back out; marc8: is it valid MARC-8;
  characters: what a record's text may hold (no character XML forbids, no entity reference).
- prepare: prepare() turns one RawRecord into a Prepared for the record store.
- bib: BibRecord and normalise(), which walks the fields once; each concern reads its own:
  identifiers, titles, agents, publication, subjects, formats (text cleans what they read,
  gathered holds what one walk found).
- holdings: the items a library records in its MARC, by holdings profile.
- exports: RIS, BibTeX and Dublin Core of a BibRecord.
"""
