"""A small simulated node: a cohort's genotypes, its annotated tables, its phenopackets and
its aggregate export, all derived from one seeded genotype matrix.

The export is written exactly as `varnode export` specifies it (issue 18):
`{dataset}.parquet` with columns CHROM POS REF ALT POPULATION AF AC AC_HET AC_HOM AC_HEMI
AN gene (a row per site and stratum ALL / F / M) and `manifest.json` with the payload's
sha256. The floor is applied as the export applies it, except on one planted row, which
the Beacon must withhold on its own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from varnode.annotate.table import COLUMNS as ANNOTATION_COLUMNS
from varnode.federation.sites import PARQUET_SCHEMA

DATASET = "node-a"
FLOOR = 10
N = 40
FEMALES = {f"P{i:02d}" for i in range(1, N + 1) if i % 2 == 0}

# Congenital myasthenic syndrome-like; a myopathy; a minicore myopathy; unrelated. Their
# similarity (Lin best-match average) to Minicore myopathy (HP:0003789) is 0.504, 0.718, 1
# and 0; to ORPHA:590 (congenital myasthenic syndrome) 0.573, 0.477, 0.356 and 0.392.
MYASTHENIC = ["HP:0003473", "HP:0000508", "HP:0003198"]
MYOPATHY = ["HP:0003198"]
MINICORE = ["HP:0003789"]
UNRELATED = ["HP:0002205", "HP:0001738"]
COVID = ("MONDO:0100096", "COVID-19")
VEMURAFENIB = ("NCIT:C64768", "Vemurafenib")
BRAF_ASSAY = ("NCIT:C17872", "BRAF gene")
BRAF_V600E = ("NCIT:C98273", "BRAF V600E")
RARE_RYR1_CARRIERS = ("P01", "P02", "P03", "P05")


@dataclass(frozen=True)
class Site:
    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    consequence: str
    carriers: dict[str, int]  # individual -> alternate allele dosage (1 or 2)


def individuals() -> list[str]:
    return [f"P{i:02d}" for i in range(1, N + 1)]


def sites() -> list[Site]:
    """Rare variants with known carriers, and common ones drawn from a seeded generator."""
    rng = np.random.default_rng(19)
    common = {}
    for name in ("RYR1", "TTN"):
        dosage = rng.binomial(2, 0.4, N)
        common[name] = {p: int(d) for p, d in zip(individuals(), dosage, strict=True) if d}
    # Few females carry this one: its F stratum is under the floor, so only ALL is served.
    female_rare = {p: 1 for p in ("P02", "P04", "P06")} | {
        p: 1 for p in individuals() if p not in FEMALES
    }
    return [
        Site("chr19", 38440000, "G", "A", "RYR1", "missense", dict.fromkeys(RARE_RYR1_CARRIERS, 1)),
        Site("chr19", 38455000, "C", "T", "RYR1", "synonymous", common["RYR1"]),
        Site("chr2", 178530000, "A", "G", "TTN", "missense", common["TTN"]),
        Site("chr2", 178531000, "T", "C", "TTN", "intron", female_rare),
        Site("chrX", 12887000, "A", "G", "TLR7", "missense", {"P10": 1, "P11": 1, "P13": 1}),
        Site("chr10", 87925000, "C", "T", "PTEN", "stop_gained", {"P20": 1, "P21": 1, "P22": 1}),
    ]


def clinical() -> dict[str, dict]:
    """Per individual: hpo column terms, or a phenopacket's content."""
    data: dict[str, dict] = {
        "P01": {"phenopacket": {"hpo": MYASTHENIC}},
        "P02": {"hpo": MYOPATHY},
        "P03": {"phenopacket": {"hpo": UNRELATED}},
        "P04": {"phenopacket": {"hpo": MYASTHENIC}},  # the phenotype, no rare RYR1 variant
        "P05": {"hpo": MINICORE},
        "P10": {"phenopacket": {"diseases": [COVID]}},
        "P11": {"phenopacket": {"diseases": [COVID]}},
        "P30": {"phenopacket": {"diseases": [COVID]}},  # COVID-19, no TLR7 variant
        "P20": {"phenopacket": {"treatments": [VEMURAFENIB], "measurements": [BRAF_V600E]}},
        "P21": {"phenopacket": {"treatments": [VEMURAFENIB]}},
        "P22": {"phenopacket": {"treatments": [VEMURAFENIB], "measurements": [BRAF_V600E]}},
        "P31": {"phenopacket": {"treatments": [VEMURAFENIB], "measurements": [BRAF_V600E]}},
    }
    return data


def sex(individual: str) -> str:
    return "female" if individual in FEMALES else "male"


def phenopacket(individual: str, content: dict) -> dict:
    packet = {
        "id": f"{individual}-phenopacket",
        "subject": {"id": individual, "sex": sex(individual).upper()},
        "phenotypicFeatures": [{"type": {"id": t}} for t in content.get("hpo", [])],
        "diseases": [
            {"term": {"id": i, "label": label}} for i, label in content.get("diseases", [])
        ],
        "medicalActions": [
            {"treatment": {"agent": {"id": i, "label": label}}}
            for i, label in content.get("treatments", [])
        ],
        "measurements": [
            {
                "assay": {"id": BRAF_ASSAY[0], "label": BRAF_ASSAY[1]},
                "value": {"ontologyClass": {"id": i, "label": label}},
            }
            for i, label in content.get("measurements", [])
        ],
        "metaData": {
            "created": "2026-11-30T12:00:00Z",
            "createdBy": "varnode tests",
            "phenopacketSchemaVersion": "2.0",
        },
    }
    return {key: value for key, value in packet.items() if value != []}


