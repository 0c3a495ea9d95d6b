"""Start-up checks of the annotation resources named in config's `annotation` section.

Each resource is optional. One that is given must exist and name only contigs the
reference has: a GFF3 or VCF using '22' against a 'chr22' reference would otherwise
annotate nothing, silently.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from varnode.errors import VarnodeError

# Feature types that make a gene for bcftools csq (Ensembl GFF3: ID=gene:...).
GENE_TYPES = ("gene", "ncRNA_gene", "pseudogene")


@dataclass
class Gff3Summary:
    contigs: set[str] = field(default_factory=set)
    genes: int = 0


def scan_gff3(gff3: str | Path) -> Gff3Summary:
    """Read a GFF3 to its end: contigs and gene count; VarnodeError names the line of a
    malformed feature, an incomplete last line, or a compressed stream cut short.

    A plain-text file cut exactly at a line boundary is detectable only through GFF3's
    own markers: when the file separates gene blocks with '###' (Ensembl does), it must
    end with one. Compressed files carry their own end marker, so prefer bgzip."""
    from varnode.inputs.file_checks import bgzf_complete, compression

    kind = compression(gff3)
    if kind == "bgzf" and not bgzf_complete(gff3):
        raise VarnodeError(f"{gff3}: lacks the BGZF end-of-file block: the file is truncated")
    summary = Gff3Summary()
    opener = gzip.open if kind != "none" else open
    number, line, separators, last = 0, "\n", 0, ""
    try:
        with opener(gff3, "rt") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith("##FASTA"):
                    break
                if line.startswith("###"):
                    separators += 1
                if not line.strip() or line.startswith("#"):
                    last = line.strip() or last
                    continue
                last = line.strip()
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 9 or not (fields[3].isdigit() and fields[4].isdigit()):
                    raise VarnodeError(
                        f"{gff3} line {number}: not a GFF3 feature (9 tab-separated columns, "
                        "integer start and end)"
                    )
                summary.contigs.add(fields[0])
                summary.genes += fields[2] in GENE_TYPES
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise VarnodeError(
            f"{gff3}: compressed stream ends early or is corrupt after line {number} ({error})"
        ) from None
    if not line.endswith("\n"):
        raise VarnodeError(f"{gff3} line {number}: ends mid-line (the file is truncated)")
    if separators and last != "###":
        raise VarnodeError(
            f"{gff3}: separates gene blocks with '###' but does not end with one after line "
            f"{number} (the file is truncated)"
        )
    if not summary.genes:
        raise VarnodeError(
            f"{gff3}: no gene features ({', '.join(GENE_TYPES)}): nothing to annotate"
        )
    return summary


def gff3_contigs(gff3: str | Path) -> set[str]:
    return scan_gff3(gff3).contigs


def _info_fields(vcf: str | Path) -> set[str]:
    import pysam

    with pysam.VariantFile(str(vcf)) as variants:
        return set(variants.header.info)


def annotation_problems(config: dict[str, Any], reference_contigs: set[str]) -> list[str]:
    """Problems with config['annotation'] resources, each naming its key and file."""
    from varnode.inputs.file_checks import indexed_vcf_problems, resource_problems, vcf_contigs

    annotation = config["annotation"]
    population = annotation["population_af"]
    resources = [
        ("annotation.gff3", annotation["gff3"], gff3_contigs, ()),
        ("annotation.dbsnp", annotation["dbsnp"], vcf_contigs, ()),
        (
            "annotation.population_af.vcf",
            population["vcf"],
            vcf_contigs,
            (population["info_field"],),
        ),
        ("annotation.clinvar", annotation["clinvar"], vcf_contigs, ("CLNSIG", "CLNDN")),
    ]
    problems = []
    for key, path, read_contigs, info_fields in resources:
        if not path:
            continue
        found = indexed_vcf_problems(key, path) if read_contigs is vcf_contigs else []
        try:
            found = found or resource_problems(key, path, read_contigs, reference_contigs)
        except VarnodeError as error:
            found = [f"config {key}: {error}"]
        problems += found
        if found:
            continue
        missing = [f for f in info_fields if f not in _info_fields(path)]
        if missing:
            problems.append(f"config {key}: {path} has no INFO field(s) {', '.join(missing)}")
    return problems
