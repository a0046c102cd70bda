"""Good inputs for every fuzz target, and the tokens its input language is made of.

The seeds start atheris' corpus and hypothesis' mutations: a fuzzer that starts from a valid
record or page gets past the first checks at once. The words go into libFuzzer's dictionary.
"""

from __future__ import annotations

import pymarc

from libnet.records.marc import MARC_NS, to_marcxml
from tests.builders import book, iso2709, marcxml, raw_book, raw_iso2709
from tests.fuzz.edge_inputs import EDGE_SEEDS, EDGE_WORDS
from tests.fuzz.targets import API_ROUTES, FORM_ROUTES, GET_ROUTES, STAFF_SESSION, web_input
from tests.fuzz.world import PERSON as P
from tests.peers.http_faults import marcxml_record, sru_page, surrogate_diagnostic
from tests.peers.oai_faults import OAI_NS, dc_record, list_records, marc_record, oai_document


def _rich_book() -> pymarc.Record:
    """A book with most fields normalise() reads, German 924 holdings among them."""
    record = book("r1", "<<Die>> Vermessung der Welt [Roman]", isbn="3-498-03528-2 (geb.)")
    for tag, subfields in (
        ("022", [("a", "0317-8471")]),
        ("024", [("a", "²" * 13)]),  # digits int() refuses
        ("035", [("a", "(DE-101)1234567890")]),
        ("260", [("c", "©²⁰¹⁹")]),
        ("041", [("a", "gerengfre")]),
        ("250", [("a", "2. Aufl.")]),
        ("300", [("a", "XII, 312 S."), ("b", "Ill."), ("c", "22 cm")]),
        ("336", [("a", "Text"), ("b", "txt")]),
        ("338", [("b", "nc")]),
        ("490", [("a", "Rowohlt-Taschenbuch ; 24100")]),
        ("520", [("a", "Gauß  und Humboldt.")]),
        ("650", [("a", "Mathematik"), ("v", "Jugendbuch"), ("z", "Deutschland")]),
        ("689", [("a", "Gauß, Carl Friedrich")]),
        ("700", [("a", "Humboldt, A. v.")]),
        ("830", [("a", "Rowohlt-Taschenbuch"), ("v", "24100")]),
        ("856", [("u", "http://d-nb.info/123")]),
        ("924", [("b", "DE-Mar1"), ("g", "Rom Keh"), ("d", "a")]),
    ):
        record.add_ordered_field(
            pymarc.Field(
                tag=tag,
                indicators=pymarc.Indicators(" ", " "),
                subfields=[pymarc.Subfield(c, v) for c, v in subfields],
            )
        )
    return record


