"""The release's DCAT-AP-NO catalog conforms to the Norwegian v2 shapes, the EU DCAT-AP 3.0.1 shapes and the
draft v3 vocabulary shapes.

As ../shared/docs/PUBLISHING.md says: vocabulary triples about the IRIs the catalog uses are merged into the
data graph (pyshacl ignores extra graphs), and facts the offline snapshots lack (the file-type scheme, titles
of schemes) are added here for validation only, never to the published catalog."""

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, SKOS

from tests.conftest import STANDARDS

EU = "http://publications.europa.eu/resource/authority/"
SHAPES = {"dcat-ap-no-2": STANDARDS / "dcat-ap-no-v2" / "DCAT-AP-NO-shacl_shapes_2.00.ttl",
          "eu-dcat-ap-3.0.1": STANDARDS / "eu-dcat-ap" / "3.0.1" / "shacl__dcat-ap-SHACL.ttl",
          "dcat-ap-no-3-draft-vocabularies": STANDARDS / "dcat-ap-no-v3-draft" / "dcatapno3-vocabulary-shapes.ttl"}


@pytest.fixture(scope="module")
def catalog_graph(sample_run) -> Graph:
    release = (sample_run / "publish" / "latest").resolve()
    turtle = Graph().parse(release / "catalog.ttl")
    jsonld = Graph().parse(release / "catalog.jsonld", format="json-ld")
    assert len(turtle) == len(jsonld) > 0
    return turtle


def validation_graph(catalog: Graph) -> Graph:
    vocabularies = Graph()
    for path in sorted((STANDARDS / "eu-and-no-vocabularies").iterdir()):
        vocabularies.parse(path)
    data = Graph() + catalog
    used = {o for o in catalog.objects() if isinstance(o, URIRef)}
    for iri in used:
        for triple in vocabularies.triples((iri, None, None)):
            data.add(triple)
        for scheme in vocabularies.objects(iri, SKOS.inScheme):
            for triple in vocabularies.triples((scheme, None, None)):
                data.add(triple)
    file_types = URIRef(EU + "file-type")
    for iri in used:
        if str(iri).startswith(f"{file_types}/"):
            data.add((iri, SKOS.inScheme, file_types))
            data.add((iri, RDF.type, SKOS.Concept))
            if (iri, SKOS.prefLabel, None) not in data:
                data.add((iri, SKOS.prefLabel, Literal(str(iri).rsplit("/", 1)[-1], lang="en")))
    for scheme in (file_types, URIRef(EU + "licence"), URIRef(EU + "country"),
                   URIRef("https://psi.norge.no/los/ontologi/tema")):
        if (scheme, DCTERMS.title, None) not in data:
            data.add((scheme, DCTERMS.title, Literal(str(scheme).rsplit("/", 1)[-1], lang="en")))
    return data


@pytest.mark.parametrize("shapes", SHAPES, ids=list(SHAPES))
def test_the_catalog_conforms(catalog_graph, shapes):
    conforms, _, text = validate(validation_graph(catalog_graph), shacl_graph=Graph().parse(SHAPES[shapes]),
                                 inference="rdfs", allow_warnings=True)
    assert conforms, text[:3000]


def test_one_dataset_per_published_table_with_stable_uris_and_a_distribution_per_format(catalog_graph, sample_run):
    import json

    package = json.loads(((sample_run / "publish" / "latest") / "datapackage.json").read_text())
    tables = {r["name"] for r in package["resources"] if r["type"] == "table" and not r["name"][-4:].isdigit()}
    datasets = set(catalog_graph.subjects(RDF.type, DCAT.Dataset))
    assert {str(d).rsplit("/", 1)[-1] for d in datasets} == tables
    awards = URIRef("https://data.innofund.example/datasets/awards")
    assert len(list(catalog_graph.objects(awards, DCAT.distribution))) == 4
    assert {t.language for t in catalog_graph.objects(awards, DCTERMS.title)} == {"en", "nb"}
    assert URIRef(EU + "licence/NLOD_2_0") in set(catalog_graph.objects(None, DCTERMS.license))
    assert any(str(t).startswith("https://psi.norge.no/los/") for t in catalog_graph.objects(awards, DCAT.theme))
