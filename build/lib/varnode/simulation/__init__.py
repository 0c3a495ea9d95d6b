"""Seeded simulation of a small sequencing experiment with a known truth (`varnode simulate`).

`genome` makes or reads the reference, `variants` plants a cohort's variants and builds
each sample's two haplotypes, `reads` draws paired-end reads with a sequencing error
model, and `files` writes byte-reproducible outputs.
"""