MARC8_BOOK = raw_book(
    "m8", b"M\xe8uller und die \x1b(BStra\xcfe", leader="00000cam  2200000 i 4500"
)
MARC8_ESCAPES = raw_iso2709(
    "00000cam  2200000 i 4500",
    [
        ("001", b"m9"),
        ("245", b"10\x1fa\x1b$1\x21\x30\x21\x1b(B title"),
        ("100", b"1 \x1faA\x1bgaB"),
    ],
)
UNIMARC = raw_iso2709(
    "00000cam0 2200000   4500", [("001", b"u1"), ("200", b"1 \x1faTitre"), ("100", b"  \x1fa1996")]
)
ISO2709 = (
    iso2709(book("a1")),
    iso2709(_rich_book()),
    iso2709(book("a2", "Glück auf", leader="00000ngm a2200000 i 4500")),
    MARC8_BOOK,
    MARC8_ESCAPES,
    UNIMARC,
)
MARCXML = (
    to_marcxml(book("x1")),
    to_marcxml(_rich_book()),
    pymarc.record_to_xml(book("x2", "Ça et là"), namespace=False),
    b'<marc:record xmlns:marc="' + MARC_NS.encode() + b'"><!-- a comment -->'
    b"<marc:leader>00000nam#a2200000#a#4500</marc:leader>"
    b'<marc:controlfield tag="001">x3</marc:controlfield>'
    b'<marc:datafield tag="245" ind1="1" ind2="0"><marc:subfield code="a">T&#252;r</marc:subfield>'
    b"</marc:datafield></marc:record>",
)
FILES = (
    iso2709(book("f1"), book("f2")) + b"\n" + MARC8_BOOK,
    marcxml(book("f3"), _rich_book()),
    b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE collection>\n<collection>'
    + pymarc.record_to_xml(book("f4"), namespace=False)
    + b"</collection>",
    b'<?xml version="1.0"?><marc:collection xmlns:marc="'
    + MARC_NS.encode()
    + b'">'
    + MARCXML[3]
    + b"<marc:record><marc:leader>cut off",
)
_SRU_RECORDS = [
    marcxml_record("s1"),
    marcxml_record("s2", "Über & unter"),
    to_marcxml(_rich_book()),
]
SRU = (
    sru_page(_SRU_RECORDS, 3),
    sru_page(_SRU_RECORDS[:1], 25, version="2.0", start=11),
    sru_page(_SRU_RECORDS[1:], 2, packing="string"),
    sru_page([surrogate_diagnostic(64, "Record temporarily unavailable"), _SRU_RECORDS[0]], 2),
    sru_page(
        [b'<collection xmlns="' + MARC_NS.encode() + b'">' + _SRU_RECORDS[0] + b"</collection>"],
        1,
        schema="marcxml",
    ),
    b'<?xml version="1.0"?><zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">'
    b"<zs:version>1.2</zs:version><zs:numberOfRecords>0</zs:numberOfRecords><zs:diagnostics>"
    b'<diag:diagnostic xmlns:diag="http://www.loc.gov/zing/srw/diagnostic/">'
    b"<diag:uri>info:srw/diagnostic/1/10</diag:uri><diag:message>Query syntax error</diag:message>"
    b"</diag:diagnostic></zs:diagnostics></zs:searchRetrieveResponse>",
    b"HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nContent-Type: text/plain\r\n\r\nlater",
)
_DELETED = (
    '<record><header status="deleted"><identifier>oai:x:3</identifier>'
    "<datestamp>2024-04-30</datestamp></header></record>"
)
OAI = (
    list_records(marc_record("oai:x:1", "Erster") + marc_record("oai:x:2", "Zweiter")).body,
    list_records(marc_record("oai:x:1", "Erster") + _DELETED, token="page2", size=40).body,
    list_records(dc_record("oai:x:4", "Dublin Core") + "<record><metadata/></record>").body,
    oai_document("ListRecords", '<error code="noRecordsMatch">nothing</error>').body,
    oai_document("ListRecords", '<error code="badResumptionToken">old</error>').body,
    list_records("<record><header><identifier> </identifier></header></record>", token="").body,
    b"HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\n\r\n",
)
CQL = (
    "dinosaur", '"complete dinosaur"', 'dc.title = "die welt" and dc.creator any "kehlmann mann"',
    "bath.isbn = 3-498-03528-2", 'dc.date within "1990 2000" sortBy dc.date/sort.descending',
    'rec.id any "1 2 3"', "cql.allRecords = 1 not dc.subject = roman", "kohle* or stah?",
    '>dc="info:srw/cql-context-set/1/dc-v1.1" dc.title adj "glück auf"', "(a or b) and (c or d)",
    'title = "\\*stern\\"" prox/unit=word x', "dc.date >= 2005 and dc.date < 2010",
)  # fmt: skip
SEARCH = (
    "welt", "die vermessung der welt", '"der welt"', "title:welt author:kehlmann",
    "year:[1990 TO 2000]", "year:2005", "krimi OR mord", "NOT roman", "glü*", "isbn:3-498-03528-2",
    "978-3-16-000001-0", "subject:mathematik AND (welt OR dinge)", '"welt die"~3', "weltt", "*",
    "müller^2 strasse", "title:", "AND", '"unclosed', "year:[abc TO 2010]",
)  # fmt: skip

LIVE = 0  # the number byte that picks the live loan, cluster or account


def _web(routes: tuple, route: object, who: int | str, body: bytes) -> bytes:
    person = who if isinstance(who, int) else P[who]
    return web_input(routes.index(route), person, LIVE, body)


