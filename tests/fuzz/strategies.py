"""Hypothesis strategies that write the input languages of the fuzz targets.

Random bytes rarely get past a reader's first check, so each target also gets inputs built
from its grammar (ISO 2709 records with a correct directory and odd contents, MARCXML trees,
SRU and OAI-PMH pages, CQL and search queries, forms and JSON bodies for the routes) and good
inputs (tests/fuzz/seeds.py) with a few bytes changed.
"""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape, quoteattr

from hypothesis import strategies as st

from libnet.records.marc import MARC_NS
from tests.builders import raw_iso2709
from tests.fuzz.edge_inputs import EDGE_STRUCTURED
from tests.fuzz.targets import API_CALLERS, API_ROUTES, FORM_ROUTES, GET_ROUTES, NUMBERS
from tests.fuzz.targets import web_input as _web_input
from tests.fuzz.world import PEOPLE
from tests.peers.http_faults import sru_page
from tests.peers.oai_faults import list_records, oai_document

# --------------------------------------------------------------------------- bytes


@st.composite
def mutated(draw: st.DrawFn, seeds: tuple[bytes, ...]) -> bytes:
    """A seed with a few bytes flipped, inserted, deleted, repeated or cut off."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(("flip", "insert", "delete", "repeat", "cut")))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8) | st.sampled_from(INTERESTING))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 64))] * draw(st.integers(1, 8))
        else:
            del data[at:]
    return bytes(data)


INTERESTING = (
    b"\x00", b"\x1d", b"\x1e", b"\x1f", b"\x1b", b"\xff", b"\xc3", b"\xed\xa0\x80", b"<", b">",
    b"&", b"&#0;", b"&#x1;", b'"', b"'", b"%", b"%ff", b"99999", b"-1", b"\xc2\xb2", b"$VERSION",
)  # fmt: skip
# text that readers get wrong: other digits, huge numbers, control and odd characters
TRICKY = (
    "", " ", "0", "1", "-1", "+1", "1_0", "²", "١٢", "٣", "9" * 30, "9" * 4301, "1e400", "NaN",
    "\x00", "\x1f", "\r\n", "\u2028", "\ufeff", "\U0001f600", "ß", "Müller", "x" * 3000,
    "2027-01-11", "9999-12-31", "0001-01-01", "2026-02-30", "2026-13", "$VERSION", "$LOAN",
    "$CLUSTER", "$LOAN:$VERSION", "²:$VERSION", "$LOAN:²", "../..", "//evil.example",
    "javascript:x", "<script>", "'", '"', "\\", "*", "%", "%ff",
)  # fmt: skip
tricky_text = st.sampled_from(TRICKY) | st.text(max_size=20)

# --------------------------------------------------------------------------- MARC

_TAGS = (
    "001", "003", "005", "007", "008", "020", "022", "024", "035", "041", "100", "110", "130",
    "200", "240", "245", "246", "250", "260", "264", "300", "336", "337", "338", "490", "520",
    "521", "650", "655", "689", "700", "710", "830", "856", "924", "952",
)  # fmt: skip
tags = st.sampled_from(_TAGS) | st.text("0123456789AXZ ", min_size=3, max_size=3)
_CODES = "abcdgkmnopqtuvxyz0123456789"
_MARC8 = (
    b"\x1b(B", b"\x1b(N", b"\x1b$1", b"\x1b)E", b"\x1bb", b"\x1bs", b"\x1b(", b"\xe8", b"\xcf",
    b"\xa2", b"\x21\x30\x21",
)  # fmt: skip
field_text = st.one_of(
    tricky_text.map(lambda s: s.encode("utf-8")),
    st.text(max_size=20).map(lambda s: s.encode("utf-8")),
    st.text(st.characters(max_codepoint=255), max_size=20).map(lambda s: s.encode("latin-1")),
    st.lists(st.sampled_from(_MARC8) | st.binary(max_size=4), max_size=6).map(b"".join),
    st.binary(max_size=20),
)


@st.composite
def field_bodies(draw: st.DrawFn, tag: str) -> bytes:
    if tag < "010" and draw(st.booleans()):
        return draw(field_text)
    indicators = draw(st.sampled_from((b"  ", b"10", b"1", b"", b"\xc3\xa4", b" 7")))
    subfields = draw(
        st.lists(st.tuples(st.sampled_from(_CODES) | st.text(max_size=1), field_text), max_size=6)
    )
    return indicators + b"".join(b"\x1f" + c.encode() + value for c, value in subfields)


_LEADERS = st.builds(
    lambda status, kind, level, coding, rest: f"00000{status}{kind}{level} {coding}22{rest}",
    st.sampled_from("cnpdx"),
    st.sampled_from("aegijmtrouxz0"),
    st.sampled_from("ambsdc 0"),
    st.sampled_from("a a ~"),
    st.sampled_from(("00000 i 4500", "00000   4500", "00000 c 45ü0")),
)


@st.composite
def iso2709_records(draw: st.DrawFn) -> bytes:
    """An ISO 2709 record whose lengths and directory are right, whatever its fields hold."""
    leader = draw(_LEADERS)
    chosen = draw(st.lists(tags, max_size=10))
    return raw_iso2709(leader, [(tag, draw(field_bodies(tag))) for tag in chosen])


_XML_SPECIALS = (
    "&#0;", "&#xD800;", "&amp;", "&unknown;", "<![CDATA[x]]>", "<!-- c -->", "&#252;", "&lt;b&gt;",
)  # fmt: skip
_XML_TEXT = (
    tricky_text.map(escape) | st.text(max_size=15).map(escape) | st.sampled_from(_XML_SPECIALS)
)
_NAMESPACES = (
    f' xmlns="{MARC_NS}"', "", f' xmlns:marc="{MARC_NS}"', ' xmlns="urn:other"',
)  # fmt: skip


@st.composite
def marcxml_records(draw: st.DrawFn) -> bytes:
    """A MARCXML <record> written element by element, good and bad parts mixed."""
    namespace = draw(st.sampled_from(_NAMESPACES))
    p = "marc:" if "xmlns:marc" in namespace else ""

    def attr(name: str) -> str:
        value = draw(st.none() | tricky_text | tags)
        return "" if value is None else f" {name}={quoteattr(value)}"

    parts = []
    for kind in draw(st.lists(st.sampled_from(("leader", "control", "data", "other")), max_size=8)):
        if kind == "leader":
            text = draw(
                st.sampled_from(("00000nam a2200000 a 4500", "00000nam#a2200000#a#4500", "short"))
                | _XML_TEXT
            )
            parts.append(f"<{p}leader>{text}</{p}leader>")
        elif kind == "control":
            parts.append(f"<{p}controlfield{attr('tag')}>{draw(_XML_TEXT)}</{p}controlfield>")
        elif kind == "data":
            subfields = "".join(
                f"<{p}subfield{attr('code')}>{text}</{p}subfield>"
                for text in draw(st.lists(_XML_TEXT, max_size=4))
            )
            head = f"<{p}datafield{attr('tag')}{attr('ind1')}{attr('ind2')}>"
            parts.append(f"{head}{subfields}</{p}datafield>")
        else:
            parts.append(draw(st.sampled_from(("<other/>", "<?pi x?>", "<!-- x -->", "text"))))
    return f"<{p}record{namespace}>{''.join(parts)}</{p}record>".encode()


_FILE_HEADS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n', b"", b"\xef\xbb\xbf", b"<!DOCTYPE collection>",
    b'<?xml version="1.0" encoding="ISO-8859-1"?>',
)  # fmt: skip


@st.composite
def marc_files(draw: st.DrawFn) -> bytes:
    """An export file: ISO 2709 records, or MARCXML records in a collection, with junk."""
    if draw(st.booleans()):
        records = draw(st.lists(iso2709_records(), max_size=4))
        junk = draw(st.sampled_from((b"", b"\n", b"\x00" * 3, b"\x1a", b"garbage\x1d")))
        return junk.join(records)
    records = draw(st.lists(marcxml_records(), max_size=4))
    head = draw(st.sampled_from(_FILE_HEADS))
    root = draw(st.sampled_from((b"collection", b"marc:collection", b"records")))
    declaration = b' xmlns:marc="' + MARC_NS.encode() + b'"'
    end = draw(st.sampled_from((b"</" + root + b">", b"", b"<record>")))
    return head + b"<" + root + declaration + b">" + b"".join(records) + end


# --------------------------------------------------------------------------- harvest answers

_HEADER_LINES = (
    "Content-Type: text/html", "Content-Type: application/xml; charset=iso-8859-1",
    "Content-Type: ", "Content-Encoding: gzip", "Content-Encoding: deflate", "Retry-After: 1",
    "Retry-After: ²", "Retry-After: 1e400", "Retry-After: -5", "Retry-After: Fri, 07 Nov 2026",
    "X-Other: 1",
)  # fmt: skip
_STATUSES = ("200", "204", "301", "304", "400", "404", "429", "500", "503", "999", "2x")
_HEADERS = st.sampled_from(_HEADER_LINES) | tricky_text.map(
    lambda s: "Retry-After: " + s.replace("\r", "").replace("\n", "")
)


@st.composite
def http_heads(draw: st.DrawFn) -> bytes:
    """An HTTP status line and headers, as tests/fuzz/world.Peer reads them from an input."""
    status = draw(st.sampled_from(_STATUSES))
    lines = [f"HTTP/1.1 {status} X", *draw(st.lists(_HEADERS, max_size=3)), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")


def with_head(answers: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Answers, now and then with an HTTP status and headers of their own."""
    return st.tuples(st.none() | http_heads(), answers).map(lambda t: (t[0] or b"") + t[1])


