"""`varnode beacon index`: the node's individual-level tables the Beacon reads (never exported).

- `individuals.parquet`: one row per individual of the sample sheet: sex, the ids of
  its phenotypic features (the sheet's `hpo` column with its phenopacket's observed
  features), diseases, treatments and measurements (assay and value ids), and its
  Beacon v2 `individuals` record (JSON) built from the same data;
- `carriers.parquet`: one row per individual and variant allele it carries (PASS calls
  of results/annotated/*.variants.tsv, zygosity heterozygous/homozygous/hemizygous, a
  variant called by several callers counted once) with gene and consequence.

Both stay inside the node: the Beacon decides per request what may be said about them.
Each individual's record is validated against the Beacon v2 default-model schema before
the table is written.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from varnode.common.atomic import atomic_path
from varnode.errors import VarnodeError
from varnode.federation.records import individual_record, schema_problems
from varnode.inputs.sheet import SampleSheet, load_sample_sheet
from varnode.phenotype.phenopacket import Term, read_phenopacket
from varnode.phenotype.prioritise import CARRIER

INDIVIDUAL_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("sex", pa.string()),
        ("phenotypes", pa.list_(pa.string())),
        ("diseases", pa.list_(pa.string())),
        ("treatments", pa.list_(pa.string())),
        ("measurements", pa.list_(pa.string())),
        ("record", pa.string()),
    ]
)
CARRIER_COLUMNS = ("chrom", "pos", "ref", "alt", "gene", "zygosity", "consequence")
CARRIER_SCHEMA = pa.schema(
    [("individual_id", pa.string())]
    + [(c, pa.int64() if c == "pos" else pa.string()) for c in CARRIER_COLUMNS]
    + [("protein_change", pa.string())]
)


def individual_rows(sheet: SampleSheet, labels: dict[str, str]) -> list[dict]:
    rows = []
    for sample in sheet.samples:
        unit = sheet.units_of(sample)[0]
        clinical = read_phenopacket(unit.phenopacket) if unit.phenopacket else None
        sex = unit.sex
        if clinical and sex == "unknown":
            sex = clinical.sex
        # The sheet's hpo holds the phenopacket's observed terms too (varnode.inputs.sheet).
        packet_labels = {t.id: t.label for t in clinical.phenotypes} if clinical else {}
        hpo = [Term(t, labels.get(t) or packet_labels.get(t, "")) for t in unit.hpo]
        measurements = []
        for measurement in clinical.measurements if clinical else ():
            measurements.append(measurement.assay.id)
            if measurement.value is not None:
                measurements.append(measurement.value.id)
        rows.append(
            {
                "id": sample,
                "sex": sex,
                "phenotypes": [t.id for t in hpo],
                "diseases": [t.id for t in clinical.diseases] if clinical else [],
                "treatments": [t.id for t in clinical.treatments] if clinical else [],
                "measurements": measurements,
                "record": json.dumps(_checked(individual_record(sample, sex, hpo, clinical))),
            }
        )
    return rows


def _checked(record: dict) -> dict:
    """A record counts only once it validates against the Beacon v2 individuals schema."""
    problems = schema_problems("individuals", record)
    if problems:
        listing = "; ".join(problem[:200] for problem in problems[:5])
        raise VarnodeError(f"individual {record['id']}: not a valid Beacon v2 record: {listing}")
    return record


def carrier_rows(tables: list[Path], samples: set[str]) -> list[dict]:
    """Carried PASS alleles per individual, each once over all callers' tables."""
    if not tables:
        raise VarnodeError("no results/annotated/*.variants.tsv tables given")
    seen: dict[tuple, dict] = {}
    for table in tables:
        with table.open(newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["sample"] not in samples:
                    raise VarnodeError(f"{table}: sample {row['sample']!r} is not in the sheet")
                if row["filter"] not in ("PASS", ".") or row["zygosity"] not in CARRIER:
                    continue
                key = (row["sample"], row["chrom"], int(row["pos"]), row["ref"], row["alt"])
                seen.setdefault(
                    key,
                    {
                        "individual_id": row["sample"],
                        **{c: row[c] or None for c in CARRIER_COLUMNS if c != "pos"},
                        "pos": int(row["pos"]),
                        "protein_change": row["protein_change"] or None,
                    },
                )
    return [seen[key] for key in sorted(seen)]


def write_table(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    """Write a Parquet table, then read it back whole before it counts."""
    table = pa.Table.from_pylist(rows, schema=schema)
    with atomic_path(path) as partial:
        pq.write_table(table, partial)
        if pq.read_table(partial).num_rows != len(rows):
            raise VarnodeError(f"{path}: row count differs after writing")


def build(sheet_path: str, tables: list[Path], outdir: Path, labels: dict[str, str]) -> None:
    sheet = load_sample_sheet(sheet_path)
    outdir.mkdir(parents=True, exist_ok=True)
    write_table(individual_rows(sheet, labels), INDIVIDUAL_SCHEMA, outdir / "individuals.parquet")
    carriers = carrier_rows(tables, set(sheet.samples))
    write_table(carriers, CARRIER_SCHEMA, outdir / "carriers.parquet")
    print(f"{outdir}: {len(sheet.samples)} individuals, {len(carriers)} carried alleles")
