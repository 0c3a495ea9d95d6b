"""Reference preparation: region shards of the genome."""
