"""Reproducibility on the shared data: two clean runs in two folders give the same bytes
(apart from the documented run-metadata fields), the run's RO-Crate validates against the
profiles it claims, and `varnode verify` catches tampering and confirms a rerun.

Two pipeline runs (bcftools only, to stay lean): the first with the test harness, the
second by `varnode verify FIRST --rerun SECOND` from the first's crate, in a folder at
another depth, under another host name (when `unshare` can give one) and user name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, snakemake, snakemake_env
from varnode.runtime.run_summary import is_summary_file

pytestmark = pytest.mark.workflow

CRATE = "ro-crate-metadata.json"
# The documented fields expected to differ between runs (docs/reproducibility.md, "Fields
# expected to differ"); everything else must be equal.
RUN_JSON_VARYING = ("started", "finished", "host", "executor", "platform")
CRATE_VARYING = ("datePublished", "startTime", "endTime")
MANIFEST = "results/export/manifest.json"
MANIFEST_VARYING = ("created",)
# Files with documented varying fields: compared without those fields.
METADATA = ("results/report/run.json", MANIFEST)
# Provenance Run Crate builds on Workflow Run Crate, which builds on Process Run Crate and
# Workflow RO-Crate, on RO-Crate 1.1: the validator checks the inherited profiles too.
PROFILES = ("ro-crate-1.1", "provenance-run-crate-0.5")
RERUN_HOST = "varnode-rerun-host"


@dataclass
class Runs:
    first: Path
    second: Path
    verify_output: str  # the tables verify prints
    verify_log: str  # the rerun's Snakemake log
    verify_exit: int


def other_host_prefix() -> list[str]:
    """Run under another host name (a UTS namespace) where this machine allows it."""
    probe = subprocess.run(["unshare", "--uts", "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        return []
    return ["unshare", "--uts", "sh", "-c", f'hostname {RERUN_HOST} && exec "$0" "$@"']


@pytest.fixture(scope="module")
def runs(make_workdir, tmp_path_factory) -> Runs:
    first = make_workdir("repro", callers=["bcftools"])
    snakemake(first, "--cores", "2")
    second = tmp_path_factory.mktemp("repro_rerun") / "another" / "depth" / "rerun"
    env = snakemake_env() | {"USER": "reviewer", "LOGNAME": "reviewer"}
    command = [sys.executable, "-m", "varnode", "verify", str(first), "--rerun", str(second)]
    result = subprocess.run(
        [*other_host_prefix(), *command], capture_output=True, text=True, env=env, check=False
    )
    return Runs(first, second, result.stdout, result.stderr, result.returncode)


def result_files(run: Path, summary: bool = False) -> list[str]:
    """Files under results/, without the run summary (run metadata written after the
    crate at every run's end) unless `summary`."""
    return sorted(
        path.relative_to(run).as_posix()
        for path in (run / "results").rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and (summary or not is_summary_file(path.relative_to(run / "results").as_posix()))
    )


def without(document: dict, keys: tuple[str, ...]) -> dict:
    return {key: value for key, value in document.items() if key not in keys}


def crate_without_varying_fields(run: Path) -> list[dict]:
    """The crate's entities without times, and without run.json's digest (it holds them)."""
    graph = json.loads((run / "results" / CRATE).read_text())["@graph"]
    cleaned = []
    for entity in graph:
        entity = without(entity, CRATE_VARYING)
        if entity["@id"] in ("report/run.json", "export/manifest.json"):
            entity = without(entity, ("sha256", "contentSize"))
        cleaned.append(entity)
    return cleaned


def test_two_clean_runs_give_the_same_bytes_except_the_documented_fields(runs: Runs):
    assert runs.verify_exit == 0, runs.verify_output[-2000:] + runs.verify_log[-3000:]
    files = result_files(runs.first)
    assert files == result_files(runs.second)
    compared = [f for f in files if f not in (*METADATA, f"results/{CRATE}")]
    print(f"{len(compared)} files compared byte for byte:", *compared, sep="\n  ")
    assert len(compared) > 150
    different = [
        f for f in compared if (runs.first / f).read_bytes() != (runs.second / f).read_bytes()
    ]
    assert different == []
    # The compressed outputs hold the same content too (not only the same BGZF blocks).
    for name in [f for f in compared if f.endswith(".vcf.gz")]:
        with gzip.open(runs.first / name) as one, gzip.open(runs.second / name) as two:
            assert one.read() == two.read(), name

    first, second = (
        json.loads((run / "results/report/run.json").read_text())
        for run in (runs.first, runs.second)
    )
    assert without(first, RUN_JSON_VARYING) == without(second, RUN_JSON_VARYING)
    manifests = [json.loads((run / MANIFEST).read_text()) for run in (runs.first, runs.second)]
    assert without(manifests[0], MANIFEST_VARYING) == without(manifests[1], MANIFEST_VARYING)
    if other_host_prefix():  # the rerun did run under another host name
        assert second["host"] == RERUN_HOST != first["host"]
    assert crate_without_varying_fields(runs.first) == crate_without_varying_fields(runs.second)


def test_no_output_names_the_run_folder_the_host_or_the_user(runs: Runs):
    for run in (runs.first, runs.second):
        names = [str(run), str(run.resolve()), RERUN_HOST, "reviewer"]
        summary = set(result_files(run, summary=True)) - set(result_files(run))
        assert "results/report/run_summary.html" in summary
        for name in result_files(run, summary=True):
            if name == "results/report/run.json":
                continue  # run metadata: its host field is documented to differ
            data = (run / name).read_bytes()
            if name.endswith((".gz", ".bam", ".tbi", ".csi")):  # BGZF: gzip members
                data = gzip.decompress(data)
            for forbidden in names:
                assert forbidden.encode() not in data, f"{name} holds {forbidden}"


def test_rerun_by_verify_reports_every_output_identical(runs: Runs):
    comparison = runs.verify_output.split("outputs compared with", 1)[1].splitlines()[1:]
    rows = [  # "  status  file  [detail]" lines; the last line counts them
        line.split()[:2] for line in comparison if line.startswith("  ") and line[2].isalpha()
    ]
    statuses = {status for status, _ in rows}
    assert statuses == {"identical", "expected"}, runs.verify_output[-3000:]
    assert sorted(name for status, name in rows if status == "expected") == sorted(METADATA)
    # Every result file is compared: all but the metadata (expected) and the crate itself.
    identical = [name for status, name in rows if status == "identical"]
    assert len(identical) == len(result_files(runs.first)) - len(METADATA) - 1


def test_every_result_file_is_in_the_crate_with_its_sha256(runs: Runs):
    graph = {
        e["@id"]: e for e in json.loads((runs.first / "results" / CRATE).read_text())["@graph"]
    }
    for name in result_files(runs.first):
        if name == f"results/{CRATE}":
            continue
        entity = graph[name.removeprefix("results/")]
        data = (runs.first / name).read_bytes()
        assert entity["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert entity["contentSize"] == str(len(data)), name
    run = graph["#run"]
    assert run["@type"] == "CreateAction" and run["instrument"] == {"@id": "workflow/Snakefile"}
    inputs = {item["@id"] for item in run["object"]}
    assert any(i.endswith("NA12878_R1.fastq.gz") for i in inputs)
    assert "#input:config/config.yaml" in inputs and "#input:config/samples.tsv" in inputs
    jobs = [e for e in graph.values() if e["@id"].startswith("#job-")]
    align = graph["#job-align_reads/NA12878.L1"]
    assert align["instrument"] == {"@id": "#tool-bwa"}
    assert graph["#tool-bwa"]["softwareVersion"].startswith("0.7")
    assert len(jobs) > 50 and all("startTime" in job and "endTime" in job for job in jobs)


@pytest.fixture(scope="module")
def validator_cache(tmp_path_factory) -> Path:
    """The RO-Crate 1.1 JSON-LD context in the validator's HTTP cache, so that it runs
    offline (this machine reaches package registries only). The context document is
    the one the rocrate package shipped for RO-Crate 1.1 (rocrate 0.13.0, from PyPI)."""
    import io

    from requests.adapters import HTTPAdapter
    from requests_cache import CachedSession
    from urllib3.response import HTTPResponse

    folder = tmp_path_factory.mktemp("validator")
    download = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "rocrate==0.13.0",
            "-d",
            str(folder),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert download.returncode == 0, f"cannot fetch the RO-Crate 1.1 context: {download.stderr}"
    wheel = next(folder.glob("rocrate-0.13.0-*.whl"))
    context = zipfile.ZipFile(wheel).read("rocrate/data/ro-crate.jsonld")
    assert json.loads(context)["@id"] == "https://w3id.org/ro/crate/1.1/context"

    class LocalContext(HTTPAdapter):
        def send(self, request, **kwargs):
            raw = HTTPResponse(
                body=io.BytesIO(context),
                status=200,
                preload_content=False,
                headers={"Content-Type": "application/ld+json"},
                request_url=request.url,
            )
            return self.build_response(request, raw)

    cache = folder / "http-cache"
    session = CachedSession(cache_name=str(cache), backend="sqlite", expire_after=-1)
    session.mount("https://w3id.org/", LocalContext())
    assert session.get("https://w3id.org/ro/crate/1.1/context").status_code == 200
    return cache


@pytest.mark.parametrize("profile", PROFILES)
def test_crate_validates_against_each_claimed_profile(runs: Runs, validator_cache, profile):
    report = runs.first.parent / f"validation-{profile}.json"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rocrate-validator"),
            "validate",
            "--offline",
            "--cache-path",
            str(validator_cache),
            "--no-auto-profile",
            "--profile-identifier",
            profile,
            "--no-paging",
            "--output-format",
            "json",
            "--output-file",
            str(report),
            str(runs.first / "results"),
        ],
        capture_output=True,
        text=True,
        env=snakemake_env(),
        check=False,
    )
    document = json.loads(report.read_text())
    assert result.returncode == 0 and document["passed"], document.get("issues")


@pytest.fixture
def run_copy(runs: Runs, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(runs.first, copy, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    return copy


def verify(run_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "varnode", "verify", str(run_dir)],
        capture_output=True,
        text=True,
        env=snakemake_env(),
        cwd=REPO,
        check=False,
    )


def test_verify_passes_the_untouched_run(run_copy: Path):
    result = verify(run_copy)
    assert result.returncode == 0, result.stdout[-2000:]
    assert " ok " in result.stdout and "mismatch" not in result.stdout


def test_verify_fails_naming_a_tampered_output(run_copy: Path):
    vcf = run_copy / "results" / "calls" / "NA12878.bcftools.filtered.vcf.gz"
    data = bytearray(vcf.read_bytes())
    data[-40] ^= 0xFF
    vcf.write_bytes(bytes(data))
    result = verify(run_copy)
    assert result.returncode == 1
    assert "mismatch   results/calls/NA12878.bcftools.filtered.vcf.gz" in result.stdout


def test_verify_fails_naming_a_deleted_output(run_copy: Path):
    (run_copy / "results" / "cohort" / "sample_qc.tsv").unlink()
    result = verify(run_copy)
    assert result.returncode == 1
    assert "missing    results/cohort/sample_qc.tsv" in result.stdout
