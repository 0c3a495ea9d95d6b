"""CI gate on a complete truth: ART reads at 20x, both callers and their consensus.

`varnode simulate --reads art` plants SNVs (some multi-allelic), repeat indels and
MNP/DELINS into a seeded 200 kb genome and draws HiSeq 2500-profile reads at 20x (the
harder of the two depths the defaults were tuned at); the pipeline's `assess_accuracy`
then scores each call set inside the confident BED. Each recorded F1
(tests/accuracy/recorded_f1_simulated.json) may drop by at most its tolerance; every
planted MNP/DELINS must be credited in the consensus' PASS calls, and each caller's
PASS calls must score at least as well as its raw calls (filters may not hurt).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, snakemake

pytestmark = pytest.mark.workflow

RECORD = json.loads((REPO / "tests" / "accuracy" / "recorded_f1_simulated.json").read_text())
SIMULATION = ["--seed", "7", "--samples", "1", "--length", "200000", "--depth", "20",
              "--indel-rate", "5e-4", "--complex-rate", "4e-5", "--reads", "art"]  # fmt: skip
CASES = [
    (method, call_set, kind)
    for method, by_set in RECORD["f1"].items()
    for call_set, by_type in by_set.items()
    for kind in by_type
]


@pytest.fixture(scope="module")
def simulated_run(tmp_path_factory) -> Path:
    if shutil.which("art_illumina") is None:
        pytest.skip("art_illumina not installed (make test-tools)")
    workdir = tmp_path_factory.mktemp("simulated-accuracy")
    data = workdir / "data"
    subprocess.run(
        [sys.executable, "-m", "varnode", "simulate", "--outdir", str(data), *SIMULATION],
        check=True,
        capture_output=True,
    )
    shutil.copytree(REPO / "config", workdir / "config")
    snakemake(workdir, "--cores", "2", "--configfile", str(data / "config.yaml"), "--",
              "assess_accuracy")  # fmt: skip
    return workdir


def metrics(workdir: Path, call_set: str) -> dict:
    path = workdir / "results" / "accuracy" / f"{RECORD['sample']}.{call_set}.accuracy.json"
    return {(row["method"], row["type"]): row for row in json.loads(path.read_text())["metrics"]}


@pytest.mark.parametrize(("method", "call_set", "kind"), CASES)
def test_f1_has_not_dropped(simulated_run: Path, method: str, call_set: str, kind: str) -> None:
    row = metrics(simulated_run, call_set)[(method, kind)]
    recorded = RECORD["f1"][method][call_set][kind]
    assert row["f1"] >= recorded - RECORD["tolerance"], (
        f"{call_set} {kind} F1 ({method} matching) fell to {row['f1']} from the recorded"
        f" {recorded}: TP {row['truth_tp']}, FP {row['fp']}, FN {row['fn']}"
    )


def test_consensus_credits_the_planted_mnps_and_delins(simulated_run: Path) -> None:
    data = simulated_run / "data"
    truth = subprocess.run(
        ["bcftools", "view", "-H", "-i", "strlen(REF)>1 && strlen(ALT)>1",
         str(data / "truth" / "SIM1.vcf.gz")],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert len(truth) >= 5
    missed = set()
    discrepancies = simulated_run / "results/accuracy/SIM1.consensus.accuracy.discrepancies.tsv"
    for line in discrepancies.read_text().splitlines()[1:]:
        method, status, _kind, _chrom, pos, ref, alt, _gt = line.split("\t")
        if method == "haplotype_genotype" and status == "FN" and len(ref) > 1 and len(alt) > 1:
            missed.add((int(pos), ref))
    assert len(missed) <= len(truth) // 10, f"MNP/DELINS not credited: {sorted(missed)}"


def test_filters_do_not_lower_f1(simulated_run: Path) -> None:
    data = simulated_run / "data"
    for caller in ("bcftools", "freebayes"):
        prefix = simulated_run / f"raw.{caller}"
        subprocess.run(
            [sys.executable, "-m", "varnode", "compare", "--all-calls",
             "--truth", str(data / "truth" / "SIM1.vcf.gz"),
             "--regions", str(data / "truth" / "confident.bed"),
             "--ref", str(data / "reference.fa"), "--out", str(prefix),
             str(simulated_run / "results" / "calls" / f"SIM1.{caller}.vcf.gz")],
            check=True, capture_output=True,
        )  # fmt: skip
        raw = {
            (row["method"], row["type"]): row
            for row in json.loads(Path(f"{prefix}.json").read_text())["metrics"]
        }
        passed = metrics(simulated_run, caller)
        for kind in ("SNV", "INDEL"):
            key = ("haplotype_genotype", kind)
            assert passed[key]["f1"] >= raw[key]["f1"], (caller, kind, passed[key], raw[key])
