"""Checks of the reads: FASTQ pairs read to their end, fastp's logs."""
