"""The holdings-overlap report (Bestandsabgleich) for staff: a page, its list as CSV and XLSX.

GET /staff/overlap shows, for the librarian's own library (the network's administrator: all
libraries, or one chosen with ?library=CODE), the titles held only here, those N or more
libraries hold, and those held elsewhere that the library's patrons ordered at least K times
in the last year (libnet.overlap says exactly what each list holds), counted per subject and
per decade as tables and bar charts, and one list at a time, narrowed, sorted and paged.
GET /staff/overlap.csv and /staff/overlap.xlsx give that list whole (webapp/staff/
overlap_files.py).

The parameters, all optional: library, n (2-99, default 5), k (1-9999, default 3), list
(only, many, ordered), subject ("-": the titles without a subject), decade (1990, or "none"
for the titles without a year), sort (subject, decade, libraries, orders; "-" before it:
descending), page. A librarian asking for another library gets 403; a bad value, a page
explaining it with 400.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from libnet import overlap
from libnet.accounts import Account
from libnet.numbers import whole_number
from libnet.overlap import LISTS, NO_YEAR, Overlap, OverlapError, Tally
from webapp.catalogue.search import page_numbers
from webapp.staff import charts, overlap_files
from webapp.staff.blueprint import staff_user
from webapp.state import catalogue

bp = Blueprint("overlap_pages", __name__)
NO_SUBJECT = "-"  # ?subject= for the titles without one
SUBJECTS_SHOWN = 20  # rows of the subject table; the chart draws the first CHARTED
CHARTED = 10


@dataclass(frozen=True, slots=True)
class Asked:
    """The report's parameters as the request gave them, checked."""

    library: str | None  # None: all libraries
    n: int = overlap.DEFAULT_N
    k: int = overlap.DEFAULT_K
    list: str = "only"
    subject: str | None = None
    decade: int | None = None
    sort: str = ""
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)  # by parameter

    def query(self, **changed: object) -> str:
        """The parameters as a query string, with some changed (None: left out)."""
        values = {
            "library": self.library, "n": self.n, "k": self.k, "list": self.list,
            "subject": NO_SUBJECT if self.subject == "" else self.subject,
            "decade": "none" if self.decade == NO_YEAR else self.decade,
            "sort": self.sort or None, "page": self.page if self.page > 1 else None,
        } | changed  # fmt: skip
        return urlencode({key: value for key, value in values.items() if value is not None})

    def url(self, page: int) -> str:
        return "/staff/overlap?" + self.query(page=page if page > 1 else None)


@bp.get("/staff/overlap")
def overlap_page() -> Response | str | tuple[str, int]:
    user = staff_user()
    asked = _asked(user)
    report, titles, listed = None, [], None
    if not asked.errors:
        report = _report(asked)
        titles = overlap.choose(report.lists[asked.list], asked.subject, asked.decade,
                                _sort(asked))  # fmt: skip
        try:
            listed = overlap.page_of(titles, asked.page, overlap.PAGE_SIZE)
        except OverlapError:
            asked.errors["page"] = _("There is no page %(page)s of this list.", page=asked.page)
    page = render_template(
        "staff_overlap.html",
        asked=asked,
        report=report if not asked.errors else None,
        listed=listed,
        short_titles=_short_titles(listed.titles) if listed else {},
        page_numbers=page_numbers(listed.number, listed.pages) if listed else [],
        charts=_charts(report, asked) if report and not asked.errors else {},
        subjects=report.by_subject[:SUBJECTS_SHOWN] if report else (),
        list_names=_list_names(asked),
        library_choices=[(lib.code, lib.name) for lib in catalogue().libraries]
        if user.role == "admin"
        else [],
        decade_label=_decade_label,
        subject_label=_subject_label,
        subject_param=lambda subject: NO_SUBJECT if subject == "" else subject,
        decade_param=lambda decade: "none" if decade is None else decade,
        sorts=_sort_names(),
        sort=_sort(asked),
        since=format_date(report.since) if report else "",
    )
    return (page, 400) if asked.errors else page


@bp.get("/staff/overlap.csv")
def overlap_csv() -> Response:
    asked, titles, names = _whole_list()
    return overlap_files.csv_answer(titles, names, _file_name(asked, "csv"))


@bp.get("/staff/overlap.xlsx")
def overlap_xlsx() -> Response:
    asked, titles, names = _whole_list()
    report = _report(asked)
    return overlap_files.xlsx_answer(asked, report, titles, names, _file_name(asked, "xlsx"))


# --------------------------------------------------------------------------- the parameters


