"""The SIP2 codec: checksums, sequence numbers, fields, the values SIP2 cannot carry."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pysip2 import LoginRequest, decode_message, encode_message

from libnet.sip2 import requests
from libnet.sip2.messages import (
    Answer,
    FieldRefused,
    Garbled,
    Request,
    checksum,
    checksum_ok,
    decode,
    encode,
    parse_sip_date,
    sip_date,
)
from libnet.sip2.patron_status import language_code, patron_flags

# Messages with their checksums as other SIP2 implementations write them: Request ACS Resend
# as printed in the 3M spec's message list, a Login answer and a Login request.
KNOWN = [b"97AZFEF5", b"941AY1AZFDFC", b"9300CNuu|COpp|AY1AZF9E9"]


@pytest.mark.parametrize("message", KNOWN)
def test_checksum_matches_known_messages(message: bytes) -> None:
    assert checksum(message[:-4]) == message[-4:].decode()
    assert checksum_ok(message)


def test_checksum_is_the_twos_complement_of_the_byte_sum() -> None:
    # "97AZ" sums to 57 + 55 + 65 + 90 = 267 = 0x010B; 0x10000 - 0x010B = 0xFEF5
    assert checksum(b"97AZ") == "FEF5"


def test_a_changed_byte_fails_the_checksum() -> None:
    assert not checksum_ok(b"941AY1AZFDFD")
    assert not checksum_ok(b"951AY1AZFDFC")
    assert not checksum_ok(b"941AY1AZFDFG")


def test_login_is_encoded_as_the_known_message() -> None:
    message = encode(requests.login("uu", "pp"), 1, "ascii")
    assert message == b"9300CNuu|COpp|AY1AZF9E9\r"


def test_sequence_numbers_cycle_through_one_digit() -> None:
    message = encode(requests.sc_status(), 13, "ascii")
    assert isinstance(message, bytes)
    assert message.startswith(b"9900802.00AY3AZ")


def test_pysip2_reads_what_libnet_writes() -> None:
    when = datetime(2024, 3, 5, 14, 30, 0)
    message = encode(requests.patron_information("MARL", "1001", "1234", when), 4, "utf-8")
    assert isinstance(message, bytes)
    decoded = decode_message(message, encoding="utf-8")
    assert decoded.sequence_number == 4
    assert decoded.message.patron_identifier == "1001"
    assert decoded.message.patron_password == "1234"
    assert decoded.message.institution_id == "MARL"
    assert decoded.message.transaction_date == "20240305    143000"


def test_libnet_reads_what_pysip2_writes() -> None:
    from pysip2 import PatronInformationResponse

    written = encode_message(
        PatronInformationResponse(
            patron_status="Y  Y          ",
            language="003",
            transaction_date="20240305    143000",
            hold_items_count="0001",
            overdue_items_count="0000",
            charged_items_count="0002",
            fine_items_count="0000",
            recall_items_count="0000",
            unavailable_holds_count="0000",
            institution_id="MARL",
            patron_identifier="1001",
            personal_name="Jürgen Weiß",
            valid_patron="Y",
            valid_patron_password="Y",
            email_address="jw@example.org",
            screen_message=("Willkommen", "Bitte Gebühren zahlen"),
        ),
        sequence_number=7,
        checksum=True,
        encoding="cp850",
    )
    answer = decode(written, "cp850")
    assert isinstance(answer, Answer)
    assert answer.code == "64"
    assert answer.sequence == 7
    assert answer.fixed[:3] == ("Y  Y          ", "003", "20240305    143000")
    assert answer.fixed[5] == "0002"
    assert answer.get("AE") == "Jürgen Weiß"
    assert answer.get("BE") == "jw@example.org"
    assert answer.fields["AF"] == ["Willkommen", "Bitte Gebühren zahlen"]
    assert answer.all("AF") == ["Willkommen", "Bitte Gebühren zahlen"]
    assert answer.get("CQ") == "Y"
    assert answer.get("BV") == ""


def test_a_round_trip_keeps_fields_in_order_and_repeats() -> None:
    request = Request("63", "000" + "20240305    143000" + " " * 10,
                      (("AO", "MARL"), ("AA", "1001"), ("AD", "ä€")))  # fmt: skip
    message = encode(request, 2, "utf-8")
    assert isinstance(message, bytes)
    decoded = decode_message(message, encoding="utf-8")
    assert decoded.message.patron_password == "ä€"


@pytest.mark.parametrize("pin", ["12|34", "12\r34", "9|9|9"])
def test_a_value_sip2_cannot_carry_is_refused_not_sent(pin: str) -> None:
    message = encode(requests.patron_status("MARL", "1001", pin, datetime(2024, 1, 1)), 0, "utf-8")
    assert isinstance(message, FieldRefused)
    assert message.field == "AD"
    assert pin not in str(message)


def test_a_character_the_encoding_lacks_is_refused_without_showing_it() -> None:
    message = encode(requests.login("libnet", "geheim€", "MARL"), 0, "latin-1")
    assert isinstance(message, FieldRefused)
    assert message.field == "CO"
    assert "latin-1" in message.reason
    assert "€" not in str(message)


def test_an_answer_with_a_wrong_checksum_is_garbled_and_says_so() -> None:
    answer = decode(b"941AY1AZFDFD\r", "ascii")
    assert isinstance(answer, Garbled)
    assert answer.checksum


def test_an_answer_without_error_detection_is_read() -> None:
    answer = decode(b"941\r", "ascii")
    assert isinstance(answer, Answer)
    assert (answer.code, answer.fixed, answer.sequence) == ("94", ("1",), None)


@pytest.mark.parametrize(
    "raw",
    [b"\x00\x01\x02\x03\r", b"HTTP/1.1 400 Bad Request\r", b"64YY\r", b"94\xff\r"],
    ids=["bytes", "another protocol", "too short", "not the encoding"],
)
def test_bytes_that_are_no_answer_are_garbled(raw: bytes) -> None:
    assert isinstance(decode(raw, "utf-8"), Garbled)


def test_a_wrongly_encoded_answer_names_the_encoding_setting() -> None:
    answer = decode("941AEMüller|".encode("cp850") + b"\r", "utf-8")
    assert isinstance(answer, Garbled)
    assert "encoding" in answer.reason


def test_sip_dates_carry_local_or_utc_time() -> None:
    assert sip_date(datetime(2024, 3, 5, 9, 7, 1)) == "20240305    090701"
    assert sip_date(datetime(2024, 3, 5, 9, 7, 1, tzinfo=UTC)) == "20240305   Z090701"
    assert parse_sip_date("20240305    090701") == date(2024, 3, 5)
    assert parse_sip_date("20241399") is None
    assert parse_sip_date("") is None


def test_patron_flags_are_named_by_their_position() -> None:
    assert patron_flags("Y   Y     Y   ") == [
        "charge privileges denied",
        "card reported lost",
        "excessive outstanding fines",
    ]
    assert patron_flags(" " * 14) == []


def test_language_codes_map_to_german_and_english() -> None:
    assert [language_code(c) for c in ("003", "001", "024", "000", "999")] == [
        "de", "en", "en", "", "",
    ]  # fmt: skip


def test_pysip2_login_request_model_matches_libnet_login() -> None:
    decoded = decode_message(encode(requests.login("libnet", "pw", "MARL"), 0, "ascii"))
    assert decoded.message == LoginRequest(
        uid_algorithm="0", pwd_algorithm="0", login_user_id="libnet", login_password="pw",
        location_code="MARL",
    )  # fmt: skip
