"""varnode's MultiQC content, and MultiQC run on it: one General Stats row per sample."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import yaml

from tests.unit.test_report import DATA, _results_tree
from varnode.cli import main

REPO = Path(__file__).resolve().parents[2]


def write_content(tmp_path: Path) -> Path:
    results = _results_tree(tmp_path)
    content = tmp_path / "content"
    versions = sorted(str(path) for path in (DATA / "versions").glob("*.txt"))
    argv = ["multiqc-content", "--results", str(results), "--sample-sheet",
            str(tmp_path / "samples.tsv"), "--callers", "bcftools", "--versions", *versions,
            "--snakemake-version", "9.1.0", "-o", str(content)]  # fmt: skip
    assert main(argv) == 0
    return content


def load(path: Path):
    return yaml.safe_load(path.read_text())


def test_general_stats_carry_status_reads_duplicates_and_depth(tmp_path):
    content = write_content(tmp_path)
    stats = load(content / "varnode_general_stats_mqc.yaml")
    assert stats["plot_type"] == "generalstats"
    good, broken = stats["data"]["NA12878"], stats["data"]["broken"]
    assert good["qc_status"] == "pass" and good["reads"] > 0
    assert 0 < good["duplicates"] < 100 and good["mean_depth"] > 0
    assert broken["qc_status"] == "fail" and broken["duplicates"] is None
    reasons = load(content / "varnode_qc_status_mqc.yaml")["data"]["broken"]["reasons"]
    assert "not available" in reasons


def test_versions_methods_and_sample_names(tmp_path):
    content = write_content(tmp_path)
    versions = load(content / "software_mqc_versions.yml")
    assert {"bwa", "freebayes", "mosdepth", "varnode", "snakemake"} <= set(versions)
    methods = load(content / "methods_mqc.yaml")["data"]
    assert f"BWA-MEM (v{versions['bwa']})" in methods and "doi:10.1093/bioinformatics" in methods
    names = load(content / "multiqc_samples.yaml")["sample_names_replace"]
    assert names == {"NA12878 L1": "NA12878", "broken L1": "broken"}
    relatedness = load(content / "cohort_relatedness_mqc.yaml")
    assert relatedness["plot_type"] == "table"
    assert relatedness["data"]["NA12878 vs testN"]["kinship"] == 0.0
    assert relatedness["data"]["NA12878 vs testN"]["n_sites"] == 4


def test_multiqc_shows_one_general_stats_row_per_sample(tmp_path):
    content = write_content(tmp_path)
    results = tmp_path / "results"
    out = tmp_path / "multiqc"
    mqc = [sys.executable, "-m", "multiqc", "--force", "--no-ansi",
           "--config", str(REPO / "workflow/report/multiqc_config.yaml"),
           "--config", str(content / "multiqc_samples.yaml"),
           "--outdir", str(out), "--filename", "report.html", "--data-format", "tsv",
           str(results / "qc"), *map(str, sorted(content.glob("*_mqc*.y*ml")))]  # fmt: skip
    subprocess.run(mqc, check=True, capture_output=True)
    with (out / "report_data" / "multiqc_general_stats.txt").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(row["Sample"] for row in rows) == ["NA12878", "broken"]
    with (out / "report_data" / "multiqc_varnode_relatedness.txt").open() as handle:
        assert len(list(csv.DictReader(handle, delimiter="\t"))) == 3  # every pair kept
    page = (out / "report.html").read_text()
    assert "Methods and citations" in page and str(tmp_path) not in page
