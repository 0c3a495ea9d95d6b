"""An individual's clinical data from a GA4GH Phenopacket v2 JSON file.

The file is parsed by the schema the `phenopackets` package ships (its protobuf
messages, through protobuf's JSON mapping: unknown fields and wrong types are errors),
then checked for what varnode relies on: the packet and subject ids, a v2 schema
version in metaData, and CURIEs on every term used (HPO for phenotypic features).

What flows on (to the Beacon's individuals and the BFF export): sex, observed and
excluded phenotypic features, diseases, treatments (the agent of each medical action)
and measurements (assay, with an ontology value or a quantity), e.g. a BRAF V600E
biomarker.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from varnode.errors import VarnodeError

CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:\S+$")
HPO_TERM = re.compile(r"^HP:\d{7}$")
SEX = {"MALE": "male", "FEMALE": "female", "OTHER_SEX": "other", "UNKNOWN_SEX": "unknown"}


@dataclass(frozen=True)
class Term:
    id: str
    label: str


@dataclass(frozen=True)
class Measurement:
    assay: Term
    value: Term | None = None
    quantity: float | None = None
    unit: Term | None = None


@dataclass(frozen=True)
class ClinicalRecord:
    subject: str
    sex: str
    phenotypes: tuple[Term, ...] = ()
    excluded_phenotypes: tuple[Term, ...] = ()
    diseases: tuple[Term, ...] = ()
    treatments: tuple[Term, ...] = ()
    measurements: tuple[Measurement, ...] = ()


def read_phenopacket(path: str | Path) -> ClinicalRecord:
    """Parse and check a Phenopacket v2 JSON file; errors name the file and the field."""
    from google.protobuf.json_format import ParseDict, ParseError
    from phenopackets.schema.v2 import Phenopacket

    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise VarnodeError(f"phenopacket {path}: file not found") from None
    except (OSError, ValueError) as error:
        raise VarnodeError(f"phenopacket {path}: not JSON ({error})") from None
    try:
        packet = ParseDict(data, Phenopacket())
    except ParseError as error:
        raise VarnodeError(f"phenopacket {path}: not a Phenopacket v2 ({error})") from None
    problems = []

    def term(message, field: str, pattern: re.Pattern = CURIE) -> Term:
        if not pattern.match(message.id):
            problems.append(f"{field}: {message.id!r} is not a valid id ({pattern.pattern})")
        return Term(message.id, message.label)

    if not packet.id:
        problems.append("id: missing")
    if not packet.subject.id:
        problems.append("subject.id: missing")
    version = packet.meta_data.phenopacket_schema_version
    if not version.startswith("2"):
        problems.append(f"metaData.phenopacketSchemaVersion: {version!r}, expected 2.x")
    observed, excluded = [], []
    for i, feature in enumerate(packet.phenotypic_features):
        found = term(feature.type, f"phenotypicFeatures[{i}].type", HPO_TERM)
        (excluded if feature.excluded else observed).append(found)
    diseases = [
        term(d.term, f"diseases[{i}].term") for i, d in enumerate(packet.diseases) if not d.excluded
    ]
    treatments = [
        term(action.treatment.agent, f"medicalActions[{i}].treatment.agent")
        for i, action in enumerate(packet.medical_actions)
        if action.HasField("treatment")
    ]
    measurements = []
    for i, measurement in enumerate(packet.measurements):
        where = f"measurements[{i}]"
        assay = term(measurement.assay, f"{where}.assay")
        value = measurement.value
        if value.HasField("ontology_class"):
            measurements.append(
                Measurement(assay, value=term(value.ontology_class, f"{where}.value"))
            )
        elif value.HasField("quantity"):
            unit = term(value.quantity.unit, f"{where}.value.quantity.unit")
            measurements.append(Measurement(assay, quantity=value.quantity.value, unit=unit))
        else:
            problems.append(f"{where}.value: neither an ontologyClass nor a quantity")
    if problems:
        listing = "\n  - ".join(problems)
        raise VarnodeError(f"phenopacket {path}: {len(problems)} problem(s):\n  - {listing}")
    from phenopackets.schema.v2.core.individual_pb2 import Sex

    return ClinicalRecord(
        subject=packet.subject.id,
        sex=SEX[Sex.Name(packet.subject.sex)],
        phenotypes=tuple(observed),
        excluded_phenotypes=tuple(excluded),
        diseases=tuple(diseases),
        treatments=tuple(treatments),
        measurements=tuple(measurements),
    )
