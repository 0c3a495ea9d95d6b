"""The end-of-run summary: which samples finished, which failed (in which job, with which
log), and which outputs belong to samples no longer in the sheet.

Called from the Snakefile's onsuccess/onerror handlers with Snakemake's own log of the
run, so it is written whether the run succeeded or not. It is printed, and written as
results/report/run_summary.tsv and run_summary.html beside the report, because after a
failure the report pages are not rebuilt.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from varnode.common.atomic import write_text_atomic
from varnode.report.pages import Block, Page, Table, write_json, write_page
from varnode.report.stale import owner, stale_outputs

# The summary's own files under results/ (report/run_summary.html and .txt, and its
# tables report/tables/run_summary*.tsv/.json): rewritten at the end of every run, after
# the run's crate, so they are run metadata outside it (like run.json's times).
SUMMARY_NAME = "run_summary"
SUMMARY_FOLDERS = ("report", "report/tables")
# Job blocks of Snakemake's log; indented inside group jobs (SLURM profile).
JOB_START = re.compile(r"^\s*(?:local)?rule (?P<rule>\S+):$")
JOB_ERROR = re.compile(r"^\s*Error in rule (?P<rule>\S+):$")
FIELD = re.compile(r"^\s+(?P<key>\w+): (?P<value>.*)$")


def is_summary_file(relative: str) -> bool:
    """Whether `relative` (a path under results/) is one of the run summary's files."""
    folder, _, name = relative.rpartition("/")
    return folder in SUMMARY_FOLDERS and name.startswith(f"{SUMMARY_NAME}.")


@dataclass
class FailedJob:
    rule: str
    jobid: str
    wildcards: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

    @property
    def sample(self) -> str | None:
        return self.wildcards.get("sample")


def _blocks(lines: list[str], start: re.Pattern) -> list[tuple[str, dict[str, str]]]:
    """(rule, {field: value}) of every block that `start` opens in Snakemake's log."""
    blocks = []
    for number, line in enumerate(lines):
        opened = start.match(line)
        if not opened:
            continue
        fields = {}
        for following in lines[number + 1 :]:
            found = FIELD.match(following)
            if not found:
                break
            fields[found["key"]] = found["value"]
        blocks.append((opened["rule"], fields))
    return blocks


def failed_jobs(log_text: str) -> list[FailedJob]:
    """Failed jobs of a Snakemake log, the last attempt of each, with its wildcards."""
    lines = log_text.splitlines()
    wildcards = {}
    for _rule, fields in _blocks(lines, JOB_START):
        if "jobid" in fields and "wildcards" in fields:  # not a group error's job list
            pairs = fields["wildcards"].split(", ")
            wildcards[fields["jobid"]] = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    failed: dict[tuple[str, str], FailedJob] = {}
    for rule, fields in _blocks(lines, JOB_ERROR):
        jobid = fields.get("jobid", "?")
        logs = fields.get("log", "").removesuffix(" (check log file(s) for error details)")
        failed[(rule, jobid)] = FailedJob(
            rule, jobid, wildcards.get(jobid, {}), [log for log in logs.split(", ") if log]
        )
    return list(failed.values())


def targets_by_sample(targets: list[str], samples: list[str]) -> dict[str, list[str]]:
    by_sample: dict[str, list[str]] = {sample: [] for sample in samples}
    for target in targets:
        sample = owner(target, by_sample.keys())
        if sample is not None:
            by_sample[sample].append(target)
    return by_sample


@dataclass
class RunSummary:
    succeeded: bool
    samples: list[dict[str, str]]
    other_failures: list[FailedJob]
    stale: dict[str, list[str]]

    def text(self) -> str:
        lines = [f"varnode run summary: {'finished' if self.succeeded else 'FAILED'}"]
        for row in self.samples:
            lines.append(f"  {row['sample']}: {row['status']}")
            if row["failed_jobs"]:
                lines.append(f"    failed: {row['failed_jobs']}; logs: {row['logs']}")
        for job in self.other_failures:
            lines.append(f"  run-level job failed: {job.rule}; logs: {', '.join(job.logs)}")
        for sample, files in self.stale.items():
            lines.append(
                f"  STALE: {sample} is not in the sample sheet; its {len(files)} old "
                "output file(s) are not current (see run_summary.html)"
            )
        return "\n".join(lines) + "\n"


