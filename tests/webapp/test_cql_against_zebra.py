"""libnet's CQL beside a second, independent CQL parser: YAZ's, in Index Data's Zebra.

Both servers get the same queries over SRU. Whether a query is CQL is the same question for
both, whatever the catalogue: a server that cannot parse it answers diagnostic 10 ("Query
syntax error"), one that can answers hits or another diagnostic (an index or relation it
does not know, an unsupported sort). So these tests compare only that: syntax error or not.
Zebra knows other indexes than libnet and sorts nothing, which is why other diagnostics
count as "parsed".

YAZ reads a little more than the CQL 1.2 grammar (src/cql.y in YAZ); where it does, libnet
follows the grammar and refuses, and YAZ_EXTENSIONS says why for each query.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient
from lxml import etree

from tests.builders import book
from tests.peers.zebra import ZebraServer, require_zebra

DC = "info:srw/cql-context-set/1/dc-v1.1"
SYNTAX_ERROR = "info:srw/diagnostic/1/10"

# Queries both parsers must read, production by production of the grammar, with the
# reserved words (and, or, not, prox, sortBy) wherever a term may stand.
PARSED = [
    "und",
    "and",
    "OR",
    "not",
    "prox",
    "sortby",
    "((and))",
    '"or"',
    "title = and",
    "dc.title = and",
    "dc.title any or",
    "dc.title any sortby",
    "title == or",
    "title <> and",
    "title >= not",
    "and = x",
    "sortby = x",
    '"title" = "und"',
    'title "any" und',
    "dc.title cql.any und",
    "and and and",
    "a and and",
    "a or or",
    "a AND OR",
    "a and sortby",
    "(sortby)",
    "a and/rel.combine=sum b",
    "a and/and b",
    'a and/"x"=y b',
    "a and/x==y b",
    "a prox/unit=word b",
    "title =/relevant und",
    "title =/and und",
    'title =/"relevant" und',
    "title =/x=and und",
    "a sortby sortby",
    "a sortby and",
    "sortby sortby sortby",
    'a sortby "dc.title"',
    "a sortby title/sort.descending/sort.ignoreCase",
    'a sortby dc.title/"sort.descending"',
    "a sortby dc.title/sort.missingValue=and",
    "a sortby dc.title/and",
    "a sortby title/sort.descending dc.date",
    f'>dc="{DC}" dc.title = und',
    f'>"{DC}" title = und',
    f'>and="{DC}" and.title = und',
    f'>sortby="{DC}" sortby.title = und',
    f'>"{DC}" >dc="{DC}" title = und',
    f'(>dc="{DC}" (>x="{DC}" x.title = und))',
    f'>x="{DC}" x.title = und sortby x.title',
    "> x und",
    "(> x und)",
    'dc.title = und or dc.title = "and" not dc.title = or',
]

# Queries neither may read.
REFUSED = [  # the empty query is not here: SRU calls it a missing query (diagnostic 7)
    "()",
    "a)",
    "(a",
    "=",
    "a =",
    "not (a)",
    "prox/x",
    "a prox",
    "a prox/x",
    "(a sortby b)",
    "title = und sortby",
    "a sortby /sort.descending",
    "a sortby dc.title/",
    "title =/x und/y",
    "dc.title any prox/x",
    "a and >dc=x b",
    ">x",
    ">dc=x",
    "> = x",
    ">x=y=z und",
]

# Queries YAZ reads and the CQL 1.2 grammar does not, so libnet refuses them.
YAZ_EXTENSIONS = {
    # YAZ joins bare words that follow a term to it (its rule extraTerms); in CQL a term
    # with a space must be quoted, and a second word after a term is a relation.
    "complete dinosaur": "extra terms",
    "a or or b": "extra terms",
    "a not not b": "extra terms",
    "a and sortby title": "extra terms",
    r"a\ b": "extra terms",
    # YAZ lets an index and relation stand before a parenthesised query or another clause
    # and applies them inside; in CQL a relation is followed by a search term.
    "title = (a or b)": "index relation before a query",
    "title = dc.title = und": "index relation before a query",
    # YAZ's bare words end only at a space or ( ) = < > / and take backslash escapes; CQL's
    # charString1 also ends at a quote and holds no ( at all.
    'a"b': "bare word with a quote",
    r"a\(b": "bare word with an escaped parenthesis",
}


@dataclass(frozen=True)
class Zebra:
    url: str
    http: requests.Session  # one connection for all queries: zebrasrv forks per connection

    def answer(self, query: str) -> list[str]:
        """The diagnostics of Zebra's answer to the query, [] for hits."""
        params = {"operation": "searchRetrieve", "version": "1.2", "query": query,
                  "maximumRecords": "0"}  # fmt: skip
        response = self.http.get(self.url, params=params, timeout=5)
        assert response.status_code == 200, query
        return diagnostics(response.content)

    def parses(self, query: str) -> bool:
        return SYNTAX_ERROR not in self.answer(query)


