"""What libnet's codes mean to a patron, in the page's language: formats, languages, statuses.

The engine and the store speak in codes (book, ger, on_loan, title-author-year); the pages show
these labels. A code without a label is shown as it is. Lazy, so each is translated when shown.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask_babel import format_date, gettext, lazy_gettext

from index.evidence import Part, read
from libnet.loans.due_dates import due_in_note
from libnet.loans.rota import live_in_note, rota_in_note
from libnet.loans.states import reason_in_note
from libnet.loans.timers import timer_note

# libnet.records.formats.FORMATS
FORMAT_LABELS = {
    "book": lazy_gettext("Book"),
    "ebook": lazy_gettext("E-book"),
    "audiobook": lazy_gettext("Audiobook"),
    "music": lazy_gettext("Music"),
    "video": lazy_gettext("Film"),
    "map": lazy_gettext("Map"),
    "score": lazy_gettext("Sheet music"),
    "journal": lazy_gettext("Journal"),
    "article": lazy_gettext("Article"),
    "game": lazy_gettext("Game"),
    "software": lazy_gettext("Software"),
    "kit": lazy_gettext("Kit"),
    "other": lazy_gettext("Other"),
}
# ISO 639-2, bibliographic and terminology codes
LANGUAGE_LABELS = {
    "ger": lazy_gettext("German"), "deu": lazy_gettext("German"),
    "eng": lazy_gettext("English"), "fre": lazy_gettext("French"), "fra": lazy_gettext("French"),
    "spa": lazy_gettext("Spanish"), "ita": lazy_gettext("Italian"),
    "por": lazy_gettext("Portuguese"), "dut": lazy_gettext("Dutch"), "nld": lazy_gettext("Dutch"),
    "tur": lazy_gettext("Turkish"), "pol": lazy_gettext("Polish"), "rus": lazy_gettext("Russian"),
    "ukr": lazy_gettext("Ukrainian"), "ara": lazy_gettext("Arabic"), "per": lazy_gettext("Persian"),
    "fas": lazy_gettext("Persian"), "kur": lazy_gettext("Kurdish"), "gre": lazy_gettext("Greek"),
    "ell": lazy_gettext("Greek"), "lat": lazy_gettext("Latin"), "swe": lazy_gettext("Swedish"),
    "dan": lazy_gettext("Danish"), "nor": lazy_gettext("Norwegian"),
    "fin": lazy_gettext("Finnish"), "cze": lazy_gettext("Czech"), "ces": lazy_gettext("Czech"),
    "hun": lazy_gettext("Hungarian"), "rum": lazy_gettext("Romanian"),
    "ron": lazy_gettext("Romanian"), "hrv": lazy_gettext("Croatian"),
    "srp": lazy_gettext("Serbian"), "bos": lazy_gettext("Bosnian"),
    "alb": lazy_gettext("Albanian"), "sqi": lazy_gettext("Albanian"),
    "bul": lazy_gettext("Bulgarian"), "chi": lazy_gettext("Chinese"),
    "zho": lazy_gettext("Chinese"), "jpn": lazy_gettext("Japanese"),
    "kor": lazy_gettext("Korean"), "heb": lazy_gettext("Hebrew"),
    "mul": lazy_gettext("Several languages"), "und": lazy_gettext("Undetermined"),
    "zxx": lazy_gettext("No linguistic content"),
}  # fmt: skip
STATUS_LABELS = {  # libnet.records.holdings.ITEM_STATUSES
    "available": lazy_gettext("available"),
    "on_loan": lazy_gettext("on loan"),
    "lost": lazy_gettext("missing"),
    "not_for_loan": lazy_gettext("reference only"),
    "unknown": lazy_gettext("status unknown"),
}
LIVE_LABELS = {  # libnet.availability.model: what a library's system says now, beyond the above
    "on_order": lazy_gettext("on order"),
    "in_processing": lazy_gettext("in processing"),
    "recalled": lazy_gettext("recalled"),
    "on_hold_shelf": lazy_gettext("waiting on the hold shelf"),
    "reshelving": lazy_gettext("being reshelved"),
    "in_transit": lazy_gettext("in transit"),
    "claimed_returned": lazy_gettext("claimed returned"),
    "lost": lazy_gettext("lost"),
    "missing": lazy_gettext("missing"),
}
ILL_LABELS = {  # 924 $d, the ILL code (libnet.records.holdings)
    "a": lazy_gettext("loan only, no copies"),
    "b": lazy_gettext("copies only"),
    "c": lazy_gettext("loan and copies"),
    "d": lazy_gettext("no interlibrary loan"),
    "e": lazy_gettext("electronic copies only"),
}
SORT_LABELS = {
    "relevance": lazy_gettext("Relevance"),
    "year_desc": lazy_gettext("Newest first"),
    "year_asc": lazy_gettext("Oldest first"),
    "title": lazy_gettext("Title A–Z"),
}
FACET_LABELS = {
    "library": lazy_gettext("Library"),
    "format": lazy_gettext("Format"),
    "language": lazy_gettext("Language"),
    "decade": lazy_gettext("Published"),
    "subject": lazy_gettext("Subject"),
    "available": lazy_gettext("On the shelf"),
}
RULE_LABELS = {  # index/grouping.py and index/match.py
    "alone": lazy_gettext("the only record"),
    "first": lazy_gettext("first record of the cluster"),
    "isbn": lazy_gettext("same ISBN"),
    "identifier": lazy_gettext("same union catalogue number or EAN"),
    "title-author-year": lazy_gettext("same title, author and year"),
    "librarian": lazy_gettext("joined by a librarian"),
    "split": lazy_gettext("split off by a librarian"),
}

LOAN_STATE_LABELS = {  # libnet.loans.states.State, as a patron reads them
    "RequestReceived": lazy_gettext("asked at a library"),
    "ExpectToSupply": lazy_gettext("will be sent when a copy is back"),
    "WillSupply": lazy_gettext("being got ready"),
    "Loaned": lazy_gettext("on its way"),
    "Received": lazy_gettext("ready for pickup"),
    "HandedToPatron": lazy_gettext("on loan to you"),
    "ReturnedByPatron": lazy_gettext("returned"),
    "ShippedReturn": lazy_gettext("on its way back"),
    "Overdue": lazy_gettext("overdue"),
    "Recalled": lazy_gettext("recalled: please return it"),
    "Unfilled": lazy_gettext("no library could send it"),
    "LoanCompleted": lazy_gettext("completed"),
    "CompletedWithoutReturn": lazy_gettext("closed without return"),
    "Cancelled": lazy_gettext("cancelled"),
}
STAFF_STATE_LABELS = {  # libnet.loans.states.State, as the librarians of either side read them
    "RequestReceived": lazy_gettext("new: waiting for the supplier's answer"),
    "ExpectToSupply": lazy_gettext("will supply when a copy is back"),
    "WillSupply": lazy_gettext("will supply: fetch from the shelf"),
    "Loaned": lazy_gettext("shipped to the pickup library"),
    "Received": lazy_gettext("at the pickup library, waiting for the patron"),
    "HandedToPatron": lazy_gettext("on loan to the patron"),
    "ReturnedByPatron": lazy_gettext("returned by the patron, to be sent back"),
    "ShippedReturn": lazy_gettext("on its way back to the supplier"),
    "Overdue": lazy_gettext("overdue"),
    "Recalled": lazy_gettext("recalled by the supplier"),
    "Unfilled": lazy_gettext("unfilled: no library could supply"),
    "LoanCompleted": lazy_gettext("completed: back at the supplier"),
    "CompletedWithoutReturn": lazy_gettext("closed without return (lost)"),
    "Cancelled": lazy_gettext("cancelled"),
}
ACTION_LABELS = {  # libnet.loans.states.TRANSITIONS
    "expect_to_supply": lazy_gettext("Will supply when back"),
    "will_supply": lazy_gettext("Will supply"),
    "cannot_supply": lazy_gettext("Cannot supply"),
    "skip_supplier": lazy_gettext("Pass on to the next library"),
    "ship": lazy_gettext("Shipped"),
    "receive": lazy_gettext("Received"),
    "hand_to_patron": lazy_gettext("Handed to the patron"),
    "patron_returned": lazy_gettext("Returned by the patron"),
    "ship_back": lazy_gettext("Shipped back"),
    "receive_back": lazy_gettext("Received back"),
    "renew": lazy_gettext("Ask for a renewal"),
    "grant_renewal": lazy_gettext("Grant the renewal"),
    "refuse_renewal": lazy_gettext("Refuse the renewal"),
    "mark_overdue": lazy_gettext("Overdue"),
    "recall": lazy_gettext("Recall"),
    "lost": lazy_gettext("Lost"),
    "patron_cancel": lazy_gettext("Cancelled by the patron"),
    "cancel": lazy_gettext("Cancel the request"),
    "place": lazy_gettext("Placed"),
}
ACTOR_LABELS = {  # libnet.loans.states.Actor: who made a change, when no name is known
    "patron": lazy_gettext("the patron"),
    "requester": lazy_gettext("the requesting library"),
    "supplier": lazy_gettext("the supplying library"),
    "system": lazy_gettext("nightly run"),
    "admin": lazy_gettext("administrator"),
}
REASON_LABELS = {  # libnet.loans.states.CANNOT_SUPPLY_REASONS
    "on_loan": lazy_gettext("on loan"),
    "missing": lazy_gettext("missing"),
    "not_for_loan": lazy_gettext("not for loan"),
    "damaged": lazy_gettext("damaged"),
    "other": lazy_gettext("other reason"),
}
PAYER_LABELS = {  # libnet.loans.states.PAYERS
    "patron": lazy_gettext("the patron"),
    "requesting_library": lazy_gettext("the requesting library"),
    "supplying_library": lazy_gettext("the supplying library"),
    "nobody": lazy_gettext("nobody"),
}
ROLE_LABELS = {  # libnet.accounts.ROLES
    "patron": lazy_gettext("patron"),
    "librarian": lazy_gettext("librarian"),
    "admin": lazy_gettext("administrator"),
}


def _live_word(library: str, state: str, why: str) -> str:
    """One library's live status as it decided its place in a rota."""
    label = LIVE_LABELS.get(state) or STATUS_LABELS.get(state, state)
    if why == "preferred":
        return gettext("%(library)s %(status)s (asked first)", library=library, status=label)
    if why == "passed over":
        return gettext("%(library)s %(status)s (asked last)", library=library, status=label)
    return f"{library} {label}"


