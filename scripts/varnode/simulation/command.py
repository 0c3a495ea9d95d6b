"""`varnode simulate`: a small seeded sequencing experiment with a known truth.

Writes, under --outdir:
  reference.fa (+ .fai)            the given FASTA, or a seeded random genome
  truth/<sample>.vcf.gz (+ .tbi)   each sample's planted SNVs, indels, MNPs and DELINS
                                   (phased GT; some SNV sites multi-allelic)
  truth/confident.bed              the confident regions: every contig less its ends
                                   (where no variant is planted and depth falls off) and Ns
  reads/<sample>_R{1,2}.fastq.gz   paired-end reads from the sample's two haplotypes, with
                                   the built-in error model or ART's HiSeq 2500 profile
                                   (--reads art)
  samples.tsv                      the pipeline's sample sheet (paths relative to it)
  config.yaml                      overrides for `snakemake --configfile <outdir>/config.yaml`
                                   (including an accuracy check of SIM1's calls against its truth)

The same seed and arguments give the same bytes: every random draw comes from numpy
generators spawned from the seed (one for the reference, one for the cohort's variant
pool, one per sample), and no output carries a timestamp. See varnode.simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from varnode.common.atomic import write_text_atomic
from varnode.common.options import add_output_folder
from varnode.errors import VarnodeError
from varnode.simulation import files
from varnode.simulation.art import art_pairs
from varnode.simulation.genome import fasta_text, random_genome, read_fasta
from varnode.simulation.reads import ErrorModel, fastq_bytes, simulate_pairs
from varnode.simulation.variants import (
    EDGE,
    haplotype,
    plant_sites,
    sample_genotypes,
    truth_vcf_text,
)

SHEET_HEADER = ("sample", "unit", "platform", "fq1", "fq2", "sex", "hpo")


def configure(parser) -> None:
    add_output_folder(parser, "folder to write the dataset into")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--reference", help="FASTA to plant variants into (default: a seeded random genome)"
    )
    parser.add_argument(
        "--length", type=int, default=50_000, help="random genome length in bp (default 50000)"
    )
    parser.add_argument("--samples", type=int, default=2, help="number of samples (default 2)")
    parser.add_argument("--depth", type=float, default=30.0, help="mean read depth (default 30)")
    parser.add_argument(
        "--read-length", type=int, default=150, help="read length in bp (default 150)"
    )
    parser.add_argument(
        "--snv-rate",
        type=float,
        default=1e-3,
        help="non-reference SNV sites per bp in one sample (default 0.001, human-like)",
    )
    parser.add_argument(
        "--indel-rate",
        type=float,
        default=1.5e-4,
        help="non-reference indel sites per bp in one sample (default 0.00015)",
    )
    parser.add_argument(
        "--complex-rate",
        type=float,
        default=2e-5,
        help="non-reference MNP/DELINS sites per bp in one sample (default 0.00002)",
    )
    parser.add_argument(
        "--reads",
        choices=["model", "art"],
        default="model",
        help="read simulator: the built-in error model (default) or ART (art_illumina, HS25)",
    )


def _check(args) -> None:
    checks = [
        (args.samples >= 1, f"--samples {args.samples}: need at least 1"),
        (args.depth > 0, f"--depth {args.depth}: must be positive"),
        (30 <= args.read_length <= 300, f"--read-length {args.read_length}: use 30-300"),
        (0 <= args.snv_rate <= 0.05, f"--snv-rate {args.snv_rate}: use 0-0.05"),
        (0 <= args.indel_rate <= 0.01, f"--indel-rate {args.indel_rate}: use 0-0.01"),
        (0 <= args.complex_rate <= 0.01, f"--complex-rate {args.complex_rate}: use 0-0.01"),
    ]
    for ok, message in checks:
        if not ok:
            raise VarnodeError(message)


def _config_text(outdir: Path, seed: int) -> str:
    overrides = {
        "samples": str(outdir / "samples.tsv"),
        "reference": {"fasta": str(outdir / "reference.fa")},
        # A few shards, as on a genome, however short the simulated one is.
        "calling": {"scatter": 3},
        # The simulated genome has no gene models or known-variant catalogues.
        "annotation": {"gff3": "", "dbsnp": "", "population_af": {"vcf": ""}, "clinvar": ""},
        # Score the first sample's calls against its planted truth (rule assess_accuracy).
        "cohort": {"scatter": 3},
        "accuracy": {
            "truth": str(outdir / "truth" / "SIM1.vcf.gz"),
            "regions": str(outdir / "truth" / "confident.bed"),
            "sample": "SIM1",
        },
    }
    return (
        f"# Data simulated by `varnode simulate --seed {seed}`. These keys override\n"
        "# config/config.yaml: snakemake --cores 2 --configfile <this file>\n"
        + yaml.safe_dump(overrides, sort_keys=False)
    )


def _confident_bed(contigs) -> str:
    """Each contig less EDGE bp at either end and its runs of N, as BED."""
    lines = []
    for contig in contigs:
        callable_bases = contig.sequence != ord("N")
        callable_bases[:EDGE] = callable_bases[len(callable_bases) - EDGE :] = False
        edges = np.flatnonzero(np.diff(np.concatenate([[0], callable_bases.astype(np.int8), [0]])))
        lines += [f"{contig.name}\t{s}\t{e}" for s, e in zip(edges[::2], edges[1::2], strict=True)]
    return "".join(f"{line}\n" for line in lines)


def _reads(args, rng, contigs, variants, sample) -> tuple[bytes, bytes, int]:
    """FASTQ bytes of read 1 and 2, and the number of pairs."""
    haplotypes = [
        (f"{contig.name}:h{which + 1}", haplotype(contig, variants, which))
        for contig in contigs
        for which in (0, 1)
    ]
    if args.reads == "art":
        read1, read2 = art_pairs(rng, haplotypes, args.depth, args.read_length)
        return read1, read2, read1.count(b"\n") // 4
    counts = []
    for contig in contigs:
        callable_bases = int(np.count_nonzero(contig.sequence != ord("N")))
        pairs = round(args.depth * callable_bases / (2 * args.read_length))
        on_first = int(rng.binomial(pairs, 0.5))
        counts += [on_first, pairs - on_first]
    pairs = simulate_pairs(rng, haplotypes, counts, args.read_length, ErrorModel(), sample)
    return (
        fastq_bytes(pairs.names, pairs.read1, pairs.qual1),
        fastq_bytes(pairs.names, pairs.read2, pairs.qual2),
        len(pairs.names),
    )


def run(args) -> int:
    _check(args)
    outdir = Path(args.outdir).resolve()
    reference_seed, pool_seed, *sample_seeds = np.random.SeedSequence(args.seed).spawn(
        2 + args.samples
    )
    if args.reference:
        contigs = read_fasta(args.reference)
    else:
        contigs = [random_genome(np.random.default_rng(reference_seed), args.length)]
    files.write_fasta(outdir / "reference.fa", fasta_text(contigs))
    pool = plant_sites(
        np.random.default_rng(pool_seed),
        contigs,
        args.snv_rate,
        args.indel_rate,
        args.complex_rate,
    )
    write_text_atomic(outdir / "truth" / "confident.bed", _confident_bed(contigs))
    sheet = ["\t".join(SHEET_HEADER)]
    for number, seed in enumerate(sample_seeds, start=1):
        sample = f"SIM{number}"
        rng = np.random.default_rng(seed)
        variants = sample_genotypes(rng, pool)
        files.write_indexed_vcf(
            outdir / "truth" / f"{sample}.vcf.gz",
            truth_vcf_text(contigs, sample, variants, args.seed),
        )
        read1, read2, pairs = _reads(args, rng, contigs, variants, sample)
        files.write_gzip(outdir / "reads" / f"{sample}_R1.fastq.gz", read1)
        files.write_gzip(outdir / "reads" / f"{sample}_R2.fastq.gz", read2)
        sheet.append(
            f"{sample}\tL1\tILLUMINA\treads/{sample}_R1.fastq.gz\treads/{sample}_R2.fastq.gz\t\t"
        )
        print(f"{sample}: {len(variants.sites)} variants planted, {pairs} read pairs")
    write_text_atomic(outdir / "samples.tsv", "\n".join(sheet) + "\n")
    write_text_atomic(outdir / "config.yaml", _config_text(outdir, args.seed))
    print(f"dataset written to {outdir} (run: snakemake --configfile {outdir}/config.yaml)")
    return 0
