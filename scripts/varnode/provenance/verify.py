"""`varnode verify RUN_DIR [--rerun NEW_DIR]`: check a run against its RO-Crate.

Without --rerun: recompute the sha256 of every file the crate records (inputs and every
file under results/) and report each one that differs or is missing, and each file under
results/ the crate does not list. Exit 1 if there is any.

With --rerun NEW_DIR: after that check (inputs must match), rerun the pipeline into
NEW_DIR with the crate's recorded command line and config files, then compare every
output with the original, printing a table of identical and different files. Files
whose nature is to differ between runs (EXPECTED_TO_DIFFER) are reported as such and do
not fail the comparison. Exit 1 if any other output differs or is missing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from rocrate.rocrate import ROCrate

from varnode.common.checksums import sha256_file
from varnode.errors import VarnodeError
from varnode.provenance.run_crate import CRATE_NAME
from varnode.runtime.run_summary import is_summary_file

REPO = Path(__file__).resolve().parents[3]
# Run metadata: its start/end times, host, executor and platform differ between runs.
EXPECTED_TO_DIFFER = {
    "report/run.json": "run metadata: times, host, executor, platform",
    # The node export's manifest states when it was made (SOURCE_DATE_EPOCH fixes it).
    "export/manifest.json": "export metadata: its creation time",
}
INPUT_PREFIX = "#input:"
# Inputs inside the run folder up to this size (config, sheet) are copied for a rerun;
# larger ones are linked.
COPY_LIMIT = 1 << 20


@dataclass(frozen=True)
class Recorded:
    """A file the crate records: its label, where it is now, its recorded digest."""

    label: str
    path: Path
    sha256: str
    is_input: bool


@dataclass(frozen=True)
class Finding:
    label: str
    status: str  # ok, mismatch, missing, unrecorded; identical, different, expected, new
    detail: str = ""


def load_crate(run_dir: Path) -> ROCrate:
    results = run_dir / "results"
    if not (results / CRATE_NAME).is_file():
        raise VarnodeError(f"{results / CRATE_NAME}: not found: is {run_dir} a varnode run?")
    try:
        return ROCrate(results)
    except (ValueError, KeyError, OSError) as error:
        raise VarnodeError(f"{results / CRATE_NAME}: not a readable RO-Crate ({error})") from None


def recorded_files(crate: ROCrate, run_dir: Path) -> list[Recorded]:
    """Every file with a sha256: inputs by the path the run was given, outputs in results/."""
    files = []
    for entity in crate.get_entities():
        sha256 = entity.get("sha256")
        if not sha256:
            continue
        if entity.id.startswith(INPUT_PREFIX):
            given = entity.get("alternateName") or entity.id.removeprefix(INPUT_PREFIX)
            files.append(Recorded(given, run_dir / given, sha256, True))
        elif not entity.id.startswith("#"):
            relative = unquote(entity.id)
            files.append(
                Recorded(f"results/{relative}", run_dir / "results" / relative, sha256, False)
            )
    return sorted(files, key=lambda item: (not item.is_input, item.label))


def result_files(results: Path) -> list[str]:
    """Files under results/ as the crate names them (relative): not its own file, hidden
    ones (partial outputs) or the run summary (rewritten after the crate by every run)."""
    relative = (path.relative_to(results) for path in results.rglob("*") if path.is_file())
    return sorted(
        path.as_posix()
        for path in relative
        if path.name != CRATE_NAME
        and not any(part.startswith(".") for part in path.parts)
        and not is_summary_file(path.as_posix())
    )


def check_files(run_dir: Path, crate: ROCrate | None = None) -> list[Finding]:
    """A finding for every recorded file (ok, mismatch, missing) and every unrecorded one."""
    crate = crate or load_crate(run_dir)
    findings = []
    recorded = recorded_files(crate, run_dir)
    for item in recorded:
        if not item.path.is_file():
            findings.append(Finding(item.label, "missing"))
            continue
        actual = sha256_file(item.path)
        if actual == item.sha256:
            findings.append(Finding(item.label, "ok"))
        else:
            findings.append(
                Finding(item.label, "mismatch", f"recorded {item.sha256}, now {actual}")
            )
    listed = {item.label for item in recorded if not item.is_input}
    for relative in result_files(run_dir / "results"):
        if f"results/{relative}" not in listed:
            findings.append(Finding(f"results/{relative}", "unrecorded", "not in the crate"))
    return findings


def recorded_command(crate: ROCrate) -> list[str]:
    run = crate.get("#run")
    if run is None or not run.get("description"):
        raise VarnodeError("the crate records no command line (#run description)")
    words = shlex.split(run["description"])
    if not words or words[0] != "snakemake":
        raise VarnodeError(f"recorded command is not a snakemake command: {words[:3]}")
    return words


def rerun_command(words: list[str], workflow_dir: Path) -> list[str]:
    """The recorded command for a rerun in the current folder (the recorded --directory
    is `.`), with this checkout's workflow for $VARNODE."""
    return [
        sys.executable,
        "-m",
        "snakemake",
        *(word.replace("$VARNODE", str(workflow_dir)) for word in words[1:]),
    ]


