"""`varnode run-metadata`: what ran, with which versions and settings, where and when.

Tool versions come from the raw output of each tool's own version command, captured
by the workflow at run time in the tool's environment (one text file per tool); this
module only reads them. The run's start is the start of the Snakemake invocation (the
timestamp Snakemake puts in its log file name); its end is when this command runs,
which the workflow schedules after every analysis output exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import socket
import subprocess
from datetime import UTC, datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

from varnode import __version__
from varnode.common.atomic import write_text_atomic
from varnode.common.versions import parse_tool_version
from varnode.errors import VarnodeError

PYTHON_PACKAGES = ("cyvcf2", "pysam", "numpy", "pandas", "matplotlib", "jinja2", "pyyaml")
SNAKEMAKE_LOG_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{6})(?:\.\d+)?\.snakemake\.log$")


def sha256_of(path: Path) -> str:
    if not path.is_file():
        raise VarnodeError(f"{path}: file not found")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def canonical_sha256(value: Any) -> str:
    """sha256 of JSON with sorted keys: equal configs hash equal whatever their key order."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def git_state(directory: Path) -> dict[str, Any]:
    """Commit of the workflow checkout and whether tracked files differ from it."""

    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *arguments],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"git_commit": None, "git_dirty": None}
    return {"git_commit": commit, "git_dirty": dirty}


def run_started(log_dir: Path) -> str | None:
    """Start of the newest Snakemake invocation, from its log file name (local time)."""
    stamps = sorted(
        match.group(1)
        for path in (log_dir.glob("*.snakemake.log") if log_dir.is_dir() else [])
        if (match := SNAKEMAKE_LOG_NAME.match(path.name))
    )
    if not stamps:
        return None
    started = datetime.strptime(stamps[-1], "%Y-%m-%dT%H%M%S").astimezone()
    return started.isoformat(timespec="seconds")


def executor() -> str:
    """Where this job runs: a SLURM job when SLURM set its variables, else local."""
    job = os.environ.get("SLURM_JOB_ID")
    return f"slurm (job {job})" if job else "local"


def tool_versions(files: list[Path]) -> list[dict[str, str]]:
    """One entry per captured version file; the tool is the file's stem."""
    entries = []
    for path in sorted(files):
        if not path.is_file():
            raise VarnodeError(f"{path}: file not found")
        tool = path.stem
        entries.append(
            {"tool": tool, "version": parse_tool_version(tool, path.read_text(errors="replace"))}
        )
    return entries


def package_versions(names) -> dict[str, str | None]:
    """Installed version of each Python package (None where it is not installed)."""
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def python_packages() -> dict[str, str | None]:
    return {"python": platform.python_version(), **package_versions(PYTHON_PACKAGES)}


def collect(args: argparse.Namespace) -> dict[str, Any]:
    try:
        config = json.loads(args.config_json)
    except json.JSONDecodeError as error:
        raise VarnodeError(f"--config-json: not valid JSON ({error.msg})") from None
    return {
        "workflow": {"name": "varnode", "version": __version__, **git_state(args.workflow_dir)},
        "snakemake_version": args.snakemake_version,
        "config": config,
        "config_sha256": canonical_sha256(config),
        "config_files": [
            {"path": str(path), "sha256": sha256_of(path)} for path in args.configfile
        ],
        "sample_sheet": {"path": str(args.sample_sheet), "sha256": sha256_of(args.sample_sheet)},
        "tools": tool_versions(args.versions),
        "python_packages": python_packages(),
        "started": run_started(args.snakemake_log_dir),
        "finished": datetime.now(UTC).astimezone().isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "executor": executor(),
        "platform": platform.platform(),
    }


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--versions",
        nargs="*",
        type=Path,
        default=[],
        help="raw version outputs, one file per tool, named <tool>.txt",
    )
    parser.add_argument("--config-json", required=True, help="the effective config, as JSON")
    parser.add_argument(
        "--configfile",
        nargs="*",
        type=Path,
        default=[],
        help="config files the run was started with (their sha256 is recorded)",
    )
    parser.add_argument("--sample-sheet", required=True, type=Path)
    parser.add_argument("--snakemake-version", default=None)
    parser.add_argument(
        "--workflow-dir",
        type=Path,
        default=Path.cwd(),
        help="workflow checkout, for its git commit",
    )
    parser.add_argument(
        "--snakemake-log-dir",
        type=Path,
        default=Path(".snakemake/log"),
        help="where Snakemake writes its run logs (the start time comes from them)",
    )
    parser.add_argument("-o", "--output", required=True, type=Path, help="run.json to write")


def run(args: argparse.Namespace) -> int:
    write_text_atomic(args.output, json.dumps(collect(args), indent=2) + "\n")
    return 0
