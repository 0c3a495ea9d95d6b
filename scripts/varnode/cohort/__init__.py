"""Cohort statistics: gVCF merging, members, allele counts, sample QC, relatedness."""
