"""Write tests/accuracy/recorded_f1.json from a benchmark run's accuracy JSON files.

    python tests/accuracy/record_f1.py results/benchmark/NA12878.*.accuracy.json

Run it after a change that improves accuracy (the gate in
tests/workflow/test_accuracy_gate.py fails when F1 drops more than `tolerance` below
the record, so records only move up on purpose).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECORD = Path(__file__).with_name("recorded_f1.json")
METHODS = ("allele", "haplotype_genotype")
TYPES = ("SNV", "INDEL")
TOLERANCE = 0.01


def main(paths: list[str]) -> int:
    f1: dict[str, dict[str, dict[str, float]]] = {method: {} for method in METHODS}
    calls = {}
    for path in paths:
        caller = Path(path).name.split(".")[1]  # <sample>.<caller>.accuracy.json
        report = json.loads(Path(path).read_text())
        calls[caller] = report["calls"]
        for row in report["metrics"]:
            if row["method"] in METHODS and row["type"] in TYPES:
                f1[row["method"]].setdefault(caller, {})[row["type"]] = row["f1"]
    record = {
        "description": (
            "F1 of NA12878 calls on ../shared/data (GRCh38 chr22 slice) against GIAB v4.2.1"
            " without a confident-region BED, per matching method, caller and variant type."
        ),
        "sample": "NA12878",
        "calls": calls,
        "tolerance": TOLERANCE,
        "f1": f1,
    }
    RECORD.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {RECORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
