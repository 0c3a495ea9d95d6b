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
    from varnode.inputs import resource_problems, vcf_contigs

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
        found = resource_problems(key, path, read_contigs, reference_contigs)
        problems += found
        if found:
            continue
        missing = [f for f in info_fields if f not in _info_fields(path)]
        if missing:
            problems.append(f"config {key}: {path} has no INFO field(s) {', '.join(missing)}")
    return problems


ANNOTATION_STEP = "results/annotated/steps/{sample}.{caller}.{step}.bcf"


def known_variant_steps(annotation: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Configured known-variant steps, in order: step -> (resource VCF, bcftools -c columns)."""
    from varnode.annotation_table import CLINVAR_TAGS, POPULATION_AF_TAG

    population = annotation["population_af"]
    steps = {
        "ids": (annotation["dbsnp"], "ID"),
        "population_af": (
            population["vcf"],
            f"INFO/{POPULATION_AF_TAG}:=INFO/{population['info_field']}",
        ),
        "clinvar": (annotation["clinvar"], ",".join(f"INFO/{tag}" for tag in CLINVAR_TAGS)),
    }
    return {step: value for step, value in steps.items() if value[0]}


def annotation_steps(annotation: dict[str, Any]) -> list[str]:
    """All configured annotation steps in the order they run: csq first, then known variants."""
    return (["consequences"] if annotation["gff3"] else []) + list(known_variant_steps(annotation))


def step_input(steps: list[str], sample: str, caller: str, before: str | None = None) -> dict:
    """The VCF (and its index) that step `before` reads, or that the last step wrote
    when `before` is None: the previous step's output, or the sample's filtered calls."""
    done = steps if before is None else steps[: steps.index(before)]
    if not done:
        vcf = f"results/calls/{sample}.{caller}.filtered.vcf.gz"
        return {"vcf": vcf, "index": f"{vcf}.tbi"}
    vcf = ANNOTATION_STEP.format(sample=sample, caller=caller, step=done[-1])
    return {"vcf": vcf, "index": f"{vcf}.csi"}