@st.composite
def sru_answers(draw: st.DrawFn) -> bytes:
    records = draw(st.lists(marcxml_records(), max_size=4))
    total = draw(st.integers(-1, 50).map(str) | tricky_text.map(escape))
    return sru_page(
        records,
        total,
        version=draw(st.sampled_from(("1.1", "1.2", "2.0"))),
        schema=draw(st.sampled_from(("info:srw/schema/1/marcxml-v1.1", "marcxml", "dc"))),
        packing=draw(st.sampled_from(("xml", "string"))),
        start=draw(st.integers(0, 12)),
    )


@st.composite
def oai_records(draw: st.DrawFn) -> str:
    identifier = draw(tricky_text.map(escape))
    status = draw(st.sampled_from(("", ' status="deleted"', ' status="other"')))
    header = draw(
        st.sampled_from(
            (
                f"<header{status}><identifier>{identifier}</identifier>"
                "<datestamp>2024-04-30T08:00:00Z</datestamp></header>",
                "",
                "<header/>",
            )
        )
    )
    metadata = draw(
        st.sampled_from(("<metadata/>", "", "<metadata>text</metadata>"))
        | marcxml_records().map(lambda r: f"<metadata>{r.decode()}</metadata>")
    )
    return f"<record>{header}{metadata}</record>"