def summarise(
    succeeded: bool, log_text: str, samples: list[str], targets: list[str], results: Path
) -> RunSummary:
    jobs = failed_jobs(log_text)
    expected = targets_by_sample(targets, samples)
    rows = []
    for sample in samples:
        failed = [job for job in jobs if job.sample == sample]
        missing = [target for target in expected[sample] if not Path(target).exists()]
        if failed:
            status = "failed"
        elif not missing:
            status = "finished"
        else:  # the run stopped before them, or other targets were asked for
            status = f"incomplete ({len(missing)} of {len(expected[sample])} outputs missing)"
        rows.append(
            {
                "sample": sample,
                "status": status,
                "failed_jobs": ", ".join(f"{job.rule} ({_wildcards(job)})" for job in failed),
                "logs": ", ".join(log for job in failed for log in job.logs),
            }
        )
    other = [job for job in jobs if job.sample not in samples]
    return RunSummary(succeeded, rows, other, stale_outputs(results, samples))


def _wildcards(job: FailedJob) -> str:
    return ", ".join(f"{key}={value}" for key, value in job.wildcards.items())


def write_summary(summary: RunSummary, out_dir: Path, snakemake_log: str | None) -> None:
    samples = Table(SUMMARY_NAME, ["sample", "status", "failed_jobs", "logs"], summary.samples)
    overview = Block("samples", "Samples")
    overview.notes.append(
        f"Run {'finished successfully' if summary.succeeded else 'FAILED'}; Snakemake's log: "
        f"{snakemake_log or 'not available'}. Each failed job's own log is listed with it."
    )
    overview.tables.append(samples)
    blocks = [overview]
    if summary.other_failures:
        other = Block("run-level", "Failed jobs not of one sample")
        other.tables.append(
            Table(
                f"{SUMMARY_NAME}.other_failures",
                ["rule", "wildcards", "logs"],
                [
                    {"rule": job.rule, "wildcards": _wildcards(job), "logs": ", ".join(job.logs)}
                    for job in summary.other_failures
                ],
            )
        )
        blocks.append(other)
    stale = Block("stale", "Stale outputs: samples no longer in the sample sheet")
    stale.notes.append(
        "These files are from earlier runs and are not part of the current results; their "
        "report pages are moved to stale/. Delete them, or put the samples back in the sheet."
        if summary.stale
        else "None."
    )
    if summary.stale:
        stale.tables.append(
            Table(
                f"{SUMMARY_NAME}.stale",
                ["sample", "file"],
                [
                    {"sample": sample, "file": path}
                    for sample, files in summary.stale.items()
                    for path in files
                ],
            )
        )
    blocks.append(stale)
    page = Page(f"{SUMMARY_NAME}.html", "Run summary", blocks)
    write_page(page, out_dir, None, "run metadata is in run.json (written by a complete run)")
    write_json(out_dir / "tables" / f"{SUMMARY_NAME}.json", page.tables())
    write_text_atomic(out_dir / f"{SUMMARY_NAME}.txt", summary.text())


def in_run(path: str) -> str:
    """`path` as seen from the run folder when it is inside it: Snakemake gives its log's
    absolute path, and the summary goes with the report, which never says where the run
    was (no absolute paths in results/: byte-identical reruns elsewhere)."""
    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


def write_run_summary(
    succeeded: bool,
    snakemake_logs: str | list[str] | None,
    samples: list[str],
    targets: list[str],
    results: str = "results",
) -> str:
    """Summarise the run whose Snakemake log(s) are given; returns the printed text."""
    logs = [snakemake_logs] if isinstance(snakemake_logs, str) else list(snakemake_logs or [])
    log_text = "".join(Path(log).read_text(errors="replace") for log in logs if Path(log).is_file())
    summary = summarise(succeeded, log_text, samples, targets, Path(results))
    try:
        write_summary(summary, Path(results) / "report", ", ".join(map(in_run, logs)) or None)
    except OSError as error:  # the run's own outcome stands; say why the file is missing
        return f"{summary.text()}  (run summary not written to {results}/report: {error})\n"
    return summary.text()
