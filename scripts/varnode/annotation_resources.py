"""Start-up checks of the annotation resources named in config's `annotation` section.

Each resource is optional. One that is given must exist and name only contigs the
reference has: a GFF3 or VCF using '22' against a 'chr22' reference would otherwise
annotate nothing, silently.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any


def gff3_contigs(gff3: str | Path) -> set[str]:
    opener = gzip.open if str(gff3).endswith(".gz") else open
    with opener(gff3, "rt") as handle:
        contigs = set()
        for line in handle:
            if line.startswith("##FASTA"):
                break
            if line.strip() and not line.startswith("#"):
                contigs.add(line.split("\t", 1)[0])
        return contigs


def _info_fields(vcf: str | Path) -> set[str]:
    import pysam

    with pysam.VariantFile(str(vcf)) as variants:
        return set(variants.header.info)


def annotation_problems(config: dict[str, Any], reference_contigs: set[str]) -> list[str]:
    """Problems with config['annotation'] resources, each naming its key and file."""
    from varnode.inputs import vcf_contigs

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
        if not Path(path).is_file():
            problems.append(f"config {key}: file not found: {path}")
            continue
        unknown = sorted(read_contigs(path) - reference_contigs)
        if unknown:
            shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
            problems.append(
                f"config {key}: {path} names contig(s) the reference lacks: {shown} "
                f"(reference has e.g. {', '.join(sorted(reference_contigs)[:3])}; "
                "rename them, e.g. with bcftools annotate --rename-chrs)"
            )
        missing = [f for f in info_fields if f not in _info_fields(path)]
        if missing:
            problems.append(f"config {key}: {path} has no INFO field(s) {', '.join(missing)}")
    return problems