def _ploidy(site: Site, individual: str) -> int:
    return 1 if site.chrom == "chrX" and individual not in FEMALES else 2


def _zygosity(site: Site, individual: str, dosage: int) -> str:
    if _ploidy(site, individual) == 1:
        return "hemizygous"
    return "homozygous" if dosage == 2 else "heterozygous"


def write_annotated(folder: Path) -> list[Path]:
    """results/annotated/{sample}.bcftools.variants.tsv, as `varnode annotation-table` writes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for individual in individuals():
        path = folder / f"{individual}.bcftools.variants.tsv"
        lines = ["\t".join(ANNOTATION_COLUMNS)]
        for site in sites():
            dosage = site.carriers.get(individual)
            if not dosage:
                continue
            if _ploidy(site, individual) == 1:
                dosage = 1
            row = dict.fromkeys(ANNOTATION_COLUMNS, "")
            row.update(
                sample=individual,
                chrom=site.chrom,
                pos=str(site.pos),
                ref=site.ref,
                alt=site.alt,
                genotype="1/1" if dosage == 2 else "0/1",
                zygosity=_zygosity(site, individual, dosage),
                filter="PASS",
                gene=site.gene,
                consequence=site.consequence,
            )
            lines.append("\t".join(row[c] for c in ANNOTATION_COLUMNS))
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


def _counts(site: Site, members: list[str]) -> dict:
    ac = ac_het = ac_hom = ac_hemi = an = 0
    for individual in members:
        ploidy = _ploidy(site, individual)
        dosage = min(site.carriers.get(individual, 0), ploidy)
        an += ploidy
        ac += dosage
        if ploidy == 1:
            ac_hemi += dosage
        elif dosage == 2:
            ac_hom += 2
        else:
            ac_het += dosage
    return {"AC": ac, "AC_HET": ac_het, "AC_HOM": ac_hom, "AC_HEMI": ac_hemi, "AN": an}


def _sub_floor(counts: dict) -> bool:
    ac, an = counts["AC"], counts["AN"]
    return 0 < ac < FLOOR or 0 < an - ac < FLOOR


def export_rows(planted: Site | None = None) -> list[dict]:
    """The export's rows, floor applied as the export applies it (bar the planted site)."""
    strata = {
        "ALL": individuals(),
        "F": sorted(FEMALES),
        "M": [p for p in individuals() if p not in FEMALES],
    }
    rows = []
    for site in sites():
        counted = {name: _counts(site, members) for name, members in strata.items()}
        if site != planted:
            if _sub_floor(counted["ALL"]):
                continue
            if any(_sub_floor(c) for c in counted.values()):
                counted = {"ALL": counted["ALL"]}
        for population, counts in counted.items():
            rows.append(
                {
                    "CHROM": site.chrom,
                    "POS": site.pos,
                    "REF": site.ref,
                    "ALT": site.alt,
                    "POPULATION": population,
                    "AF": counts["AC"] / counts["AN"],
                    **counts,
                    "GENE": site.gene,
                }
            )
    return rows


# The exporter's own Parquet schema (issue 18): the fixture writes what a node writes.
EXPORT_SCHEMA = PARQUET_SCHEMA


def write_export(folder: Path, planted: Site | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / f"{DATASET}.parquet"
    pq.write_table(pa.Table.from_pylist(export_rows(planted), schema=EXPORT_SCHEMA), parquet)
    manifest = {
        "dataset_id": DATASET,
        "node_id": "test-node",
        "assembly": "GRCh38",
        "samples": 40,
        "floor": FLOOR,
        "title": "Test node cohort",
        "description": "A simulated cohort of 40 individuals for varnode's tests",
        "publisher": "varnode tests",
        "contact": "node@example.org",
        "licence": "DUO:0000042",
        "created": "2026-11-30T12:00:00Z",
        "files": {
            parquet.name: {
                "sha256": hashlib.sha256(parquet.read_bytes()).hexdigest(),
                "size": parquet.stat().st_size,
            }
        },
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return folder


def write_node(root: Path) -> dict[str, Path]:
    """Sheet, phenopackets, annotated tables and export of the simulated node under `root`."""
    reads = root / "reads"
    reads.mkdir(parents=True, exist_ok=True)
    for mate in ("R1", "R2"):
        (reads / f"{mate}.fastq.gz").write_bytes(b"")
    packets = root / "phenopackets"
    packets.mkdir(exist_ok=True)
    lines = ["sample\tunit\tplatform\tfq1\tfq2\tsex\thpo\tphenopacket"]
    for individual in individuals():
        content = clinical().get(individual, {})
        packet = ""
        if "phenopacket" in content:
            packet = f"phenopackets/{individual}.json"
            (root / packet).write_text(json.dumps(phenopacket(individual, content["phenopacket"])))
        hpo = ";".join(content.get("hpo", []))
        lines.append(
            f"{individual}\tL1\tILLUMINA\treads/R1.fastq.gz\treads/R2.fastq.gz\t"
            f"{sex(individual)}\t{hpo}\t{packet}"
        )
    (root / "samples.tsv").write_text("\n".join(lines) + "\n")
    planted = sites()[0]  # the rare RYR1 missense: AC 3, under the floor
    return {
        "sheet": root / "samples.tsv",
        "annotated": root / "results" / "annotated",
        "annotated_tables": write_annotated(root / "results" / "annotated"),
        "export": write_export(root / "results" / "export", planted=planted),
    }
