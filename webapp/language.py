"""The page language: ?lang= (remembered in a cookie), else the cookie, else the logged-in
account's language (webapp.auth), else the browser's Accept-Language, else German."""

from __future__ import annotations

from flask import g, request

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
LANGUAGE_COOKIE = "lang"


def choose_language() -> None:
    """g.language from ?lang= or the cookie; webapp.auth puts the account's in when neither."""
    chosen = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen not in LANGUAGES:
        chosen = request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE
    g.language = chosen


def chose_language() -> bool:
    """Whether the visitor chose a language on this device (?lang= or the cookie)."""
    return (
        request.args.get("lang") in LANGUAGES or request.cookies.get(LANGUAGE_COOKIE) in LANGUAGES
    )
