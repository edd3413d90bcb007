"""The DCAT-AP-NO catalog of the release (``catalog.ttl`` and ``catalog.jsonld``), built from the registry.

Dataset URIs depend only on the base URL and the table name, so they stay the same from release to release
(data.norge.no marks a dataset that disappears as removed). Distributions point at the files in ``latest``.
Left out on purpose, as ../shared/docs/PUBLISHING.md advises: ``spdx:checksum`` (v2 takes only SHA-1),
``dcat:byteSize`` and ``adms:status`` (v2 and v3 disagree on their types); SHA-256 is in SHA256SUMS and
datapackage.json.
"""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD

from pipelines.metadata import Table

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
LICENCE = URIRef(EU + "licence/NLOD_2_0")
THEMES = (URIRef(EU + "data-theme/ECON"), URIRef(EU + "data-theme/GOVE"),
          URIRef("https://psi.norge.no/los/tema/tilskuddsordninger-for-naring"),
          URIRef("https://psi.norge.no/los/tema/naringsutvikling"))
NORWAY = URIRef(EU + "country/NOR")
FILE_TYPES = {"csv": "CSV", "excel.csv": "CSV", "json": "JSON", "parquet": "PARQUET"}
MEDIA = {"csv": "text/csv", "excel.csv": "text/csv", "json": "application/json",
         "parquet": "application/vnd.apache.parquet"}
PUBLISHER = URIRef("https://organization-catalog.fellesdatakatalog.digdir.no/organizations/970141669")


def catalog(base_url: str, tables: list[Table], formats: tuple[str, ...], years: tuple[int, int] | None) -> Graph:
    base = base_url.rstrip("/")
    g = Graph()
    for prefix, ns in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD)):
        g.bind(prefix, ns)
    cat = URIRef(f"{base}/catalog")
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.identifier, Literal(str(cat))))
    g.add((cat, DCTERMS.title, Literal("innofund: Norwegian public innovation funding", lang="en")))
    g.add((cat, DCTERMS.title, Literal("innofund: offentlig innovasjonsfinansiering i Norge", lang="nb")))
    g.add((cat, DCTERMS.description, Literal("Awards, projects, recipients and partnerships of Norwegian public "
                                             "innovation funders, checked and published by innofund.", lang="en")))
    g.add((cat, DCTERMS.description, Literal("Tildelinger, prosjekter, mottakere og partnerskap fra norske "
                                             "offentlige virkemiddelaktører, kontrollert og publisert av innofund.",
                                             lang="nb")))
    g.add((cat, DCTERMS.publisher, PUBLISHER))
    g.add((cat, DCTERMS.license, LICENCE))
    # The classes of what the catalog points at, as DCAT-AP expects them stated.
    g.add((PUBLISHER, RDF.type, FOAF.Agent))
    g.add((PUBLISHER, FOAF.name, Literal("Norges forskningsråd", lang="nb")))
    g.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    g.add((NORWAY, RDF.type, DCTERMS.Location))
    for theme in THEMES:
        g.add((theme, RDF.type, SKOS.Concept))
    contact = BNode("contact")
    g.add((contact, RDF.type, VCARD.Kind))
    g.add((contact, RDF.type, VCARD.Organization))
    g.add((contact, VCARD.hasEmail, URIRef("mailto:innofund@example.no")))
    g.add((contact, VCARD.fn, Literal("innofund")))
    for table in tables:
        ds = URIRef(f"{base}/datasets/{table.name}")
        g.add((cat, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(str(ds))))
        g.add((ds, DCTERMS.title, Literal(table.title, lang="en")))
        g.add((ds, DCTERMS.title, Literal(table.title_nb or table.title, lang="nb")))
        g.add((ds, DCTERMS.description, Literal(f"{table.description} {table.grain}", lang="en")))
        g.add((ds, DCTERMS.description, Literal(table.description_nb or table.description, lang="nb")))
        g.add((ds, DCTERMS.publisher, PUBLISHER))
        g.add((ds, DCAT.contactPoint, contact))
        g.add((ds, DCTERMS.spatial, NORWAY))
        for theme in THEMES:
            g.add((ds, DCAT.theme, theme))
        if years:
            period = BNode(f"period-{table.name}")
            g.add((ds, DCTERMS.temporal, period))
            g.add((period, RDF.type, DCTERMS.PeriodOfTime))
            g.add((period, DCAT.startDate, Literal(f"{years[0]}-01-01", datatype=XSD.date)))
            g.add((period, DCAT.endDate, Literal(f"{years[1]}-12-31", datatype=XSD.date)))
        for fmt in formats:
            dist = URIRef(f"{base}/datasets/{table.name}/{fmt.replace('.', '-')}")
            url = URIRef(f"{base}/latest/data/{table.name}.{fmt}")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCTERMS.title, Literal(f"{table.title} ({fmt})", lang="en")))
            g.add((dist, DCAT.accessURL, url))
            g.add((dist, DCAT.downloadURL, url))
            g.add((dist, DCTERMS.license, LICENCE))
            file_type = URIRef(EU + "file-type/" + FILE_TYPES[fmt])
            media_type = URIRef("https://www.iana.org/assignments/media-types/" + MEDIA[fmt])
            g.add((dist, DCTERMS.format, file_type))
            g.add((dist, DCAT.mediaType, media_type))
            g.add((file_type, RDF.type, DCTERMS.MediaTypeOrExtent))
            g.add((media_type, RDF.type, DCTERMS.MediaType))
    return g