_OAI_ERRORS = (
    "noRecordsMatch", "badResumptionToken", "badArgument", "cannotDisseminateFormat", "nonsense",
)  # fmt: skip


@st.composite
def oai_answers(draw: st.DrawFn) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        code = draw(st.sampled_from(_OAI_ERRORS))
        return oai_document("ListRecords", f'<error code="{code}">x</error>').body
    records = "".join(draw(st.lists(oai_records(), max_size=4)))
    token = draw(st.none() | tricky_text.map(escape))
    size = draw(st.none() | st.integers(-1, 99) | tricky_text.map(lambda s: escape(s, {'"': ""})))
    answer = list_records(records, token, size)
    date = draw(
        st.sampled_from(("2024-05-01T10:11:12Z", "2024-05-01", "", "2024-05-01T10:11:12.5Z"))
    )
    return answer.body.replace(b"2024-05-01T10:11:12Z", date.encode(), 1)


# --------------------------------------------------------------------------- query languages

_CQL_WORDS = (
    "welt", "müller", "1990", "kohle*", "a?", "^x", "x^", "*", "\\*", "and", "or", "not", "prox",
    "sortBy", "978-3-498-03528-2", "12", "0",
)  # fmt: skip
# what a query string can carry once decoded: UTF-8, so never a lone surrogate
_bare = st.text(
    st.characters(codec="utf-8", blacklist_characters=' ()=<>"/\t\n\r'), min_size=1, max_size=8
)
_quoted = st.text(st.characters(codec="utf-8"), max_size=10).map(
    lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
)
cql_strings = st.sampled_from(_CQL_WORDS) | _bare | _quoted
_INDEXES = (
    "dc.title", "title", "dc.creator", "dc.subject", "bath.isbn", "dc.date", "rec.id",
    "cql.allRecords", "cql.serverChoice", "x.title", "DC.TITLE", "rec.ID",
)  # fmt: skip
_RELATIONS = (
    "=", "==", "<>", "<", ">", "<=", ">=", "all", "any", "adj", "exact", "within", "cql.exact",
    "encloses", "ANY",
)  # fmt: skip
_modifier = st.builds(
    lambda name, value: f"/{name}{value}",
    st.sampled_from(("relevant", "sort.descending", "unit", "cql.string")) | _bare,
    st.sampled_from(("", "=word", '="a b"', "<2")),
)
_modifiers = st.lists(_modifier, max_size=2).map("".join)
_space = st.sampled_from((" ", "  ", "\t", ""))


