"""Saved searches: "Suche speichern" on the hit list, /account/searches, and the alerts'
unsubscribe link.

A search is saved as the query string of the hit list (page 1), checked by the search page's
own parser, so a saved search runs exactly as it ran when saved. The alert toggle and delete
are POST forms with a CSRF token. /alerts/unsubscribe/<token> needs no login: GET shows
what the link would stop and asks to confirm (a mail scanner that opens links changes
nothing), the POST turns the alert off; a token that names no saved search gets a page that
says so.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from libnet.lists import saved_searches
from libnet.lists.alerts import UNSUBSCRIBE
from libnet.lists.errors import ListError
from libnet.lists.saved_searches import MAX_NAME, MAX_QUERY, SavedSearch
from libnet.store import transaction
from webapp.catalogue.search import parse_search
from webapp.lists.merkliste import ListForm, patron
from webapp.private_answers import NO_STORE
from webapp.state import catalogue

bp = Blueprint("saved_searches", __name__)
PAGE = "/account/searches"
SEARCH_PAGE = "/search?"


class SaveForm(FlaskForm):
    search = StringField("search", validators=[DataRequired(), Length(max=MAX_QUERY + 10)])
    name = StringField("name", validators=[Optional(), Length(max=MAX_NAME)])


@bp.post(f"{PAGE}/save")
def save() -> Response:
    user = patron()
    form = SaveForm()
    if not form.validate_on_submit() or not form.search.data.startswith(SEARCH_PAGE):
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    query = form.search.data[len(SEARCH_PAGE) :]
    parse_search(MultiDict(parse_qsl(query)))  # a search the page would refuse: its 400
    try:
        with transaction(catalogue().store.engine) as conn:
            saved_searches.save(conn, user.id, form.name.data or "", query, datetime.now(UTC))
    except ListError:
        flash(_("You have %(n)s saved searches, as many as can be kept: delete one first.",
                n=saved_searches.MAX_SEARCHES), "error")  # fmt: skip
        return redirect(form.search.data)
    flash(_("The search is saved. Turn on its alert to hear of new titles."), "success")
    return redirect(PAGE)


@bp.get(PAGE)
def page() -> str:
    user = patron()
    with catalogue().store.engine.connect() as conn:
        kept = saved_searches.searches(conn, user.id)
    return render_template("saved_searches.html", searches=kept, form=ListForm(),
                           account=user)  # fmt: skip


@bp.post(f"{PAGE}/<int:search_id>/alert/<any(on, off):state>")
def alert(search_id: int, state: str) -> Response:
    user = patron()
    if not ListForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        if not saved_searches.set_alert(conn, user.id, search_id, state == "on"):
            abort(404)
    if state == "on":
        flash(_("The alert is on: you get an e-mail when new titles match, at most one a day."),
              "success")  # fmt: skip
    else:
        flash(_("The alert is off."), "success")
    return redirect(PAGE)


@bp.post(f"{PAGE}/<int:search_id>/delete")
def delete(search_id: int) -> Response:
    user = patron()
    if not ListForm().validate_on_submit():
        flash(_("The form had expired. Please try again."), "error")
        return redirect(PAGE)
    with transaction(catalogue().store.engine) as conn:
        saved_searches.remove(conn, user.id, search_id)  # deleted in another tab: the same
    flash(_("The saved search is deleted."), "success")
    return redirect(PAGE)


@bp.get(f"{UNSUBSCRIBE}<token>")
def unsubscribe_page(token: str) -> Response:
    with catalogue().store.engine.connect() as conn:
        found = saved_searches.by_token(conn, token)
    return _unsubscribe(found, done=False)


@bp.post(f"{UNSUBSCRIBE}<token>")
def unsubscribe(token: str) -> Response:
    """No CSRF token: the link's own token is the secret, and the change only stops mail."""
    with transaction(catalogue().store.engine) as conn:
        found = saved_searches.unsubscribe(conn, token)
    return _unsubscribe(found, done=True)


def _unsubscribe(found: SavedSearch | None, *, done: bool) -> Response:
    """The page, never kept by a cache: it names a patron's search to whoever has the link."""
    html = render_template("unsubscribe.html", search=found, done=done)
    response = make_response(html, 404 if found is None else 200)
    response.headers["Cache-Control"] = NO_STORE
    return response