def _asked(user: Account) -> Asked:
    """The parameters of the request; aborts with 403 for a librarian asking after another
    library than their own."""
    args = request.args
    errors: dict[str, str] = {}
    code = args.get("library", "").strip()
    if user.role == "librarian":
        if code not in ("", user.library):
            abort(403)
        library: str | None = user.library
    elif code and code not in {lib.code for lib in catalogue().libraries}:
        errors["library"] = _("There is no library with the code %(code)s.", code=code)
        library = None
    else:
        library = code or None
    n = _whole(args, "n", overlap.DEFAULT_N, errors)
    k = _whole(args, "k", overlap.DEFAULT_K, errors)
    if "n" not in errors and "k" not in errors:
        try:
            overlap.check(n, k)
        except OverlapError as exc:
            errors[exc.field] = (
                _("N is a number of libraries from 2 to %(most)s.", most=overlap.MAX_N)
                if exc.field == "n"
                else _("K is a number of orders from 1 to %(most)s.", most=overlap.MAX_K)
            )
    chosen = args.get("list", "only")
    if chosen not in LISTS:
        errors["list"] = _("There is no list %(list)s: choose only, many or ordered.", list=chosen)
        chosen = "only"
    subject = args.get("subject", "").strip() or None
    decade = _decade(args.get("decade", "").strip(), errors)
    sort = args.get("sort", "").strip()
    if sort and sort.removeprefix("-") not in overlap.SORTS:
        errors["sort"] = _("The list cannot be sorted by %(sort)s.", sort=sort)
        sort = ""
    page = _whole(args, "page", 1, errors)
    if page < 1:
        errors["page"] = _("There is no page %(page)s of this list.", page=page)
    return Asked(library, n, k, chosen, "" if subject == NO_SUBJECT else subject, decade,
                 sort, max(page, 1), errors)  # fmt: skip


def _whole(args, name: str, default: int, errors: dict[str, str]) -> int:
    text = args.get(name, "").strip()
    if not text:
        return default
    value = whole_number(text, 6)
    if value is None:
        errors[name] = _("%(name)s is a whole number, not %(value)s.", name=name.upper()
                         if name in ("n", "k") else _("Page"), value=text)  # fmt: skip
        return default
    return value


def _decade(text: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    if text == "none":
        return NO_YEAR
    value = whole_number(text, 4)
    if value is None or value % 10:
        errors["decade"] = _("A decade is a year ending in 0, such as 1990, not %(value)s.",
                             value=text)  # fmt: skip
        return None
    return value


def _sort(asked: Asked) -> str:
    return asked.sort or overlap.DEFAULT_SORT[asked.list]


def _whole_list() -> tuple[Asked, list[overlap.Title], dict[int, str]]:
    """The chosen list, narrowed and sorted, with every title's short title; 400 for bad
    parameters."""
    asked = _asked(staff_user())
    if asked.errors:
        abort(400, description=" ".join(asked.errors.values()))
    report = _report(asked)
    titles = overlap.choose(report.lists[asked.list], asked.subject, asked.decade, _sort(asked))
    return asked, titles, _short_titles(titles)


def _report(asked: Asked) -> Overlap:
    with catalogue().store.engine.connect() as conn:
        return overlap.overlap(conn, asked.library, asked.n, asked.k, datetime.now(UTC))


def _short_titles(titles) -> dict[int, str]:
    with catalogue().store.engine.connect() as conn:
        return overlap.short_titles(conn, titles)


def _file_name(asked: Asked, suffix: str) -> str:
    return f"libnet-overlap-{asked.list}-{asked.library or 'all'}.{suffix}"


# --------------------------------------------------------------------------- words and charts


def _list_names(asked: Asked) -> dict[str, str]:
    """Each list's name as the page, the files and the charts say it."""
    here = asked.library is not None
    return {
        "only": _("Held only here") if here else _("Held by one library only"),
        "many": _("Held by %(n)s or more libraries", n=asked.n),
        "ordered": (
            ngettext(
                "Held elsewhere, ordered %(num)s time or more",
                "Held elsewhere, ordered %(num)s times or more",
                asked.k,
            )
            if here
            else ngettext(
                "Ordered %(num)s time or more by libraries without it",
                "Ordered %(num)s times or more by libraries without it",
                asked.k,
            )
        ),
    }


def _sort_names() -> dict[str, str]:
    return {"subject": _("Subject, A to Z"), "-subject": _("Subject, Z to A"),
            "decade": _("Oldest first"), "-decade": _("Newest first"),
            "-libraries": _("Most libraries first"), "libraries": _("Fewest libraries first"),
            "-orders": _("Most orders first"), "orders": _("Fewest orders first")}  # fmt: skip


def _decade_label(decade: int | None) -> str:
    return _("no year") if decade is None else _("%(decade)ss", decade=decade)


def _subject_label(subject: str) -> str:
    return subject or _("no subject")


def _charts(report: Overlap, asked: Asked) -> dict[str, charts.Chart]:
    names = list(_list_names(asked).values())
    in_table = _("The numbers are in the table below.")

    def values(tallies: tuple[Tally, ...]) -> list[list[int]]:
        return [[t.only, t.many, t.ordered] for t in tallies]

    subjects = report.by_subject[:CHARTED]
    return {
        "subjects": charts.bar_chart(
            "chart-subjects", _("Titles per subject"), in_table, names,
            [_subject_label(str(t.key)) for t in subjects], values(subjects)),
        "decades": charts.bar_chart(
            "chart-decades", _("Titles per decade"), in_table, names,
            [_decade_label(t.key if isinstance(t.key, int) else None)
             for t in report.by_decade], values(report.by_decade)),
    }  # fmt: skip
