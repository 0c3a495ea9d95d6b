"""Shared helpers for the filtering tests: edge-case VCFs, running both engines, reading back."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml
from cyvcf2 import VCF

from varnode.filters.command import filter_vcf
from varnode.filters.spec import load

HEADER = """##fileformat=VCFv4.2
##contig=<ID=chr1,length=100000>
##contig=<ID=chr2,length=100000>
##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">
##INFO=<ID=MQ,Number=1,Type=Float,Description="Mapping quality">
##INFO=<ID=SAF,Number=A,Type=Integer,Description="ALT forward reads">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
"""
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
# Multi-allelic sites, haploid and partly missing genotypes, phased calls, missing
# QUAL/INFO/FORMAT values, AD of zero depth, values right at the thresholds.
RECORDS = [
    "chr1\t100\t.\tA\tC\t50\t.\tDP=30;MQ=60;SAF=3\tGT:GQ:DP:AD\t0/1:35:20:10,10\t1/1:10:5:0,5\t0/0:.:.:.,.",
    "chr1\t200\t.\tA\tC,G\t.\t.\tDP=8;SAF=0,4\tGT:GQ:DP:AD\t1/2:30:20:0,12,8\t0/2:99:11:8,1,2\t1:5:7:3,4,.",
    "chr1\t300\t.\tAT\tA\t29.9\t.\tMQ=20\tGT:GQ:DP:AD\t0|1:20:8:5,1\t./1:50:9:4,5\t./.:0:0:0,0",
    "chr1\t400\t.\tG\tT\t30\t.\tDP=10;MQ=30\tGT:AD\t0/1:2,8\t0/1:5,.\t1|0:7,3",
    "chr1\t500\t.\tC\tA,T,G\t80\t.\tDP=40;MQ=50;SAF=1,.,9\tGT:GQ:DP:AD\t2/3:40:30:1,1,14,14\t0/3:45:30:20,0,0,10\t0/0:60:30:30,0,0,0",
    "chr2\t10\t.\tAC\tTG\t60\t.\tDP=25;MQ=55\tGT:GQ:DP:AD\t0/1:25:25:19,6\t0/0:30:25:25,0\t1/1:30:25:1,24",
    "chr2\t20\t.\tT\t<DEL>\t45\t.\tDP=12\tGT:GQ\t0/1:15\t0/0:.\t.:40",
    "chr2\t30\t.\tG\tA\t100\tLowCov\tDP=3;MQ=60\tGT:GQ:DP:AD\t0/1:99:3:1,2\t0/0:99:3:3,0\t0/1:99:3:2,1",
]


def write_vcf(path: Path, samples=("A", "B", "C"), records=RECORDS, extra_header="") -> Path:
    """Write `records` (for `samples`) as a bgzipped, tabix-indexed VCF at `path`."""
    header = HEADER + extra_header
    if any("LowCov" in line for line in records):
        header += '##FILTER=<ID=LowCov,Description="set by the caller">\n'
    columns = COLUMNS + "".join(f"\t{s}" for s in samples) if samples else COLUMNS[:-7]
    lines = []
    for record in records:
        fields = record.split("\t")
        lines.append("\t".join(fields[: 9 + len(samples)] if samples else fields[:8]))
    text = header + columns + "\n" + "".join(line + "\n" for line in lines)
    plain = path.with_suffix("")
    plain.write_text(text)
    subprocess.run(["bgzip", "-f", str(plain)], check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)
    return path


def write_filters(path: Path, site=(), genotype=()) -> Path:
    path.write_text(yaml.safe_dump({"site": list(site), "genotype": list(genotype)}))
    return path


def run_varnode(source: Path, out: Path, filters: Path, **options) -> dict:
    return filter_vcf(str(source), str(out), load(filters), **options)


def bcftools(command: list[str], source: Path, out: Path) -> Path:
    """Run `bcftools command[0] source command[1:]` (plugins take options after --)."""
    with open(out, "wb") as handle:
        subprocess.run(["bcftools", command[0], str(source), *command[1:]], stdout=handle,
                       check=True)  # fmt: skip
    return out


def records(path: Path) -> list[tuple]:
    """(position, alleles, FILTER names, genotypes as allele lists) per record."""
    rows = []
    for record in VCF(str(path)):
        names = frozenset((record.FILTER or "PASS").split(";"))
        genotypes = [tuple(call[:-1]) for call in record.genotypes] if record.genotypes else []
        rows.append(((record.CHROM, record.POS), (record.REF, *record.ALT), names, genotypes))
    return rows


def fts(path: Path) -> list[list[str] | None]:
    """FORMAT/FT per record (None where the record has no FT)."""
    out = []
    for record in VCF(str(path)):
        values = record.format("FT")
        out.append(None if values is None else [str(v) for v in values])
    return out


def flatten(filters: list[list[str]]) -> list[str]:
    """FT per genotype, record after record."""
    return [value for row in filters for value in row]
