"""The configured annotation steps of a sample's calls, in the order they run.

Each resource in config's `annotation` section adds a step (csq first, then the
known-variant resources); each step reads the previous one's output. The files are
the rules' (workflow/rules/annotate.smk): here only the steps and their order.
"""

from __future__ import annotations

from typing import Any


def known_variant_steps(annotation: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Configured known-variant steps, in order: step -> (resource VCF, bcftools -c columns)."""
    from varnode.annotate.table import CLINVAR_TAGS, POPULATION_AF_TAG

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
