"""varnode's MultiQC content, and MultiQC run on it: one General Stats row per sample."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.unit.report_sources import sources
from tests.unit.test_report import DATA, _results_tree
from varnode.cli import main
from varnode.report.multiqc import run_config

REPO = Path(__file__).resolve().parents[2]


def write_content(tmp_path: Path, units: tuple[str, ...] = ("L1",)) -> Path:
    """The report fixtures, each unit of NA12878 with fastp's report as the pipeline
    writes it (its command names the sample and unit: fastp -R '<sample> <unit>')."""
    results = _results_tree(tmp_path)
    fastp = json.loads((DATA / "NA12878.L1.fastp.json").read_text())
    for unit in units:
        fastp["command"] = f"fastp -i r1.fastq.gz -I r2.fastq.gz -R NA12878 {unit}"
        (results / "qc" / "fastp" / f"NA12878.{unit}.fastp.json").write_text(json.dumps(fastp))
    rows = [f"NA12878\t{unit}" for unit in units] + ["broken\tL1"]
    (tmp_path / "samples.tsv").write_text("\n".join(["sample\tunit", *rows]) + "\n")
    content = tmp_path / "content"
    versions = sorted(str(path) for path in (DATA / "versions").glob("*.txt"))
    argv = ["multiqc-content", "--sources", sources(results), "--sample-sheet",
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
    run_config = load(content / "multiqc_run_config.yaml")
    assert run_config["sample_names_replace"] == {"NA12878 L1": "NA12878", "broken L1": "broken"}
    # The fixture's 9,898 reads are counted in thousands, not as 0.0M.
    assert (run_config["read_count_multiplier"], run_config["read_count_prefix"]) == (0.001, "K")
    relatedness = load(content / "cohort_relatedness_mqc.yaml")
    assert relatedness["plot_type"] == "table"
    assert relatedness["data"]["NA12878 vs testN"]["kinship"] == 0.0
    assert relatedness["data"]["NA12878 vs testN"]["n_sites"] == 4


def run_multiqc(tmp_path: Path, content: Path) -> Path:
    out = tmp_path / "multiqc"
    # fmt: off
    mqc = [sys.executable, "-m", "multiqc", "--force", "--no-ansi",
           "--config", str(REPO / "workflow/report/multiqc_config.yaml"),
           "--config", str(content / "multiqc_run_config.yaml"),
           "--outdir", str(out), "--filename", "report.html", "--data-format", "tsv",
           str(tmp_path / "results" / "qc"), *map(str, sorted(content.glob("*_mqc*.y*ml")))]
    # fmt: on
    subprocess.run(mqc, check=True, capture_output=True)
    return out


def test_multiqc_shows_one_general_stats_row_per_sample(tmp_path):
    out = run_multiqc(tmp_path, write_content(tmp_path))
    with (out / "report_data" / "multiqc_general_stats.txt").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(row["Sample"] for row in rows) == ["NA12878", "broken"]
    assert next(r for r in rows if r["Sample"] == "NA12878")["fastp-pct_surviving_reads"]
    with (out / "report_data" / "multiqc_varnode_relatedness.txt").open() as handle:
        assert len(list(csv.DictReader(handle, delimiter="\t"))) == 3  # every pair kept
    page = (out / "report.html").read_text()
    assert "Methods and citations" in page and str(tmp_path) not in page


def test_a_sample_sequenced_in_several_units_is_one_row_with_its_units_under_it(tmp_path):
    content = write_content(tmp_path, units=("L1", "L2"))
    assert load(content / "multiqc_run_config.yaml")["table_sample_merge"] == {
        "L1": " L1",
        "L2": " L2",
    }
    page = (run_multiqc(tmp_path, content) / "report.html").read_text()
    for unit in ("L1", "L2"):
        # A secondary row (↳) of the NA12878 group, showing the unit's own name.
        row = re.search(
            rf'<th[^>]*data-sorting-val="(\w+)"><div[^>]*>[^<]*</div>[^<]*<span[^>]*'
            rf'data-original-sn="NA12878 {unit}"',
            page,
        )
        assert row and row.group(1) == "NA12878", f"NA12878 {unit} not grouped under NA12878"


def test_runs_with_millions_of_reads_count_them_in_millions():
    config = run_config({"S1": ["L1"], "S2": ["L1"]}, [2_500_000, None])
    assert (config["read_count_multiplier"], config["read_count_prefix"]) == (0.000001, "M")