@st.composite
def cql_clauses(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(cql_strings)
    index = draw(st.sampled_from(_INDEXES) | cql_strings)
    relation = draw(st.sampled_from(_RELATIONS)) + draw(_modifiers)
    return f"{index}{draw(_space)}{relation}{draw(_space)}{draw(cql_strings)}"


_PREFIXES = (
    '>dc="info:srw/cql-context-set/1/dc-v1.1"', '>"x"', ">x=y",
    '>rec="info:srw/cql-context-set/2/rec-1.1"',
)  # fmt: skip


def _cql_combined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    boolean = st.sampled_from(("and", "or", "not", "prox", "AND", "Or")).flatmap(
        lambda op: _modifiers.map(lambda mods: op + mods)
    )
    return st.one_of(
        st.tuples(inner, boolean, inner).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        inner.map(lambda q: f"({q})"),
        st.tuples(st.sampled_from(_PREFIXES), inner).map(" ".join),
    )


@st.composite
def cql_queries(draw: st.DrawFn) -> bytes:
    query = draw(st.recursive(cql_clauses(), _cql_combined, max_leaves=8))
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(_INDEXES) | cql_strings, min_size=1, max_size=2))
        query += " sortBy " + " ".join(key + draw(_modifiers) for key in keys)
    return query.encode("utf-8")


_SEARCH_WORDS = (
    "welt", "Welt", "müller", "mueller", "strasse", "glück", "der", "die", "1990",
    "978-3-16-000001-0", "3-498-03528-2", "AND", "OR", "NOT", "TO", "ANDNOT", "ANDMAYBE", "*", "?",
    "gl*", "w?lt", "~", "^2", "-", "+",
)  # fmt: skip
_search_word = st.sampled_from(_SEARCH_WORDS) | st.text(max_size=6)
_FIELDS = (
    "title:", "author:", "subject:", "series:", "isbn:", "year:", "id:", "library:", "nofield:",
    "",
)  # fmt: skip


@st.composite
def search_terms(draw: st.DrawFn) -> str:
    field = draw(st.sampled_from(_FIELDS))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        return field + '"' + " ".join(draw(st.lists(_search_word, max_size=3))) + '"'
    if kind == 1:
        low, high = draw(_search_word), draw(_search_word)
        return f"{field}[{low} TO {high}]" if draw(st.booleans()) else f"{field}{{{low} TO {high}]"
    if kind == 2:
        return field + draw(_search_word) + draw(st.sampled_from(("", "~", "~2", "^3", "*")))
    return field + draw(_search_word)


