"""The conda envs pin what the tests ran with, so `--sdm conda` runs the tested versions."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# Packages the orchestrating Snakemake process needs, not the rules' varnode env.
ORCHESTRATION = {"snakemake", "snakemake-executor-plugin-slurm", "multiqc", "pulp"}
# conda package -> (command printing its version, pattern capturing the version)
TOOL_VERSIONS = {
    "bcftools": (["bcftools", "--version"], r"^bcftools (\S+)"),
    "samtools": (["samtools", "--version"], r"^samtools (\S+)"),
    "bwa": (["bwa"], r"Version: (\d+\.\d+\.\d+)"),
    "fastp": (["fastp", "--version"], r"fastp (\S+)"),
    "mosdepth": (["mosdepth", "--version"], r"mosdepth (\S+)"),
    "freebayes": (["freebayes", "--version"], r"v(\d+\.\d+\.\d+)"),
    "gatk4": (["gatk", "--version"], r"GATK\)? v?(\d[\d.]+)"),
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def _env(name: str) -> list:
    return yaml.safe_load((REPO / "envs" / f"{name}.yaml").read_text())["dependencies"]


def _conda_pins(dependencies: list) -> dict[str, str]:
    return {
        entry.split("=")[0]: entry.split("=")[1] for entry in dependencies if isinstance(entry, str)
    }


def test_varnode_env_pins_every_runtime_dependency_at_the_tested_version():
    dependencies = _env("varnode")
    pip = next(entry["pip"] for entry in dependencies if isinstance(entry, dict))
    pinned = {_name(line): line.split("==", 1)[1] for line in pip}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    runtime = {_name(requirement) for requirement in project} - ORCHESTRATION
    assert runtime <= set(pinned), f"not in envs/varnode.yaml: {runtime - set(pinned)}"
    tested = _constraints()
    assert {name: tested[name] for name in pinned} == pinned


def test_multiqc_env_pins_the_tested_multiqc():
    assert _conda_pins(_env("multiqc"))["multiqc"] == _constraints()["multiqc"]


@pytest.mark.tools
@pytest.mark.parametrize("env", sorted(p.stem for p in (REPO / "envs").glob("*.yaml")))
def test_tool_envs_pin_the_tool_versions_on_path(env):
    """Tests run the tools on PATH; an env must pin the same version of each."""
    checked = 0
    for package, version in _conda_pins(_env(env)).items():
        if package not in TOOL_VERSIONS or not shutil.which(TOOL_VERSIONS[package][0][0]):
            continue
        command, pattern = TOOL_VERSIONS[package]
        result = subprocess.run(command, capture_output=True, text=True, errors="replace")
        found = re.search(pattern, result.stdout + result.stderr, re.MULTILINE)
        assert found, f"{command}: no version in its output"
        assert found.group(1) == version, f"envs/{env}.yaml pins {package}={version}"
        checked += 1
    if env not in ("varnode", "multiqc", "gatk") and not checked:
        pytest.fail(f"envs/{env}.yaml: no tool of it is on PATH to compare with")
