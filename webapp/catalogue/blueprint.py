"""The catalogue pages' blueprint, "pages", and what all its pages share.

The pages are in search.py (home and search), record.py (a title, its staff view and its
exports) and libraries.py; each adds its routes to this blueprint. Here: the patron's home
library (?home=, kept in a cookie), the helpers every template calls, and the error page
while the index is being built. Every page works without JavaScript; all text goes through
Flask-Babel, msgids in English, German the default. Record data is always escaped by Jinja.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, g, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, gettext
from stdnum import isbn
from stdnum.exceptions import ValidationError

from index.document import Holding
from libnet.opac_link import opac_link
from webapp.errors import NoIndex, no_index_page
from webapp.labels import (
    FORMAT_LABELS,
    ILL_LABELS,
    LANGUAGE_LABELS,
    RULE_LABELS,
    STATUS_LABELS,
    evidence_text,
)
from webapp.state import catalogue

pages = Blueprint("pages", __name__)
pages.register_error_handler(NoIndex, no_index_page)

HOME_COOKIE = "home"
MAX_SEARCH_URL = 2000
HIT_LIBRARIES = 3  # libraries named per hit; the record page lists them all
FACET_VALUES_SHOWN = 8  # more behind a <details> "show more"
# best first: a library's copies of a title show the best status among them
# (a live status, libnet.availability.model.STATES, or a harvested one)
STATUS_ORDER = ("available", "on_loan", "not_for_loan", "not_available", "unknown", "lost")


@pages.app_context_processor  # the loan network's pages use them too
def _helpers() -> dict[str, Any]:
    return {
        "format_label": lambda code: FORMAT_LABELS.get(code, code),
        "language_label": lambda code: LANGUAGE_LABELS.get(code, code),
        "status_label": lambda code: STATUS_LABELS.get(code, code),
        "ill_label": lambda code: ILL_LABELS.get(code, code),
        "rule_label": lambda code: RULE_LABELS.get(code, code),
        "evidence_text": lambda line: evidence_text(line, catalogue().library_name),
        "library_name": catalogue().library_name,
        "opac_link": _opac_link,
        "libraries": catalogue().libraries,
        "home": chosen_home(),
        "hit_libraries": HIT_LIBRARIES,
        "facet_values_shown": FACET_VALUES_SHOWN,
        "number": format_decimal,
        "when": lambda moment: format_datetime(moment, "medium"),
        "day": lambda moment: format_date(moment, "medium"),
        "iso_day": iso_day,
        "seconds": seconds,
        "isbn_label": _isbn_label,
        "author_url": lambda name: _fielded("author", name),
        "series_url": lambda title: _fielded("series", title),
        "volume_label": volume_label,
        "volumes_url": volumes_url,
        "subject_url": lambda heading: url_for("pages.search", subject=heading),
    }


def volume_label(volume: str, part: str) -> str:
    """A volume of a multi-volume work as a patron reads it beside the title: "Band 2: Aus dem
    Nachlass"; the number as catalogued ("Bd. 2"), a bare number with the word for volume."""
    if volume.isdigit():
        volume = gettext("Volume %(number)s", number=volume)
    return ": ".join(filter(None, (volume, part)))


def volumes_url(title: str) -> str:
    """ "All volumes": the titles whose title proper is exactly this one (the index's
    title_exact, as `work:`), by title, which orders a work's volumes by their number."""
    return url_for("pages.search", q=f'work:"{title.replace(chr(34), " ")}"', sort="title")


def iso_day(text: str | None) -> str:
    """A date the store keeps as ISO text (due dates, birth dates) in the page's language."""
    return format_date(date.fromisoformat(text), "medium") if text else ""


def seconds(value: float | None) -> str:
    """A duration in seconds with one decimal in the page's language ("0,4"); a dash for none."""
    return "–" if value is None else format_decimal(value, "#,##0.0")


def _opac_link(code: str, local_id: str) -> str:
    """A holding's record in its library's own catalogue (config.toml's opac_url), or ""."""
    library = next((lib for lib in catalogue().libraries if lib.code == code), None)
    return opac_link(library.opac_url, local_id) if library else ""


def _isbn_label(number: str) -> str:
    """An ISBN-13 with its hyphens (978-3-498-03528-0), as printed in books."""
    try:
        return isbn.format(number)
    except ValidationError:
        return number


def _fielded(name: str, value: str) -> str:
    """A search for value as a phrase in one field: an author's or a series' other titles."""
    return url_for("pages.search", q=f'{name}:"{value.replace(chr(34), " ")}"')


@pages.after_request
def _remember_home(response: Response) -> Response:
    """A home library chosen in the query string is kept in a cookie; an empty choice clears it."""
    if "home" in request.args:
        chosen = chosen_home()
        if chosen:
            response.set_cookie(
                HOME_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        else:
            response.delete_cookie(HOME_COOKIE)
    return response


def hit_list() -> str:
    """The hit list a record page was opened from (the hit's link carries it as ?back=), as a
    path on this site, or "" for none. Only a /search path is taken, so the link never leads
    anywhere else; in the link rather than a cookie, so every page stays cacheable."""
    where = request.args.get("back", "")
    safe = where.startswith("/search?") and where.isprintable() and "\\" not in where
    return where if safe and len(where) <= MAX_SEARCH_URL else ""


def chosen_home() -> str:
    """The patron's library, whose copies come first: ?home=, else the cookie, else a
    logged-in patron's own library, else none. A choice made on this device wins over the
    account, as with the language."""
    codes = {library.code for library in catalogue().libraries}
    user = g.get("user")
    own = user.library if user is not None and user.role == "patron" else ""
    chosen = request.args.get("home", request.cookies.get(HOME_COOKIE, own))
    return chosen if chosen in codes else ""


def chosen_libraries() -> list[str]:
    """The libraries of ?library= (repeatable), known codes only: a record page shows only
    their holdings, as a search with the library filter keeps only the titles they hold.
    Unlike ?home=, the patron's own library, it is a filter."""
    codes = {library.code for library in catalogue().libraries}
    return [code for code in dict.fromkeys(request.args.getlist("library")) if code in codes]


def status_rank(holding: Holding) -> int:
    """A holding's place in STATUS_ORDER: the lower, the better for the patron."""
    return STATUS_ORDER.index(holding.status) if holding.status in STATUS_ORDER else 99
