"""The end-of-run summary: samples finished or failed (job and log) and stale outputs,
and the report never showing a sample that left the sheet as current."""

from __future__ import annotations

from pathlib import Path

from tests.unit.report_sources import sources
from varnode.cli import main
from varnode.report.stale import stale_outputs
from varnode.runtime.run_summary import failed_jobs, summarise, write_run_summary

# Excerpts of a real Snakemake 9 log: a job starts, fails, is retried and fails again; a
# run-level job fails too.
SNAKEMAKE_LOG = """\
localrule check_reads:
    input: /data/trunc_R1.fastq.gz, /data/B_R2.fastq.gz
    output: results/qc/reads/B.L1.counts.json
    log: logs/check_reads/B.L1.log
    jobid: 6
    wildcards: sample=B, unit=L1
    threads: 2
Shell command: python -m varnode check-reads ...
[Tue Dec  1 03:14:37 2026]
Error in rule check_reads:
    message: None
    jobid: 6
    output: results/qc/reads/B.L1.counts.json
    log: logs/check_reads/B.L1.log (check log file(s) for error details)
    shell:
        python -m varnode check-reads ...
Trying to restart job 6.
localrule check_reads:
    jobid: 6
    wildcards: sample=B, unit=L1
Error in rule check_reads:
    jobid: 6
    log: logs/check_reads/B.L1.log (check log file(s) for error details)
localrule gather_cohort:
    jobid: 9
Error in rule gather_cohort:
    jobid: 9
    log: logs/gather_cohort/cohort.log (check log file(s) for error details)
"""


def test_failed_jobs_are_read_from_the_snakemake_log_once_each() -> None:
    jobs = failed_jobs(SNAKEMAKE_LOG)
    assert [(job.rule, job.sample, job.logs) for job in jobs] == [
        ("check_reads", "B", ["logs/check_reads/B.L1.log"]),
        ("gather_cohort", None, ["logs/gather_cohort/cohort.log"]),
    ]
    assert jobs[0].wildcards == {"sample": "B", "unit": "L1"}


def test_jobs_of_a_failed_group_job_are_found() -> None:
    log = """\
group job alignment (jobs in lexicogr. order):
    rule trim_reads:
        jobid: 5
        wildcards: sample=C, unit=L2
Error in group alignment:
    jobs:
        rule trim_reads:
            jobid: 5
            log: logs/trim_reads/C.L2.log (check log file(s) for error details)
    Error in rule trim_reads:
        jobid: 5
        log: logs/trim_reads/C.L2.log (check log file(s) for error details)
"""
    (job,) = failed_jobs(log)
    assert (job.rule, job.sample, job.logs) == ("trim_reads", "C", ["logs/trim_reads/C.L2.log"])


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")


def test_summary_names_finished_failed_and_stale_samples(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    results = Path("results")
    targets = ["results/aligned/A.bam", "results/aligned/B.bam", "results/aligned/S1.b.bam"]
    for path in ("aligned/A.bam", "aligned/S1.b.bam", "aligned/S1.bam", "calls/S1.x.vcf.gz"):
        touch(results / path)
    touch(results / "report/sample-S1.html")
    summary = summarise(False, SNAKEMAKE_LOG, ["A", "B", "S1.b"], targets, results)
    status = {row["sample"]: row for row in summary.samples}
    assert status["A"]["status"] == "finished"
    assert status["B"]["status"] == "failed"
    assert status["B"]["logs"] == "logs/check_reads/B.L1.log"
    assert status["S1.b"]["status"] == "finished"
    assert [job.rule for job in summary.other_failures] == ["gather_cohort"]
    # S1 left the sheet; S1.b's files share its prefix but are not S1's.
    assert summary.stale == {
        "S1": [
            "results/aligned/S1.bam",
            "results/calls/S1.x.vcf.gz",
            "results/report/sample-S1.html",
        ]
    }
    text = write_run_summary(False, None, ["A", "B", "S1.b"], targets)
    assert "STALE: S1 is not in the sample sheet" in text
    page = (results / "report/run_summary.html").read_text()
    assert "results/calls/S1.x.vcf.gz" in page and "Run FAILED" in page
    assert (results / "report/tables/run_summary.tsv").read_text().startswith("sample\tstatus")


def test_summary_names_snakemakes_log_from_the_run_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    log = tmp_path / ".snakemake" / "log" / "run.snakemake.log"
    touch(log)
    write_run_summary(True, str(log), ["A"], [])
    page = (tmp_path / "results/report/run_summary.html").read_text()
    assert ".snakemake/log/run.snakemake.log" in page and str(tmp_path) not in page


def test_report_moves_a_removed_samples_page_aside_and_lists_its_outputs(tmp_path: Path) -> None:
    results, out = tmp_path / "results", tmp_path / "results" / "report"
    touch(results / "aligned/gone.bam")
    touch(out / "sample-gone.html")
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tunit\nkept\tL1\n")
    arguments = ["--sources", sources(results), "--results", str(results)]
    arguments += ["--sample-sheet", str(sheet), "--callers", "bcftools"]
    assert main(["report", *arguments, "-o", str(out)]) == 0
    assert not (out / "sample-gone.html").exists()
    assert (out / "stale/sample-gone.html").is_file()
    index = (out / "index.html").read_text()
    assert "Stale outputs: samples no longer in the sample sheet" in index
    assert f"{results}/aligned/gone.bam" in index
    assert stale_outputs(results, ["kept"]) == {
        "gone": [f"{results}/aligned/gone.bam", f"{results}/report/stale/sample-gone.html"]
    }
