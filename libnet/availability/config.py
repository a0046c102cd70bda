"""[libraries.availability]: where a library's system says whether its copies are in now.

    [libraries.availability]
    type = "daia"                                   # "daia" or "none" (the default)
    url = "https://daia.example/?id={id}&format=json"
    timeout = 2                                     # seconds the record page waits at most
    cache_seconds = 60                              # an answer is reused this long

`daia`: the library's DAIA 1.0 service (as VuFind and the GBV ask it), `{id}` in `url` standing
for the library's own record id (the field `id_field` names, 001 by default). `none`: the page
shows the harvested status and how old it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

AVAILABILITY_TYPES = ("none", "daia")


@dataclass(frozen=True, slots=True)
class AvailabilityConfig:
    type: str = "none"
    url: str = ""  # daia: a URL template with {id}
    timeout: float = 2.0  # seconds for the answer; the record page waits no longer in all
    cache_seconds: float = 60.0  # an answer (or a failure) is kept this long; 0: never kept

    @property
    def live(self) -> bool:
        return self.type != "none"


def read_availability(reader: Any, raw: dict[str, Any], key: str) -> AvailabilityConfig:
    """Check one [libraries.availability] table with config.py's reader (which names the key)."""
    spec = {f.name: f for f in fields(AvailabilityConfig)}
    reader.unknown(raw, set(spec), key)
    kinds = {"float": float}
    values = {
        name: reader.value(raw, name, kinds.get(str(f.type), str), key)
        for name, f in spec.items()
        if name in raw
    }
    found = AvailabilityConfig(**values)
    if found.type not in AVAILABILITY_TYPES:
        raise reader.fail(f"{key}.type", f"{found.type!r} is not one of {AVAILABILITY_TYPES}")
    if found.timeout <= 0:
        raise reader.fail(f"{key}.timeout", "must be greater than 0")
    if found.cache_seconds < 0:
        raise reader.fail(f"{key}.cache_seconds", "must not be negative")
    if found.type == "daia":
        if not found.url.startswith(("http://", "https://")):
            raise reader.fail(f"{key}.url", "missing or not an http(s) URL")
        if "{id}" not in found.url:
            raise reader.fail(f"{key}.url", "must hold {id}, where the record id goes")
        try:
            found.url.format(id="")
        except (KeyError, IndexError, ValueError):
            raise reader.fail(f"{key}.url", "may hold no braces but {id}") from None
    elif found.url:
        raise reader.fail(f"{key}.url", 'only type = "daia" takes a url')
    return found