def event_note(note: str, library_name: Callable[[str], str] = str) -> str:
    """An audit event's note as a librarian reads it: the rota of a new request with the
    libraries' names (libnet.loans.rota.rota_note), the due date a change set
    (libnet.loans.due_dates), the reason code of a cannot_supply
    (libnet.loans.states.note_with_reason) and the timers' notes (libnet.loans.timers)
    worded in the page's language; a librarian's own note as written."""
    placed = rota_in_note(note)
    if placed is not None:
        at_desk, libraries = placed
        worded = gettext("Rota: %(libraries)s", libraries=", ".join(map(library_name, libraries)))
        said = [_live_word(library_name(c), state, why) for c, state, why in live_in_note(note)]
        if said:
            worded += "; " + gettext("their systems said: %(said)s", said=", ".join(said))
        desk = gettext("ordered at the desk")
        return f"{desk}; {worded}" if at_desk else worded
    due, rest = due_in_note(note)
    if due is not None:
        worded = gettext("due on %(date)s", date=format_date(due, "medium"))
        return f"{worded}; {rest}" if rest else worded
    code, rest = reason_in_note(note)
    if not code:
        return _timer_note(note)
    worded = gettext("Reason: %(reason)s", reason=REASON_LABELS.get(code, code))
    return f"{worded}; {_timer_note(rest)}" if rest else worded


