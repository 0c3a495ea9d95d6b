"""Cohort statistics: members, allele counts, sample QC, relatedness."""
