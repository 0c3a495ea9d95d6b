"""The Beacon v2 API of a node (FastAPI), over its export and its own tables.

Who sees what (each request is placed in a tier by its passport, varnode.federation.passports):

- no passport, or no usable visa: `boolean`, on the aggregate export only (floor applied);
- a valid `ResearcherStatus` visa: `count`, individual-level queries, individual counts
  rounded up to the next ten (`count_adjusted_to`);
- a valid `ControlledAccessGrants` visa whose value is the dataset id: `record`.

A request asking for more than its tier gets its tier (`meta.returnedGranularity`
says which), except when the passport or one of its visas was rejected: then it gets
401 naming why, rather than a quieter answer it might mistake for the full one.
Filters and the individuals endpoint use individual-level data: without a tier above
`boolean` they answer 401. Each caller (the passport's issuer and subject, or the
client address when there is none) has a budget of queries per time window (429 when
spent), kept in memory by the server process.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from varnode import __version__
from varnode.errors import VarnodeError
from varnode.federation.beacon.filters import Matcher, individual, parse_filters
from varnode.federation.beacon.queries import (
    GenomicQuery,
    NodeData,
    RequestError,
    parse_variant_id,
)
from varnode.federation.passports import (
    Passport,
    PassportError,
    bearer_token,
    verifier_from_config,
)
from varnode.federation.records import SEX_TERMS, dataset_record, genomic_variation
from varnode.phenotype.index import PhenotypeIndex

log = logging.getLogger("varnode.beacon")

API_VERSION = "v2.0.1"
GRANULARITIES = ("boolean", "count", "record")
SCHEMAS = {
    "genomicVariant": ("beacon-g_variant-v2.0.0", "genomicVariations"),
    "individual": ("beacon-individual-v2.0.0", "individuals"),
    "dataset": ("beacon-dataset-v2.0.0", "datasets"),
}
ENTRY_TYPE_TERMS = {
    "genomicVariant": ("ENSGLOSSARY:0000092", "Variant", "g_variants"),
    "individual": ("NCIT:C25190", "Person", "individuals"),
    "dataset": ("NCIT:C47824", "Data set", "datasets"),
}
SCHEMA_URL = "https://raw.githubusercontent.com/ga4gh-beacon/beacon-v2/main/models/json/beacon-v2-default-model"
# Framework parameters of a GET request; everything else is a genomic request parameter.
GET_FRAMEWORK = ("requestedGranularity", "skip", "limit", "filters", "includeResultsetResponses")
GET_FRAMEWORK += ("testMode", "requestedSchema")


@dataclass
class BeaconSettings:
    beacon_id: str
    name: str
    organization: dict
    description: str = ""
    environment: str = "prod"
    passports: dict = field(default_factory=dict)  # the config's `passports:` section
    budget_queries: int = 1000
    budget_window_seconds: float = 86400.0
    count_adjusted_to: int = 10
    default_limit: int = 10
    max_limit: int = 100


class BeaconError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class QueryBudget:
    """At most `queries` model queries per caller in any `window` seconds."""

    def __init__(self, queries: int, window: float) -> None:
        self.queries = queries
        self.window = window
        self._spent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def spend(self, identity: str) -> None:
        now = time.monotonic()
        with self._lock:
            times = self._spent.setdefault(identity, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.queries:
                raise BeaconError(
                    429,
                    f"query budget spent: {self.queries} queries per {self.window:g} s "
                    f"for {identity}",
                )
            times.append(now)


@dataclass(frozen=True)
class Access:
    """What a caller may see: its highest granularity, and who it is for the budget."""

    granularity: str
    identity: str
    rejected: tuple[str, ...] = ()


def rank(granularity: str) -> int:
    return GRANULARITIES.index(granularity)


def rounded(count: int, step: int) -> int:
    return math.ceil(count / step) * step


class Beacon:
    """Request handling, apart from the web framework (which only routes to it)."""

    def __init__(self, data: NodeData, index: PhenotypeIndex, settings: BeaconSettings) -> None:
        self.data = data
        self.settings = settings
        self.dataset = data.export.dataset_id
        self.verifier = verifier_from_config(settings.passports)
        self.budget = QueryBudget(settings.budget_queries, settings.budget_window_seconds)
        rows = data.individual_rows()
        self.individual_ids = [row["id"] for row in rows]
        self.matcher = Matcher([individual(row, index) for row in rows], index)
        self.filtering_terms = _filtering_terms(rows, index)

    # --- access ------------------------------------------------------------------------

    def access(self, request: Request) -> Access:
        client = request.client.host if request.client else "unknown"
        try:
            token = bearer_token(request.headers.get("authorization"))
        except PassportError as error:
            return Access("boolean", f"anonymous@{client}", (str(error),))
        if token is None:
            return Access("boolean", f"anonymous@{client}")
        passport: Passport = self.verifier.verify_passport(token)
        identity = passport.identity or f"anonymous@{client}"
        if self.dataset in passport.granted_datasets():
            granularity = "record"
        elif passport.has_researcher_status():
            granularity = "count"
        else:
            granularity = "boolean"
        return Access(granularity, identity, passport.rejected)

    def granted(self, access: Access, requested: str, needs_individuals: bool) -> str:
        if requested not in GRANULARITIES:
            raise BeaconError(400, f"requestedGranularity {requested!r} not in {GRANULARITIES}")
        if access.rejected and rank(requested) > rank(access.granularity):
            raise BeaconError(401, "passport not accepted: " + "; ".join(access.rejected))
        if needs_individuals and access.granularity == "boolean":
            raise BeaconError(
                401,
                "individual-level queries (filters, individuals) need a passport with a "
                "ResearcherStatus or a ControlledAccessGrants visa for dataset " + self.dataset,
            )
        return min(requested, access.granularity, key=rank)

    # --- responses ---------------------------------------------------------------------

    def meta(self, entry_type: str, granularity: str, summary: dict) -> dict:
        schema, _ = SCHEMAS[entry_type]
        return {
            "beaconId": self.settings.beacon_id,
            "apiVersion": API_VERSION,
            "returnedGranularity": granularity,
            "receivedRequestSummary": summary,
            "returnedSchemas": [{"entityType": entry_type, "schema": schema}],
        }

    def result_sets(
        self, entry_type: str, granularity: str, summary: dict, count: int, records=None
    ) -> dict:
        response: dict = {
            "meta": self.meta(entry_type, granularity, summary),
            "responseSummary": {"exists": count > 0},
        }
        if granularity == "count":
            step = self.settings.count_adjusted_to
            response["responseSummary"].update(
                numTotalResults=rounded(count, step),
                countPrecision="rounded",
                countAdjustedTo=[f"immediate higher multiple of {step}"],
            )
        elif granularity == "record":
            response["responseSummary"]["numTotalResults"] = count
            response["response"] = {
                "resultSets": [
                    {
                        "id": self.dataset,
                        "setType": "dataset",
                        "exists": count > 0,
                        "resultsCount": count,
                        "results": records or [],
                    }
                ]
            }
        return response

    # --- model endpoints -----------------------------------------------------------------

    def g_variants(self, access: Access, request: dict) -> dict:
        filters = parse_filters(request["filters"])
        query = GenomicQuery.parse(request["parameters"])
        granularity = self.granted(access, request["granularity"], needs_individuals=bool(filters))
        summary = _summary(request, filters, query)
        if access.granularity == "boolean":  # the public tier: the aggregate export only
            exists = self.data.aggregate_exists(query)
            return self.result_sets("genomicVariant", granularity, summary, int(exists))
        individuals = self.matcher.matching(filters) if filters else None
        variants = self.data.carried_variants(query, individuals)
        records = None
        if granularity == "record":
            page = variants[request["skip"] : request["skip"] + request["limit"]]
            frequencies = self.data.frequencies(page)
            source = self.data.export.frequency_source()
            records = [
                genomic_variation(
                    v.id,
                    v.chrom,
                    v.pos,
                    v.ref,
                    v.alt,
                    gene=v.gene,
                    consequence=v.consequence,
                    frequencies=frequencies.get(v.id),
                    source=source,
                    carriers=v.carriers,
                )
                for v in page
            ]
        return self.result_sets("genomicVariant", granularity, summary, len(variants), records)

    def individuals(self, access: Access, request: dict) -> dict:
        filters = parse_filters(request["filters"])
        query = GenomicQuery.parse(request["parameters"])
        granularity = self.granted(access, request["granularity"], needs_individuals=True)
        ids = self.matcher.matching(filters) if filters else list(self.individual_ids)
        if query.given:
            ids = self.data.carriers_of(query, ids)
        records = None
        if granularity == "record":
            records = self.data.individual_records(
                ids[request["skip"] : request["skip"] + request["limit"]]
            )
        summary = _summary(request, filters, query)
        return self.result_sets("individual", granularity, summary, len(ids), records)

    def datasets(self, request: dict) -> dict:
        """Dataset descriptions are public: the records of the manifest's descriptive fields."""
        record = dataset_record(self.dataset, self.data.export.manifest)
        summary = _summary(request, [], GenomicQuery())
        return self.result_sets("dataset", "record", summary, 1, [record])

    # --- framework endpoints ------------------------------------------------------------

    def info(self) -> dict:
        return {
            "meta": {
                "beaconId": self.settings.beacon_id,
                "apiVersion": API_VERSION,
                "returnedSchemas": [],
            },
            "response": {
                "id": self.settings.beacon_id,
                "name": self.settings.name,
                "apiVersion": API_VERSION,
                "environment": self.settings.environment,
                "organization": self.settings.organization,
                "description": self.settings.description,
                "version": __version__,
            },
        }

    def service_info(self) -> dict:
        return {
            "id": self.settings.beacon_id,
            "name": self.settings.name,
            "type": {"group": "org.ga4gh", "artifact": "beacon", "version": API_VERSION},
            "description": self.settings.description,
            "organization": {
                "name": self.settings.organization["name"],
                "url": self.settings.organization.get("welcomeUrl", ""),
            },
            "version": __version__,
            "environment": self.settings.environment,
        }

    def entry_types(self) -> dict:
        types = {}
        for entry_type, (term, label, _) in ENTRY_TYPE_TERMS.items():
            schema, collection = SCHEMAS[entry_type]
            types[entry_type] = {
                "id": entry_type,
                "name": label,
                "ontologyTermForThisType": {"id": term, "label": label},
                "partOfSpecification": "Beacon v2.0.0",
                "defaultSchema": {
                    "id": schema,
                    "name": f"Default schema for {collection}",
                    "referenceToSchemaDefinition": f"{SCHEMA_URL}/{collection}/defaultSchema.json",
                    "schemaVersion": "v2.0.0",
                },
            }
        return {"entryTypes": types}

    def configuration(self) -> dict:
        return {
            "maturityAttributes": {"productionStatus": self.settings.environment.upper()},
            "securityAttributes": {
                "defaultGranularity": "boolean",
                "securityLevels": ["PUBLIC", "REGISTERED", "CONTROLLED"],
            },
            **self.entry_types(),
        }

    def map(self, base: str) -> dict:
        endpoints = {}
        for entry_type, (_, _, path) in ENTRY_TYPE_TERMS.items():
            endpoints[entry_type] = {"entryType": entry_type, "rootUrl": f"{base}/{path}"}
            if entry_type == "genomicVariant":
                endpoints[entry_type]["singleEntryUrl"] = f"{base}/{path}/{{id}}"
        return {"endpointSets": endpoints}

    def filtering_terms_response(self, access: Access) -> dict:
        """The terms present; to the public only those of at least `count_adjusted_to`
        individuals, so that the list cannot reveal a rare diagnosis held by a few."""
        public = access.granularity == "boolean"
        terms = [
            term
            for term, holders in self.filtering_terms
            if not public or holders >= self.settings.count_adjusted_to
        ]
        return {
            "meta": {
                "beaconId": self.settings.beacon_id,
                "apiVersion": API_VERSION,
                "returnedSchemas": [],
            },
            "response": {"filteringTerms": terms},
        }


