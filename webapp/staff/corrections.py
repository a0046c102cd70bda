"""The librarians' corrections of the catalogue's clusters, in the browser.

From the staff view of a cluster (/record/<id>/staff) a librarian splits a record out ("Not
the same edition", /staff/corrections/split) or joins the cluster with another found by id
or by a search ("Same edition as ...", /staff/corrections/join). Each shows its effect
first (index.corrections.preview) and is saved with a reason; then the clusters it changed
are written to the search index at once, so the pages show the new state. Every correction
is listed at /staff/corrections, filterable, with undo (itself a correction). Librarians of
any library may correct the catalogue: it is the county's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField

from index.corrections import MAX_REASON, preview, save, undo
from index.errors import BadSearch, CorrectionRefused
from index.update import update_index
from libnet.lock import AlreadyRunning, data_dir_lock
from libnet.store import corrections as log
from webapp.staff.blueprint import bp, staff_user
from webapp.state import catalogue

KIND_LABELS = {
    "split": lazy_gettext("Not the same edition (split)"),
    "join": lazy_gettext("Same edition (join)"),
    "undo": lazy_gettext("Undo"),
}
REFUSALS = {  # index.errors.CorrectionRefused codes
    "reason": lazy_gettext("Please give a reason (at most %(num)s characters).", num=MAX_REASON),
    "same-cluster": lazy_gettext("A cluster cannot be joined with itself."),
    "not-member": lazy_gettext("This record is not in the cluster (any more)."),
    "alone": lazy_gettext("This record is the only one of its cluster: there is nothing to split."),
    "no-cluster": lazy_gettext("There is no such cluster."),
    "changed": lazy_gettext(
        "Someone changed this cluster meanwhile. Nothing was saved: below is its current "
        "state; check it and save again."
    ),
    "undone": lazy_gettext("This correction was undone already."),
    "undo": lazy_gettext("An undo cannot be undone: make the correction again instead."),
    "no-correction": lazy_gettext("There is no such correction."),
}


class CorrectionForm(FlaskForm):
    """A split or join being saved: what the preview showed (versions) and why."""

    cluster = HiddenField("cluster")
    other = HiddenField("other")
    versions = HiddenField("versions")
    reason = StringField("reason")


class UndoForm(FlaskForm):
    reason = StringField("reason")


@bp.route("/corrections/<kind>", methods=["GET", "POST"])
def correct(kind: str) -> str | Response:
    """A split's or join's preview (GET) and its saving (POST)."""
    user = staff_user()
    if kind not in ("split", "join"):
        abort(404)
    form = CorrectionForm(request.form if request.method == "POST" else request.args)
    cluster_id = _number(form.cluster.data)
    other = (form.other.data or "").strip()[:200]
    if not cluster_id:
        abort(404)
    if kind == "join" and not other.isdigit():
        return _choose(cluster_id, other)
    problem = ""
    if request.method == "POST":
        if not form.validate_on_submit():
            problem = _("The form had expired. Please try again.")
        else:
            try:
                saved = save(catalogue().store, kind, cluster_id, other, reason=form.reason.data
                             or "", versions=form.versions.data or "", by=user,
                             now=datetime.now(UTC))  # fmt: skip
            except CorrectionRefused as exc:
                problem = str(REFUSALS.get(exc.code, exc))
            else:
                _written_to_the_index()
                flash(_("The correction is saved."), "success")
                target = cluster_id if kind == "split" else saved.cluster_id
                return redirect(url_for("pages.staff", cluster_id=target or cluster_id))
    with catalogue().store.engine.connect() as conn:
        try:
            shown = preview(conn, kind, cluster_id, other)
        except CorrectionRefused as exc:
            return _refused(exc, cluster_id)
    form.versions.data = shown.versions  # a cluster changed meanwhile: the new state's
    status = 409 if problem else 200
    page = render_template("staff_correction.html", preview=shown, form=form, problem=problem,
                           kind_label=KIND_LABELS[kind], max_reason=MAX_REASON)  # fmt: skip
    return page, status  # type: ignore[return-value]


def _choose(cluster_id: int, text: str) -> str:
    """The join's first step: clusters found by the words typed, to choose one from."""
    hits, problem = [], ""
    if text:
        try:
            hits = [h for h in catalogue().index.search(text, page_size=20).hits
                    if h.id != cluster_id]  # fmt: skip
        except BadSearch:
            problem = _("These words cannot be searched; try others or the cluster's number.")
    doc = catalogue().current_doc(cluster_id)
    if doc is None:
        abort(404)
    return render_template("staff_correction_choose.html", doc=doc, text=text, hits=hits,
                           problem=problem)  # fmt: skip


def _refused(exc: CorrectionRefused, cluster_id: int) -> tuple[str, int]:
    message = str(REFUSALS.get(exc.code, exc))
    return render_template("staff_correction_refused.html", message=message,
                           cluster_id=cluster_id), 409  # fmt: skip


@bp.get("/corrections")
def corrections() -> str:
    """Every correction, newest first; by library, person, kind and days."""
    staff_user()
    args = request.args
    library = args.get("library", "")
    library = library if library in {lib.code for lib in catalogue().libraries} else ""
    kind = args.get("kind", "") if args.get("kind", "") in KIND_LABELS else ""
    since, until = _day(args.get("from", "")), _day(args.get("to", ""))
    with catalogue().store.engine.connect() as conn:
        people = log.people(conn)
        person = args.get("person", "") if args.get("person", "") in people else ""
        found = log.listed(conn, library=library, person=person, kind=kind, since=since,
                           before=until + timedelta(days=1) if until else None)  # fmt: skip
    chosen = {"library": library, "person": person, "kind": kind,
              "from": args.get("from", "") if since else "",
              "to": args.get("to", "") if until else ""}  # fmt: skip
    return render_template("staff_corrections.html", found=found, people=people, chosen=chosen,
                           kinds=KIND_LABELS, form=UndoForm(), max_reason=MAX_REASON)  # fmt: skip


@bp.post("/corrections/<int:correction_id>/undo")
def undo_correction(correction_id: int) -> Response:
    user = staff_user()
    form = UndoForm()
    back = url_for("staff_pages.corrections")
    if not form.validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(back)
    try:
        undo(catalogue().store, correction_id, reason=form.reason.data or "", by=user,
             now=datetime.now(UTC))  # fmt: skip
    except CorrectionRefused as exc:
        flash(str(REFUSALS.get(exc.code, exc)), "error")
        return redirect(back)
    _written_to_the_index()
    flash(_("The correction is undone."), "success")
    return redirect(back)


def _written_to_the_index() -> None:
    """Write the changed clusters to the search index now, unless a harvest or nightly run
    holds the data directory: that run writes them."""
    data_dir = catalogue().config.storage.data_dir
    try:
        with data_dir_lock(data_dir):
            update_index(catalogue().store, data_dir)
    except AlreadyRunning:
        flash(_("The catalogue is being updated; the search shows the change when that is done."))


def _number(text: str | None) -> int:
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else 0


def _day(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=UTC) if text.strip() else None
    except ValueError:
        return None
