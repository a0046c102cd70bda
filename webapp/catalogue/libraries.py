"""The libraries page: each library, what it holds by format, and when it was last harvested."""

from __future__ import annotations

from datetime import UTC

from flask import render_template

from webapp.catalogue.blueprint import pages
from webapp.state import catalogue


@pages.route("/libraries")
def libraries() -> str:
    """The libraries, what each holds by format, and when each was last harvested."""
    index = catalogue().index
    harvested = catalogue().last_harvests()
    rows = []
    for library in catalogue().libraries:
        held = index.search("*", filters={"library": [library.code]}, page_size=1)
        when = harvested.get(library.code)
        if when is not None and when.tzinfo is None:  # SQLite gives back naive UTC times
            when = when.replace(tzinfo=UTC)
        rows.append((library, held.total, held.facets["format"], when))
    return render_template("libraries.html", rows=rows, titles=index.count())
