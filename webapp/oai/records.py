"""The metadata formats OAI-PMH hands out, and a cluster as an OAI-PMH record or header.

marc21 is the cluster's union record (index.document.union_marc), oai_dc the describing
member through libnet.records.exports.dublin_core.
"""

from __future__ import annotations

import re

from flask import current_app
from lxml import etree
from sqlalchemy import Connection

from index.document import describing, union_marc
from libnet.errors import RecordError
from libnet.records.exports import OAI_DC_NS, OAI_DC_XSD, dublin_core
from libnet.records.marc import MARC_NS, to_marcxml
from libnet.store import published
from libnet.store.published import PublishedCluster
from webapp.errors import OaiError
from webapp.oai.answer import OAI, stamp, sub
from webapp.state import catalogue

MARC21_XSD = "http://www.loc.gov/standards/marcxml/schema/MARC21slim.xsd"
FORMATS = {"marc21": (MARC21_XSD, MARC_NS), "oai_dc": (OAI_DC_XSD, OAI_DC_NS)}
ID_PREFIX = "oai:libnet.kreis-re.de:cluster:"
_PREFIX = re.compile(r"[A-Za-z0-9\-_.!~*'()]+")  # the schema's metadataPrefixType


def check_format(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix):
        raise OaiError("badArgument", f"metadataPrefix {prefix!r} is not a metadata prefix")
    if prefix not in FORMATS:
        raise OaiError("cannotDisseminateFormat", f"no format {prefix!r}; try marc21 or oai_dc")
    return prefix


def record_elements(
    conn: Connection, found: list[PublishedCluster], prefix: str
) -> list[etree._Element]:
    members = published.member_records(conn, [c.id for c in found if not c.deleted])
    libraries = catalogue().libraries
    answer = []
    for cluster in found:
        best = None if cluster.deleted else describing(members[cluster.id])
        record = etree.Element(f"{OAI}record")
        # published marks a cluster without live records deleted; a harvest that deleted them
        # between that read and this one leaves none to describe it either
        record.append(header_element(cluster, gone=best is None))
        if best is not None:
            if prefix == "marc21":
                try:
                    marc = union_marc(cluster.id, members[cluster.id], libraries)
                except RecordError as exc:  # stored before the harvest refused such records
                    current_app.logger.warning(
                        "OAI: no MARCXML for cluster %s: %s", cluster.id, exc
                    )
                    continue  # left out of the answer; GetRecord says it cannot disseminate
                sub(record, "metadata").append(etree.fromstring(to_marcxml(marc)))
            else:
                sub(record, "metadata").append(dublin_core(best.bib))
        answer.append(record)
    return answer


def header_element(cluster: PublishedCluster, gone: bool = False) -> etree._Element:
    header = etree.Element(f"{OAI}header")
    if cluster.deleted or gone:
        header.set("status", "deleted")
    sub(header, "identifier", f"{ID_PREFIX}{cluster.id}")
    sub(header, "datestamp", stamp(cluster.datestamp))
    for library in cluster.libraries:
        sub(header, "setSpec", library)
    return header