def _filtering_terms(rows: list[dict], index: PhenotypeIndex) -> list[tuple[dict, int]]:
    """The ontology terms present in the node's individuals (HPO with their names), each
    with the number of individuals holding it."""
    from collections import Counter

    from varnode.phenotype.index import TERM_ID, parse_term

    keys = ("phenotypes", "diseases", "treatments", "measurements")
    holders = Counter(
        term
        for row in rows
        for term in {SEX_TERMS[row["sex"]][0]} | {t for key in keys for t in row[key]}
    )
    sex_labels = dict(SEX_TERMS.values())
    terms = []
    for term in sorted(holders):
        entry = {"type": "ontologyTerm", "id": term, "scopes": ["individual"]}
        if TERM_ID.match(term) and parse_term(term, "term") in index.names:
            entry["label"] = index.names[parse_term(term, "term")]
        elif term in sex_labels:
            entry["label"] = sex_labels[term]
        terms.append((entry, holders[term]))
    return terms


def _summary(request: dict, filters, query: GenomicQuery) -> dict:
    return {
        "apiVersion": request.get("apiVersion", API_VERSION),
        "requestedSchemas": request.get("requestedSchemas", []),
        "pagination": {"skip": request["skip"], "limit": request["limit"]},
        "requestedGranularity": request["granularity"],
        "filters": [f.summary() for f in filters],
        "requestParameters": query.parameters,
        "includeResultsetResponses": "HIT",
    }


