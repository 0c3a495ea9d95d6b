"""Reference stage: region shards, the assembly named in VCF headers."""
