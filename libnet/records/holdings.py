"""Holdings (Bestand): the items a library records in its MARC, and whether each may be lent.

Libraries put one field per item into the bibliographic record. Where, and in which subfields,
differs by system: Koha writes 952 with circulation data; German union catalogues write 924
with the ISIL and the ILL code (Fernleihindikator) but no circulation data.

The ILL code in 924 $d, as the DNB's MARC 21 documentation of field 924 defines it:

    a  loan only: volumes are lent, no copies are made (Ausleihe, keine Kopie)
    b  copies only: no volume is lent, paper copies are sent (nur Kopie)
    c  unrestricted: loan and copies (uneingeschränkte Fernleihe)
    d  no interlibrary loan at all (keine Fernleihe)
    e  electronic copies only: no volume is lent, the patron gets an electronic copy

The code says what goes to another library, not whether the copy may be borrowed at home: a
copy with "d" may stand on the library's own open shelves. So it leaves the item's status
alone, and only `Item.lendable` (what the loan network's rota asks for: a loan of the volume)
reads it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

import pymarc

ITEM_STATUSES = ("available", "on_loan", "lost", "not_for_loan", "unknown")
ILL_CODES = ("a", "b", "c", "d", "e")  # a loan, b copy only, c both, d no ILL, e electronic copy
# the codes under which a volume is never lent to another library: b and e send copies only
_NOT_LENDABLE_ILL = ("b", "d", "e")
_CLEAR = ("", "0")  # Koha's "no" for lost and not-for-loan


@dataclass(frozen=True, slots=True)
class HoldingsProfile:
    """Where a library's MARC carries its items: one field per item, subfield codes per datum."""

    tag: str
    branch: str | None  # home branch / ISIL
    call_number: str | None
    barcode: str | None
    item_type: str | None
    not_for_loan: str | None  # a value other than "" or "0" means not for loan
    lost: str | None  # a value other than "" or "0" means lost
    on_loan: str | None  # Koha writes the due date here while the item is on loan
    ill_code: str | None  # German ILL code: a loan, b copy only, c both, d no ILL, e electronic

    @property
    def has_circulation(self) -> bool:
        """Whether the profile says if an item is lost, not for loan or on loan."""
        return bool(self.lost or self.not_for_loan or self.on_loan)


KOHA = HoldingsProfile(
    "952",
    branch="a",
    call_number="o",
    barcode="p",
    item_type="y",
    not_for_loan="7",
    lost="1",
    on_loan="q",
    ill_code=None,
)
DE_924 = HoldingsProfile(
    "924",
    branch="b",
    call_number="g",
    barcode=None,
    item_type=None,
    not_for_loan=None,
    lost=None,
    on_loan=None,
    ill_code="d",
)
PROFILES: dict[str, HoldingsProfile] = {"koha": KOHA, "924": DE_924}


@dataclass(frozen=True, slots=True)
class Item:
    """One copy a library holds, with its circulation status."""

    library: str  # the holding library's code from config.toml
    branch: str
    call_number: str
    barcode: str
    item_type: str
    status: str  # one of ITEM_STATUSES
    due_date: str  # as written by the library ("" when none)
    ill_code: str  # "" when the profile has none

    @property
    def lendable(self) -> bool:
        """May go to another library: not lost, not withheld, and its ILL code allows a loan."""
        return (
            self.status != "lost"
            and self.status != "not_for_loan"
            and self.ill_code not in _NOT_LENDABLE_ILL
        )


def item_from_field(field: pymarc.Field, library: str, profile: HoldingsProfile) -> Item:
    """The item described by one holdings field (952, 924, ...) of a record."""
    first = dict(reversed(field.subfields)).get  # the first of a repeated subfield wins
    lost = first(profile.lost, "").strip()  # a code the profile lacks is None: never found
    not_for_loan = first(profile.not_for_loan, "").strip()
    due_date = first(profile.on_loan, "").strip()
    ill_code = first(profile.ill_code, "").strip().lower()
    if lost not in _CLEAR:
        status = "lost"
    elif not_for_loan not in _CLEAR:
        # Koha's negative values ("-1 ordered") are not for loan as well
        status = "not_for_loan"
    elif due_date:
        status = "on_loan"
    elif profile.has_circulation:
        status = "available"
    else:
        status = "unknown"
    return Item(
        library=library,
        branch=first(profile.branch, "").strip(),
        call_number=first(profile.call_number, "").strip(),
        barcode=first(profile.barcode, "").strip(),
        item_type=first(profile.item_type, "").strip(),
        status=status,
        due_date=due_date,
        ill_code=ill_code,
    )


def items_from_record(
    record: pymarc.Record, library: str, profile: HoldingsProfile
) -> tuple[Item, ...]:
    """Every item of a record, in field order."""
    tag = profile.tag
    return tuple(
        item_from_field(field, library, profile) for field in record.fields if field.tag == tag
    )


def profile_from_config(reader: Any, raw: str | dict[str, Any], key: str) -> HoldingsProfile:
    """config.toml's `holdings`: a built-in profile's name, or a table with profile and/or
    tag and subfield codes; `reader` is config.py's, which names the key of a problem."""
    if isinstance(raw, str):
        raw = {"profile": raw}
    names = [f.name for f in fields(HoldingsProfile)]
    reader.unknown(raw, {"profile", *names}, key)
    profile_name = reader.value(raw, "profile", str, key, default="koha")
    if profile_name not in PROFILES:
        raise reader.fail(f"{key}.profile", f"{profile_name!r} is not one of {tuple(PROFILES)}")
    base = PROFILES[profile_name]
    values = {name: getattr(base, name) for name in names}
    for name in names:
        if name in raw:
            value = reader.value(raw, name, str, key)
            if name == "tag":
                if not re.fullmatch(r"\d{3}", value) or value < "010":
                    raise reader.fail(f"{key}.tag", f"{value!r} is not a data field tag")
            elif value and not re.fullmatch(r"[a-z0-9]", value):
                raise reader.fail(f"{key}.{name}", f"{value!r} is not a subfield code")
            values[name] = value or None
    return HoldingsProfile(**values)