def _integer(value, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BeaconError(400, f"{name}: {value!r} is not an integer") from None
    if number < 0:
        raise BeaconError(400, f"{name}: must not be negative")
    return number


async def parse_request(request: Request, settings: BeaconSettings) -> dict:
    """A Beacon request (GET query string or POST body) in one shape."""
    if request.method == "POST":
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            raise BeaconError(400, "request body is not JSON") from None
        if not isinstance(body, dict):
            raise BeaconError(400, "request body must be a JSON object")
        query = body.get("query") or {}
        meta = body.get("meta") or {}
        pagination = query.get("pagination") or {}
        raw = {
            "parameters": query.get("requestParameters") or {},
            "filters": query.get("filters") or [],
            "granularity": query.get("requestedGranularity", "boolean"),
            "skip": pagination.get("skip"),
            "limit": pagination.get("limit"),
            "apiVersion": meta.get("apiVersion", API_VERSION),
            "requestedSchemas": meta.get("requestedSchemas", []),
        }
        if not isinstance(raw["parameters"], dict):
            raise BeaconError(400, "query.requestParameters must be an object")
    else:
        params = dict(request.query_params)
        raw = {
            "parameters": {k: v for k, v in params.items() if k not in GET_FRAMEWORK},
            "filters": params.get("filters", ""),
            "granularity": params.get("requestedGranularity", "boolean"),
            "skip": params.get("skip"),
            "limit": params.get("limit"),
        }
    raw["skip"] = _integer(raw["skip"], "skip", 0)
    raw["limit"] = min(_integer(raw["limit"], "limit", settings.default_limit), settings.max_limit)
    return raw


def create_app(beacon: Beacon) -> FastAPI:
    app = FastAPI(title=beacon.settings.name, version=__version__)

    def error(status: int, message: str, entry_type: str = "genomicVariant") -> JSONResponse:
        body = {
            "meta": {
                "beaconId": beacon.settings.beacon_id,
                "apiVersion": API_VERSION,
                "returnedSchemas": [],
            },
            "error": {"errorCode": status, "errorMessage": message},
        }
        return JSONResponse(body, status_code=status)

    async def model(request: Request, handler, extra: dict | None = None) -> JSONResponse:
        try:
            # Verifying a passport may fetch an issuer's JWKS: off the event loop too.
            access = await run_in_threadpool(beacon.access, request)
            beacon.budget.spend(access.identity)
            parsed = await parse_request(request, beacon.settings)
            parsed["parameters"].update(extra or {})
            # DuckDB and similarity scoring block: keep them off the event loop.
            body = await run_in_threadpool(handler, access, parsed)
            if access.rejected:
                body["info"] = {"rejectedVisas": list(access.rejected)}
            return JSONResponse(body)
        except BeaconError as failure:
            if failure.status >= 401:
                log.warning("%s %s: %s", request.method, request.url.path, failure.message)
            return error(failure.status, failure.message)
        except VarnodeError as failure:  # bad filters or request parameters
            return error(400, str(failure))

    @app.api_route("/g_variants", methods=["GET", "POST"])
    async def g_variants(request: Request):
        return await model(request, beacon.g_variants)

    @app.api_route("/g_variants/{variant}", methods=["GET", "POST"])
    async def g_variant(request: Request, variant: str):
        try:
            chrom, pos, ref, alt = parse_variant_id(variant)
        except RequestError as failure:
            return error(400, str(failure))
        single = {
            "referenceName": chrom,
            "start": [pos - 1],
            "referenceBases": ref,
            "alternateBases": alt,
        }
        return await model(request, beacon.g_variants, single)

    @app.api_route("/individuals", methods=["GET", "POST"])
    async def individuals(request: Request):
        return await model(request, beacon.individuals)

    @app.api_route("/datasets", methods=["GET", "POST"])
    async def datasets(request: Request):
        try:
            return JSONResponse(beacon.datasets(await parse_request(request, beacon.settings)))
        except BeaconError as failure:
            return error(failure.status, failure.message, "dataset")

    @app.get("/")
    @app.get("/info")
    async def info():
        return beacon.info()

    @app.get("/service-info")
    async def service_info():
        return beacon.service_info()

    @app.get("/configuration")
    async def configuration():
        return beacon.configuration()

    @app.get("/entry_types")
    async def entry_types():
        return beacon.entry_types()

    @app.get("/map")
    async def beacon_map(request: Request):
        return beacon.map(str(request.base_url).rstrip("/"))

    @app.get("/filtering_terms")
    async def filtering_terms(request: Request):
        return beacon.filtering_terms_response(await run_in_threadpool(beacon.access, request))

    return app
