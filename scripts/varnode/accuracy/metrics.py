"""Precision, recall and F1 per variant type from per-variant match outcomes.

Recall counts truth variants (found / all truth); precision counts calls (right / all
calls). With haplotype matching the two can differ: one MNP call can match two truth
SNVs, so truth TP and query TP are kept apart, as hap.py does. Variants where the truth
is incomplete (unknown) are left out of every count and reported apart, as hap.py's UNK.
"""

from __future__ import annotations

from varnode.accuracy.matching import Outcome
from varnode.accuracy.variants import Variant

TYPES = ("SNV", "INDEL", "ALL")
COLUMNS = (
    "method", "type", "truth_total", "truth_tp", "fn", "query_total", "query_tp", "fp",
    "precision", "recall", "f1", "truth_unknown", "query_unknown",
)  # fmt: skip


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def _f1(precision: float | None, recall: float | None) -> float:
    precision, recall = precision or 0.0, recall or 0.0
    return round(2 * precision * recall / (precision + recall), 6) if precision + recall else 0.0


def summarise(method: str, truth: list[Variant], calls: list[Variant], outcome: Outcome):
    rows = []
    truth_outcomes = list(zip(truth, outcome.truth_matched, outcome.truth_unknown, strict=True))
    call_outcomes = list(zip(calls, outcome.query_matched, outcome.query_unknown, strict=True))
    for kind in TYPES:
        in_truth = [ok for v, ok, unknown in truth_outcomes
                    if kind in ("ALL", v.kind) and not unknown]  # fmt: skip
        in_calls = [ok for v, ok, unknown in call_outcomes
                    if kind in ("ALL", v.kind) and not unknown]  # fmt: skip
        truth_tp, query_tp = sum(in_truth), sum(in_calls)
        precision = _ratio(query_tp, len(in_calls))
        recall = _ratio(truth_tp, len(in_truth))
        f1 = _f1(precision, recall) if in_truth or in_calls else None
        rows.append({
            "method": method, "type": kind,
            "truth_total": len(in_truth), "truth_tp": truth_tp, "fn": len(in_truth) - truth_tp,
            "query_total": len(in_calls), "query_tp": query_tp, "fp": len(in_calls) - query_tp,
            "precision": precision, "recall": recall, "f1": f1,
            "truth_unknown": sum(unknown for v, _, unknown in truth_outcomes
                                 if kind in ("ALL", v.kind)),
            "query_unknown": sum(unknown for v, _, unknown in call_outcomes
                                 if kind in ("ALL", v.kind)),
        })  # fmt: skip
    return rows


def discrepancies(method: str, truth: list[Variant], calls: list[Variant], outcome: Outcome):
    """The false negatives and false positives, for inspection; and the truth variants
    and calls not judged because the truth is incomplete there (UNK_TRUTH, UNK_CALL)."""
    rows = []
    for side, variants, matched, unknown in (
        ("FN", truth, outcome.truth_matched, outcome.truth_unknown),
        ("FP", calls, outcome.query_matched, outcome.query_unknown),
    ):
        for v, ok, not_judged in zip(variants, matched, unknown, strict=True):
            if not_judged:
                rows.append(("UNK_TRUTH" if side == "FN" else "UNK_CALL", v))
            elif not ok:
                rows.append((side, v))
    rows.sort(key=lambda row: (row[1].chrom, row[1].pos0, row[0]))
    return [
        {
            "method": method,
            "status": status,
            "type": v.kind,
            "chrom": v.chrom,
            "pos": v.pos0 + 1,
            "ref": v.ref,
            "alt": v.alt,
            "genotype": v.genotype,
        }
        for status, v in rows
    ]
