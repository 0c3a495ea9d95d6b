"""Seeded synthetic germline VCFs shaped like `bcftools call` output, for benchmarks.

Values are drawn per record (site fields) and per sample (genotype fields) from
distributions roughly like real short-read WGS calls, with a small share of missing
values and multi-allelic records so a benchmark exercises the same code paths as
real data. Text is built in chunks and piped through `bgzip`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

CHUNK = 50_000
# GRCh38 autosome lengths (Mb); records are spread over contigs in proportion.
CONTIG_MB = [248, 242, 198, 190, 181, 171, 159, 145, 138, 134, 135, 133,
             114, 107, 102, 90, 83, 80, 59, 64, 47, 51]  # fmt: skip
BASES = np.array(list("ACGT"))

HEADER = """##fileformat=VCFv4.2
##FILTER=<ID=PASS,Description="All filters passed">
{contigs}
##INFO=<ID=INDEL,Number=0,Type=Flag,Description="Indel">
##INFO=<ID=IDV,Number=1,Type=Integer,Description="Max raw indel reads">
##INFO=<ID=IMF,Number=1,Type=Float,Description="Max raw indel fraction">
##INFO=<ID=DP,Number=1,Type=Integer,Description="Raw read depth">
##INFO=<ID=VDB,Number=1,Type=Float,Description="Variant Distance Bias">
##INFO=<ID=SGB,Number=1,Type=Float,Description="Segregation based metric">
##INFO=<ID=RPBZ,Number=1,Type=Float,Description="Read position bias Z">
##INFO=<ID=MQBZ,Number=1,Type=Float,Description="Mapping quality bias Z">
##INFO=<ID=MQSBZ,Number=1,Type=Float,Description="Mapping quality vs strand bias Z">
##INFO=<ID=BQBZ,Number=1,Type=Float,Description="Base quality bias Z">
##INFO=<ID=SCBZ,Number=1,Type=Float,Description="Soft-clip length bias Z">
##INFO=<ID=MQ0F,Number=1,Type=Float,Description="Fraction of MQ0 reads">
##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">
##INFO=<ID=AN,Number=1,Type=Integer,Description="Total alleles">
##INFO=<ID=DP4,Number=4,Type=Integer,Description="ref-fwd, ref-rev, alt-fwd, alt-rev">
##INFO=<ID=MQ,Number=1,Type=Integer,Description="Average mapping quality">
##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">
##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Phred-scaled genotype likelihoods">
##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">
##FORMAT=<ID=SP,Number=1,Type=Integer,Description="Phred-scaled strand bias P-value">
##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">
##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"""


def _positions(rng: np.random.Generator, records: int) -> list[tuple[str, np.ndarray]]:
    weights = np.array(CONTIG_MB, dtype=float) / sum(CONTIG_MB)
    counts = rng.multinomial(records, weights)
    return [
        (f"chr{i + 1}", np.sort(rng.integers(1, mb * 1_000_000, size=n)))
        for i, (mb, n) in enumerate(zip(CONTIG_MB, counts, strict=True))
    ]


