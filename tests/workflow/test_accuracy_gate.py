"""CI gate: calling accuracy on real data must not fall below the recorded F1.

The session's pipeline run (all samples, both callers) is copied and its
`assess_accuracy` target run against the GIAB v4.2.1 truth of the shared slice. Each
recorded F1 (tests/accuracy/recorded_f1.json, per matching method, call set — each
caller's filtered calls and their consensus — and variant type) may drop by at most its
tolerance. When a change improves accuracy, raise the record with
tests/accuracy/record_f1.py. The default product (the consensus) must also stay at
least as good as plain `bcftools mpileup | bcftools call -mv` on the same BAM, scored the
same way, and better on indels (issue 16). The simulated truth sets have their own gate
(test_simulated_accuracy_gate.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, snakemake

pytestmark = pytest.mark.workflow

RECORD = json.loads((REPO / "tests" / "accuracy" / "recorded_f1.json").read_text())
TRUTH = "truth/HG001_GIAB_v4.2.1.chr22_16570000-16610000.vcf.gz"
REFERENCE = "reference/GRCh38_chr22_16570000-16610000.fa"
CASES = [
    (method, caller, kind)
    for method, by_caller in RECORD["f1"].items()
    for caller, by_type in by_caller.items()
    for kind in by_type
]


@pytest.fixture(scope="module")
def reports(pipeline_run: Path, shared_data: Path, tmp_path_factory) -> dict:
    """{call set: accuracy JSON} from assess_accuracy on a copy of the run."""
    workdir = tmp_path_factory.mktemp("accuracy") / "run"
    shutil.copytree(pipeline_run, workdir, symlinks=True)
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["accuracy"] = {"truth": str(shared_data / TRUTH), "sample": RECORD["sample"]}
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    snakemake(workdir, "--cores", "2", "assess_accuracy")
    results = workdir / "results" / "accuracy"
    return {
        caller: json.loads((results / f"{RECORD['sample']}.{caller}.accuracy.json").read_text())
        for caller in [*config["callers"], "consensus"]
    }


@pytest.fixture(scope="module")
def accuracy(reports: dict) -> dict:
    """{call set: {(method, type): metrics row}}."""
    return {
        caller: {(row["method"], row["type"]): row for row in report["metrics"]}
        for caller, report in reports.items()
    }


def test_the_truths_incomplete_locus_is_left_unjudged(reports: dict) -> None:
    # GIAB writes G>*,C at 14,660 without the deletion its * refers to (docs/filtering.md).
    for caller, report in reports.items():
        assert report["incomplete_truth"] == [{"chrom": "chr22", "pos": 14660}], caller
        rows = {(row["method"], row["type"]): row for row in report["metrics"]}
        assert rows[("haplotype_genotype", "ALL")]["truth_unknown"] == 3, caller


def test_every_caller_run_has_a_record(accuracy: dict) -> None:
    for method in RECORD["f1"]:
        assert set(accuracy) <= set(RECORD["f1"][method]), method


@pytest.mark.parametrize(("method", "caller", "kind"), CASES)
def test_f1_has_not_dropped(accuracy: dict, method: str, caller: str, kind: str) -> None:
    row = accuracy[caller][(method, kind)]
    recorded = RECORD["f1"][method][caller][kind]
    assert row["f1"] >= recorded - RECORD["tolerance"], (
        f"{caller} {kind} F1 ({method} matching) fell to {row['f1']} from the recorded"
        f" {recorded}: precision {row['precision']}, recall {row['recall']}"
        f" (TP {row['truth_tp']}, FP {row['fp']}, FN {row['fn']})"
    )


def test_consensus_is_no_worse_than_plain_bcftools_call(
    accuracy: dict, pipeline_run: Path, shared_data: Path, tmp_path: Path
) -> None:
    # Plain calling, as a user without the pipeline would: default mpileup and call -mv.
    bam = pipeline_run / "results" / "aligned" / f"{RECORD['sample']}.bam"
    reference, plain = shared_data / REFERENCE, tmp_path / "plain.vcf.gz"
    subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         f"bcftools mpileup -f '{reference}' '{bam}' | bcftools call -mv -Oz -o '{plain}'"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "varnode", "compare", "--truth", str(shared_data / TRUTH),
         "--ref", str(reference), "-o", str(tmp_path / "plain"), str(plain)],
        check=True, capture_output=True,
    )  # fmt: skip
    report = json.loads((tmp_path / "plain.json").read_text())
    baseline = {(row["method"], row["type"]): row["f1"] for row in report["metrics"]}
    consensus = accuracy["consensus"]
    for kind in ("SNV", "INDEL"):
        key = ("haplotype_genotype", kind)
        assert consensus[key]["f1"] >= baseline[key], (kind, consensus[key], baseline[key])
    key = ("haplotype_genotype", "INDEL")
    assert consensus[key]["f1"] > baseline[key], (consensus[key], baseline[key])
