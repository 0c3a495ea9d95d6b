"""A non-editable install works: the wheel carries the schemas and templates the package
reads (importlib.resources), and its `varnode` runs without the checkout.

The wheel is installed without dependencies into a fresh venv that sees the test
environment's packages through a .pth file, so the test is offline and fast; only the
wheel's own varnode is importable from it (the checkout is not on its path)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.unit.filtering_cases import RECORDS, write_filters, write_vcf

pytestmark = pytest.mark.tools  # the filter runs bcftools

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """bin/ of a fresh venv holding the built wheel of this checkout."""
    root = tmp_path_factory.mktemp("install")
    # Built from a copy: setuptools leaves a build/ folder beside the sources.
    source = root / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    skipped = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "scripts", source / "scripts", ignore=skipped)
    wheels = root / "wheels"
    run = {"check": True, "capture_output": True, "text": True}
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(wheels), str(source)],
        **run,
    )  # fmt: skip
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], **run)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], **run
    ).stdout.strip()
    # The test environment's dependencies (not its editable varnode: a .pth-added folder
    # is not a site folder, so its own .pth files are not read).
    Path(site, "test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("varnode-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        **run,
    )  # fmt: skip
    return venv / "bin"


def run_installed(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return subprocess.run([*args], cwd=cwd, env=env, capture_output=True, text=True)


def test_the_installed_package_is_the_wheel_not_the_checkout(installed, tmp_path):
    found = run_installed(
        installed, "python", "-c", "import varnode; print(varnode.__file__)", cwd=tmp_path
    )
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(installed.parent)
    usage = run_installed(installed, "varnode", "--help", cwd=tmp_path)
    assert usage.returncode == 0 and "sample-qc" in usage.stdout


def test_the_installed_varnode_filters_a_vcf(installed, tmp_path):
    vcf = write_vcf(tmp_path / "calls.vcf.gz")
    filters = write_filters(
        tmp_path / "filters.yaml",
        site=[{"name": "LowQual", "description": "QUAL < 30", "expression": "QUAL<30"}],
        genotype=[
            {
                "name": "LowGQ",
                "description": "GQ < 20",
                "field": "FORMAT/GQ",
                "fail_if": "<",
                "value": 20,
            }
        ],
    )
    out, stats = tmp_path / "filtered.vcf.gz", tmp_path / "stats.tsv"
    result = run_installed(
        installed, "varnode", "filter", str(vcf), str(out), "--filters", str(filters),
        "--stats", str(stats), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.is_file() and Path(f"{out}.tbi").is_file()
    counts = json.loads(stats.with_suffix(".json").read_text())
    assert counts["sites"]["evaluated"] == len(RECORDS)
    assert counts["sites"]["failed_any"] == 1  # QUAL 29.9; a missing QUAL never fails
