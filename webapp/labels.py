"""What libnet's codes mean to a patron, in the page's language: formats, languages, statuses.

The engine and the store speak in codes (book, ger, on_loan, title-author-year); the pages show
these labels. A code without a label is shown as it is. Lazy, so each is translated when shown.
"""

from __future__ import annotations

from flask_babel import lazy_gettext

# libnet.record.FORMATS
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
STATUS_LABELS = {  # libnet.holdings.ITEM_STATUSES
    "available": lazy_gettext("available"),
    "on_loan": lazy_gettext("on loan"),
    "lost": lazy_gettext("missing"),
    "not_for_loan": lazy_gettext("reference only"),
    "unknown": lazy_gettext("status unknown"),
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
RULE_LABELS = {  # index/cluster.py and index/match.py
    "alone": lazy_gettext("the only record"),
    "first": lazy_gettext("first record of the cluster"),
    "isbn": lazy_gettext("same ISBN"),
    "identifier": lazy_gettext("same union catalogue number or EAN"),
    "title-author-year": lazy_gettext("same title, author and year"),
    "librarian": lazy_gettext("joined by a librarian"),
}

LOAN_STATE_LABELS = {  # libnet.loan_states.State, as a patron reads them
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
