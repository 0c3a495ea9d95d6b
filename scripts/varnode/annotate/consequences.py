"""Severity of the consequence types `bcftools csq` writes (INFO/BCSQ), on a 0-1 scale.

The order follows Ensembl's consequence ranking (high: loss of function; moderate:
protein-altering; low: silent or outside the coding sequence). The numbers are what
prioritisation adds up, so they are kept here, in one table, with the ranking.
"""

from __future__ import annotations

SEVERITY: dict[str, float] = {
    "stop_gained": 1.0,
    "frameshift": 1.0,
    "splice_acceptor": 1.0,
    "splice_donor": 1.0,
    "start_lost": 1.0,
    "stop_lost": 1.0,
    "missense": 0.7,
    "inframe_deletion": 0.7,
    "inframe_insertion": 0.7,
    "inframe_altering": 0.7,
    "feature_elongation": 0.5,
    "splice_region": 0.4,
    "coding_sequence": 0.3,
    "synonymous": 0.1,
    "stop_retained": 0.1,
    "start_retained": 0.1,
    "5_prime_utr": 0.1,
    "3_prime_utr": 0.1,
    "non_coding": 0.1,
    "intron": 0.05,
}
# A type this table does not know (a newer bcftools) counts as low, not as nothing.
UNKNOWN_SEVERITY = 0.1


def severity(consequence: str) -> float:
    """Severity of a BCSQ consequence such as 'missense&splice_region' (its worst part)."""
    parts = [part for part in consequence.lstrip("*").split("&") if part]
    if not parts:
        return 0.0
    return max(SEVERITY.get(part, UNKNOWN_SEVERITY) for part in parts)
