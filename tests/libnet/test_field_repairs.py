"""A sound record with one malformed field is kept: the field repaired or left out, and said so.

Every record here is built byte by byte (tests.builders.raw_iso2709): pymarc would not write
these fields.
"""

from __future__ import annotations

import pytest

from libnet.config import LibraryConfig, SourceConfig
from libnet.records.harvested import ISO2709, LEFT_OUT, REPAIRED, RawRecord, RecordProblem
from libnet.records.marc import decode, parse_stored
from libnet.records.prepare import Prepared, prepare
from tests.builders import raw_iso2709

LEADER = "00000cam a2200000 i 4500"  # UTF-8
TITLE = ("245", b"10\x1faDer Mann ohne Eigenschaften\x1fnBand 2")


def record(*fields: tuple[str, bytes], leader: str = LEADER) -> bytes:
    return raw_iso2709(leader, [("001", b"m1"), ("008", b"201120s1930    gw"), *fields])


def decoded(data: bytes) -> RawRecord:
    result = decode(RawRecord(data, ISO2709, None, "marl.mrc #1"))
    assert isinstance(result, RawRecord), result
    return result


def only_repair(raw: RawRecord):
    assert len(raw.repairs) == 1, raw.repairs
    return raw.repairs[0]


@pytest.mark.parametrize(
    ("indicators", "kept", "reason"),
    [
        (b"10 ", "10", "indicators '10 ' cut to two ('10')"),
        (b"1", "1 ", "indicators '1' padded with a blank to two"),
        (b"", "  ", "no indicators: two blanks put in"),
    ],
)
def test_indicators_of_the_wrong_length_are_cut_or_padded_to_two(indicators, kept, reason):
    raw = decoded(record(("245", indicators + b"\x1faDer Mann ohne Eigenschaften")))
    field = raw.record.get("245")
    assert "".join(field.indicators) == kept and field.get("a") == "Der Mann ohne Eigenschaften"
    repair = only_repair(raw)
    assert (repair.tag, repair.action, repair.reason) == ("245", REPAIRED, reason)
    assert repair.field == 3  # the third field of the record


def test_three_indicator_characters_in_a_marc8_record_are_cut_too() -> None:
    raw = decoded(
        record(("245", b"100\x1faM\xe8archen"), leader="00000cam  2200000 i 4500")
    )  # MARC-8: 0xE8 is a combining umlaut before the letter
    assert raw.record.get("245").get("a") == "Märchen"
    assert only_repair(raw).action == REPAIRED


def test_indicators_that_are_not_ascii_leave_the_field_out() -> None:
    raw = decoded(record(TITLE, ("650", "ä0".encode() + b"\x1faRoman")))
    assert raw.record.get("650") is None and raw.record.get("245") is not None
    repair = only_repair(raw)
    assert (repair.tag, repair.action) == ("650", LEFT_OUT)
    assert "indicators 'ä0' cannot be read" in repair.reason


def test_a_subfield_without_a_code_is_left_out_and_the_rest_of_the_field_kept() -> None:
    raw = decoded(record(("245", b"10\x1faDer Mann\x1f ohne Eigenschaften\x1fnBand 2")))
    field = raw.record.get("245")
    assert [(s.code, s.value) for s in field.subfields] == [("a", "Der Mann"), ("n", "Band 2")]
    repair = only_repair(raw)
    assert repair.action == LEFT_OUT
    assert repair.reason == "a subfield without a code left out (' ohne Eigenschaften')"


def test_an_empty_subfield_is_removed() -> None:
    raw = decoded(record(("245", b"10\x1faDer Mann ohne Eigenschaften\x1fb\x1fnBand 2")))
    assert [s.code for s in raw.record.get("245").subfields] == ["a", "n"]
    repair = only_repair(raw)
    assert (repair.action, repair.reason) == (REPAIRED, "the empty subfield $b removed")


