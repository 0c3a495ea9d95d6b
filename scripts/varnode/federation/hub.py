"""`varnode hub run`: one analysis at every node of hub.yaml over GA4GH WES, merged at the hub.

hub.yaml:

    reference: ref.fa            # the assembly every node called against (for the merge)
    timeout_minutes: 240         # a node still running after this is cancelled, and failed
    nodes:
      - name: node-a
        url: https://node-a.example.org      # the node's WES base URL
        dataset: cohort-1                     # optional; default: --dataset
        token_file: node-a.passport.jwt       # or token_env: VAR (the caller's passport)

Each node gets `POST /runs` with `{"dataset": ID, "config": <params.yaml>}`, is polled with
back-off until a terminal state or the timeout, and on COMPLETE its outputs are downloaded,
the export's manifest and checksums verified and the egress check run again (the hub
checks what it received). The verified exports are merged by `varnode merge`; a node that
failed, was refused or timed out is listed with its error and the merge flagged incomplete.

Writes OUT/hub_report.{html,tsv,json}, OUT/nodes/<name>/ and OUT/merged/.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import yaml

from varnode.common.options import add_output_folder
from varnode.errors import VarnodeError
from varnode.federation.egress import check_directory
from varnode.federation.manifest import load_manifest, verify_files
from varnode.federation.merge import merge_exports, render_page
from varnode.federation.node import NODE_SCHEMA, WORKFLOW_ENGINE, WORKFLOW_TYPE

TERMINAL = {"COMPLETE", "EXECUTOR_ERROR", "SYSTEM_ERROR", "CANCELED", "DELETED", "UNKNOWN"}
REPORT_COLUMNS = [
    "name",
    "url",
    "dataset",
    "run_id",
    "state",
    "duration_seconds",
    "samples_rounded_to_tens",
    "sites_exported",
    "sites_withheld",
    "error",
]
HTTP_TIMEOUT = 60.0
ERROR_LINES = 80


def default_workflow_url() -> str:
    return yaml.safe_load(NODE_SCHEMA.read_text())["properties"]["workflow_url"]["default"]


@dataclass
class NodeRun:
    name: str
    url: str
    dataset: str
    token: str
    run_id: str | None = None
    state: str = "NOT_SUBMITTED"
    started: float = 0.0
    duration_seconds: float | None = None
    samples_rounded_to_tens: int | None = None
    sites_exported: int | None = None
    sites_withheld: int | None = None
    error: str | None = None
    export: Path | None = None
    next_poll: float = 0.0
    delay: float = 0.0

    def row(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if key in REPORT_COLUMNS}


def load_hub_config(path: Path, dataset: str) -> tuple[dict[str, Any], list[NodeRun]]:
    path = Path(path).resolve()
    try:
        hub = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise VarnodeError(f"hub config {path}: unreadable ({error})") from None
    unknown = sorted(
        set(hub) - {"reference", "timeout_minutes", "poll_seconds", "workflow_url", "nodes"}
    )
    if unknown:
        raise VarnodeError(f"hub config {path}: unknown key(s) {', '.join(unknown)}")
    if not hub.get("reference") or not hub.get("nodes"):
        raise VarnodeError(f"hub config {path}: needs 'reference' and a list of 'nodes'")
    hub["reference"] = str(path.parent / hub["reference"])
    runs = []
    for i, entry in enumerate(hub["nodes"]):
        where = f"hub config {path}: nodes[{i}]"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
            raise VarnodeError(f"{where}: needs 'name' and 'url'")
        extra = sorted(set(entry) - {"name", "url", "dataset", "token_file", "token_env"})
        if extra:
            raise VarnodeError(f"{where}: unknown key(s) {', '.join(extra)}")
        if entry.get("token_file"):
            token = (path.parent / entry["token_file"]).read_text().strip()
        elif entry.get("token_env"):
            token = os.environ.get(entry["token_env"], "").strip()
            if not token:
                raise VarnodeError(f"{where}: environment variable {entry['token_env']} is empty")
        else:
            raise VarnodeError(f"{where}: needs 'token_file' or 'token_env' (the passport)")
        runs.append(
            NodeRun(entry["name"], entry["url"].rstrip("/"), entry.get("dataset", dataset), token)
        )
    names = [run.name for run in runs]
    if len(set(names)) != len(names):
        raise VarnodeError(f"hub config {path}: node names repeat")
    return hub, runs


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        message = body.get("msg", body) if isinstance(body, dict) else body
    except ValueError:
        message = response.text
    return f"HTTP {response.status_code}: {message}"


class Hub:
    def __init__(self, hub: dict, runs: list[NodeRun], options: dict, out: Path) -> None:
        self.hub = hub
        self.runs = runs
        self.options = options
        self.out = Path(out)
        self.client = httpx.Client(timeout=HTTP_TIMEOUT)
        self.first_poll, self.max_poll = hub.get("poll_seconds", [2, 60])

    def headers(self, run: NodeRun) -> dict[str, str]:
        return {"Authorization": f"Bearer {run.token}"}

    def progress(self, run: NodeRun) -> None:
        elapsed = time.monotonic() - run.started if run.started else 0
        print(f"[hub] {run.name:<16} {run.state:<15} {elapsed:7.0f} s", file=sys.stderr, flush=True)

    def submit(self, run: NodeRun) -> None:
        data = {
            "workflow_type": WORKFLOW_TYPE,
            "workflow_type_version": "1.0",
            "workflow_engine": WORKFLOW_ENGINE,
            "workflow_url": self.hub.get("workflow_url") or default_workflow_url(),
            "workflow_params": json.dumps({"dataset": run.dataset, "config": self.options}),
        }
        run.started = time.monotonic()
        try:
            response = self.client.post(f"{run.url}/runs", data=data, headers=self.headers(run))
        except httpx.HTTPError as error:
            run.state, run.error = "UNREACHABLE", f"{type(error).__name__}: {error}"
            return
        if response.status_code != 200:
            run.state, run.error = "REFUSED", _error_text(response)
            return
        run.run_id = response.json()["run_id"]
        run.state, run.delay = "SUBMITTED", self.first_poll
        run.next_poll = time.monotonic() + run.delay

    def poll(self, run: NodeRun) -> None:
        try:
            response = self.client.get(
                f"{run.url}/runs/{run.run_id}/status", headers=self.headers(run)
            )
        except httpx.HTTPError as error:
            # A node restarting is not a failure yet: back off and ask again.
            run.error = f"{type(error).__name__}: {error}"
            response = None
        if response is not None and response.status_code == 200:
            state = response.json()["state"]
            if state != run.state:
                run.state = state
                self.progress(run)
        run.delay = min(run.delay * 1.5, self.max_poll)
        run.next_poll = time.monotonic() + run.delay

    def finish(self, run: NodeRun) -> None:
        run.duration_seconds = round(time.monotonic() - run.started, 1)
        response = self.client.get(f"{run.url}/runs/{run.run_id}", headers=self.headers(run))
        log = response.json() if response.status_code == 200 else {}
        if run.state != "COMPLETE":
            stderr = (log.get("run_log") or {}).get("stderr") or ""
            # The node's message comes first (what failed, the rule's log); sapporo may add
            # its own lines after it.
            lines = stderr.strip().splitlines()[:ERROR_LINES]
            run.error = "\n".join(lines) or run.error or run.state
            return
        run.error = None
        try:
            run.export = self.download(run, log.get("outputs") or [])
        except (VarnodeError, httpx.HTTPError) as error:
            run.state, run.error = "NOT_VERIFIED", str(error)
            return
        manifest = load_manifest(run.export)
        run.samples_rounded_to_tens = manifest.get("samples_rounded_to_tens")
        run.sites_exported = manifest.get("sites_exported")
        run.sites_withheld = manifest.get("sites_withheld")

    def download(self, run: NodeRun, outputs: list[dict]) -> Path:
        node_dir = self.out / "nodes" / run.name
        for output in outputs:
            name = output["file_name"]
            if name.startswith("/") or ".." in Path(name).parts:
                raise VarnodeError(f"node {run.name}: output path {name!r} refused")
            url = f"{run.url}/runs/{run.run_id}/outputs/{quote(name)}"
            response = self.client.get(url, headers=self.headers(run))
            if response.status_code != 200:
                raise VarnodeError(f"node {run.name}: {name}: {_error_text(response)}")
            target = node_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(response.content)
        export = node_dir / "export"
        manifest = load_manifest(export)
        verify_files(export, manifest)
        if manifest["dataset_id"] != run.dataset:
            raise VarnodeError(f"node {run.name}: export is of dataset {manifest['dataset_id']}")
        violations = check_directory(export, [], int(manifest["floor"]))
        if violations:
            raise VarnodeError(f"node {run.name}: export fails the egress check: {violations[0]}")
        return export

    def cancel(self, run: NodeRun) -> None:
        # An unreachable node cannot be asked; the run is reported TIMED_OUT either way.
        with contextlib.suppress(httpx.HTTPError):
            self.client.post(f"{run.url}/runs/{run.run_id}/cancel", headers=self.headers(run))

    def run(self) -> None:
        for run in self.runs:
            self.submit(run)
            self.progress(run)
        deadline = time.monotonic() + 60 * float(self.hub.get("timeout_minutes", 240))
        waiting = [run for run in self.runs if run.run_id]
        while waiting:
            now = time.monotonic()
            if now > deadline:
                for run in waiting:
                    self.cancel(run)
                    run.state = "TIMED_OUT"
                    run.duration_seconds = round(now - run.started, 1)
                    run.error = (
                        f"no result within {self.hub.get('timeout_minutes', 240)} min; cancelled"
                    )
                    self.progress(run)
                break
            for run in waiting:
                if time.monotonic() >= run.next_poll:
                    self.poll(run)
                    if run.state in TERMINAL:
                        self.finish(run)
            waiting = [run for run in waiting if run.state not in TERMINAL]
            time.sleep(0.2)


def write_report(out: Path, dataset: str, runs: list[NodeRun], merged: dict | None) -> dict:
    failed = [run.name for run in runs if run.export is None]
    report = {
        "dataset": dataset,
        "incomplete": bool(failed),
        "failed_nodes": failed,
        "nodes": [run.row() for run in runs],
        "merged": merged,
    }
    (out / "hub_report.json").write_text(json.dumps(report, indent=2) + "\n")
    with open(out / "hub_report.tsv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, REPORT_COLUMNS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for run in runs:
            row = run.row()
            row["error"] = " ".join((row["error"] or "").split())
            writer.writerow(row)
    (out / "hub_report.html").write_text(render_page("hub.html", report=report))
    return report


def hub_run(nodes: Path, dataset: str, params: Path | None, out: Path) -> dict:
    hub, runs = load_hub_config(nodes, dataset)
    options = {}
    if params:
        options = yaml.safe_load(Path(params).read_text()) or {}
        if not isinstance(options, dict):
            raise VarnodeError(f"{params}: expected a mapping of config keys")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    Hub(hub, runs, options, out).run()
    exports = [run for run in runs if run.export is not None]
    merged = None
    if exports:
        manifest = merge_exports(
            [run.export for run in exports], Path(hub["reference"]), out / "merged", dataset, None
        )
        merged = {
            "nodes": [run.name for run in exports],
            **{
                key: manifest[key]
                for key in ("sites_published", "sites_withheld", "sites_incomplete")
            },
        }
    return write_report(out, dataset, runs, merged)


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    run_parser = actions.add_parser("run", help="run at every node of hub.yaml and merge")
    run_parser.add_argument("--nodes", required=True, type=Path, help="hub.yaml")
    run_parser.add_argument(
        "--dataset", required=True, help="dataset id (unless a node names its own)"
    )
    run_parser.add_argument("--params", type=Path, help="analysis options (YAML config keys)")
    add_output_folder(run_parser, "folder for the nodes' exports and the merged result")


def run(args: argparse.Namespace) -> int:
    report = hub_run(args.nodes, args.dataset, args.params, args.outdir)
    for node in report["nodes"]:
        first_line = (node["error"] or "").split("\n", 1)[0]
        print(f"{node['name']}: {node['state']}" + (f" ({first_line})" if first_line else ""))
    if report["incomplete"]:
        print(
            f"{args.outdir}: INCOMPLETE, failed: {', '.join(report['failed_nodes'])}",
            file=sys.stderr,
        )
        return 3
    print(f"{args.outdir}: all {len(report['nodes'])} nodes merged")
    return 0
