"""Phenotypes: HPO index, phenopackets, variant prioritisation, phenotype queries."""
