"""One call set from two callers, decided per record (varnode consensus)."""
