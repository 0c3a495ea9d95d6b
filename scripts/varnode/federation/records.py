"""Beacon v2 default-model records (individuals, genomicVariations, datasets).

One builder per entry type, shared by the BFF export (varnode.federation.bff) and the
Beacon API, so both say the same thing; both are validated against the default-model
JSON Schemas that beacon2-cbi-tools ships (`schema()`).
"""

from __future__ import annotations

import functools
import json

from varnode.phenotype.phenopacket import ClinicalRecord, Measurement, Term

# NCIT terms the Beacon v2 model uses for an individual's sex.
SEX_TERMS = {
    "female": ("NCIT:C16576", "female"),
    "male": ("NCIT:C20197", "male"),
    "other": ("NCIT:C1799", "unknown"),
    "unknown": ("NCIT:C1799", "unknown"),
}


def _term(term: Term) -> dict:
    return {"id": term.id, "label": term.label} if term.label else {"id": term.id}


# NCIT "Count": the unit of a measurement whose value is the presence of a term.
COUNT_UNIT = {"id": "NCIT:C25463", "label": "Count"}


def measure(measurement: Measurement) -> dict:
    """A measure whose value is a ComplexValue (typed quantities).

    The v2.0.0 default schema's `measurementValue` is oneOf(ComplexValue, Value), and
    ComplexValue requires nothing, so a plain Value (ontology term or quantity) matches
    both and fails; only the ComplexValue form validates. An ontology-valued measurement
    (a biomarker such as BRAF V600E) is therefore written as one typed quantity of that
    term with the count 1; a quantity as one typed quantity of the assay.
    """
    if measurement.value is not None:
        typed = {
            "quantityType": _term(measurement.value),
            "quantity": {"unit": COUNT_UNIT, "value": 1},
        }
        notes = measurement.value.label or measurement.value.id
    else:
        typed = {
            "quantityType": _term(measurement.assay),
            "quantity": {"unit": _term(measurement.unit), "value": measurement.quantity},
        }
        notes = ""
    record = {
        "assayCode": _term(measurement.assay),
        "measurementValue": {"typedQuantities": [typed]},
    }
    if notes:
        record["notes"] = notes
    return record


def individual_record(sample: str, sex: str, hpo: list[Term], clinical: ClinicalRecord | None):
    """The Beacon v2 default-model `individuals` record of one individual."""
    sex_id, sex_label = SEX_TERMS[sex]
    record: dict = {"id": sample, "sex": {"id": sex_id, "label": sex_label}}
    features = [{"featureType": _term(t), "excluded": False} for t in hpo]
    if clinical:
        features += [
            {"featureType": _term(t), "excluded": True} for t in clinical.excluded_phenotypes
        ]
        if clinical.diseases:
            record["diseases"] = [{"diseaseCode": _term(t)} for t in clinical.diseases]
        if clinical.treatments:
            record["treatments"] = [{"treatmentCode": _term(t)} for t in clinical.treatments]
        measures = [measure(m) for m in clinical.measurements]
        if measures:
            record["measures"] = measures
    if features:
        record["phenotypicFeatures"] = features
    return record


# bcftools csq consequence -> Sequence Ontology term (the Beacon's molecularEffects).
SEQUENCE_ONTOLOGY = {
    "stop_gained": ("SO:0001587", "stop_gained"),
    "frameshift": ("SO:0001589", "frameshift_variant"),
    "splice_acceptor": ("SO:0001574", "splice_acceptor_variant"),
    "splice_donor": ("SO:0001575", "splice_donor_variant"),
    "start_lost": ("SO:0002012", "start_lost"),
    "stop_lost": ("SO:0001578", "stop_lost"),
    "missense": ("SO:0001583", "missense_variant"),
    "inframe_deletion": ("SO:0001822", "inframe_deletion"),
    "inframe_insertion": ("SO:0001821", "inframe_insertion"),
    "inframe_altering": ("SO:0001820", "inframe_indel"),
    "feature_elongation": ("SO:0001907", "feature_elongation"),
    "splice_region": ("SO:0001630", "splice_region_variant"),
    "coding_sequence": ("SO:0001580", "coding_sequence_variant"),
    "synonymous": ("SO:0001819", "synonymous_variant"),
    "stop_retained": ("SO:0001567", "stop_retained_variant"),
    "start_retained": ("SO:0002019", "start_retained_variant"),
    "5_prime_utr": ("SO:0001623", "5_prime_UTR_variant"),
    "3_prime_utr": ("SO:0001624", "3_prime_UTR_variant"),
    "non_coding": ("SO:0001619", "non_coding_transcript_variant"),
    "intron": ("SO:0001627", "intron_variant"),
}
ZYGOSITY = {
    "heterozygous": ("GENO:0000135", "heterozygous"),
    "homozygous": ("GENO:0000136", "homozygous"),
    "hemizygous": ("GENO:0000134", "hemizygous"),
}


