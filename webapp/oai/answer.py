"""The OAI-PMH answer document: the envelope every answer comes in, errors included."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Response, request
from lxml import etree

from libnet.xml_text import xml_text
from webapp.errors import OaiError

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_XSD = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI = f"{{{OAI_NS}}}"


def error_element(error: OaiError) -> etree._Element:
    element = etree.Element(f"{OAI}error", code=error.code)
    element.text = xml_text(str(error), "\ufffd")
    return element


def oai_response(echo: Mapping[str, str], content: etree._Element) -> Response:
    root = etree.Element(f"{OAI}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_XSD}")
    sub(root, "responseDate", stamp(datetime.now(UTC)))
    sub(root, "request", request.base_url, echo)
    root.append(content)
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return Response(body, content_type="text/xml; charset=utf-8")


def sub(
    parent: etree._Element, name: str, text: str | None = None, attrs: Mapping[str, str] = {}
) -> etree._Element:
    element = etree.SubElement(parent, f"{OAI}{name}", dict(attrs))
    element.text = text
    return element


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