def _genotype_pool(rng: np.random.Generator, n: int, n_alt: int, kind: str) -> np.ndarray:
    """`n` FORMAT strings GT:PL:DP:SP:AD:GQ for genotype class `kind` (ref/het/hom/miss)."""
    if kind == "miss":
        return np.array(["./.:" + ",".join(["."] * ((n_alt + 1) * (n_alt + 2) // 2)) + ":0:0:"
                         + ",".join(["0"] * (n_alt + 1)) + ":."] * n, dtype=object)  # fmt: skip
    depth = rng.poisson(30, n) + rng.integers(0, 3, n)
    frac = {"ref": 0.01, "het": 0.5, "hom": 0.98}[kind]
    alt = rng.binomial(depth, frac)
    gq = np.minimum(99, rng.gamma(2.0, 25.0, n).astype(int))
    sp = rng.geometric(0.3, n) - 1
    gt = {"ref": "0/0", "het": "0/1", "hom": "1/1"}[kind]
    n_pl = (n_alt + 1) * (n_alt + 2) // 2
    pls = rng.integers(0, 255, (n, n_pl))
    pls[:, {"ref": 0, "het": 1, "hom": 2}[kind]] = 0
    out = []
    for i in range(n):
        ad = [depth[i] - alt[i], alt[i]] + [0] * (n_alt - 1)
        out.append(
            f"{gt}:{','.join(map(str, pls[i]))}:{depth[i]}:{sp[i]}:{','.join(map(str, ad))}:{gq[i]}"
        )
    return np.array(out, dtype=object)


def write_vcf(path: Path, records: int, samples: int, seed: int = 1) -> Path:
    """Write a bgzipped VCF of `records` records and `samples` samples; return `path`."""
    rng = np.random.default_rng(seed)
    pools = {
        (n_alt, kind): _genotype_pool(rng, 20_000, n_alt, kind)
        for n_alt in (1, 2)
        for kind in ("ref", "het", "hom", "miss")
    }
    # In a cohort most genotypes at a site are hom-ref; a single sample carries the variant.
    kinds = ["ref", "het", "hom", "miss"]
    probs = [0.0, 0.6, 0.4, 0.0] if samples == 1 else [0.80, 0.12, 0.06, 0.02]
    contigs = "\n".join(f"##contig=<ID=chr{i + 1},length={mb * 1_000_000}>"
                        for i, mb in enumerate(CONTIG_MB))  # fmt: skip
    names = "\t".join(f"S{i:04d}" for i in range(samples))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as out:
        bgzip = subprocess.Popen(["bgzip", "-@", "2", "-c"], stdin=subprocess.PIPE, stdout=out)
        assert bgzip.stdin is not None
        bgzip.stdin.write((HEADER.format(contigs=contigs) + f"\t{names}\n").encode())
        for contig, positions in _positions(rng, records):
            for start in range(0, len(positions), CHUNK):
                bgzip.stdin.write(_chunk(rng, contig, positions[start : start + CHUNK],
                                         samples, pools, kinds, probs).encode())  # fmt: skip
        bgzip.stdin.close()
        if bgzip.wait() != 0:
            raise RuntimeError("bgzip failed")
    return path


def _chunk(rng, contig, positions, samples, pools, kinds, probs) -> str:
    n = len(positions)
    kind = rng.choice(3, n, p=[0.85, 0.12, 0.03])  # SNV, indel, multi-allelic SNV
    ref = BASES[rng.integers(0, 4, n)]
    alt1 = BASES[(np.searchsorted(BASES, ref) + rng.integers(1, 4, n)) % 4]
    alt2 = BASES[(np.searchsorted(BASES, alt1) + 1) % 4]
    alt2 = np.where(alt2 == ref, BASES[(np.searchsorted(BASES, alt2) + 1) % 4], alt2)
    qual = np.round(rng.gamma(1.5, 60.0, n) + 3.0, 4)
    qual_text = np.where(rng.random(n) < 0.001, ".", qual.astype(str))
    depth = rng.poisson(32 * samples if samples > 1 else 32, n)
    mq = np.clip(rng.normal(55, 10, n), 0, 60).astype(int)
    zs = np.round(rng.normal(0, 1.5, (n, 6)), 5)
    dp4 = rng.multinomial(1, [0.25] * 4, n) + rng.poisson(7, (n, 4))
    sample_kind = rng.choice(4, (n, samples), p=probs)
    pick = rng.integers(0, 20_000, (n, samples))
    lines = []
    for i in range(n):
        n_alt = 2 if kind[i] == 2 else 1
        if kind[i] == 1:
            ref_allele, alt_allele, indel = (
                ref[i],
                ref[i] + "T" * (1 + i % 3),
                "INDEL;IDV=5;IMF=0.3;",
            )
        else:
            ref_allele = ref[i]
            alt_allele = alt1[i] if n_alt == 1 else f"{alt1[i]},{alt2[i]}"
            indel = ""
        z = zs[i]
        info = (
            f"{indel}DP={depth[i]};VDB={abs(z[0]) / 9:.4g};SGB=-0.6{i % 10};RPBZ={z[1]};"
            f"MQBZ={z[2]};MQSBZ={z[3]};BQBZ={z[4]};SCBZ={z[5]};MQ0F=0;"
            f"AC={'1' if n_alt == 1 else '1,1'};AN={2 * samples};"
            f"DP4={','.join(map(str, dp4[i]))};MQ={mq[i]}"
        )
        genos = "\t".join(
            pools[(n_alt, kinds[k])][p] for k, p in zip(sample_kind[i], pick[i], strict=True)
        )
        lines.append(
            f"{contig}\t{positions[i]}\t.\t{ref_allele}\t{alt_allele}\t{qual_text[i]}\t.\t"
            f"{info}\tGT:PL:DP:SP:AD:GQ\t{genos}\n"
        )
    return "".join(lines)
