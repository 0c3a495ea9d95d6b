"""Nodes as GA4GH WES services (sapporo) and a hub run across them, all real and local.

Three node servers (`varnode node serve`) on free localhost ports, each with its own
simulated cohort (3 samples, one 6 kb genome shared by all, bcftools only, floor 2); a
fourth dataset on node-c is broken (a truncated FASTQ). A local identity provider (a test
key pair, JWKS and OpenID configuration over HTTP) issues the passports. One hub run
covers the four datasets; one pooled Snakemake run of the nine samples is the reference
for the merged counts. The other tests reuse the servers.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from cyvcf2 import VCF

from tests.conftest import REPO, SNAKEMAKE, snakemake_env
from tests.federation.issuer import Issuer
from varnode.federation.egress import check_directory, read_sample_names

pytestmark = pytest.mark.workflow

SEEDS = {"node-a": 11, "node-b": 12, "node-c": 13}
FLOOR = 2
AUDIENCE = "varnode-node"
WORKFLOW_URL = "https://github.com/varnode/varnode"
GRANT = "ControlledAccessGrants"
TERMINAL_STATES = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED"}


def varnode(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "varnode", *args],
        capture_output=True,
        text=True,
        env=snakemake_env(),
        **kwargs,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NodeServer:
    """`varnode node serve` in its own process group, stopped by its PID."""

    def __init__(self, config: Path, port: int) -> None:
        self.config = config
        self.url = f"http://127.0.0.1:{port}"
        self.log = config.with_suffix(".log")
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "varnode",
                    "node",
                    "serve",
                    "--node-config",
                    str(self.config),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=snakemake_env(),
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/service-info", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"node did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def simulate(root: Path) -> tuple[dict[str, Path], Path]:
    data, reference = {}, None
    for node, seed in SEEDS.items():
        folder = root / f"{node}-data"
        genome = ["--reference", str(reference)] if reference else ["--length", "6000"]
        result = varnode(
            "simulate", "--outdir", str(folder), "--seed", str(seed), "--samples", "3", *genome
        )
        assert result.returncode == 0, result.stderr
        reference = reference or folder / "reference.fa"
        data[node] = folder
    return data, reference


def dataset_config(folder: Path, target: Path, **overrides) -> Path:
    config = yaml.safe_load((folder / "config.yaml").read_text())
    config.update({"callers": ["bcftools"], "export": {"floor": FLOOR}}, **overrides)
    target.write_text(yaml.safe_dump(config))
    return target


def broken_dataset(folder: Path, root: Path) -> Path:
    """node-c's cohort with one FASTQ cut short: the pipeline must fail on it."""
    broken = root / "broken-data"
    shutil.copytree(folder, broken)
    fastq = next((broken / "reads").glob("*_R1.fastq.gz"))
    fastq.write_bytes(fastq.read_bytes()[: fastq.stat().st_size // 2])
    config = yaml.safe_load((broken / "config.yaml").read_text())
    config["samples"] = str(broken / "samples.tsv")
    config["reference"]["fasta"] = str(folder / "reference.fa")
    (broken / "config.yaml").write_text(yaml.safe_dump(config))
    return dataset_config(broken, root / "broken.yaml")


def pooled_run(root: Path, data: dict[str, Path], reference: Path) -> subprocess.Popen:
    """The nine samples as one cohort, floor 1: what the merge must reproduce."""
    workdir = root / "pooled"
    shutil.copytree(REPO / "config", workdir / "config")
    rows = []
    for folder in data.values():
        lines = (folder / "samples.tsv").read_text().splitlines()
        header = lines[0].split("\t")
        for line in lines[1:]:
            row = dict(zip(header, line.split("\t"), strict=True))
            sample = f"{folder.name}-{row['sample']}"
            row.update(sample=sample, fq1=str(folder / row["fq1"]), fq2=str(folder / row["fq2"]))
            rows.append("\t".join(row[column] for column in header))
    (workdir / "samples.tsv").write_text("\n".join(["\t".join(header), *rows]) + "\n")
    config = dataset_config(
        data["node-a"],
        workdir / "pooled.yaml",
        samples=str(workdir / "samples.tsv"),
        accuracy={"truth": "", "sample": ""},
        export={"floor": 1, "node_id": "pooled", "dataset_id": "pooled"},
    )
    return subprocess.Popen(
        [
            *SNAKEMAKE,
            "results/federation/egress_check.txt",
            *("--directory", str(workdir), "--cores", "1", "--configfile", str(config)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "pooled.log", "w"),
        env=snakemake_env(),
    )


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    root = tmp_path_factory.mktemp("wes")
    issuer = Issuer("idp")
    data, reference = simulate(root)
    pooled = pooled_run(root, data, reference)
    servers = {}
    try:
        for node, folder in data.items():
            datasets = {
                f"sim-{node}": {"config": str(dataset_config(folder, root / f"{node}.yaml"))}
            }
            if node == "node-c":
                datasets["broken"] = {"config": str(broken_dataset(folder, root))}
            port = free_port()
            config = root / f"{node}.node.yaml"
            config.write_text(
                yaml.safe_dump(
                    {
                        "node_id": node,
                        "port": port,
                        "state_dir": f"{node}-state",
                        "cores": 1,
                        "cancel_grace_seconds": 5,
                        "identity_provider": {
                            "issuer": issuer.issuer,
                            "audience": AUDIENCE,
                            "allow_insecure_http": True,
                        },
                        "passports": {"trusted_issuers": [issuer.trusted()]},
                        "datasets": datasets,
                    }
                )
            )
            servers[node] = NodeServer(config, port)
            servers[node].start()
        grants = [issuer.visa(GRANT, f"sim-{node}") for node in SEEDS] + [
            issuer.visa(GRANT, "broken")
        ]
        token = root / "passport.jwt"
        token.write_text(issuer.passport(*grants, audience=AUDIENCE))
        entries = [
            {
                "name": node,
                "url": servers[node].url,
                "dataset": f"sim-{node}",
                "token_file": str(token),
            }
            for node in SEEDS
        ]
        entries.append(
            {
                "name": "node-c-broken",
                "url": servers["node-c"].url,
                "dataset": "broken",
                "token_file": str(token),
            }
        )
        hub_yaml = root / "hub.yaml"
        hub_yaml.write_text(
            yaml.safe_dump(
                {
                    "reference": str(reference),
                    "timeout_minutes": 30,
                    "poll_seconds": [1, 5],
                    "nodes": entries,
                }
            )
        )
        params = root / "params.yaml"
        params.write_text(yaml.safe_dump({"callers": ["bcftools"], "export": {"floor": FLOOR}}))
        hub = varnode(
            "hub",
            "run",
            "--nodes",
            str(hub_yaml),
            "--dataset",
            "federated",
            "--params",
            str(params),
            "-o",
            str(root / "hub"),
        )
        assert pooled.wait(1800) == 0, (root / "pooled.log").read_text()[-5000:]
        yield {
            "root": root,
            "issuer": issuer,
            "servers": servers,
            "data": data,
            "hub": hub,
            "out": root / "hub",
            "pooled": root / "pooled",
            "token": token.read_text(),
        }
    finally:
        if pooled.poll() is None:
            pooled.terminate()
            pooled.wait()
        for server in servers.values():
            server.stop()
        issuer.close()


def runs_on(server: NodeServer, token: str) -> list[dict]:
    response = httpx.get(
        f"{server.url}/runs",
        params={"page_size": 1000},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["runs"]


def submit(server: NodeServer, token: str, params: dict, **fields) -> httpx.Response:
    data = {
        "workflow_type": "SMK",
        "workflow_type_version": "1.0",
        "workflow_engine": "snakemake",
        "workflow_url": WORKFLOW_URL,
        "workflow_params": json.dumps(params),
        **fields,
    }
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.url}/runs", data=data, headers=headers)


def test_hub_run_merges_the_nodes_and_equals_a_pooled_run(federation):
    hub = federation["hub"]
    report = json.loads((federation["out"] / "hub_report.json").read_text())
    states = {node["name"]: node["state"] for node in report["nodes"]}
    assert states == {
        "node-a": "COMPLETE",
        "node-b": "COMPLETE",
        "node-c": "COMPLETE",
        "node-c-broken": "EXECUTOR_ERROR",
    }, hub.stderr
    assert hub.returncode == 3 and "INCOMPLETE" in hub.stderr
    assert report["incomplete"] and report["failed_nodes"] == ["node-c-broken"]
    assert report["merged"]["nodes"] == list(SEEDS)
    # progress per node in the terminal
    assert all(f"[hub] {node}" in hub.stderr for node in SEEDS)

    pooled = {}
    for record in VCF(str(federation["pooled"] / "results/export/pooled.sites.vcf.gz")):
        pooled[(record.CHROM, record.POS, record.REF, record.ALT[0])] = (
            record.INFO["AC"],
            record.INFO["AN"],
        )
    # AN is the pooled AN where every node reported the site; elsewhere the hub adds an
    # absent node's callable AN (samples with depth >= export.callable.min_depth), never
    # more than the pooled run's called alleles.
    reported = [site_keys(federation["out"] / "nodes" / node / "export") for node in SEEDS]
    compared = 0
    for record in VCF(str(federation["out"] / "merged" / "federated.sites.vcf.gz")):
        if record.FILTER or record.INFO.get("INCOMPLETE"):
            continue
        key = (record.CHROM, record.POS, record.REF, record.ALT[0])
        assert key in pooled, key
        assert record.INFO["AC"] == pooled[key][0], key
        if all(key in keys for keys in reported):
            assert record.INFO["AN"] == pooled[key][1], key
        else:
            assert record.INFO["AN"] <= pooled[key][1], key
        compared += 1
    assert compared >= 5


def site_keys(export: Path) -> set[tuple]:
    return {
        (record.CHROM, record.POS, record.REF, record.ALT[0])
        for record in VCF(str(next(export.glob("*.sites.vcf.gz"))))
        if not record.FILTER
    }


def test_a_broken_dataset_shows_its_failing_rule_in_the_hub_report(federation):
    report = json.loads((federation["out"] / "hub_report.json").read_text())
    broken = next(node for node in report["nodes"] if node["name"] == "node-c-broken")
    assert broken["error"].startswith("varnode: the pipeline failed on dataset broken")
    assert "rule " in broken["error"] and "failed" in broken["error"]
    hub_output = federation["hub"].stdout
    assert "node-c-broken: EXECUTOR_ERROR (varnode: the pipeline failed" in hub_output
    assert "last" in broken["error"] and "<sample>" in broken["error"]  # the log, redacted
    names = read_sample_names(federation["data"]["node-c"] / "samples.tsv")
    assert not any(name in broken["error"] for name in names)
    html = (federation["out"] / "hub_report.html").read_text()
    assert 'id="incomplete"' in html and "node-c-broken" in html
    tsv = (federation["out"] / "hub_report.tsv").read_text().splitlines()
    assert len(tsv) == 5 and tsv[0].startswith("name\turl\tdataset")


def test_what_the_nodes_served_holds_no_sample_name(federation):
    names = set()
    for folder in federation["data"].values():
        names.update(read_sample_names(folder / "samples.tsv"))
    for node in SEEDS:
        received = federation["out"] / "nodes" / node
        files = sorted(
            p.relative_to(received).as_posix() for p in received.rglob("*") if p.is_file()
        )
        assert files and all(f.startswith("export/") or f == "run.json" for f in files), files
        assert not any(f.endswith((".bam", ".cram", ".html")) for f in files)
        export = received / "export"
        floor = json.loads((export / "manifest.json").read_text())["floor"]
        assert check_directory(export, names, floor) == []
        for path in received.rglob("*"):
            if path.is_file():
                raw = path.read_bytes()
                text = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
                assert not any(name.encode() in text for name in names if len(name) > 3), path


def test_refused_requests_create_no_run(federation):
    issuer = federation["issuer"]
    server = federation["servers"]["node-a"]
    token = federation["token"]
    before = runs_on(server, token)
    runs_dir = server.config.parent / "node-a-state" / "runs"
    dirs_before = sorted(os.listdir(runs_dir))
    grant = issuer.visa(GRANT, "sim-node-a")
    other_key = Issuer("idp")  # same kid, another key: a forgery
    forged = issuer.passport(grant, audience=AUDIENCE, key=other_key.key)
    other_key.close()
    expired = issuer.passport(grant, audience=AUDIENCE, issued=time.time() - 7200, lifetime=3600)
    no_grant = issuer.passport(issuer.visa(GRANT, "sim-node-b"), audience=AUDIENCE)
    good = {"dataset": "sim-node-a"}
    cases = [
        (forged, good, {}, 401),
        (expired, good, {}, 401),
        ("", good, {}, 401),
        (no_grant, good, {}, 403),
        (token, {"dataset": "sim-node-a", "config": {"samples": "/etc/passwd"}}, {}, 400),
        (token, {"dataset": "sim-node-a", "config": {"reference": {"fasta": "/x.fa"}}}, {}, 400),
        (token, {"dataset": "sim-node-a", "config": {"params": {"fastp": "; rm -rf /"}}}, {}, 400),
        (token, {"dataset": "sim-node-a", "config": {"cohort": {"bogus": 1}}}, {}, 400),
        (token, {"dataset": "sim-node-a", "profile": "slurm"}, {}, 400),
        (token, {"dataset": "../node-b-data/config.yaml"}, {}, 404),
        (token, {"dataset": "sim-node-a", "config": {"export": {"floor": 1}}}, {}, 403),
        (token, good, {"workflow_url": "https://example.org/other/Snakefile"}, 400),
        (token, good, {"workflow_engine_parameters": json.dumps({"--cores": "all"})}, 400),
    ]
    for passport, params, fields, status in cases:
        response = submit(server, passport, params, **fields)
        assert response.status_code == status, (params, fields, response.text)
    # The same rules for a JSON body (sapporo accepts both)
    for body in (
        {"workflow_params": {"dataset": "sim-node-a", "config": {"samples": "/x.tsv"}}},
        {"workflow_params": good, "workflow_attachment_obj": [{"file_name": "Snakefile"}]},
    ):
        response = httpx.post(
            f"{server.url}/runs",
            json={
                "workflow_type": "SMK",
                "workflow_type_version": "1.0",
                "workflow_engine": "snakemake",
                "workflow_url": WORKFLOW_URL,
                **body,
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 400, response.text
    assert runs_on(server, token) == before
    assert sorted(os.listdir(runs_dir)) == dirs_before


def snakemake_processes(run_dir: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"snakemake" in cmdline and str(run_dir).encode() in cmdline:
            found.append(int(entry.name))
    return found


def wait_for_state(server, token, run_id, states, timeout=120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = httpx.get(
            f"{server.url}/runs/{run_id}/status", headers={"Authorization": f"Bearer {token}"}
        ).json()["state"]
        if state in states:
            return state
        time.sleep(0.5)
    raise AssertionError(f"run {run_id} still {state}")


def test_cancel_stops_the_run_and_leaves_no_snakemake_behind(federation):
    server = federation["servers"]["node-b"]
    token = federation["token"]
    response = submit(server, token, {"dataset": "sim-node-b", "config": {"export": {"floor": 3}}})
    assert response.status_code == 200, response.text
    run_id = response.json()["run_id"]
    run_dir = server.config.parent / "node-b-state" / "runs" / run_id[:2] / run_id
    if not run_dir.is_dir():
        run_dir = next((server.config.parent / "node-b-state" / "runs").rglob(run_id))
    wait_for_state(server, token, run_id, {"RUNNING"})
    deadline = time.monotonic() + 60
    while not snakemake_processes(run_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert snakemake_processes(run_dir)
    cancel = httpx.post(
        f"{server.url}/runs/{run_id}/cancel", headers={"Authorization": f"Bearer {token}"}
    )
    assert cancel.status_code == 200
    assert wait_for_state(server, token, run_id, TERMINAL_STATES) == "CANCELED"
    time.sleep(1)
    assert snakemake_processes(run_dir) == []
    assert not list((run_dir / "outputs").iterdir())


def test_runs_survive_a_server_restart(federation):
    """A finished run and one running while the service restarts: both are there after it,
    the running one completes and serves its outputs."""
    server = federation["servers"]["node-a"]
    token = federation["token"]
    completed = [run for run in runs_on(server, token) if run["state"] == "COMPLETE"]
    assert completed
    response = submit(server, token, {"dataset": "sim-node-a", "config": {"export": {"floor": 3}}})
    assert response.status_code == 200, response.text
    running = response.json()["run_id"]
    wait_for_state(server, token, running, {"RUNNING"})
    server.stop()
    server.start()
    info = httpx.get(f"{server.url}/service-info").json()
    assert list(info["workflow_type_versions"]) == ["SMK"] and "node-a" in info["name"]
    assert wait_for_state(server, token, running, TERMINAL_STATES, timeout=600) == "COMPLETE"
    for run_id in (completed[0]["run_id"], running):
        log = httpx.get(
            f"{server.url}/runs/{run_id}", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert log["state"] == "COMPLETE"
        names = {output["file_name"] for output in log["outputs"]}
        assert "export/manifest.json" in names and "run.json" in names
        manifest = httpx.get(
            f"{server.url}/runs/{run_id}/outputs/export/manifest.json",
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert manifest["node_id"] == "node-a"
    assert manifest["floor"] == 3


def test_hub_cancels_a_node_past_the_timeout_and_reports_an_unreachable_one(federation):
    root, token = federation["root"], federation["root"] / "passport.jwt"
    node = federation["servers"]["node-a"]
    hub_yaml = root / "hub-timeout.yaml"
    entries = [
        {"name": "slow", "url": node.url, "dataset": "sim-node-a", "token_file": str(token)},
        {"name": "gone", "url": f"http://127.0.0.1:{free_port()}", "token_file": str(token)},
    ]
    hub_yaml.write_text(
        yaml.safe_dump(
            {
                "reference": str(federation["data"]["node-a"] / "reference.fa"),
                "timeout_minutes": 0.05,
                "poll_seconds": [1, 1],
                "nodes": entries,
            }
        )
    )
    out = root / "hub-timeout"
    result = varnode(
        "hub", "run", "--nodes", str(hub_yaml), "--dataset", "sim-node-a", "-o", str(out)
    )
    assert result.returncode == 3, result.stderr
    report = json.loads((out / "hub_report.json").read_text())
    states = {row["name"]: row for row in report["nodes"]}
    assert states["slow"]["state"] == "TIMED_OUT" and "cancelled" in states["slow"]["error"]
    assert states["gone"]["state"] == "UNREACHABLE" and states["gone"]["error"]
    assert report["incomplete"] and report["merged"] is None
    assert "nothing was merged" in (out / "hub_report.html").read_text()
    state = wait_for_state(
        node, federation["token"], states["slow"]["run_id"], {"CANCELED", "COMPLETE"}
    )
    assert state == "CANCELED"
