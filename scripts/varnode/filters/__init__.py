"""Declarative site and genotype filters (varnode filter)."""
