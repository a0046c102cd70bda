"""A holding's link to its library's own catalogue (OPAC), from the library's `opac_url`.

`opac_url` in config.toml is a template: the http(s) address of one record in the library's
catalogue, with `{id}` where the library's own record id goes (the id its export carries in
`id_field`), e.g. "https://opac.example.de/Record/{id}". The id is percent-encoded, so an id
with a slash or a space still lands on the record it names.
"""

from __future__ import annotations

import re
from urllib.parse import quote

PLACEHOLDER = "{id}"
_HTTP = re.compile(r"^https?://[^/\s?#{}]+(?:[/?#]\S*)?$")


def template_problem(template: str) -> str:
    """Why `template` is no opac_url, or "" when it is one."""
    if not _HTTP.match(template):
        return f"{template!r} is not an http(s) URL"
    if PLACEHOLDER not in template:
        return f"{template!r} has no {PLACEHOLDER} where the library's record id goes"
    if re.search(r"[{}]", template.replace(PLACEHOLDER, "")):
        return f"{template!r} has a brace that is not part of {PLACEHOLDER}"
    return ""


def opac_link(template: str, local_id: str) -> str:
    """The address of a record in its library's catalogue; "" when the library has none."""
    if not template or not local_id:
        return ""
    return template.replace(PLACEHOLDER, quote(local_id, safe=""))