@pytest.fixture(scope="module")
def zebra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zebra]:
    """One Zebra for the module: a single record is enough to parse queries against."""
    require_zebra()
    server = ZebraServer(Path(tmp_path_factory.mktemp("zebra-cql")))
    server.write("one.xml", [book("kr0001", "Und oder nicht", author="Müller, Jörg")])
    url = server.start()
    with requests.Session() as http:
        yield Zebra(url, http)
    server.stop()


def libnet_parses(client: FlaskClient, query: str) -> bool:
    response = client.get("/sru", query_string={"version": "1.2", "query": query,
                                                "maximumRecords": "0"})  # fmt: skip
    assert response.status_code == 200, query
    return SYNTAX_ERROR not in diagnostics(response.data)


def diagnostics(answer: bytes) -> list[str]:
    root = etree.fromstring(answer)
    return root.xpath("//*[local-name()='diagnostic']/*[local-name()='uri']/text()")


def test_both_parsers_read_every_production_with_reserved_words_as_terms(
    zebra: Zebra, client: FlaskClient
) -> None:
    refused_by_zebra = [q for q in PARSED if not zebra.parses(q)]
    refused_by_libnet = [q for q in PARSED if not libnet_parses(client, q)]
    assert (refused_by_zebra, refused_by_libnet) == ([], [])


def test_both_parsers_refuse_what_is_no_cql(zebra: Zebra, client: FlaskClient) -> None:
    parsed_by_zebra = [q for q in REFUSED if zebra.parses(q)]
    parsed_by_libnet = [q for q in REFUSED if libnet_parses(client, q)]
    assert (parsed_by_zebra, parsed_by_libnet) == ([], [])


def test_libnet_refuses_what_only_yaz_reads_beyond_the_grammar(
    zebra: Zebra, client: FlaskClient
) -> None:
    # If YAZ ever refuses one of these, the explanation is stale: the test says which.
    assert [q for q in YAZ_EXTENSIONS if not zebra.parses(q)] == []
    assert [q for q in YAZ_EXTENSIONS if libnet_parses(client, q)] == []


def hits(client: FlaskClient, query: str) -> tuple[int, list[str]]:
    response = client.get("/sru", query_string={"version": "1.2", "query": query,
                                                "maximumRecords": "0"})  # fmt: skip
    root = etree.fromstring(response.data)
    count = root.xpath("//*[local-name()='numberOfRecords']/text()")
    return int(count[0]) if count else 0, diagnostics(response.data)


def test_a_prefix_assigned_in_parentheses_maps_index_names_there_only(
    zebra: Zebra, client: FlaskClient
) -> None:
    word = "sommer"
    expected = hits(client, f"dc.title = {word}")
    assert expected[0] > 0 and expected[1] == []
    inside = f'(>x="{DC}" x.title = {word})'
    assert hits(client, inside) == expected
    assert hits(client, f'{inside} or (>x="{DC}" x.title = {word})') == expected
    leaked = f"{inside} or x.title = {word}"
    assert hits(client, leaked) == (0, ["info:srw/diagnostic/1/15"])
    assert hits(client, f"{inside} sortBy x.title") == (0, ["info:srw/diagnostic/1/15"])
    # a prefix before the whole query reaches its sort keys
    assert hits(client, f'>x="{DC}" x.title = {word} sortBy x.title') == expected
    # Zebra scopes alike: outside the parentheses x is unknown there too
    assert zebra.answer(leaked) == ["info:srw/diagnostic/1/15"]


def test_an_unknown_set_assigned_but_never_used_asks_for_nothing(client: FlaskClient) -> None:
    expected = hits(client, "dc.title = sommer")
    assert hits(client, '>x="info:unknown" dc.title = sommer') == expected
    assert hits(client, '>x="info:unknown" x.title = sommer') == (
        0,
        ["info:srw/diagnostic/1/15"],
    )


def record_ids(client: FlaskClient, query: str) -> list[str]:
    response = client.get("/sru", query_string={"version": "1.2", "query": query,
                                                "maximumRecords": "50"})  # fmt: skip
    assert diagnostics(response.data) == [], query
    root = etree.fromstring(response.data)
    return root.xpath("//*[local-name()='controlfield'][@tag='001']/text()")


def test_a_title_sort_ignores_case_and_accents_as_asked(client: FlaskClient) -> None:
    expected = record_ids(client, "dc.title = sommer sortBy dc.title")
    assert len(expected) > 1
    asked = "dc.title = sommer sortBy dc.title/sort.ignoreCase/sort.ignoreAccents"
    assert record_ids(client, asked) == expected
    assert hits(client, "dc.title = sommer sortBy dc.title/sort.respectCase")[1] == [
        "info:srw/diagnostic/1/80"
    ]
