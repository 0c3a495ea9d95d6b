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

import duckdb

from varnode.errors import VarnodeError
from varnode.federation.export_table import TOTAL_POPULATION, NodeExport, register
from varnode.federation.records import dataset_record, genomic_variation

COLLECTIONS = ("datasets", "individuals", "genomicVariations")


def genomic_variations(export: NodeExport, index_dir: Path) -> list[dict]:
    connection = duckdb.connect(":memory:")
    register(connection, export)
    carriers = Path(index_dir) / "carriers.parquet"
    literal = "'" + str(carriers).replace("'", "''") + "'"
    rows = connection.execute(
        f"""
        WITH effects AS (
            SELECT chrom, pos, ref, alt, any_value(consequence) AS consequence
            FROM read_parquet({literal}) GROUP BY chrom, pos, ref, alt
        )
        SELECT f.chrom, f.pos, f.ref, f.alt, any_value(f.gene), any_value(e.consequence),
               list({{'population': f.population, 'af': f.af, 'ac': f.ac, 'an': f.an,
                     'ac_hom': f.ac_hom, 'ac_het': f.ac_het, 'ac_hemi': f.ac_hemi}}
                    ORDER BY f.population <> ?, f.population)
        FROM frequencies f LEFT JOIN effects e USING (chrom, pos, ref, alt)
        GROUP BY f.chrom, f.pos, f.ref, f.alt
        ORDER BY f.chrom, f.pos, f.ref, f.alt
        """,
        [TOTAL_POPULATION],
    ).fetchall()
    source = {
        "source": export.describe("title", export.dataset_id),
        "sourceReference": export.describe("publisher", export.dataset_id),
        "version": export.describe("created", "unknown"),
    }
    records = []
    for chrom, pos, ref, alt, gene, consequence, strata in rows:
        record = genomic_variation(
            f"{chrom}-{pos}-{ref}-{alt}",
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


def individuals(index_dir: Path) -> list[dict]:
    path = Path(index_dir) / "individuals.parquet"
    literal = "'" + str(path).replace("'", "''") + "'"
    rows = duckdb.connect(":memory:").execute(
        f"SELECT record FROM read_parquet({literal}) ORDER BY id"
    )
    return [json.loads(record) for (record,) in rows.fetchall()]


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
    collections = {
        "datasets": [dataset_record(export.dataset_id, export.manifest)],
        "individuals": individuals(index_dir),
        "genomicVariations": genomic_variations(export, index_dir),
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
