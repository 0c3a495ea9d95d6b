"""Precision, recall and F1 per variant type from per-variant match outcomes.

Recall counts truth variants (found / all truth); precision counts calls (right / all
calls). With haplotype matching the two can differ: one MNP call can match two truth
SNVs, so truth TP and query TP are kept apart, as hap.py does.
"""

from __future__ import annotations

from varnode.accuracy.matching import Outcome
from varnode.accuracy.variants import Variant

TYPES = ("SNV", "INDEL", "ALL")
COLUMNS = (
    "method", "type", "truth_total", "truth_tp", "fn", "query_total", "query_tp", "fp",
    "precision", "recall", "f1",
)  # fmt: skip


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def _f1(precision: float | None, recall: float | None) -> float:
    precision, recall = precision or 0.0, recall or 0.0
    return round(2 * precision * recall / (precision + recall), 6) if precision + recall else 0.0


def summarise(method: str, truth: list[Variant], calls: list[Variant], outcome: Outcome):
    rows = []
    for kind in TYPES:
        in_truth = [ok for v, ok in zip(truth, outcome.truth_matched, strict=True)
                    if kind in ("ALL", v.kind)]  # fmt: skip
        in_calls = [ok for v, ok in zip(calls, outcome.query_matched, strict=True)
                    if kind in ("ALL", v.kind)]  # fmt: skip
        truth_tp, query_tp = sum(in_truth), sum(in_calls)
        precision = _ratio(query_tp, len(in_calls))
        recall = _ratio(truth_tp, len(in_truth))
        f1 = _f1(precision, recall) if in_truth or in_calls else None
        rows.append({
            "method": method, "type": kind,
            "truth_total": len(in_truth), "truth_tp": truth_tp, "fn": len(in_truth) - truth_tp,
            "query_total": len(in_calls), "query_tp": query_tp, "fp": len(in_calls) - query_tp,
            "precision": precision, "recall": recall, "f1": f1,
        })  # fmt: skip
    return rows


def discrepancies(method: str, truth: list[Variant], calls: list[Variant], outcome: Outcome):
    """The false negatives and false positives, for inspection."""
    rows = [("FN", v) for v, ok in zip(truth, outcome.truth_matched, strict=True) if not ok]
    rows += [("FP", v) for v, ok in zip(calls, outcome.query_matched, strict=True) if not ok]
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