def molecular_effects(consequence: str | None) -> list[dict]:
    effects = []
    for part in (consequence or "").lstrip("*").split("&"):
        if part in SEQUENCE_ONTOLOGY:
            term_id, label = SEQUENCE_ONTOLOGY[part]
            effects.append({"id": term_id, "label": label})
    return effects


def variant_type(ref: str, alt: str) -> str:
    if len(ref) == len(alt):
        return "SNP" if len(ref) == 1 else "MNP"
    return "INDEL"


def genomic_variation(
    variant_id: str,
    chrom: str,
    pos: int,
    ref: str,
    alt: str,
    *,
    gene: str | None = None,
    consequence: str | None = None,
    frequencies: list[dict] | None = None,
    source: dict | None = None,
    carriers: tuple[tuple[str, str], ...] = (),
) -> dict:
    """A genomicVariations record; `frequencies` are served strata of the export.

    `source` names the frequencies' origin (keys source, sourceReference, version).
    """
    start = pos - 1
    record: dict = {
        "variantInternalId": variant_id,
        "variation": {
            "referenceBases": ref,
            "alternateBases": alt,
            "variantType": variant_type(ref, alt),
            "location": {
                "type": "SequenceLocation",
                "sequence_id": f"refseq:{chrom}",
                "interval": {
                    "type": "SequenceInterval",
                    "start": {"type": "Number", "value": start},
                    "end": {"type": "Number", "value": start + len(ref)},
                },
            },
        },
    }
    attributes: dict = {}
    if gene:
        attributes["geneIds"] = [gene]
    effects = molecular_effects(consequence)
    if effects:
        attributes["molecularEffects"] = effects
    if attributes:
        record["molecularAttributes"] = attributes
    if frequencies:
        record["frequencyInPopulations"] = [
            {
                **(source or {}),
                "frequencies": [
                    {
                        "population": f["population"],
                        "alleleFrequency": float(f["af"]),
                        "alleleCount": int(f["ac"]),
                        "alleleNumber": int(f["an"]),
                        "alleleCountHomozygous": int(f["ac_hom"]),
                        "alleleCountHeterozygous": int(f["ac_het"]),
                        "alleleCountHemizygous": int(f["ac_hemi"]),
                    }
                    for f in frequencies
                ],
            }
        ]
    if carriers:
        record["caseLevelData"] = [
            {
                "biosampleId": individual,
                "individualId": individual,
                "zygosity": dict(zip(("id", "label"), ZYGOSITY[zygosity], strict=True)),
            }
            for individual, zygosity in carriers
            if zygosity in ZYGOSITY
        ]
    return record


def dataset_record(dataset_id: str, manifest: dict) -> dict:
    """A datasets record from the export's manifest (its descriptive fields)."""
    record = {
        "id": dataset_id,
        "name": str(manifest.get("title") or dataset_id),
        "description": str(manifest.get("description") or ""),
        "version": str(manifest.get("version") or manifest.get("created") or ""),
        "info": {
            key: manifest[key]
            for key in ("node_id", "assembly", "publisher", "contact", "licence", "samples")
            if manifest.get(key) not in (None, "")
        },
    }
    if manifest.get("created"):
        record["createDateTime"] = str(manifest["created"])
    return {k: v for k, v in record.items() if v not in ("", {})}


@functools.cache
def _validator(collection: str):
    """The Beacon v2 default-model JSON Schema of a collection, as beacon2-cbi-tools ships it."""
    from bff_tools.validator import default_schema_dir
    from jsonschema.validators import validator_for

    path = default_schema_dir() / collection / "defaultSchema.json"
    definition = json.loads(path.read_text())
    return validator_for(definition)(definition)


def schema_problems(collection: str, record: dict) -> list[str]:
    """Where `record` breaks its default-model schema (empty when it validates)."""
    return [
        f"{'.'.join(map(str, e.absolute_path)) or '$'}: {e.message}"
        for e in _validator(collection).iter_errors(record)
    ]
