"""A title's pages: the record with every library's holdings, its staff view, its exports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pymarc
from flask import (
    Response,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from werkzeug.exceptions import Gone

from index.document import ClusterDoc, describing, union_marc
from libnet import loans
from libnet.errors import RecordError
from libnet.records.bib import BibRecord
from libnet.records.exports import bibtex, ris
from libnet.records.marc import parse_stored, to_iso2709, to_marcxml
from libnet.store import published
from libnet.store.published import MemberRecord
from webapp.availability import as_of, holding_rows, live_label
from webapp.catalogue.blueprint import (
    chosen_home,
    chosen_libraries,
    hit_list,
    pages,
    status_rank,
)
from webapp.errors import error_page
from webapp.staff.blueprint import staff_user
from webapp.state import Found, catalogue

# format -> (content type, file extension, label)
EXPORTS = {
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris", "RIS"),
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib", "BibTeX"),
    "marcxml": ("application/marcxml+xml; charset=utf-8", "xml", "MARCXML"),
    "marc": ("application/marc", "mrc", "MARC 21 (ISO 2709)"),
}


CITATIONS = ("ris", "bibtex")  # the exports of the describing record, one title or a list


def citation(fmt: str, cluster_id: int, bib: BibRecord) -> str:
    """A title's RIS or BibTeX entry: the record page's export and the Merkliste's alike."""
    return ris(bib) if fmt == "ris" else bibtex(bib, f"libnet{cluster_id}")


@pages.app_context_processor
def _export_formats() -> dict[str, Any]:
    return {"exports": EXPORTS}


@pages.route("/record/<int:cluster_id>")
def record(cluster_id: int) -> str:
    """A title as its most complete record describes it, with every library's holdings."""
    if request.args.get("view") == "staff":
        return staff(cluster_id)
    doc = _cluster(cluster_id)
    members = _members(cluster_id)
    best = describing(members)
    bib = best.bib if best else None
    volumes = dict(bib.series) if bib else {}
    home_library = chosen_home()
    only = chosen_libraries()
    return render_template(
        "record.html",
        doc=doc,
        back_to_hits=hit_list(),
        ordered=_open_request(doc.id),
        bib=bib,
        series=[(title, volumes.get(title, "")) for title in doc.series],
        only=", ".join(catalogue().library_name(code) for code in only),
        holdings=sorted(
            (h for h in holding_rows(doc, members) if not only or h.library in only),
            key=lambda h: (
                h.library != home_library,
                catalogue().library_name(h.library),
                status_rank(h),
                h.call_number,
            ),
        ),
        live_label=live_label,
        as_of=lambda moment: as_of(moment, datetime.now(UTC)),
    )


def _open_request(cluster_id: int) -> loans.LoanRequest | None:
    """The logged-in patron's open request for this title: the page shows it, not the form."""
    user = g.get("user")
    if user is None or user.role != "patron":
        return None
    with catalogue().store.engine.connect() as conn:
        mine = loans.requests(conn, patron_id=user.id, states=loans.OPEN_STATES)
    return next((r for r in mine if r.cluster_id == cluster_id), None)


@pages.route("/record/<int:cluster_id>/staff")
def staff(cluster_id: int) -> str:
    """Each member library's record as MARC, and the rule that joined it to the cluster.

    For staff only: the libraries' records carry their item barcodes and notes. Anyone sees
    the union record, which has none (index.document.union_marc), in the MARC view (marc).
    """
    staff_user()
    doc = _cluster(cluster_id)
    members = _members(cluster_id)
    shown = sorted(members, key=lambda member: (member.library, member.local_id))
    return render_template(
        "staff.html",
        doc=doc,
        members=[(member, _marc(member)) for member in shown],
        describing=describing(members),
    )


@pages.route("/record/<int:cluster_id>/marc")
def marc(cluster_id: int) -> str:
    """The MARC view ("MARC-Ansicht"): the cluster's union record, field by field."""
    doc = _cluster(cluster_id)
    try:
        record = union_marc(cluster_id, _members(cluster_id), catalogue().libraries)
    except RecordError as exc:  # a record stored before the harvest refused such records
        current_app.logger.warning("MARC view of cluster %s: %s", cluster_id, exc)
        abort(404)
    if record is None:
        abort(404)
    return render_template("record_marc.html", doc=doc, rows=_rows(record))


