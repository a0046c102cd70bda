"""Text XML 1.0 can carry: exactly its Char production, nothing more taken away."""

from __future__ import annotations

from lxml import etree

from libnet.xml_text import xml_text


def test_what_xml_cannot_carry_goes_and_everything_else_stays() -> None:
    refused = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20))]
    refused += ["\ud800", "\udfff", "\ufffe", "\uffff"]
    kept = "\t\n\r Märchen ﬁ \ud7ff\ue000\ufffd\U00010000\U0010ffff"
    assert xml_text("".join(refused) + kept) == kept
    assert xml_text("a\x07b\ufffec", "\ufffd") == "a\ufffdb\ufffdc"
    element = etree.Element("t")
    element.text = kept.replace("\r", "")  # lxml takes every character that is left
    for char in refused:
        try:
            element.text = char
        except ValueError:
            continue
        raise AssertionError(f"lxml took {char!r}, which xml_text removes")
