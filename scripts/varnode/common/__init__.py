"""Helpers every stage uses: atomic writes, checksums, publishing checked outputs."""