def _search_combined(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    op = st.sampled_from((" ", " AND ", " OR ", " NOT ", " ANDNOT ", " and ", ""))
    return st.one_of(
        st.tuples(inner, op, inner).map("".join),
        inner.map(lambda q: f"({q})"),
        inner.map(lambda q: f"NOT {q}"),
    )


search_queries = st.recursive(search_terms(), _search_combined, max_leaves=8).map(
    lambda q: q.encode("utf-8")
)

# --------------------------------------------------------------------------- the web app

FORM_FIELDS: dict[str, tuple[str, ...]] = {
    "/login": ("library", "login", "password", "next"),
    "/logout": (),
    "/record/{cluster}/request": ("pickup",),
    "/account/requests/{loan}/cancel": ("version",),
    "/staff/requests/batch": ("action", "side", "due_date", "pick", "pick"),
    "/staff/requests/{loan}/transitions": ("action", "version", "reason", "payer", "due_date",
                                           "note"),
    "/staff/settings": ("paused", "pause_note", "answer_days", "loan_days", "max_open",
                        "closing_days"),
    "/staff/accounts": ("role", "library", "name", "card", "email", "language", "password"),
    "/staff/accounts/{user}/password": ("password",),
    "/staff/accounts/{user}/disable": (),
    "/sru": ("operation", "version", "query", "startRecord", "maximumRecords", "recordSchema",
             "recordPacking", "recordXMLEscaping", "queryType"),
    "/oai": ("verb", "metadataPrefix", "identifier", "from", "until", "set", "resumptionToken"),
}  # fmt: skip
QUERY_FIELDS = (
    "q", "page", "page_size", "sort", "library", "format", "held_by", "language", "decade",
    "available", "subject", "home", "lang", "member", "view", "limit", "side", "state", "partner",
    "id", "table", "from", "to", "role", "query", "operation", "version", "startRecord",
    "maximumRecords", "recordSchema", "recordPacking", "recordXMLEscaping", "verb",
    "metadataPrefix", "identifier", "until", "set", "resumptionToken", "next",
)  # fmt: skip
# values the forms and parameters know, besides the tricky ones
KNOWN_VALUES = (
    "will_supply", "ship", "cannot_supply", "receive", "hand_to_patron", "lost", "renew",
    "grant_renewal", "patron_cancel", "cancel", "skip_supplier", "on_loan", "other", "patron",
    "nobody", "incoming", "outgoing", "mine", "open", "closed", "RequestReceived", "Loaned",
    "herten", "marl", "datteln", "kreis", "nowhere", "y", "de", "en", "librarian", "admin", "book",
    "ebook", "ger", "2000", "relevance", "year_desc", "title", "pairs", "months", "explain",
    "searchRetrieve", "1.1", "1.2", "2.0", "3", "marcxml", "dc", "xml", "string", "packed", "cql",
    "Identify", "ListRecords", "ListIdentifiers", "GetRecord", "ListSets", "ListMetadataFormats",
    "marc21", "oai_dc", "oai:libnet.kreis-re.de:cluster:$CLUSTER", "2024-01-01",
    "2024-01-01T00:00:00Z", "dc.title=welt", "welt", "a@b.example", "D100", "Kreis",
    "korrekt-pferd", "/staff/requests", "2026-01",
)  # fmt: skip
values = st.sampled_from(KNOWN_VALUES) | tricky_text


def _pairs(names: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    named = st.tuples(st.sampled_from(names), values) if names else st.nothing()
    return st.lists(named | st.tuples(tricky_text, values), max_size=8)


def _encoded(pairs: list[tuple[str, str]], raw: bytes) -> bytes:
    return urlencode(pairs).encode() + raw


_raw_tail = st.sampled_from((b"", b"", b"", b"&%ff=%fe", b"&a", b"&=", b"&%", b"&x=%zz"))
_people = st.integers(0, len(PEOPLE) - 1)
_numbers = st.integers(0, len(NUMBERS) - 1)


@st.composite
def web_forms(draw: st.DrawFn) -> bytes:
    route = draw(st.integers(0, len(FORM_ROUTES) - 1))
    path = FORM_ROUTES[route].partition("?")[0]
    pairs = draw(_pairs(FORM_FIELDS[path]))
    if draw(st.integers(0, 9)) == 0:
        pairs.append(("csrf_token", draw(st.sampled_from(("$CSRF", "", "x", "$CSRF.x")))))
    body = _encoded(pairs, draw(_raw_tail))
    return _web_input(route, draw(_people), draw(_numbers), body)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.sampled_from(TRICKY + KNOWN_VALUES),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_number_like = st.sampled_from(("$VERSION", "$CLUSTER", "$LOAN")) | _json
_details = (
    st.fixed_dictionaries({}, optional={"due_date": _json, "reason": _json, "payer": _json}) | _json
)
api_bodies = (
    st.fixed_dictionaries(
        {},
        optional={
            "cluster_id": _number_like,
            "pickup_library": _json,
            "action": _json,
            "version": _number_like,
            "details": _details,
            "note": _json,
        },
    )
    | _json
)


@st.composite
def web_calls(draw: st.DrawFn) -> bytes:
    route = draw(st.integers(0, len(API_ROUTES) - 1))
    if API_ROUTES[route][0] == "GET":
        body = _encoded(draw(_pairs(("side", "state"))), draw(_raw_tail))
    else:
        text = json.dumps(draw(api_bodies))
        for name in ("$VERSION", "$CLUSTER", "$LOAN"):  # a number, not a string
            text = text.replace(f'"{name}"', name)
        body = text.encode() + draw(st.sampled_from((b"", b"", b"}", b"\xff")))
    return _web_input(route, draw(st.integers(0, API_CALLERS - 1)), draw(_numbers), body)


@st.composite
def web_gets(draw: st.DrawFn) -> bytes:
    route = draw(st.integers(0, len(GET_ROUTES) - 1))
    pairs = draw(_pairs(QUERY_FIELDS))
    if draw(st.booleans()):
        query = _encoded(pairs, draw(_raw_tail))
    else:  # written by hand: a %-escape of any byte
        query = "&".join(f"{quote(k)}={quote(v, safe='$:')}" for k, v in pairs).encode()
    return _web_input(route, draw(_people), draw(_numbers), query)


STRUCTURED: dict[str, st.SearchStrategy[bytes]] = {
    "iso2709_record": iso2709_records(),
    "marcxml_record": marcxml_records(),
    "marc_file": marc_files(),
    "sru_answer": with_head(sru_answers()),
    "oai_answer": with_head(oai_answers()),
    "cql_query": cql_queries(),
    "search_query": search_queries,
    "web_form": web_forms(),
    "web_api": web_calls(),
    "web_get": web_gets(),
    **EDGE_STRUCTURED,
}
