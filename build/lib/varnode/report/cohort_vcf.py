"""Cohort VCF summaries: allele-frequency spectrum and variant genotypes per sample.

Allele frequencies are computed from the genotypes (called alleles only), so the
spectrum does not depend on which INFO fields the cohort stage wrote.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from varnode.errors import VarnodeError


def summarise_cohort_vcf(path: Path, af_bins: int) -> dict[str, list[dict[str, Any]]]:
    """{"af_spectrum": rows per AF bin, "variants_per_sample": rows per sample}.

    Multi-allelic records count once per ALT allele; a sample's genotype counts once per
    record where it carries any ALT allele (het = one ALT copy, hom_alt = all copies ALT).
    """
    from cyvcf2 import VCF

    if not path.is_file():
        raise VarnodeError(f"{path}: file not found")
    try:
        vcf = VCF(str(path), gts012=False)
    except OSError as error:
        raise VarnodeError(f"{path}: cannot open as VCF ({error})") from None
    samples = list(vcf.samples)
    edges = np.linspace(0.0, 1.0, af_bins + 1)
    snvs = np.zeros(af_bins, dtype=np.int64)
    indels = np.zeros(af_bins, dtype=np.int64)
    per_sample = {name: dict.fromkeys(("het", "hom_alt", "snvs", "indels"), 0) for name in samples}
    position = 0
    try:
        for record in vcf:
            position += 1
            genotypes = record.genotype.array()[:, :-1]  # drop the phasing column
            called = genotypes[genotypes >= 0]
            if called.size == 0:
                continue
            for allele_index, alt in enumerate(record.ALT, start=1):
                frequency = np.count_nonzero(called == allele_index) / called.size
                if frequency == 0:
                    continue
                bin_index = min(np.searchsorted(edges, frequency, side="right") - 1, af_bins - 1)
                is_snv = len(alt) == 1 == len(record.REF)
                (snvs if is_snv else indels)[bin_index] += 1
            carriers = genotypes > 0
            alt_copies = carriers.sum(axis=1)
            ploidy = (genotypes >= 0).sum(axis=1)
            is_snv_record = record.is_snp
            for index, name in enumerate(samples):
                if alt_copies[index] == 0:
                    continue
                counts = per_sample[name]
                counts["hom_alt" if alt_copies[index] == ploidy[index] else "het"] += 1
                counts["snvs" if is_snv_record else "indels"] += 1
    except Exception as error:  # cyvcf2 raises bare Exceptions on corrupt records
        raise VarnodeError(f"{path}: record {position}: cannot read ({error})") from None
    spectrum = [
        {
            "af_from": round(float(edges[i]), 4),
            "af_to": round(float(edges[i + 1]), 4),
            "snvs": int(snvs[i]),
            "indels": int(indels[i]),
        }
        for i in range(af_bins)
    ]
    variants = [
        {"sample": name, **counts, "variants": counts["het"] + counts["hom_alt"]}
        for name, counts in per_sample.items()
    ]
    return {"af_spectrum": spectrum, "variants_per_sample": variants}
