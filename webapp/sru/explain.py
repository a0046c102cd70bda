"""The SRU server's explain record (ZeeRex): where it is, what it searches, what it sends.

webapp/sru/server.py answers it for operation=explain and for a request without a query.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request
from lxml import etree

from libnet.xml_text import xml_text
from webapp.sru.cql_query import CONTEXT_SETS, DEFAULT_SET, INDEXES, SORTS
from webapp.state import catalogue

DEFAULT_RECORDS = 10
MAXIMUM_RECORDS = 100
DATABASE = "sru"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
SCHEMAS = {
    "marcxml": ("info:srw/schema/1/marcxml-v1.1", "MARCXML"),
    "dc": ("info:srw/schema/1/dc-v1.1", "Dublin Core"),
}


def explain_record(version: str) -> etree._Element:
    """The ZeeRex record: where the server is, what it searches and which schemas it sends."""
    url = urlsplit(request.host_url)
    try:
        port = url.port or (443 if url.scheme == "https" else 80)
    except ValueError:  # the client's Host header names no usable port
        port = 443 if url.scheme == "https" else 80
    explain = etree.Element(f"{{{ZEEREX}}}explain", nsmap={None: ZEEREX})

    def add(parent: etree._Element, tag: str, text: str = "", **attributes: str) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ZEEREX}}}{tag}", attributes)
        element.text = xml_text(text, "\ufffd") if text else None
        return element

    server = add(explain, "serverInfo", protocol="SRU", version=version, transport="http")
    add(server, "host", url.hostname or "")
    add(server, "port", str(port))
    add(server, "database", DATABASE)
    database = add(explain, "databaseInfo")
    add(database, "title", "Verbundkatalog der Bibliotheken im Kreis Recklinghausen", lang="de")
    add(database, "title", "Union catalogue of the libraries of Kreis Recklinghausen", lang="en")
    names = "; ".join(f"{lib.name} ({lib.isil or lib.code})" for lib in catalogue().libraries)
    add(database, "description", names, lang="de")
    index_info = add(explain, "indexInfo")
    for name, uri in CONTEXT_SETS.items():
        add(index_info, "set", name=name, identifier=uri)
    for index in INDEXES:
        sorts = any(key[:2] == (index.context_set, index.name) for key in SORTS)
        element = add(index_info, "index", search="true", scan="false", sort=str(sorts).lower())
        add(element, "title", index.title, lang="de")
        add(add(element, "map"), "name", index.name, set=index.context_set)
        config = add(element, "configInfo")
        for relation in index.relations:
            add(config, "supports", relation, type="relation")
    schema_info = add(explain, "schemaInfo")
    for name, (uri, title) in SCHEMAS.items():
        schema = add(schema_info, "schema", identifier=uri, name=name, sort="false")
        schema.set("retrieve", "true")
        add(schema, "title", title)
    config = add(explain, "configInfo")
    add(config, "default", str(DEFAULT_RECORDS), type="numberOfRecords")
    add(config, "default", DEFAULT_SET, type="contextSet")
    add(config, "setting", str(MAXIMUM_RECORDS), type="maximumRecords")
    return explain
