"""Write an accuracy record (tests/accuracy/recorded_f1*.json) from accuracy runs.

    python tests/accuracy/record_f1.py real results/accuracy/NA12878.*.accuracy.json
    python tests/accuracy/record_f1.py simulated results/accuracy/SIM1.*.accuracy.json

`real` is the shared NA12878 slice against GIAB (gate: tests/workflow/
test_accuracy_gate.py); `simulated` the ART 20x truth set that
tests/workflow/test_simulated_accuracy_gate.py makes. Run it after a change that
improves accuracy: the gates fail when F1 drops more than `tolerance` below the record,
so records only move up on purpose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent
RECORDS = {
    "real": (
        HERE / "recorded_f1.json",
        "NA12878",
        "F1 of NA12878 calls on ../shared/data (GRCh38 chr22 slice) against GIAB v4.2.1"
        " without a confident-region BED, per matching method, call set and variant type.",
    ),
    "simulated": (
        HERE / "recorded_f1_simulated.json",
        "SIM1",
        "F1 of SIM1 calls on the ART 20x simulated truth set of"
        " tests/workflow/test_simulated_accuracy_gate.py (inside its confident BED), per"
        " matching method, call set and variant type.",
    ),
}
METHODS = ("allele", "haplotype_genotype")
TYPES = ("SNV", "INDEL")
TOLERANCE = 0.01


def main(which: str, paths: list[str]) -> int:
    record_path, sample, description = RECORDS[which]
    f1: dict[str, dict[str, dict[str, float]]] = {method: {} for method in METHODS}
    calls = {}
    for path in paths:
        call_set = Path(path).name.split(".")[1]  # <sample>.<call set>.accuracy.json
        report = json.loads(Path(path).read_text())
        calls[call_set] = report["calls"]
        for row in report["metrics"]:
            if row["method"] in METHODS and row["type"] in TYPES:
                f1[row["method"]].setdefault(call_set, {})[row["type"]] = row["f1"]
    record = {
        "description": description,
        "sample": sample,
        "calls": calls,
        "tolerance": TOLERANCE,
        "f1": f1,
    }
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {record_path}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in RECORDS:
        sys.exit(f"usage: record_f1.py {{{','.join(RECORDS)}}} ACCURACY.json...")
    sys.exit(main(sys.argv[1], sys.argv[2:]))
