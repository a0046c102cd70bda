"""What the loan network's forms share: the choices of a select field."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[str, object]]) -> list[SelectChoice]:
    """A SelectField's choices from (value, label) pairs; labels may be lazy translations."""
    return [SelectChoice(value, str(label)) for value, label in pairs]