def _timer_note(note: str) -> str:
    kind, value = timer_note(note)
    if kind == "no_answer":
        return gettext("no answer in %(num)s working days", num=value)
    if kind == "due":
        return gettext("due on %(date)s", date=format_date(value, "medium"))
    return note


def evidence_text(evidence: str, library_name: Callable[[str], str]) -> str:
    """A cluster member's evidence line (index/evidence.py) in the page's language."""
    return "; ".join(_evidence_part(part, library_name) for part in read(evidence))


def _evidence_part(part: Part, library_name: Callable[[str], str]) -> str:
    v = part.value
    if part.code == "alone":
        return gettext("no other library's record matches")
    if part.code == "first":
        return gettext("the first record of this cluster")
    if part.code == "isbn":
        return gettext("ISBN %(isbn)s shared", isbn=v("isbn"))
    if part.code == "identifier":
        return gettext("number %(identifier)s shared", identifier=v("identifier"))
    if part.code == "title-author-year":
        return gettext("title “%(title)s”, author “%(author)s” and year %(year)s agree",
                       title=v("title"), author=v("author"), year=v("year"))  # fmt: skip
    if part.code == "agreeing":
        kind = FORMAT_LABELS.get(v("format"), v("format"))
        if v("other_year"):
            return gettext("same format (%(format)s), years %(year)s and %(other)s",
                           format=kind, year=v("year"), other=v("other_year"))  # fmt: skip
        return gettext("same format (%(format)s), same year %(year)s", format=kind, year=v("year"))
    if part.code in ("librarian", "split"):
        return _librarian_part(part)
    if part.code == "with":
        return gettext("matched with %(library)s, record %(id)s",
                       library=library_name(v("library")), id=v("local_id"))  # fmt: skip
    return v("text")


def _librarian_part(part: Part) -> str:
    """A librarian's join or split: who and on which day, when known, and why."""
    v, joined = part.value, part.code == "librarian"
    if v("who") and v("on"):
        on = format_date(date.fromisoformat(v("on")), "medium")
        if joined:
            said = gettext("joined by %(who)s on %(date)s", who=v("who"), date=on)
        else:
            said = gettext("split off by %(who)s on %(date)s", who=v("who"), date=on)
    else:
        said = gettext("joined by a librarian") if joined else gettext("split off by a librarian")
    return f"{said}: {v('note')}" if v("note") else said


OUTCOME_LABELS = {  # harvest runs and nightly runs (libnet.store.schema harvest_runs, nightly_runs)
    "ok": lazy_gettext("ok"),
    "failed": lazy_gettext("failed"),
    "refused": lazy_gettext("refused (too many deletions)"),
    "interrupted": lazy_gettext("interrupted"),
    "running": lazy_gettext("running"),
}
