"""Shared fixtures: the real test data, and real Snakemake runs on it.

`make_workdir` builds a run folder whose config is the repository's own with the test
config (.test/config/) laid over it as `make demo` does, the shared-data paths made
absolute, so the tests exercise what a user runs. The
session-wide `pipeline_run` runs the whole default target once; tests only read it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
TEST_CONFIG = REPO / ".test" / "config"
SHARED_DATA = (REPO.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA}")
    return SHARED_DATA


# The reference run: both callers, and NA12878 given a phenotype (muscle weakness) so
# that prioritisation and the report's candidate table run too.
PIPELINE_RUN = {"callers": ["bcftools", "freebayes"], "hpo": {"NA12878": "HP:0003198"}}
SNAKEMAKE = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile")]
PROFILE = ["--workflow-profile", str(REPO / "workflow" / "profiles" / "default")]


def snakemake_env() -> dict[str, str]:
    """Rules call `python -m varnode`: the test interpreter's folder goes first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return env


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [*SNAKEMAKE, "--directory", str(workdir), *PROFILE, *args],
        capture_output=True,
        text=True,
        env=snakemake_env(),
    )
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stderr[-5000:]}")
    return result


def merge_config(base: dict, overrides: dict) -> dict:
    """Snakemake's --configfile merge: nested mappings are updated key by key."""
    result = dict(base)
    for key, value in overrides.items():
        both_dicts = isinstance(value, dict) and isinstance(result.get(key), dict)
        result[key] = merge_config(result[key], value) if both_dicts else value
    return result


def write_workdir(
    workdir: Path, shared_data: Path, hpo: dict[str, str] | None = None, **overrides
) -> Path:
    """Copy config/ into `workdir` with the test config laid over config.yaml and the test
    sheet as samples.tsv, their relative shared-data paths pointed at `shared_data`.

    `hpo` gives samples HPO terms in the sheet; `overrides` replace top-level config keys.
    """
    config_dir = workdir / "config"
    shutil.copytree(REPO / "config", config_dir, dirs_exist_ok=True)
    config_file = config_dir / "config.yaml"
    shipped = yaml.safe_load(config_file.read_text())
    test = yaml.safe_load(
        (TEST_CONFIG / "config.yaml").read_text().replace("../shared/data", str(shared_data))
    )
    config = merge_config(shipped, test) | {"samples": "config/samples.tsv"}
    config.update(overrides)
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))
    sheet_text = (TEST_CONFIG / "samples.tsv").read_text()
    header, *rows = sheet_text.replace("../../../shared/data", str(shared_data)).splitlines()
    hpo_column = header.split("\t").index("hpo")
    for number, row in enumerate(rows):
        fields = row.split("\t")
        fields[hpo_column] = (hpo or {}).get(fields[0], fields[hpo_column])
        rows[number] = "\t".join(fields)
    (config_dir / "samples.tsv").write_text("\n".join([header, *rows]) + "\n")
    return workdir


@pytest.fixture(scope="session")
def make_workdir(
    shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    def make(name: str, hpo: dict[str, str] | None = None, **overrides) -> Path:
        return write_workdir(tmp_path_factory.mktemp(name), shared_data, hpo, **overrides)

    return make


@pytest.fixture(scope="session")
def pipeline_run(make_workdir: Callable[..., Path]) -> Path:
    """The whole default pipeline, both callers, all three samples; returns its folder."""
    workdir = make_workdir("run", **PIPELINE_RUN)
    snakemake(workdir, "--cores", "2")
    return workdir


@pytest.fixture(scope="session")
def bcftools_run(make_workdir: Callable[..., Path]) -> Path:
    """A clean, uninterrupted run with one caller (bcftools): the reference that resumed,
    quoted-path and full-disk runs must reproduce."""
    workdir = make_workdir("clean", callers=["bcftools"])
    snakemake(workdir, "--cores", "2")
    return workdir