def prepare_rerun(crate: ROCrate, run_dir: Path, new_dir: Path) -> None:
    """Copy the inputs that live in the run folder (config, sheet; large ones linked)
    into NEW_DIR; check that the others resolve from NEW_DIR to the same bytes."""
    if new_dir.exists() and any(new_dir.iterdir()):
        raise VarnodeError(f"{new_dir}: exists and is not empty; give a new folder")
    new_dir.mkdir(parents=True, exist_ok=True)
    problems = []
    for item in recorded_files(crate, run_dir):
        if not item.is_input:
            continue
        given = Path(item.label)
        inside = not given.is_absolute() and ".." not in given.parts
        if inside:
            target = new_dir / given
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.path.stat().st_size <= COPY_LIMIT:
                shutil.copy2(item.path, target)
            else:  # data kept in the run folder (FASTQ, say): linked, not copied
                target.symlink_to(item.path.resolve())
            continue
        seen_from_new = given if given.is_absolute() else new_dir / given
        if not seen_from_new.is_file():
            hint = (
                ""
                if given.is_absolute()
                else f" (the run gave it relative to its folder: make {new_dir} a sibling "
                f"of {run_dir}, or give absolute paths)"
            )
            problems.append(f"{item.label}: not found from {new_dir}{hint}")
        elif sha256_file(seen_from_new) != item.sha256:
            problems.append(f"{item.label}: seen from {new_dir}, it is not the recorded file")
    if problems:
        raise VarnodeError("cannot rerun:\n  - " + "\n  - ".join(problems))


def compare_outputs(crate: ROCrate, run_dir: Path, new_dir: Path) -> list[Finding]:
    """identical / different / expected (to differ) / missing for every recorded output
    (the workflow snapshot included), and new for files only the rerun wrote."""
    findings = []
    outputs = [item for item in recorded_files(crate, run_dir) if not item.is_input]
    for item in outputs:
        relative = item.label.removeprefix("results/")
        rerun = new_dir / "results" / relative
        if not rerun.is_file():
            findings.append(Finding(item.label, "missing", "not written by the rerun"))
        elif sha256_file(rerun) == item.sha256:
            findings.append(Finding(item.label, "identical"))
        elif relative in EXPECTED_TO_DIFFER:
            findings.append(Finding(item.label, "expected", EXPECTED_TO_DIFFER[relative]))
        else:
            findings.append(Finding(item.label, "different"))
    known = {item.label for item in outputs}
    for relative in result_files(new_dir / "results"):
        if f"results/{relative}" not in known:
            findings.append(Finding(f"results/{relative}", "new", "only in the rerun"))
    return findings


FAILING = {"mismatch", "missing", "unrecorded", "different", "new"}


def print_table(title: str, findings: list[Finding]) -> None:
    width = max((len(finding.label) for finding in findings), default=10)
    print(title)
    for finding in findings:
        detail = f"  {finding.detail}" if finding.detail else ""
        print(f"  {finding.status:<10} {finding.label:<{width}}{detail}".rstrip())
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.status] = counts.get(finding.status, 0) + 1
    print("  " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, help="folder the run was made in (holds results/)")
    parser.add_argument(
        "--rerun",
        type=Path,
        metavar="NEW_DIR",
        help="rerun the recorded pipeline into this new folder and compare every output",
    )
    parser.add_argument(
        "--workflow-dir",
        type=Path,
        default=REPO,
        help="workflow checkout to rerun with (default: this varnode's)",
    )


def run(args: argparse.Namespace) -> int:
    run_dir = args.run_dir.resolve()
    crate = load_crate(run_dir)
    findings = check_files(run_dir, crate)
    print_table(f"{run_dir}: files recorded in {CRATE_NAME}", findings)
    failed = any(finding.status in FAILING for finding in findings)
    if args.rerun is None:
        return 1 if failed else 0
    bad_inputs = [
        finding.label
        for finding in findings
        if finding.status != "ok" and not finding.label.startswith("results/")
    ]
    if bad_inputs:
        raise VarnodeError(f"inputs differ from the recorded ones: {', '.join(bad_inputs)}")
    new_dir = args.rerun.resolve()
    prepare_rerun(crate, run_dir, new_dir)
    command = rerun_command(recorded_command(crate), args.workflow_dir.resolve())
    print(f"rerun in {new_dir}: {shlex.join(command)}", flush=True)
    result = subprocess.run(command, cwd=new_dir, env=_env())
    if result.returncode != 0:
        raise VarnodeError(f"the rerun failed (exit {result.returncode}); see {new_dir}/logs")
    comparison = compare_outputs(crate, run_dir, new_dir)
    print_table(f"{new_dir}: outputs compared with {run_dir}", comparison)
    return 1 if failed or any(f.status in FAILING for f in comparison) else 0


def _env() -> dict[str, str]:
    """Rules call `python -m varnode`: this interpreter's folder first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
