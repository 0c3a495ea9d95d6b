"""`varnode beacon serve` over a small simulated node, queried over real HTTP.

The node (tests/federation/node.py) is indexed with the real CLI, the server runs in a
subprocess on a free localhost port, a local issuer (its JWKS served over HTTP) signs
the passports. Expected answers are derived from the simulated genotypes and clinical
data, not typed in.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
import yaml

from tests.federation import node
from tests.federation.issuer import Issuer, unsigned
from tests.unit.synthetic_genes import phenotype_index_path
from varnode.federation.passports import CONTROLLED_ACCESS_GRANTS, RESEARCHER_STATUS
from varnode.federation.records import schema_problems

BUDGET = 60  # per caller; above what any one test identity spends besides the budget test
RYR1 = {"geneId": "RYR1"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def varnode(*args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "varnode", *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def issuer():
    issuer = Issuer("broker")
    yield issuer
    issuer.close()


@pytest.fixture(scope="module")
def built_node(tmp_path_factory, request):
    root = tmp_path_factory.mktemp("node")
    paths = node.write_node(root)
    paths["tables"] = root / "results" / "beacon"
    paths["hpo_index"] = phenotype_index_path(request.config)
    varnode(
        "beacon",
        "index",
        "--sheet",
        str(paths["sheet"]),
        "--annotated",
        *map(str, paths["annotated_tables"]),
        "--phenotype-index",
        str(paths["hpo_index"]),
        "-o",
        str(paths["tables"]),
    )
    return paths


@pytest.fixture(scope="module")
def serve_log(tmp_path_factory):
    return tmp_path_factory.mktemp("serve") / "serve.log"


@pytest.fixture(scope="module")
def beacon(built_node, issuer, tmp_path_factory, serve_log):
    """The base URL of a running `varnode beacon serve`; stopped by its PID afterwards."""
    config = tmp_path_factory.mktemp("config") / "config.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "beacon": {
                    "id": "org.example.test.beacon",
                    "environment": "test",
                    "budget": {"queries": BUDGET, "window_seconds": 3600},
                },
                "passports": {"trusted_issuers": [issuer.trusted()]},
            }
        )
    )
    port = free_port()
    log = serve_log
    with log.open("w") as handle:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "varnode",
                "beacon",
                "serve",
                "--config",
                str(config),
                "--export",
                str(built_node["export"]),
                "--tables",
                str(built_node["tables"]),
                "--phenotype-index",
                str(built_node["hpo_index"]),
                "--port",
                str(port),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail(f"beacon exited {server.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/info", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"beacon did not start:\n{log.read_text()}")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def query(url, endpoint, parameters=None, filters=None, granularity="record", token=None):
    body = {
        "meta": {"apiVersion": "v2.0.1"},
        "query": {
            "requestParameters": parameters or {},
            "filters": filters or [],
            "requestedGranularity": granularity,
            "pagination": {"skip": 0, "limit": 100},
        },
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{url}/{endpoint}", json=body, headers=headers, timeout=60)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.text
    (result_set,) = response.json()["response"]["resultSets"]
    return sorted(record["id"] for record in result_set["results"])


def carriers_of(gene: str) -> set[str]:
    return {p for site in node.sites() if site.gene == gene for p in site.carriers}


def with_clinical(key: str, value) -> set[str]:
    found = set()
    for individual, content in node.clinical().items():
        packet = content.get("phenopacket", {})
        if value in packet.get(key, []) or value in content.get(key, []):
            found.add(individual)
    return found


@pytest.fixture(scope="module")
def researcher(issuer):
    return issuer.passport(issuer.visa(RESEARCHER_STATUS, "https://doi.org/10.1038/x"))


@pytest.fixture(scope="module")
def granted(issuer):
    return issuer.passport(
        issuer.visa(CONTROLLED_ACCESS_GRANTS, node.DATASET), subject="granted@example.org"
    )


# --- framework ---------------------------------------------------------------------------


def test_framework_endpoints(beacon, researcher):
    info = httpx.get(f"{beacon}/").json()
    assert info["response"]["id"] == "org.example.test.beacon"
    assert info["response"]["apiVersion"] == "v2.0.1"
    service = httpx.get(f"{beacon}/service-info").json()
    assert service["type"] == {"group": "org.ga4gh", "artifact": "beacon", "version": "v2.0.1"}
    entry_types = httpx.get(f"{beacon}/entry_types").json()["entryTypes"]
    assert set(entry_types) == {"genomicVariant", "individual", "dataset"}
    configuration = httpx.get(f"{beacon}/configuration").json()
    assert configuration["securityAttributes"]["defaultGranularity"] == "boolean"
    endpoints = httpx.get(f"{beacon}/map").json()["endpointSets"]
    assert endpoints["genomicVariant"]["rootUrl"] == f"{beacon}/g_variants"

    def terms(headers=None):
        body = httpx.get(f"{beacon}/filtering_terms", headers=headers or {}).json()
        return {t["id"]: t for t in body["response"]["filteringTerms"]}

    everything = terms({"Authorization": f"Bearer {researcher}"})
    assert {node.COVID[0], node.VEMURAFENIB[0], node.BRAF_V600E[0], "HP:0003789"} <= set(everything)
    assert everything["HP:0003789"]["label"] == "Minicore myopathy"
    # The public sees only terms held by at least ten individuals: here, the sex terms.
    assert set(terms()) == {"NCIT:C16576", "NCIT:C20197"}
    assert terms()["NCIT:C16576"]["label"] == "female"
    (dataset,) = ids(httpx.get(f"{beacon}/datasets"))
    assert dataset == node.DATASET


# --- the public tier -------------------------------------------------------------------------


def test_public_answers_are_boolean_on_the_aggregate_export(beacon):
    response = query(beacon, "g_variants", RYR1, granularity="record")
    body = response.json()
    assert response.status_code == 200
    assert body["meta"]["returnedGranularity"] == "boolean"
    assert body["responseSummary"] == {"exists": True}
    assert "response" not in body
    summary = body["meta"]["receivedRequestSummary"]
    assert summary["requestParameters"] == RYR1 and summary["requestedGranularity"] == "record"


def test_a_sub_floor_aggregate_is_never_served(beacon, granted):
    rare = node.sites()[0]  # planted in the export unfiltered: AC 4 < floor 10
    position = {
        "referenceName": "19",
        "start": [rare.pos - 1],
        "referenceBases": rare.ref,
        "alternateBases": rare.alt,
        "assemblyId": "GRCh38",
    }
    assert query(beacon, "g_variants", position).json()["responseSummary"]["exists"] is False
    # With a grant the carriers are seen, but the export's sub-floor counts still are not.
    response = query(beacon, "g_variants", position, token=granted)
    (record,) = response.json()["response"]["resultSets"][0]["results"]
    assert sorted(c["individualId"] for c in record["caseLevelData"]) == sorted(rare.carriers)
    assert "frequencyInPopulations" not in record
    # A site with a sub-floor stratum: only its total is served.
    intron = node.sites()[3]
    response = query(beacon, "g_variants", {"geneId": "TTN", "variantType": "SNP"}, token=granted)
    records = {
        r["variantInternalId"]: r for r in response.json()["response"]["resultSets"][0]["results"]
    }
    strata = records[f"chr2-{intron.pos}-T-C"]["frequencyInPopulations"][0]["frequencies"]
    assert [s["population"] for s in strata] == ["ALL"]
    common = records["chr2-178530000-A-G"]["frequencyInPopulations"][0]["frequencies"]
    assert [s["population"] for s in common] == ["ALL", "F", "M"]
    assert common[0]["alleleCount"] == sum(node.sites()[2].carriers.values())
    assert common[0]["alleleNumber"] == 2 * node.N


def test_individual_level_queries_need_a_passport(beacon):
    assert query(beacon, "individuals", granularity="boolean").status_code == 401
    response = query(beacon, "g_variants", RYR1, [{"id": "ORPHA:590"}], granularity="boolean")
    assert response.status_code == 401
    assert "ResearcherStatus" in response.json()["error"]["errorMessage"]


# --- the three example queries, at each tier ------------------------------------------------

# As docs/node-operators.md's "Discovery: Beacon v2" sends them.
EXAMPLE_QUERIES = {
    "ryr1_myasthenic": ("individuals", RYR1, [{"id": "ORPHA:590", "similarity": "medium"}]),
    "tlr7_covid": ("individuals", {"geneId": "TLR7"}, [{"id": node.COVID[0]}]),
    "pten_braf_vemurafenib": (
        "g_variants",
        {"geneId": "PTEN"},
        [{"id": node.BRAF_V600E[0]}, {"id": node.VEMURAFENIB[0]}],
    ),
}


@pytest.mark.parametrize("name", EXAMPLE_QUERIES)
def test_example_queries_per_tier(beacon, researcher, granted, name):
    endpoint, parameters, filters = EXAMPLE_QUERIES[name]
    public = query(beacon, endpoint, parameters, filters, "count")
    assert public.status_code == 401
    counted = query(beacon, endpoint, parameters, filters, "record", token=researcher).json()
    assert counted["meta"]["returnedGranularity"] == "count"
    assert counted["responseSummary"]["numTotalResults"] == 10  # 1 or 2 found, rounded up
    records = query(beacon, endpoint, parameters, filters, "record", token=granted).json()
    assert records["meta"]["returnedGranularity"] == "record"
    assert 1 <= records["responseSummary"]["numTotalResults"] <= 2


def test_ryr1_carriers_with_a_congenital_myasthenic_like_phenotype(beacon, researcher, granted):
    filters = [{"id": "ORPHA:590", "similarity": "medium"}]
    similar = {
        p
        for p, c in node.clinical().items()
        if (c.get("phenopacket", {}).get("hpo") or c.get("hpo")) == node.MYASTHENIC
    }
    expected = sorted(carriers_of("RYR1") & similar)
    assert expected  # the cohort holds at least one such individual
    assert ids(query(beacon, "individuals", RYR1, filters, token=granted)) == expected
    counted = query(beacon, "individuals", RYR1, filters, "record", token=researcher).json()
    assert counted["meta"]["returnedGranularity"] == "count"
    assert counted["responseSummary"] == {
        "exists": True,
        "numTotalResults": 10,
        "countPrecision": "rounded",
        "countAdjustedTo": ["immediate higher multiple of 10"],
    }


def test_tlr7_carriers_with_covid19(beacon, researcher, granted):
    expected = sorted(carriers_of("TLR7") & with_clinical("diseases", node.COVID))
    assert len(expected) == 2
    tlr7 = {"geneId": "TLR7", "referenceName": "X"}
    assert ids(query(beacon, "individuals", tlr7, [node.COVID[0]], token=granted)) == expected
    count = query(beacon, "individuals", tlr7, [node.COVID[0]], "count", token=researcher)
    assert count.json()["responseSummary"]["numTotalResults"] == 10
    everyone_with_covid = query(beacon, "individuals", {}, [node.COVID[0]], token=granted)
    assert ids(everyone_with_covid) == sorted(with_clinical("diseases", node.COVID))


def test_pten_variants_of_braf_v600e_individuals_treated_with_vemurafenib(beacon, granted):
    filters = [{"id": node.VEMURAFENIB[0]}, {"id": node.BRAF_V600E[0]}]
    treated = with_clinical("treatments", node.VEMURAFENIB) & with_clinical(
        "measurements", node.BRAF_V600E
    )
    expected = sorted(carriers_of("PTEN") & treated)
    assert len(expected) == 2
    response = query(beacon, "g_variants", {"geneId": "PTEN"}, filters, token=granted)
    (variant,) = response.json()["response"]["resultSets"][0]["results"]
    assert variant["molecularAttributes"] == {
        "geneIds": ["PTEN"],
        "molecularEffects": [{"id": "SO:0001587", "label": "stop_gained"}],
    }
    assert sorted(c["individualId"] for c in variant["caseLevelData"]) == expected
    assert ids(query(beacon, "individuals", {"geneId": "PTEN"}, filters, token=granted)) == expected


def test_similarity_levels_change_the_answer_as_documented(beacon, granted):
    def answer(similarity):
        filters = [{"id": "HP:0003789", "similarity": similarity}]
        return ids(query(beacon, "individuals", RYR1, filters, token=granted))

    assert answer("exact") == ["P05"]  # has Minicore myopathy itself
    assert answer("high") == ["P02", "P05"]  # + Myopathy, 0.718 >= 0.7
    assert answer("medium") == ["P01", "P02", "P05"]  # + the myasthenic set, 0.504 >= 0.5
    # Without descendants, the parent term matches only individuals annotated with it.
    parent = [{"id": "HP:0003198", "includeDescendantTerms": False}]
    assert ids(query(beacon, "individuals", RYR1, parent, token=granted)) == ["P01", "P02"]
    with_descendants = ids(query(beacon, "individuals", RYR1, ["HP:0003198"], token=granted))
    assert with_descendants == ["P01", "P02", "P05"]


def test_sex_filter_and_get_requests(beacon, granted):
    response = httpx.get(
        f"{beacon}/individuals",
        params={"filters": "NCIT:C16576", "requestedGranularity": "record", "limit": 100},
        headers={"Authorization": f"Bearer {granted}"},
    )
    assert ids(response) == sorted(node.FEMALES)
    single = httpx.get(
        f"{beacon}/g_variants/chr10-87925000-C-T",
        headers={"Authorization": f"Bearer {granted}"},
        params={"requestedGranularity": "record"},
    )
    assert [
        r["variantInternalId"] for r in single.json()["response"]["resultSets"][0]["results"]
    ] == ["chr10-87925000-C-T"]


def test_bad_requests_name_the_problem(beacon, granted):
    auth = {"token": granted}
    for parameters, filters, message in (
        ({"gene": "RYR1"}, [], "unknown request parameter(s) gene"),
        ({"start": "x"}, [], "start"),
        ({}, [{"id": "NCIT:C64768", "similarity": "high"}], "similarity applies to HPO"),
        ({}, [{"id": "age", "operator": ">", "value": "40"}], "alphanumeric"),
        ({}, ["HP:9999999"], "unknown HPO term"),
        ({}, [{"id": "OMIM:999999999", "similarity": "low"}], "unknown disease"),
    ):
        response = query(beacon, "individuals", parameters, filters, **auth)
        assert response.status_code == 400 and message in response.json()["error"]["errorMessage"]


# --- records against the Beacon v2 default-model schemas ----------------------------------


def test_records_validate_against_the_beacon_v2_schemas(beacon, granted):
    variants = query(beacon, "g_variants", {}, token=granted).json()
    individuals = query(beacon, "individuals", {}, token=granted).json()
    datasets = httpx.get(f"{beacon}/datasets").json()
    for body, collection in (
        (variants, "genomicVariations"),
        (individuals, "individuals"),
        (datasets, "datasets"),
    ):
        results = body["response"]["resultSets"][0]["results"]
        assert results
        for record in results:
            assert schema_problems(collection, record) == [], record
    by_id = {r["id"]: r for r in individuals["response"]["resultSets"][0]["results"]}
    assert by_id["P20"]["treatments"] == [
        {"treatmentCode": {"id": node.VEMURAFENIB[0], "label": node.VEMURAFENIB[1]}}
    ]
    (biomarker,) = by_id["P20"]["measures"]
    assert biomarker["notes"] == "BRAF V600E"
    typed = biomarker["measurementValue"]["typedQuantities"][0]
    assert typed["quantityType"] == {"id": node.BRAF_V600E[0], "label": node.BRAF_V600E[1]}
    assert by_id["P05"]["phenotypicFeatures"] == [
        {"featureType": {"id": "HP:0003789", "label": "Minicore myopathy"}, "excluded": False}
    ]


# --- passports --------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["forged", "expired", "alg_none", "wrong_issuer"])
def test_bad_visas_do_not_raise_the_tier(beacon, issuer, serve_log, case):
    from cryptography.hazmat.primitives.asymmetric import rsa

    stranger = Issuer("stranger")
    try:
        now = time.time()
        visa = {
            "forged": lambda: issuer.visa(
                CONTROLLED_ACCESS_GRANTS,
                node.DATASET,
                key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            ),
            "expired": lambda: issuer.visa(
                CONTROLLED_ACCESS_GRANTS, node.DATASET, issued=now - 7200, lifetime=60
            ),
            "alg_none": lambda: unsigned(
                {
                    "iss": issuer.issuer,
                    "sub": "x",
                    "iat": int(now),
                    "exp": int(now) + 60,
                    "ga4gh_visa_v1": {
                        "type": CONTROLLED_ACCESS_GRANTS,
                        "value": node.DATASET,
                        "asserted": int(now),
                        "source": "s",
                    },
                },
                issuer.jwks_url,
            ),
            "wrong_issuer": lambda: stranger.visa(CONTROLLED_ACCESS_GRANTS, node.DATASET),
        }[case]()
    finally:
        stranger.close()
    token = issuer.passport(visa, subject=f"{case}@example.org")
    response = query(beacon, "individuals", {}, token=token)
    assert response.status_code == 401
    assert "visa 0" in response.json()["error"]["errorMessage"]
    # Asking only for what the public may see still works, the rejection reported.
    public = query(beacon, "g_variants", RYR1, granularity="boolean", token=token).json()
    assert public["responseSummary"] == {"exists": True}
    assert public["info"]["rejectedVisas"][0].startswith("visa 0:")
    assert f"visa 0 of {case}@example.org rejected" in serve_log.read_text()


def test_a_grant_for_another_dataset_gives_no_records(beacon, issuer):
    other = issuer.passport(
        issuer.visa(RESEARCHER_STATUS, "x"),
        issuer.visa(CONTROLLED_ACCESS_GRANTS, "node-b"),
        subject="other@example.org",
    )
    response = query(beacon, "individuals", {}, token=other).json()
    assert response["meta"]["returnedGranularity"] == "count"
    assert "response" not in response
    only_other = issuer.passport(
        issuer.visa(CONTROLLED_ACCESS_GRANTS, "node-b"), subject="other2@example.org"
    )
    assert query(beacon, "individuals", {}, token=only_other).status_code == 401


def test_the_query_budget_is_per_user(beacon, issuer, researcher):
    spender = issuer.passport(issuer.visa(RESEARCHER_STATUS, "x"), subject="spender@example.org")
    statuses = [
        query(beacon, "g_variants", RYR1, token=spender).status_code for _ in range(BUDGET + 1)
    ]
    assert statuses[:BUDGET] == [200] * BUDGET and statuses[BUDGET] == 429
    assert query(beacon, "g_variants", RYR1, token=researcher).status_code == 200


# --- BFF ----------------------------------------------------------------------------------


def test_bff_files_validate_and_carry_the_aggregates(built_node, tmp_path):
    import json

    from bff_tools.validator import validate_inputs

    outdir = tmp_path / "bff"
    varnode(
        "beacon",
        "bff",
        "--export",
        str(built_node["export"]),
        "--tables",
        str(built_node["tables"]),
        "-o",
        str(outdir),
    )
    files = sorted(outdir.glob("*.json"))
    assert [f.name for f in files] == [
        "datasets.json",
        "genomicVariations.json",
        "individuals.json",
    ]
    assert validate_inputs(files, include_genomic=True).issues == ()
    variants = {v["variantInternalId"]: v for v in json.loads(files[1].read_text())}
    rare = node.sites()[0]
    assert f"chr19-{rare.pos}-{rare.ref}-{rare.alt}" not in variants  # under the floor
    common = variants["chr19-38455000-C-T"]
    total = common["frequencyInPopulations"][0]["frequencies"][0]
    carriers = node.sites()[1].carriers
    assert total["alleleCount"] == sum(carriers.values())
    assert total["alleleCountHomozygous"] == 2 * sum(d == 2 for d in carriers.values())
    assert total["alleleFrequency"] == total["alleleCount"] / total["alleleNumber"]
    assert common["molecularAttributes"]["molecularEffects"][0]["label"] == "synonymous_variant"
    assert not any("caseLevelData" in v for v in variants.values())
    individuals = json.loads(files[2].read_text())
    assert len(individuals) == node.N
