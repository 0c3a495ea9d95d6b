"""The cohort stage: merging per-sample gVCFs, sample QC."""
