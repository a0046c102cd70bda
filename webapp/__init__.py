"""The web catalogue: a Flask application over the union index and the record store.

`create_app(config)` builds one application for one config.toml; `libnet serve` runs it under
gunicorn. Each area of the site is a blueprint in a module or package of its own:
webapp.catalogue (the patrons' pages and feeds), webapp.loan_pages (a patron's requests),
webapp.account ("Mein Konto"), webapp.password_reset, webapp.auth (log in and out),
webapp.privacy (the privacy page, deleting an account), webapp.lists (the Merkliste, saved
searches and their alerts' unsubscribe link),
webapp.staff (the librarians' loan pages, operations, statistics), webapp.admin, webapp.api
(JSON and its OpenAPI document), webapp.sru, webapp.oai and webapp.health. What they share,
the open index and store, is `webapp.state.Catalogue`; their exceptions and error pages are
`webapp.errors`, their limits `webapp.limits`, how often a client may ask
`webapp.rate_limits`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_babel import Babel
from werkzeug.middleware.proxy_fix import ProxyFix

from libnet.config import Config
from webapp.errors import register_error_pages
from webapp.language import DEFAULT_LANGUAGE, LANGUAGE_COOKIE, LANGUAGES, choose_language
from webapp.private_answers import no_store_when_personal
from webapp.state import Catalogue

# no inline script or style anywhere: every script and style sheet comes from /static
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def create_app(config: Config, **settings: Any) -> Flask:
    """The catalogue's application for one configuration; settings go into app.config."""
    app = Flask(__name__)
    app.config.update(
        BABEL_DEFAULT_LOCALE=DEFAULT_LANGUAGE,
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",  # dates on the pages as the county reads them
        BABEL_TRANSLATION_DIRECTORIES="translations",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # served as https:// (nginx in front terminates TLS): the session never goes in clear
        SESSION_COOKIE_SECURE=config.mail.site_url.startswith("https://"),
        # the cookie lives as long as a session may ([sessions] max_hours); the session's row
        # in the store decides whether it is still open (webapp.auth)
        PERMANENT_SESSION_LIFETIME=int(config.sessions.max_hours * 3600),
    )
    app.config.update(settings)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(config.storage.data_dir)
    app.json.ensure_ascii = False  # umlauts as they are in every JSON answer
    app.extensions["libnet"] = Catalogue(config)
    app.before_request(choose_language)
    Babel(app, locale_selector=lambda: g.get("language", DEFAULT_LANGUAGE))
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.add_template_filter(_lang_args, "lang_args")
    app.after_request(_security_headers)
    app.after_request(no_store_when_personal)  # after every blueprint's own headers
    register_error_pages(app)
    # each part of the site is a blueprint; imported here, not at the top, so that importing
    # one module of the package (the CQL parser, say) does not load every page
    from webapp import (
        account,
        admin,
        auth,
        health,
        loan_pages,
        password_reset,
        privacy,
        registration,
    )  # fmt: skip
    from webapp.api import loans as loans_api
    from webapp.api import search as search_api
    from webapp.catalogue import feeds, pages
    from webapp.lists import merkliste, searches
    from webapp.oai import verbs as oai
    from webapp.sru import server as sru
    from webapp.staff import bp as staff_pages
    from webapp.staff import operations, statistics

    for blueprint in (pages, auth.bp, loan_pages.bp, account.bp, password_reset.bp,
                      staff_pages, admin.bp, statistics.bp, search_api.bp, loans_api.bp,
                      feeds.bp, oai.bp, sru.bp, health.bp, operations.bp,
                      privacy.bp, registration.bp, merkliste.bp, searches.bp):  # fmt: skip
        app.register_blueprint(blueprint)
    from webapp.staff import overlap  # the holdings-overlap report (Bestandsabgleich)

    app.register_blueprint(overlap.bp)
    from webapp import rate_limits

    rate_limits.install(app, config.rate_limits)  # after the blueprints: it knows who asks
    proxies = config.web.trusted_proxies
    if proxies:
        # behind nginx: the client's address (rate limits, the login throttle) and the scheme
        # and host the patron used (Atom ids, OpenSearch, OAI baseURL) come from the proxies'
        # X-Forwarded-* headers; without trusted proxies these headers are ignored, as anyone
        # may send them
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app


def secret_key(data_dir: Path) -> str:
    """The key that signs session cookies: $LIBNET_SECRET_KEY, else data_dir/web-secret.

    The file is made on first use, readable by its owner only, and shared by every worker
    process, so a session stays valid whichever worker answers and across restarts.
    """
    given = os.environ.get("LIBNET_SECRET_KEY", "")
    if given:
        return given
    path = data_dir / "web-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        # written whole under another name, then linked: a worker starting at the same
        # moment reads the winner's key, never a half-written one
        temporary = data_dir / f"web-secret.{os.getpid()}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()


def _lang_args(args: Any, language: str) -> str:
    """The query string of this page with lang= set: the language switch keeps the search."""
    from urllib.parse import urlencode

    pairs = [(key, value) for key, value in args.items(multi=True) if key != "lang"]
    return urlencode([*pairs, ("lang", language)])


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")
    chosen = request.args.get("lang")
    if chosen in LANGUAGES and request.cookies.get(LANGUAGE_COOKIE) != chosen:
        response.set_cookie(
            LANGUAGE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response
