"""Whole numbers read from outside: a form field, a URL, an SRU or OAI-PMH answer, the CLI."""

from __future__ import annotations

MAX_DIGITS = 18  # any id, count or version fits; int() refuses a string of more than 4300 digits


def whole_number(text: str | None, max_digits: int = MAX_DIGITS) -> int | None:
    """The number `text` holds in the digits 0-9 (at most `max_digits` of them), else None.

    str.isdigit() alone would also take "²", which int() refuses.
    """
    if text and len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
