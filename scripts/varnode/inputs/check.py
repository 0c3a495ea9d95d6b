"""Validation of the run's inputs: config (JSON Schema + semantics) and the sample sheet.

Every problem is collected and reported at once, each naming its file, row and
column, so a user fixes a sheet in one pass instead of one error per run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from varnode.common.config import SCHEMA_DIR
from varnode.errors import VarnodeError
from varnode.inputs.annotation import annotation_problems
from varnode.inputs.file_checks import (
    bed_contigs,
    indexed_vcf_problems,
    reference_problems,
    resource_problems,
    vcf_contigs,
)
from varnode.inputs.sheet import SampleSheet, _report, read_sample_sheet


def filter_problems(path: str) -> list[str]:
    """The filters file must validate and name only existing BED files, before any job runs."""
    from varnode.filters.spec import load

    try:
        load(path)
    except VarnodeError as error:
        return [f"config filters: {error}"]
    return []


def check_config(
    config: dict[str, Any], schema_dir: Path = SCHEMA_DIR, read_files: bool = True
) -> SampleSheet:
    """Validate `config` (filling schema defaults in place) and everything it points at.

    Every problem of the config and of the sample sheet is reported at once.
    `read_files=False` skips reading the reference, annotation and truth files to their
    end: the workflow's jobs parse the Snakefile again, and the main process has already
    checked them before any job started."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    schema_problems = config_schema_problems(config, schema_dir / "config.schema.yaml")
    if schema_problems:
        _report(schema_problems, "config")
    try:
        validate(config, str(schema_dir / "config.schema.yaml"))  # fills in the defaults
    except WorkflowError as error:
        raise VarnodeError(f"config: {_schema_message(error)}") from None
    problems = resource_file_problems(config) if read_files else []
    sheet, sheet_problems = read_sample_sheet(config["samples"])
    _report(problems + sheet_problems, "config and sample sheet")
    return sheet


def config_schema_problems(config: Any, schema_file: Path) -> list[str]:
    """Every schema violation of `config`, each naming its key (not only the first)."""
    from jsonschema import Draft202012Validator

    if not isinstance(config, dict):
        return [f"(top level): expected a mapping of keys, found {type(config).__name__}"]
    validator = Draft202012Validator(yaml.safe_load(schema_file.read_text()))
    return [
        f"{_key_path(error.absolute_path)}: {error.message}"
        for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path)))
    ]


def resource_file_problems(config: dict[str, Any]) -> list[str]:
    """Problems of the reference, regions, truth and annotation files."""
    fasta = Path(config["reference"]["fasta"])
    if not fasta.is_file():
        return [f"config reference.fasta: file not found: {fasta}"]
    names, problems = reference_problems(fasta)
    contigs = set(names)
    regions = config["reference"].get("regions")
    if regions:
        problems += resource_problems("reference.regions", regions, bed_contigs, contigs)
    truth = config["accuracy"]["truth"]
    if truth:
        found = indexed_vcf_problems("accuracy.truth", truth)
        problems += found or resource_problems("accuracy.truth", truth, vcf_contigs, contigs)
    return problems + annotation_problems(config, contigs) + filter_problems(config["filters"])


def _key_path(parts) -> str:
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
    return where.lstrip(".") or "(top level)"


def _schema_message(error: Exception) -> str:
    cause = error.__cause__ or error.__context__
    if cause is not None and hasattr(cause, "absolute_path"):
        return f"{_key_path(cause.absolute_path)}: {cause.message}"
    return str(error).strip().splitlines()[-1]


def configure(parser) -> None:
    parser.add_argument("--config", default="config/config.yaml", help="config YAML to check")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """The YAML config at `path`; a missing or unparsable file is a VarnodeError."""
    try:
        with open(path) as handle:
            config = yaml.safe_load(handle)
    except OSError as error:
        raise VarnodeError(f"config {path}: cannot be read ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or "invalid YAML"
        raise VarnodeError(f"config {path}{where}: not valid YAML ({reason})") from None
    if not isinstance(config, dict):
        raise VarnodeError(f"config {path}: expected a mapping of keys, found {config!r:.40}")
    return config


def run(args) -> int:
    config = load_config_file(args.config)
    sheet = check_config(config)
    print(
        f"{args.config}: OK ({len(sheet.samples)} samples, {len(sheet.units)} units, "
        f"callers: {', '.join(config['callers'])})"
    )
    return 0
