"""The Merkliste's pages: add from the hit list and the record page, notes, export, mail.

Only a logged-in patron has one. Every change is a POST form with a CSRF token; "Merken"
returns to the page it was pressed on, where the title then shows as "Gemerkt". The list
shows each title as the index describes it now, following a merge; a title that left the
catalogue stays listed until the patron removes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from index.document import ClusterDoc, describing
from libnet.accounts import Account
from libnet.lists import ListError, merkliste
from libnet.lists.errors import ListFull
from libnet.lists.merkliste import MAX_NOTE, Entry
from libnet.loans import notices
from libnet.store import published, transaction
from webapp.auth import safe_next
from webapp.catalogue.record import CITATIONS, EXPORTS, citation
from webapp.state import catalogue

bp = Blueprint("merkliste", __name__)
PAGE = "/account/list"


class AddForm(FlaskForm):
    cluster_id = IntegerField("cluster_id", validators=[DataRequired()])
    next = StringField("next", validators=[Optional(), Length(max=2000)])


class NoteForm(FlaskForm):
    note = TextAreaField("note", validators=[Optional(), Length(max=MAX_NOTE)])


class ListForm(FlaskForm):
    """A button that changes the list: only the CSRF token."""


@dataclass(frozen=True, slots=True)
class Listed:
    entry: Entry
    doc: ClusterDoc | None  # None: the title is no longer in the catalogue


@bp.app_context_processor
def _marks() -> dict[str, object]:
    """What the hit list and record page need: the patron's titles, a form for "Merken"."""
    return {"list_marks": list_marks, "list_form": ListForm}


def list_marks() -> set[int] | None:
    """The cluster ids on the logged-in patron's list (once a request); None for others."""
    user = g.get("user")
    if user is None or user.role != "patron":
        return None
    if "list_marks" not in g:
        with catalogue().store.engine.connect() as conn:
            g.list_marks = merkliste.cluster_ids(conn, user.id)
    return g.list_marks


def patron() -> Account:
    """The logged-in patron; anyone else is sent to log in (or refused: staff)."""
    user = g.get("user")
    if user is None:
        abort(redirect(f"/login?next={request.path}"))
    if user.role != "patron":
        abort(403)
    return user


@bp.post(f"{PAGE}/add")
def add() -> Response:
    user = patron()
    form = AddForm()
    back = safe_next(form.next.data or "") or PAGE
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        with transaction(catalogue().store.engine) as conn:
            merkliste.add(conn, user.id, form.cluster_id.data, datetime.now(UTC))
    except ListError as exc:
        flash(_list_error(exc), "error")
        return redirect(back)
    flash(_("The title is on your list."), "success")
    return redirect(back)


@bp.get(PAGE)
def page() -> str:
    user = patron()
    return render_template("merkliste.html", listed=_listed(user), form=ListForm(),
                           max_note=MAX_NOTE, exports=CITATIONS, labels=EXPORTS)  # fmt: skip


@bp.post(f"{PAGE}/<int:cluster_id>/note")
def note(cluster_id: int) -> Response:
    user = patron()
    form = NoteForm()
    if not form.validate_on_submit():
        flash(_("A note has at most %(n)s characters.", n=MAX_NOTE), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        found = merkliste.set_note(conn, user.id, cluster_id, form.note.data or "")
    if not found:
        abort(404)
    flash(_("The note is saved."), "success")
    return redirect(f"{PAGE}#title-{cluster_id}")


@bp.post(f"{PAGE}/<int:cluster_id>/remove")
def remove(cluster_id: int) -> Response:
    user = patron()
    if not ListForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        merkliste.remove(conn, user.id, cluster_id)  # gone already (another tab): the same
    flash(_("The title is off your list."), "success")
    return redirect(PAGE)


@bp.get(f"{PAGE}/export/<fmt>")
def export(fmt: str) -> Response:
    """The whole list as one RIS or BibTeX file, each title as its record page exports it."""
    user = patron()
    if fmt not in CITATIONS:
        abort(404)
    docs = [item.doc for item in _listed(user) if item.doc is not None]
    with catalogue().store.engine.connect() as conn:
        members = published.member_records(conn, [doc.id for doc in docs], raw=False)
    parts = []
    for doc in docs:
        best = describing(members[doc.id])
        if best is not None:
            parts.append(citation(fmt, doc.id, best.bib))
    content_type, extension, _label = EXPORTS[fmt]
    response = Response("\r\n".join(parts) if fmt == "ris" else "\n".join(parts),
                        content_type=content_type)  # fmt: skip
    response.headers["Content-Disposition"] = f'attachment; filename="merkliste.{extension}"'
    return response


@bp.post(f"{PAGE}/mail")
def mail() -> Response:
    """The list to the account's own address, as a notice sent a moment later."""
    user = patron()
    if not ListForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    if not user.email:
        flash(_("Your account has no e-mail address: give one under “My account” first."),
              "error")  # fmt: skip
        return redirect(PAGE)
    listed = _listed(user)
    if not listed:
        flash(_("Your list is empty."), "error")
        return redirect(PAGE)
    site = catalogue().config.mail.site_url.rstrip("/")
    context = {"entries": [_mailed(item, site) for item in listed], "count": len(listed),
               "link": f"{site}{PAGE}"}  # fmt: skip
    with transaction(catalogue().store.engine) as conn:
        notices.queue_for_account(conn, "merkliste", user, context, now=datetime.now(UTC))
    catalogue().send_notices_soon()
    flash(_("Your list is on its way to %(address)s.", address=user.email), "success")
    return redirect(PAGE)


def _listed(user: Account) -> list[Listed]:
    with catalogue().store.engine.connect() as conn:
        entries = merkliste.entries(conn, user.id)
    return [Listed(entry, catalogue().current_doc(entry.cluster_id)) for entry in entries]


def _mailed(item: Listed, site: str) -> dict[str, object]:
    """An entry as the mail's template takes it; a title gone from the catalogue says so."""
    doc = item.doc
    link = f"{site}/record/{item.entry.cluster_id}"
    return {"gone": doc is None, "title": doc.title if doc else "", "link": link,
            "authors": "; ".join(doc.authors[:3]) if doc else "",
            "year": (doc.year or "") if doc else "", "note": item.entry.note}  # fmt: skip


def _list_error(exc: ListError) -> str:
    if isinstance(exc, ListFull):
        return _("Your list is full: at most %(n)s titles.", n=merkliste.MAX_ENTRIES)
    return _("There is no such title.")
