"""`varnode beacon bff`: Beacon-Friendly-Format files for nodes that run their own Beacon v2.

Writes `datasets.json`, `individuals.json` and `genomicVariations.json` (JSON arrays, the
layout Beacon v2 ingesters such as beacon2-ri-tools load):
- genomicVariations: one record per exported allele (the aggregate export, floor applied
  as the Beacon applies it), every served stratum in `frequencyInPopulations` with allele
  count and number and homozygous / heterozygous / hemizygous counts; gene id; molecular
  effects (Sequence Ontology) from the node's annotation. No individual-level data;
- individuals: the records `varnode beacon index` built (sex, phenotypic features,
  diseases, treatments, measures);
- datasets: the dataset described by the export's manifest.

The files are written to a temporary folder, validated with beacon2-cbi-tools against the
Beacon v2 default-model schemas it ships, and only then moved into place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from varnode.errors import VarnodeError
from varnode.federation.beacon.queries import NodeData, variant_id
from varnode.federation.export_table import TOTAL_POPULATION, NodeExport
from varnode.federation.records import dataset_record, genomic_variation

COLLECTIONS = ("datasets", "individuals", "genomicVariations")


def genomic_variations(data: NodeData) -> list[dict]:
    export = data.export
    rows = (
        data.cursor()
        .execute(
            """
            WITH effects AS (
                SELECT chrom, pos, ref, alt, any_value(consequence) AS consequence
                FROM carriers GROUP BY chrom, pos, ref, alt
            )
            SELECT f.chrom, f.pos, f.ref, f.alt, any_value(f.gene), any_value(e.consequence),
                   list({'population': f.population, 'af': f.af, 'ac': f.ac, 'an': f.an,
                         'ac_hom': f.ac_hom, 'ac_het': f.ac_het, 'ac_hemi': f.ac_hemi}
                        ORDER BY f.population <> ?, f.population)
            FROM frequencies f LEFT JOIN effects e USING (chrom, pos, ref, alt)
            GROUP BY f.chrom, f.pos, f.ref, f.alt
            ORDER BY f.chrom, f.pos, f.ref, f.alt
            """,
            [TOTAL_POPULATION],
        )
        .fetchall()
    )
    source = export.frequency_source()
    records = []
    for chrom, pos, ref, alt, gene, consequence, strata in rows:
        record = genomic_variation(
            variant_id(chrom, pos, ref, alt),
            chrom,
            pos,
            ref,
            alt,
            gene=gene,
            consequence=consequence,
            frequencies=strata,
            source=source,
        )
        record["_info"] = {"datasetId": export.dataset_id, "assemblyId": export.assembly}
        records.append(record)
    return records


def validate(paths: list[Path]) -> None:
    from bff_tools.validator import ValidatorError, validate_inputs

    try:
        report = validate_inputs(paths, include_genomic=True)
    except ValidatorError as error:
        raise VarnodeError(f"BFF validation could not run: {error}") from None
    if report.issues:
        shown = "\n  - ".join(
            f"{issue.collection} record {issue.row}: {issue.message}"
            for issue in report.issues[:20]
        )
        raise VarnodeError(
            f"{len(report.issues)} Beacon v2 schema problem(s) in the BFF files:\n  - {shown}"
        )


def write_bff(export: NodeExport, index_dir: Path, outdir: Path) -> dict[str, int]:
    """Write, validate, then move the three collections into `outdir`; return counts."""
    data = NodeData(export, index_dir)
    collections = {
        "datasets": [dataset_record(export.dataset_id, export.manifest)],
        "individuals": data.individual_records([row["id"] for row in data.individual_rows()]),
        "genomicVariations": genomic_variations(data),
    }
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=outdir, prefix=".bff-") as staging:
        paths = []
        for name in COLLECTIONS:
            path = Path(staging) / f"{name}.json"
            path.write_text(json.dumps(collections[name], indent=1, sort_keys=True) + "\n")
            paths.append(path)
        validate(paths)
        for path in paths:
            os.replace(path, outdir / path.name)
    shutil.rmtree(Path(staging), ignore_errors=True)
    return {name: len(records) for name, records in collections.items()}
