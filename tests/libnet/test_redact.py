"""libnet.redact: what an operator sees of a source URL that carries a password or a key."""

from __future__ import annotations

import pytest

from libnet.redact import is_secret_name, redact_text, redact_url, url_secrets


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://harvest:geheim@opac.example/sru", "https://harvest:***@opac.example/sru"),
        (
            "http://harvest:gé%2Fheim@opac.example:8080/sru",
            "http://harvest:***@opac.example:8080/sru",
        ),
        ("https://harvest:p@ss@opac.example/oai", "https://harvest:***@opac.example/oai"),
        ("https://ghp_tokenonly@opac.example/", "https://***@opac.example/"),
        ("https://:geheim@opac.example/", "https://***@opac.example/"),
        ("https://harvest:@opac.example/", "https://harvest:***@opac.example/"),
        ("https://opac.example/sru?apikey=abc123", "https://opac.example/sru?apikey=***"),
        (
            "https://opac.example/sru?db=marl&api_key=abc&x=1",
            "https://opac.example/sru?db=marl&api_key=***&x=1",
        ),
        ("https://opac.example/sru?APIKEY=abc", "https://opac.example/sru?APIKEY=***"),
        ("https://opac.example/sru?apiKey=abc", "https://opac.example/sru?apiKey=***"),
        ("https://opac.example/sru?x-api-key=abc", "https://opac.example/sru?x-api-key=***"),
        (
            "https://opac.example/?access_token=a.b-c&token=d",
            "https://opac.example/?access_token=***&token=***",
        ),
        (
            "https://s3.example/f.mrc?X-Amz-Credential=AK%2F1&X-Amz-Signature=ff00",
            "https://s3.example/f.mrc?X-Amz-Credential=***&X-Amz-Signature=***",
        ),
        (
            "https://opac.example/?password=a&passwd=b&pwd=c&secret=d&sig=e",
            "https://opac.example/?password=***&passwd=***&pwd=***&secret=***&sig=***",
        ),
        (
            "https://opac.example/?auth=a&session=b&client_secret=c",
            "https://opac.example/?auth=***&session=***&client_secret=***",
        ),
        ("https://opac.example/?key=1&key=2", "https://opac.example/?key=***&key=***"),
        ("https://opac.example/?api%5Fkey=abc", "https://opac.example/?api%5Fkey=***"),
        ("https://opac.example/?api+key=abc", "https://opac.example/?api+key=***"),
        (
            "https://opac.example/sru;jsessionid=ABCDEF?db=1",
            "https://opac.example/sru;jsessionid=***?db=1",
        ),
        (
            "https://opac.example/cb#access_token=abc&state=x",
            "https://opac.example/cb#access_token=***&state=x",
        ),
        ("https://opac.example/?token=", "https://opac.example/?token=***"),
        ("https://opac.example/?key=id:se.cret,x", "https://opac.example/?key=***"),
        (
            "postgresql+psycopg://libnet:pw@db.example/libnet",
            "postgresql+psycopg://libnet:***@db.example/libnet",
        ),
        ("https://u:p@opac.example/?key=k#frag", "https://u:***@opac.example/?key=***#frag"),
    ],
)
def test_a_url_keeps_what_names_the_source_and_loses_its_secrets(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "https://opac.example/sru?operation=searchRetrieve&query=cql.allRecords%3D1&startRecord=1",
        "https://opac.example/oai?verb=ListRecords&metadataPrefix=marc21&set=buecher",
        "https://opac.example/sru?keyword=Goethe&author=Fontane&design=1",
        "http://127.0.0.1:8080/sru",
        "marl/*.mrc",
        "/srv/exports/marl.xml",
        "",
    ],
)
def test_a_url_without_secrets_is_left_as_it_is(url: str) -> None:
    assert redact_url(url) == url


def test_every_url_in_a_sentence_is_redacted_and_the_words_around_it_kept() -> None:
    message = (
        "cannot reach https://harvest:geheim@opac.example/oai?apikey=abc123: connection refused; "
        "tried http://x:y@backup.example/ too"
    )
    assert redact_text(message) == (
        "cannot reach https://harvest:***@opac.example/oai?apikey=***: connection refused; "
        "tried http://x:***@backup.example/ too"
    )


def test_a_path_with_its_query_from_urllib3_is_redacted_without_a_scheme() -> None:
    message = (
        "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url: "
        "/sru?apikey=abc123&operation=searchRetrieve (Caused by NewConnectionError('refused'))"
    )
    redacted = redact_text(message)
    assert "abc123" not in redacted
    assert "url: /sru?apikey=***&operation=searchRetrieve (Caused by" in redacted


def test_a_value_ends_before_the_punctuation_of_the_sentence_around_it() -> None:
    assert redact_text("(see https://h.example/?key=abc.) Then") == (
        "(see https://h.example/?key=***.) Then"
    )


def test_plain_text_stays_as_it_is() -> None:
    text = "page 3 record 7: resumption token repeats: 'abc' came again; sessions_ended=3 a@b.c"
    assert redact_text(text) == text


def test_known_secrets_are_found_anywhere_in_a_text_also_percent_encoded() -> None:
    text = "wrong password g%C3%A9heim!x (géheim!x, g%C3%A9heim%21x; g%C3%A9+heim, gé heim)"
    assert redact_text(text, ["géheim!x", "g%C3%A9%20heim"]) == (
        "wrong password *** (***, ***; ***, ***)"
    )


def test_very_short_known_secrets_do_not_mask_ordinary_words() -> None:
    assert redact_text("marl: failed", ["marl", "mar"]) == "***: failed"
    assert redact_text("marl: failed", ["mar"]) == "marl: failed"


def test_url_secrets_are_the_password_and_the_values_of_secret_parameters() -> None:
    url = "https://harvest:geheim@opac.example/sru?db=marl&apikey=abc123&sig=ff"
    assert url_secrets(url) == ("geheim", "abc123", "ff")
    assert url_secrets("https://TOKEN@opac.example/") == ("TOKEN",)
    assert url_secrets("https://opac.example/sru?db=marl") == ()


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("apikey", True), ("API_KEY", True), ("X-Api-Key", True), ("accessToken", True),
        ("private_token", True), ("PHPSESSID", True), ("signature", True), ("Authorization", True),
        ("keyword", False), ("author", False), ("query", False), ("startRecord", False),
        ("metadataPrefix", False), ("set", False), ("db", False), ("x-design", False),
    ],
)  # fmt: skip
def test_which_parameter_names_hold_secrets(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