LOAN_PAGE = "/staff/requests/{loan}/transitions"
FORMS = tuple(_web(FORM_ROUTES, *form) for form in (
    ("/login", "visitor", b"library=datteln&login=D100&password=korrekt-pferd"),
    ("/login?next=/staff/requests", "visitor", b"login=Kreis&password=x&next=//evil.example"),
    ("/logout", "patron", b""),
    ("/record/{cluster}/request", "patron", b"pickup=datteln"),
    ("/account/requests/{loan}/cancel", "patron", b"version=$VERSION"),
    ("/staff/requests/batch", "herten_staff", b"action=will_supply&pick=$LOAN:$VERSION"),
    ("/staff/requests/batch", "herten_staff", b"action=ship&due_date=2027-01-11&pick=$LOAN:1"),
    (LOAN_PAGE, "herten_staff", b"action=will_supply&version=$VERSION"),
    (LOAN_PAGE, "herten_staff", b"action=ship&version=$VERSION&due_date=2027-01-11&note=x+y"),
    (LOAN_PAGE, "herten_staff", b"action=cannot_supply&version=$VERSION&reason=on_loan"),
    (LOAN_PAGE, "datteln_staff", b"action=lost&version=$VERSION&payer=patron"),
    ("/staff/settings", "herten_staff", b"answer_days=3&loan_days=28&max_open=5"
     b"&closing_days=2026-12-24"),
    ("/staff/settings?library=marl", "admin", b"paused=y&pause_note=Inventur&answer_days=2"
     b"&loan_days=14&max_open=3"),
    ("/staff/accounts", "admin", b"role=librarian&library=marl&name=Neu+Theke"
     b"&password=geheim1234&language=de&email=neu%40example.org"),
    ("/staff/accounts/{user}/password", "admin", b"password=neues-passwort"),
    ("/staff/accounts/{user}/disable", "admin", b""),
    ("/sru", "visitor", b"operation=searchRetrieve&version=1.2&query=dc.title%3Dwelt"),
    ("/oai", "visitor", b"verb=ListRecords&metadataPrefix=marc21&set=herten"),
))  # fmt: skip
_CHANGE = ("POST", "/api/v1/loans/{loan}/transitions")
API = tuple(_web(API_ROUTES, *call) for call in (
    (("POST", "/api/v1/loans"), "other_patron", b'{"cluster_id": $CLUSTER, "pickup_library": "x"}'),
    (_CHANGE, "herten_staff", b'{"action": "will_supply", "version": $VERSION}'),
    (_CHANGE, "herten_staff", b'{"action": "ship", "version": $VERSION, "details": '
     b'{"due_date": "2027-01-11"}}'),
    (_CHANGE, "patron", b'{"action": "patron_cancel", "version": $VERSION, "note": "nein"}'),
    (("GET", "/api/v1/loans"), "herten_staff", b"side=incoming&state=RequestReceived"),
    (("GET", "/api/v1/loans/{loan}"), "datteln_staff", b""),
    (_CHANGE, STAFF_SESSION, b'{"action": "cancel", "version": 1}'),
))  # fmt: skip
GETS = tuple(_web(GET_ROUTES, *get) for get in (
    ("/search", "visitor", b"q=welt&format=book&library=herten&sort=year_desc&page=1&home=marl"),
    ("/search", "patron", b"q=title%3Awelt+OR+%22die+vermessung%22&subject=Mathematik&lang=en"),
    ("/record/{cluster}", "patron", b"home=datteln"),
    ("/record/{cluster}/export/ris", "visitor", b"member=herten:h1"),
    ("/record/{cluster}/export/marc", "visitor", b""),
    ("/api/v1/search", "visitor", b"q=welt&held_by=herten&decade=2000&language=ger&page_size=5"),
    ("/api/v1/complete", "visitor", b"q=verm&limit=5"),
    ("/sru", "visitor", b"version=2.0&query=dc.creator%3Dkehlmann&recordSchema=dc"
     b"&maximumRecords=1"),
    ("/sru", "visitor", b"operation=explain&recordPacking=string"),
    ("/oai", "visitor", b"verb=GetRecord&identifier=oai:libnet.kreis-re.de:cluster:$CLUSTER"
     b"&metadataPrefix=oai_dc"),
    ("/oai", "visitor", b"verb=ListIdentifiers&metadataPrefix=marc21&from=2020-01-01"),
    ("/feed", "visitor", b"q=welt&format=book"),
    ("/opensearch/suggest", "visitor", b"q=die+w"),
    ("/staff/requests", "herten_staff", b"side=outgoing&state=open&partner=datteln"),
    ("/staff/requests/{loan}", "admin", b""),
    ("/staff/pull-slips", "herten_staff", b"id=$LOAN"),
    ("/staff/statistics", "admin", b"from=2026-01&to=2026-12&library=herten"),
    ("/staff/statistics.csv", "herten_staff", b"table=pairs&from=2026-01"),
    ("/staff/accounts", "admin", b"library=marl&role=patron"),
))  # fmt: skip