@pages.route("/record/<int:cluster_id>/export/<fmt>")
def export(cluster_id: int, fmt: str) -> Response:
    """The cluster as a download: RIS and BibTeX of its describing record, MARCXML and MARC
    its union record (index.document.union_marc); ?member=library:id: that member's record,
    for staff only (it carries the library's item barcodes)."""
    if fmt not in EXPORTS:
        abort(404)
    if "member" in request.args:
        staff_user()
    _cluster(cluster_id)
    members = _members(cluster_id)
    try:
        if "member" in request.args:
            library, _, local_id = request.args["member"].partition(":")
            wanted = (library, local_id)
            member = next((m for m in members if (m.library, m.local_id) == wanted), None)
            marc = None if member is None else parse_stored(member.raw, member.syntax)
        else:
            member = describing(members)
            marc = union_marc(cluster_id, members, catalogue().libraries)
    except RecordError as exc:  # a record stored before the harvest refused such records
        current_app.logger.warning("export of cluster %s: %s", cluster_id, exc)
        abort(404)
    if member is None or member.deleted or marc is None:
        abort(404)
    if fmt in CITATIONS:
        body: str | bytes = citation(fmt, cluster_id, member.bib)
    elif fmt == "marcxml":
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + to_marcxml(marc) + b"\n"
    else:
        body = to_iso2709(marc)  # UTF-8, whatever the library sent
    content_type, extension, _label = EXPORTS[fmt]
    name = f"libnet-{cluster_id}-{member.library}-{_safe(member.local_id)}.{extension}"
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _cluster(cluster_id: int) -> ClusterDoc:
    """The cluster's document; a merged cluster redirects (301) to the cluster it went into, a
    gone one is a 410 that offers a search for its title, an id never given out a 404."""
    # the store's ids are 64-bit integers; a longer number is no cluster of ours
    found = catalogue().find(cluster_id) if cluster_id < 2**63 else Found(None)
    if found.doc is not None:
        return found.doc
    if found.moved_to is not None:
        args = dict(request.view_args or {}, cluster_id=found.moved_to)
        target = url_for(request.endpoint or "pages.record", **args)
        query = request.query_string.decode("ascii", "replace")
        abort(redirect(f"{target}?{query}" if query else target, 301))
    if found.gone:
        withdrawn = Gone(gettext("The title with the number %(id)s is no longer in the catalogue: "
                                 "the libraries have withdrawn it.", id=cluster_id))  # fmt: skip
        abort(make_response(error_page(withdrawn, 410, search_for=found.title), 410))
    abort(make_response(render_template("record_missing.html", cluster_id=cluster_id), 404))


def _members(cluster_id: int) -> list[MemberRecord]:
    """The cluster's member records as stored, in one query, in record id order."""
    with catalogue().store.engine.connect() as conn:
        return published.member_records(conn, [cluster_id])[cluster_id]


def _marc(member: MemberRecord) -> list[tuple[str, str, list[tuple[str, str]] | str]] | str:
    """A member's record as readable MARC: (tag, indicators, subfields or control data) rows;
    why not, when the stored bytes cannot be read (stored before the harvest refused them)."""
    if member.deleted:
        return []
    try:
        record = parse_stored(member.raw, member.syntax)
    except RecordError as exc:
        return str(exc)
    return _rows(record)


def _rows(record: pymarc.Record) -> list[tuple[str, str, list[tuple[str, str]] | str]]:
    """A MARC record as (tag, indicators, subfields or control data) rows, leader first."""
    rows: list[tuple[str, str, list[tuple[str, str]] | str]] = [("LDR", "", str(record.leader))]
    for marc_field in record.fields:
        if marc_field.is_control_field():
            rows.append((marc_field.tag, "", marc_field.data or ""))
        else:
            indicators = "".join(i if i.strip() else "#" for i in marc_field.indicators)
            rows.append(
                (marc_field.tag, indicators, [(s.code, s.value) for s in marc_field.subfields])
            )
    return rows


def _safe(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)
