"""Snakemake's own record of each job, read back for the run's RO-Crate.

For every output of every job, Snakemake keeps a JSON record in `.snakemake/metadata/`
(the file named by the output path in urlsafe base64): rule, inputs, log, start and end
time. The Snakemake process that schedules the job writes it, for cluster jobs too, and
keeps it after a temporary output is deleted. Benchmark files and the rules' patterns
cannot give a job's exact inputs (input functions, checkpoints); these records do.
Outputs are grouped into jobs by rule, times, inputs and log. A record in a format this
module does not know is skipped and reported, never guessed.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

# Record formats (Snakemake's record_format_version) whose fields (rule, input, log,
# starttime, endtime, incomplete) are read here.
KNOWN_RECORD_FORMATS = range(1, 7)


def read_job_records(metadata_dir: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """One entry per job from Snakemake's per-output records; and what was skipped."""
    jobs: dict[tuple, dict[str, Any]] = {}
    skipped = []
    records = sorted(metadata_dir.rglob("*")) if metadata_dir.is_dir() else []
    for record in records:
        if not record.is_file():
            continue
        encoded = "".join(record.relative_to(metadata_dir).parts)
        try:
            output = base64.urlsafe_b64decode(encoded).decode()
            data = json.loads(record.read_text())
            rule, inputs, logs = data["rule"], data["input"], data["log"]
            start, end = float(data["starttime"]), float(data["endtime"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
            skipped.append(f"{record.name}: not a Snakemake job record ({error})")
            continue
        if data.get("record_format_version") not in KNOWN_RECORD_FORMATS:
            skipped.append(f"{output}: record format {data.get('record_format_version')}")
            continue
        if data.get("incomplete"):
            skipped.append(f"{output}: job did not complete")
            continue
        key = (rule, start, end, tuple(inputs), tuple(logs))
        job = jobs.setdefault(
            key,
            {
                "rule": rule,
                "inputs": inputs,
                "logs": logs,
                "start": start,
                "end": end,
                "outputs": [],
            },
        )
        job["outputs"].append(output)
    ordered = sorted(jobs.values(), key=lambda job: (job["rule"], sorted(job["outputs"])))
    for job in ordered:
        job["outputs"].sort()
    return ordered, skipped


def job_label(job: dict[str, Any]) -> str:
    """A job's name that is the same in every run: its log path (unique per job)."""
    if job["logs"]:
        return job["logs"][0].removeprefix("logs/").removesuffix(".log")
    return f"{job['rule']}/{job['outputs'][0]}"
