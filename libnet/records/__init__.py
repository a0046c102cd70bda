"""The bibliographic model: a record from MARC bytes to libnet's normalised view, and back out.

marc (bytes and MARCXML to pymarc, strictly) -> harvested (RawRecord, RecordProblem) ->
prepare (decode, identify, normalise for the store) -> bib (BibRecord, normalise) with its
parts by concern; holdings (items and their profiles); exports (RIS, BibTeX, Dublin Core).
"""