def test_a_stray_delimiter_at_the_end_is_removed() -> None:
    raw = decoded(record(("245", b"10\x1faDer Mann ohne Eigenschaften\x1f")))
    assert [s.code for s in raw.record.get("245").subfields] == ["a"]
    repair = only_repair(raw)
    assert (repair.action, repair.reason) == (REPAIRED, "a stray delimiter at the end removed")


def test_two_delimiters_in_a_row_lose_the_empty_one() -> None:
    raw = decoded(record(("245", b"10\x1faDer Mann\x1f\x1fnBand 2")))
    assert [s.code for s in raw.record.get("245").subfields] == ["a", "n"]
    assert only_repair(raw).reason == "a stray delimiter without a code or text removed"


def test_a_control_field_with_delimiters_is_left_out() -> None:
    raw = decoded(record(TITLE, ("007", b"ta\x1fbx")))
    assert raw.record.get("007") is None
    repair = only_repair(raw)
    assert (repair.tag, repair.action) == ("007", LEFT_OUT)
    assert "control field with subfield delimiters" in repair.reason


def test_a_control_field_ending_in_a_stray_delimiter_loses_only_the_delimiter() -> None:
    raw = decoded(record(TITLE, ("007", b"ta\x1f")))
    assert raw.record.get("007").data == "ta"
    assert only_repair(raw).action == REPAIRED


@pytest.mark.parametrize("tag", ["0 2", "24*", "\u00e4ab"])
def test_a_field_whose_tag_is_not_alphanumeric_is_left_out(tag: str) -> None:
    data = record(TITLE, ("999", b"  \x1faX"))
    data = data.replace(b"999", tag.encode("latin-1"), 1)  # the directory entry's tag
    raw = decoded(data)
    assert [f.tag for f in raw.record.fields] == ["001", "008", "245"]
    repair = only_repair(raw)
    assert repair.action == LEFT_OUT and "is not a MARC tag" in repair.reason


def test_a_sound_record_has_no_repairs() -> None:
    assert decoded(record(TITLE)).repairs == ()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (record(TITLE).replace(b"2450040", b"24500x0", 1), "directory entry 3 is broken"),
        (record(TITLE)[:-1] + b"\x1e", "record terminator"),
        (record(("245", b"10\x1faM\xc3")), "invalid UTF-8"),
        (record(("245", b"10\x1faM\x01nner")), "which XML does not allow"),
        (record(("245", b"  \x1faA"), ("999", b"1 \x1fa\x0b")), "which XML does not allow"),
    ],
)
def test_a_broken_structure_or_encoding_is_still_refused(data: bytes, reason: str) -> None:
    result = decode(RawRecord(data, ISO2709, None, "marl.mrc #1"))
    assert isinstance(result, RecordProblem) and reason in result.reason


def test_a_record_left_with_no_fields_is_refused() -> None:
    data = raw_iso2709(LEADER, [("0 1", b"x")])
    result = decode(RawRecord(data, ISO2709, None, "marl.mrc #1"))
    assert isinstance(result, RecordProblem) and result.reason == "record has no fields"


LIBRARY = LibraryConfig("marl", "Marl", SourceConfig("marc", "marl.mrc"))


def test_prepare_names_the_record_of_each_repair_and_keeps_the_bytes_as_delivered() -> None:
    data = record(("245", b"100\x1faDer Mann ohne Eigenschaften"))
    prepared = prepare(RawRecord(data, ISO2709, None, "marl.mrc #7"), LIBRARY)
    assert isinstance(prepared, Prepared) and prepared.raw == data
    (repair,) = prepared.repairs
    assert (repair.position, repair.local_id, repair.tag) == ("marl.mrc #7", "m1", "245")
    assert parse_stored(prepared.raw, ISO2709).get("245").indicators == ("1", "0")


def test_a_record_whose_id_field_was_left_out_is_rejected_saying_so() -> None:
    data = raw_iso2709(LEADER, [("001", b"m\x1f1"), TITLE])
    result = prepare(RawRecord(data, ISO2709, None, "marl.mrc #2"), LIBRARY)
    assert isinstance(result, RecordProblem)
    assert result.reason.startswith("no record id in 001 (field 001: a control field")
