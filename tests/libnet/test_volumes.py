"""Volumes of a multi-volume work in the normalised record, their order, and their exports."""

from __future__ import annotations

import json

import pytest

from libnet.records.bib import BibRecord, normalise
from libnet.records.exports import bibtex, ris
from libnet.records.volumes import volume_key, volume_number
from tests.builders import book

MUSIL = "Der Mann ohne Eigenschaften"


def volume_record(**kwargs) -> BibRecord:
    return normalise(book("m2", MUSIL, author="Musil, Robert", isbn="", **kwargs), "marl")


def test_a_volume_and_its_own_title_come_from_245_n_and_p() -> None:
    record = volume_record(volume="Bd. 2.", part="Aus dem Nachlass /")
    assert (record.volume, record.part) == ("Bd. 2", "Aus dem Nachlass")
    assert (record.part_number, record.part_name) == ("Bd. 2", "Aus dem Nachlass")


def test_the_series_number_stays_the_series_and_is_no_volume() -> None:
    record = volume_record(series=("Rowohlt-Taschenbücher", "24100"))
    assert record.series == (("Rowohlt-Taschenbücher", "24100"),)
    assert (record.volume, record.part) == ("", "")


def test_a_series_named_like_the_title_numbers_its_volumes() -> None:
    # 245 without $n, the work numbered as a series: 490 "Der Mann ohne Eigenschaften ; 2"
    record = volume_record(series=(MUSIL, "2"))
    assert record.volume == "2"
    assert volume_record(volume="Bd. 3", series=(MUSIL, "2")).volume == "Bd. 3"


def test_the_volume_survives_the_stored_json_form() -> None:
    record = volume_record(volume="Bd. 2", part="Aus dem Nachlass")
    again = BibRecord.from_dict(json.loads(json.dumps(record.to_dict())))
    assert again == record and (again.volume, again.part) == ("Bd. 2", "Aus dem Nachlass")


def test_volumes_sort_by_their_number_band_2_before_band_10() -> None:
    volumes = ["Band 10", "Band 2", "band 1", "Band 2, Teil 12", "Band 2, Teil 3", "A - K"]
    assert sorted(volumes, key=volume_key) == [
        "A - K", "band 1", "Band 2", "Band 2, Teil 3", "Band 2, Teil 12", "Band 10",
    ]  # fmt: skip
    assert volume_key("Bd. 02") == volume_key("Bd. 2")


@pytest.mark.parametrize(
    ("volume", "number"),
    [("Bd. 2", "2"), ("Band 10", "10"), ("Teil 3", "3"), ("4", "4"), ("A - K", "A - K"),
     ("Bd. 2, Teil 1", "Bd. 2, Teil 1")],
)  # fmt: skip
def test_a_citation_gives_the_number_of_a_volume_where_it_has_one(volume: str, number: str) -> None:
    assert volume_number(volume) == number


def test_ris_gives_the_volume_as_vl_and_the_series_number_only_without_one() -> None:
    series = ("Rowohlt-Taschenbücher", "24100")
    volume = ris(volume_record(volume="Bd. 2", part="Aus dem Nachlass", series=series))
    assert "VL  - 2\r\n" in volume and "24100" not in volume
    assert f"TI  - {MUSIL}. Aus dem Nachlass\r\n" in volume
    assert "T3  - Rowohlt-Taschenbücher\r\n" in volume
    assert "VL  - 24100\r\n" in ris(volume_record(series=series))


def test_bibtex_gives_the_volume_as_volume_and_the_series_number_as_number() -> None:
    series = ("Rowohlt-Taschenbücher", "24100")
    entry = bibtex(volume_record(volume="Band 10", series=series), "musil")
    assert "  volume = {10},\n" in entry and "  number = {24100},\n" in entry
    assert f"  title = {{{{{MUSIL}}}}},\n" in entry
    assert "volume =" not in bibtex(volume_record(series=series), "musil")