SEEDS: dict[str, tuple[bytes, ...]] = {
    "iso2709_record": ISO2709,
    "marcxml_record": MARCXML,
    "marc_file": FILES + ISO2709[:2] + MARCXML[:1],
    "sru_answer": SRU,
    "oai_answer": OAI,
    "cql_query": tuple(q.encode() for q in CQL),
    "search_query": tuple(q.encode() for q in SEARCH),
    "web_form": FORMS,
    "web_api": API,
    "web_get": GETS,
    **EDGE_SEEDS,
}

_XML_WORDS = (
    "<", ">", "</", "/>", '="', "&amp;", "&#", "<!--", "<![CDATA[", "<?xml ", "xmlns=",
)  # fmt: skip
_MARC_WORDS = (
    "leader", "controlfield", "datafield", "subfield", "record", "collection", "tag", "ind1",
    "ind2", "code", MARC_NS,
)  # fmt: skip
_FORM_WORDS = (
    "csrf_token=", "$CSRF", "$VERSION", "$LOAN", "$CLUSTER", "=", "&", "%", "%ff", "action=",
    "version=", "due_date=", "reason=", "payer=", "note=", "pick=", "pickup=", "login=",
    "password=", "next=", "side=", "paused=", "answer_days=", "loan_days=", "max_open=",
    "closing_days=", "role=", "library=", "name=", "card=", "email=", "language=", "query=",
    "verb=", "q=", "page=", "sort=", "format=", "held_by=", "decade=", "member=", "table=",
    "from=", "to=", "state=", "resumptionToken=", "metadataPrefix=", "identifier=", "2027-01-11",
    "9999-12-31", "²", "ship", "will_supply", "cannot_supply", "receive", "lost", "herten", "marl",
    "datteln",
)  # fmt: skip
_ISO_WORDS = (
    "\x1e", "\x1f", "\x1d", "\x1b(B", "\x1b$1", "\x1bb", "00000", "4500", "245", "008", "952",
    "924", "020", "a2200000",
)  # fmt: skip
_SRU_WORDS = (
    "searchRetrieveResponse", "numberOfRecords", "records", "recordData", "recordSchema",
    "diagnostic", "uri", "http://www.loc.gov/zing/srw/", "HTTP/1.1 ", "Retry-After: ",
    "Content-Encoding: gzip", "\r\n\r\n",
)  # fmt: skip
_OAI_WORDS = (
    "OAI-PMH", "ListRecords", "header", "metadata", "identifier", "resumptionToken",
    "completeListSize", 'status="deleted"', "responseDate", "error", OAI_NS,
)  # fmt: skip
_CQL_WORDS = (
    "and", "or", "not", "prox", "sortBy", "=", "==", "<>", "<=", ">=", "/", "(", ")", '"', "\\",
    "*", "?", "^", "dc.title", "dc.creator", "dc.date", "bath.isbn", "rec.id", "cql.allRecords",
    "cql.serverChoice", "within", "adj", "exact", "any", "all", "sort.descending", ">dc=",
    "info:srw/cql-context-set/1/dc-v1.1",
)  # fmt: skip
_SEARCH_WORDS = (
    "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", "title:", "author:", "subject:", "series:",
    "isbn:", "year:", "id:", "[", "]", "{", "}", "(", ")", '"', "*", "?", "~", "^", "welt",
    "müller",
)  # fmt: skip
_JSON_WORDS = (
    '"cluster_id":', '"pickup_library":', '"action":', '"version":', '"details":', '"note":',
    "{", "}", "[", "]", "null", "true", "1e400", "NaN",
)  # fmt: skip
WORDS: dict[str, tuple[str, ...]] = {
    "iso2709_record": _ISO_WORDS,
    "marcxml_record": _XML_WORDS + _MARC_WORDS,
    "marc_file": (*_XML_WORDS, *_MARC_WORDS, *_ISO_WORDS, "<!DOCTYPE", "<!ENTITY"),
    "sru_answer": _XML_WORDS + _MARC_WORDS + _SRU_WORDS,
    "oai_answer": _XML_WORDS + _MARC_WORDS + _OAI_WORDS + _SRU_WORDS[-4:],
    "cql_query": _CQL_WORDS,
    "search_query": _SEARCH_WORDS,
    "web_form": _FORM_WORDS,
    "web_api": _FORM_WORDS + _JSON_WORDS,
    "web_get": _FORM_WORDS,
    **EDGE_WORDS,
}
