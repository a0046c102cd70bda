"""A demo record's items, as the library's holdings profile writes them: Koha's 952 or the
German union catalogue's 924, with the call number in the library's style."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymarc import Field

from libnet.demo.description import df
from libnet.demo.editions import Edition
from libnet.demo.libraries import DemoLibrary, Habits


@dataclass
class Shelf:
    """A library's running numbers (mutable bookkeeping, not a value)."""

    next_id: int
    items: int = 0
    good: int = 0
    broken: int = 0


def items(
    rng: random.Random,
    export: datetime,
    ed: Edition,
    lib: DemoLibrary,
    habits: Habits,
    shelf: Shelf,
    entered: datetime,
    itype: str,
) -> list[Field]:
    count = 1 if ed.carrier == "ebook" else rng.choices((1, 2, 3), (70, 22, 8))[0]
    call = call_number(ed, habits)
    fields = []
    for _ in range(count):
        shelf.items += 1
        if lib.holdings == "924":
            ill = "e" if ed.carrier == "ebook" else rng.choices("abcd", (80, 5, 10, 5))[0]
            parts = [
                ("a", f"{shelf.items:09d}"),
                ("b", lib.isil),
                ("c", "NRW"),
                ("d", ill),
                ("g", call),
            ]
            if ed.url:
                parts.append(("k", ed.url))
            fields.append(df("924", "1 " if ed.carrier == "ebook" else "0 ", parts))
            continue
        reference = ed.work.genre in ("nonfiction", "multipart") and rng.random() < 0.1
        parts = [
            ("a", lib.code),
            ("b", lib.code),
            ("d", (entered + timedelta(days=rng.randint(0, 30))).strftime("%Y-%m-%d")),
            ("o", call),
            ("p", f"{habits.barcode_prefix}{shelf.items:08d}"),
            ("y", itype),
            ("7", "1" if reference else "0"),
            ("1", "1" if rng.random() < 0.02 else "0"),
        ]
        if not reference and rng.random() < 0.2:
            due = export + timedelta(days=rng.randint(1, 28))
            parts.append(("q", due.strftime("%Y-%m-%d")))
        parts.append(("9", str(shelf.items)))
        fields.append(df("952", "  ", parts))
    return fields


def call_number(ed: Edition, habits: Habits) -> str:
    work = ed.work
    if ed.carrier == "ebook":
        return "E-Book"
    name = work.band or (work.authors[0].surname if work.authors else work.title)
    name = name.replace("<<", "").replace(">>", "")
    if ed.carrier == "audiobook":
        group = "HB J" if work.audience == "j" else "HB"
    elif ed.carrier == "dvd":
        return work.call_group
    else:
        group = work.call_group
    if habits.call_style == 1:
        return f"{group} {name[:4]}"
    if habits.call_style == 2:
        return f"{group} {name[:3]}".upper()
    return f"{group} {name[:4] if work.audience == 'j' else name[:3]}"
