"""What the forms and parameters of the site share: choices of a select field, numbers."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """A SelectField's choices from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(value, str(label)) for value, label in pairs]


MAX_DIGITS = 18  # any id or version fits; int() refuses a string of more than 4300 digits


def whole_number(text: str | None) -> int | None:
    """The number a form field or parameter holds in the digits 0-9, else None.

    str.isdigit() alone would also take "²", which int() refuses.
    """
    if text and len(text) <= MAX_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return None
