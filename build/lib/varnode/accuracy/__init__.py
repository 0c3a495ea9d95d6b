"""Calling accuracy against a truth set (`varnode compare`).

`variants` normalises and reads both VCFs, `matching` counts by position and allele
(and genotype), `haplotypes` matches by haplotype sequence where representations
differ, and `metrics` turns per-variant outcomes into precision, recall and F1.
"""
