"""A node's run service: GA4GH WES (sapporo) in front of the pipeline, for a hub to call.

`varnode node serve --node-config node.yaml` starts sapporo with:
- a run script made from sapporo's own `run.sh`, whose `run_snakemake` runs
  `varnode node execute` (no Docker) instead of the request's workflow: the node only ever
  runs its installed Snakefile, with the node's profile, in the run's own folder;
- the node's identity provider as sapporo's external IdP (access tokens checked against
  its JWKS; the token is the caller's GA4GH passport);
- `RunRequestGuard` in front of `POST /runs`: the passport must hold a ControlledAccessGrants
  visa for the requested dataset and the request must be a valid one (below), or no run is
  created.

A request's `workflow_params` is `{"dataset": ID, "config": {...}}`: a dataset id from
node.yaml and analysis options from REQUEST_OPTIONS, validated against the config schema
on the config the run would use. Paths, tool options (`params`), profiles, engine
parameters, attachments and other workflows are refused.

`varnode node execute` (called by the run script) runs Snakemake and then places only
egress-checked files where WES serves outputs (`outputs/`): the export package and run
metadata. A failure names the failing rule and the end of its log on stderr, which WES
reports with EXECUTOR_ERROR.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from varnode.common.config import SCHEMA_DIR
from varnode.errors import VarnodeError
from varnode.federation.egress import check_directory, name_pattern, read_sample_names
from varnode.federation.manifest import load_manifest
from varnode.federation.passports import (
    CONTROLLED_ACCESS_GRANTS,
    PassportError,
    PassportVerifier,
    bearer_token,
    load_trusted_issuers,
)
from varnode.inputs.check import config_schema_problems

REPO = Path(__file__).resolve().parents[3]
NODE_SCHEMA = SCHEMA_DIR / "node.schema.yaml"
CONFIG_SCHEMA = SCHEMA_DIR / "config.schema.yaml"
WORKFLOW_TYPE = "SMK"
WORKFLOW_ENGINE = "snakemake"

# What a request may set, by top-level config key: None = the whole section, a set = only
# those keys of it. Everything else (paths, tool options, resources) belongs to the node.
REQUEST_OPTIONS: dict[str, set[str] | None] = {
    "callers": None,
    "cohort": None,
    "filtering": None,
    "export": {"floor", "sex_strata"},
}
# The run's targets: the export and the check that it holds no individual-level data.
TARGETS = ["results/federation/egress_check.txt"]
EXPORT_DIR = "results/export"
LOG_EXCERPT_LINES = 40
MAX_REQUEST_BYTES = 1_000_000


class RequestRefused(VarnodeError):
    """A run request that must not create a run; `status` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


# --- node config -------------------------------------------------------------------------


def load_node_config(path: Path) -> dict[str, Any]:
    """node.yaml validated against node.schema.yaml, defaults filled, paths made absolute."""
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    path = Path(path).resolve()
    try:
        node = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise VarnodeError(f"node config {path}: unreadable ({error})") from None
    problems = config_schema_problems(node, NODE_SCHEMA)
    if problems:
        raise VarnodeError(f"node config {path}:\n  " + "\n  ".join(problems))
    try:
        validate(node, str(NODE_SCHEMA))
    except WorkflowError as error:
        raise VarnodeError(f"node config {path}: {error}") from None
    node["state_dir"] = str(path.parent / node["state_dir"])
    for dataset in node["datasets"].values():
        dataset["config"] = str(path.parent / dataset["config"])
    node["path"] = str(path)
    return node


def _deep_update(base: dict, update: dict) -> dict:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def dataset_config(node: dict, dataset: str) -> dict[str, Any]:
    """The node's own config of `dataset` over the shipped config (as Snakemake merges them)."""
    shipped = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    path = Path(node["datasets"][dataset]["config"])
    try:
        own = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise VarnodeError(f"dataset {dataset}: config {path} unreadable ({error})") from None
    return _deep_update(shipped, own)


def request_options(options: Any) -> dict[str, Any]:
    """The request's analysis options, refusing every key a request may not set."""
    if not isinstance(options, dict):
        raise RequestRefused("workflow_params.config must be a mapping of config keys")
    refused = []
    for key, value in options.items():
        allowed = REQUEST_OPTIONS.get(key, ())
        if allowed == ():
            refused.append(key)
        elif allowed is not None:
            if not isinstance(value, dict):
                raise RequestRefused(f"config.{key} must be a mapping")
            refused += [f"{key}.{sub}" for sub in value if sub not in allowed]
    if refused:
        settable = ", ".join(
            k if v is None else f"{k}.{{{','.join(sorted(v))}}}" for k, v in REQUEST_OPTIONS.items()
        )
        raise RequestRefused(
            f"config key(s) a request may not set: {', '.join(refused)} (settable: {settable})"
        )
    return options


def run_config(node: dict, dataset: str, options: dict[str, Any]) -> dict[str, Any]:
    """The config a run of `dataset` with `options` uses, checked against the config schema.

    The options may raise the dataset's export floor, never lower it."""
    base = dataset_config(node, dataset)
    node_floor = base.get("export", {}).get("floor")
    requested_floor = options.get("export", {}).get("floor")
    config = _deep_update(copy.deepcopy(base), options)
    config.setdefault("export", {}).update({"node_id": node["node_id"], "dataset_id": dataset})
    problems = config_schema_problems(config, CONFIG_SCHEMA)
    if problems:
        raise RequestRefused("config does not validate: " + "; ".join(problems))
    if None not in (node_floor, requested_floor) and requested_floor < node_floor:
        raise RequestRefused(
            f"config.export.floor {requested_floor} is below this node's floor {node_floor}",
            403,
        )
    return config


def validate_params(node: dict, params: Any) -> tuple[str, dict[str, Any]]:
    """(dataset id, options) of a request's workflow_params, or RequestRefused."""
    if not isinstance(params, dict):
        raise RequestRefused(
            'workflow_params must be a JSON object {"dataset": ID, "config": {...}}'
        )
    unknown = sorted(set(params) - {"dataset", "config"})
    if unknown:
        raise RequestRefused(f"workflow_params: unknown key(s) {', '.join(unknown)}")
    dataset = params.get("dataset")
    if not isinstance(dataset, str) or dataset not in node["datasets"]:
        raise RequestRefused(f"workflow_params.dataset: no dataset {dataset!r} on this node", 404)
    options = request_options(params.get("config", {}))
    run_config(node, dataset, options)
    return dataset, options


# --- the guard in front of POST /runs ------------------------------------------------------


def node_verifier(node: dict) -> PassportVerifier:
    # Visas carry no `aud`; the passport's audience is sapporo's check of the access token.
    return PassportVerifier(
        load_trusted_issuers(node["passports"]["trusted_issuers"]),
        leeway=float(node["passports"]["leeway_seconds"]),
    )


def check_run_request(
    node: dict, verifier: PassportVerifier, authorization: str | None, fields: dict[str, Any]
) -> str:
    """Refuse a run request unless every rule holds; returns the dataset id."""
    try:
        token = bearer_token(authorization)
    except PassportError as error:
        raise RequestRefused(str(error), 401) from None
    if token is None:
        raise RequestRefused("no Authorization: Bearer <passport>", 401)
    passport = verifier.verify_passport(token)
    if passport.subject is None:
        raise RequestRefused("passport refused: " + "; ".join(passport.rejected), 401)
    for field in ("workflow_attachment", "workflow_attachment_obj", "workflow_engine_parameters"):
        if fields.get(field):
            raise RequestRefused(f"{field} is not accepted: this node runs its installed workflow")
    expected = {
        "workflow_type": WORKFLOW_TYPE,
        "workflow_engine": WORKFLOW_ENGINE,
        "workflow_url": node["workflow_url"],
    }
    for field, value in expected.items():
        if fields.get(field) != value:
            raise RequestRefused(f"{field} must be {value!r}, got {fields.get(field)!r}")
    params = fields.get("workflow_params")
    try:
        params = json.loads(params) if isinstance(params, str) else params
    except json.JSONDecodeError as error:
        raise RequestRefused(f"workflow_params is not JSON ({error})") from None
    dataset, _ = validate_params(node, params)
    if dataset not in passport.granted_datasets():
        raise RequestRefused(
            f"passport holds no valid {CONTROLLED_ACCESS_GRANTS} visa for dataset {dataset}", 403
        )
    return dataset


class RunRequestGuard:
    """ASGI middleware: checks POST /runs (check_run_request) before sapporo sees it."""

    def __init__(self, app, node: dict, verifier: PassportVerifier) -> None:
        self.app = app
        self.node = node
        self.verifier = verifier

    async def __call__(self, scope, receive, send) -> None:
        if not (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].rstrip("/").endswith("/runs")
            and scope["path"].rstrip("/").count("/") == 1
        ):
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request
        from starlette.responses import JSONResponse

        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_REQUEST_BYTES:
                await JSONResponse({"msg": "request too large", "status_code": 413}, 413)(
                    scope, receive, send
                )
                return

        def replay():
            sent = False

            async def receive_again():
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            return receive_again

        request = Request(scope, replay())
        try:
            fields = await _request_fields(request)
            check_run_request(
                self.node, self.verifier, request.headers.get("authorization"), fields
            )
        except RequestRefused as error:
            response = JSONResponse({"msg": str(error), "status_code": error.status}, error.status)
            await response(scope, receive, send)
            return
        await self.app(scope, replay(), send)


async def _request_fields(request) -> dict[str, Any]:
    if "application/json" in request.headers.get("content-type", ""):
        try:
            body = json.loads(await request.body())
        except json.JSONDecodeError:
            raise RequestRefused("invalid JSON body") from None
        if not isinstance(body, dict):
            raise RequestRefused("JSON body must be an object")
        return body
    form = await request.form()
    fields: dict[str, Any] = {key: form.get(key) for key in form}
    if form.getlist("workflow_attachment"):
        fields["workflow_attachment"] = True
    await form.close()
    return fields


# --- serve ------------------------------------------------------------------------------

RUN_SNAKEMAKE = re.compile(r"^function run_snakemake\(\) \{\n.*?^\}\n", re.S | re.M)
NODE_RUN_SNAKEMAKE = r"""function run_snakemake() {
    # varnode: the node's installed Snakefile, never the request's workflow_url; no Docker.
    local -a cmd_arr=(env -C "${exe_dir}" "${VARNODE_PYTHON}" -m varnode node execute
        --node-config "${VARNODE_NODE_CONFIG}" --run-dir "${run_dir}")
    _write_and_run cmd_arr
}

function cancel_snakemake() {
    # varnode: jobs a SLURM-profile run submitted are outside its process group; cancel them
    # by their job name, the SLURM run ID that Snakemake's SLURM executor logs.
    local slurm_run
    slurm_run=$({ sed -n 's/.*SLURM run ID: \([A-Za-z0-9_-]*\).*/\1/p' \
        "${run_dir}/snakemake.log" 2>/dev/null || true; } | tail -n 1)
    if [[ -n "${slurm_run}" ]] && command -v scancel >/dev/null; then
        scancel --name "${slurm_run}" || true
    fi
}
"""


def node_run_script() -> str:
    """sapporo's run.sh with `run_snakemake` replaced by the node's (state, cancel, outputs
    list and RO-Crate stay sapporo's)."""
    from sapporo.config import PKG_DIR

    shipped = (PKG_DIR / "run.sh").read_text()
    script, count = RUN_SNAKEMAKE.subn(NODE_RUN_SNAKEMAKE.replace("\\", "\\\\"), shipped)
    if count != 1:
        raise VarnodeError("sapporo's run.sh has no run_snakemake function to replace")
    return script


def node_service_info(node: dict) -> dict[str, Any]:
    """GA4GH service-info of the node: only Snakemake runs, with the installed version and
    no engine parameters a caller could override."""
    from importlib.metadata import version

    from varnode import __version__

    return {
        "id": f"org.varnode.node.{node['node_id']}",
        "name": f"varnode node {node['node_id']}",
        "description": f"varnode {__version__}: germline variant pipeline, aggregate outputs only",
        "workflow_type_versions": {WORKFLOW_TYPE: {"workflow_type_version": ["1.0"]}},
        "workflow_engine_versions": {
            WORKFLOW_ENGINE: {"workflow_engine_version": [version("snakemake")]}
        },
        "supported_filesystem_protocols": ["http", "https"],
        "default_workflow_engine_parameters": {},
    }


def write_service_files(node: dict) -> dict[str, str]:
    """sapporo's run script, allow-list and auth config under state_dir; its environment."""
    state = Path(node["state_dir"])
    (state / "runs").mkdir(parents=True, exist_ok=True)
    run_sh = state / "run.sh"
    run_sh.write_text(node_run_script())
    run_sh.chmod(0o755)
    workflows = state / "executable_workflows.json"
    workflows.write_text(json.dumps({"workflows": [node["workflow_url"]]}))
    service_info = state / "service_info.json"
    service_info.write_text(json.dumps(node_service_info(node), indent=2))
    idp = node["identity_provider"]
    auth = state / "auth_config.json"
    auth.write_text(
        json.dumps(
            {
                "auth_enabled": True,
                "idp_provider": "external",
                "sapporo_auth_config": {"secret_key": "", "expires_delta_hours": 1, "users": []},
                "external_config": {
                    "idp_url": idp["issuer"],
                    "jwt_audience": idp["audience"],
                    "client_mode": "public",
                    "client_id": None,
                    "client_secret": None,
                },
            }
        )
    )
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "SAPPORO_HOST": node["host"],
        "SAPPORO_PORT": str(node["port"]),
        "SAPPORO_RUN_DIR": str(state / "runs"),
        "SAPPORO_RUN_SH": str(run_sh),
        "SAPPORO_EXECUTABLE_WORKFLOWS": str(workflows),
        "SAPPORO_SERVICE_INFO": str(service_info),
        "SAPPORO_AUTH_CONFIG": str(auth),
        "SAPPORO_CANCEL_GRACE_SECONDS": str(node["cancel_grace_seconds"]),
        "VARNODE_PYTHON": sys.executable,
        "VARNODE_NODE_CONFIG": node["path"],
        # run.sh calls sapporo-cli and the rules call python -m varnode: this interpreter's.
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    if node["base_url"]:
        env["SAPPORO_BASE_URL"] = node["base_url"]
    if idp["allow_insecure_http"]:
        env["SAPPORO_ALLOW_INSECURE_IDP"] = "true"
    return env


def serve(node_config: Path) -> None:
    node = load_node_config(node_config)
    os.environ.update(write_service_files(node))
    # sapporo reads its settings from SAPPORO_* and from the command line: give it none.
    sys.argv = [sys.argv[0]]
    import logging.config

    import uvicorn
    from sapporo.app import create_app, init_app_state
    from sapporo.config import get_config, logging_config

    logging.config.dictConfig(logging_config(get_config().debug))
    init_app_state()
    app = RunRequestGuard(create_app(), node, node_verifier(node))
    uvicorn.run(app, host=node["host"], port=node["port"])


# --- execute (called by the run script) -----------------------------------------------------


def failed_rule_excerpt(snakemake_stderr: str, workdir: Path) -> str:
    """The failing rule(s) and the end of each one's log, from Snakemake's error report."""
    excerpts = []
    for match in re.finditer(
        r"^Error in rule (\S+):\n(.*?)(?:\n\n|\Z)", snakemake_stderr, re.S | re.M
    ):
        rule, block = match.group(1), match.group(2)
        logs = re.search(
            r"^\s*log: (.+?)(?: \(check log file\(s\) for error details\))?$", block, re.M
        )
        text = f"rule {rule} failed"
        for log in logs.group(1).split(", ") if logs else []:
            path = workdir / log.strip()
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-LOG_EXCERPT_LINES:]
                text += f"\n--- {log.strip()} (last {len(tail)} lines) ---\n" + "\n".join(tail)
        excerpts.append(text)
    if not excerpts:
        return "\n".join(snakemake_stderr.splitlines()[-LOG_EXCERPT_LINES:])
    return "\n\n".join(excerpts)


def snakemake_command(node: dict, workdir: Path, configfile: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "snakemake",
        *TARGETS,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--workflow-profile",
        str(REPO / "workflow" / "profiles" / node["profile"]),
        "--cores",
        str(node["cores"]),
        "--configfile",
        str(configfile),
    ]


def egress(workdir: Path, outputs: Path, config: dict, metadata: dict) -> list[str]:
    """Place the export and the run metadata in `outputs`, each checked; return their names."""
    samples = read_sample_names(Path(config["samples"]))
    staging = outputs / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(workdir / EXPORT_DIR, staging / "export")
    load_manifest(staging / "export")
    violations = check_directory(staging / "export", samples, config["export"]["floor"])
    metadata_text = json.dumps(metadata, indent=2, sort_keys=True)
    if name_pattern(samples).search(metadata_text):
        violations.append("run.json names a sample")
    if violations:
        shutil.rmtree(staging)
        raise VarnodeError(
            "egress check failed, nothing published:\n" + "\n".join(map(str, violations))
        )
    (staging / "run.json").write_text(metadata_text + "\n")
    for entry in staging.iterdir():
        entry.rename(outputs / entry.name)
    staging.rmdir()
    return sorted(str(p.relative_to(outputs)) for p in outputs.rglob("*") if p.is_file())


def execute(node_config: Path, run_dir: Path) -> int:
    node = load_node_config(node_config)
    run_dir = Path(run_dir).resolve()
    workdir = run_dir / "exe"
    params = json.loads((workdir / "workflow_params.json").read_text())
    # The guard checked the request; the run directory is checked again, never trusted.
    dataset, options = validate_params(node, params)
    config = run_config(node, dataset, options)
    shutil.copytree(REPO / "config", workdir / "config", dirs_exist_ok=True)
    configfile = workdir / "run_config.yaml"
    configfile.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.time()
    command = snakemake_command(node, workdir, configfile)
    print("varnode node execute:", " ".join(command), flush=True)
    # Snakemake's own output names samples: it stays in the run folder, never in WES logs.
    snakemake_log = run_dir / "snakemake.log"
    with open(snakemake_log, "w") as log:
        returncode = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode
    if returncode != 0:
        excerpt = failed_rule_excerpt(snakemake_log.read_text(errors="replace"), workdir)
        samples = read_sample_names(Path(config["samples"]))
        print(
            f"varnode: the pipeline failed on dataset {dataset} (Snakemake exit {returncode}),"
            f" sample names redacted; full log on the node: {snakemake_log}\n"
            + name_pattern(samples).sub("<sample>", excerpt),
            file=sys.stderr,
        )
        return 1
    metadata = {
        "node_id": node["node_id"],
        "dataset": dataset,
        "options": options,
        "profile": node["profile"],
        "started": started,
        "finished": time.time(),
        "software": load_manifest(workdir / EXPORT_DIR).get("software"),
    }
    try:
        published = egress(workdir, run_dir / "outputs", config, metadata)
    except VarnodeError as error:
        print(f"varnode: {error}", file=sys.stderr)
        return 1
    print("published:", *published, sep="\n  ")
    return 0


# --- demo ------------------------------------------------------------------------------

DEMO_DATASET = "demo"
DEMO_TOKEN_HOURS = 12


def demo_dataset_config(outdir: Path) -> Path:
    """The demo data as a node dataset: the shared test data when present, else simulated."""
    shared = (REPO.parent / "shared" / "data").resolve()
    target = outdir / "demo-dataset.yaml"
    if shared.is_dir():
        text = (REPO / "config" / "config.yaml").read_text().replace("../shared/data", str(shared))
        config = yaml.safe_load(text)
        config["samples"] = str(REPO / "config" / "samples.tsv")
    else:
        data = outdir / "data"
        if not (data / "config.yaml").is_file():
            subprocess.run(
                [sys.executable, "-m", "varnode", "simulate", "--outdir", str(data), "--seed", "1"],
                check=True,
            )
        config = yaml.safe_load((data / "config.yaml").read_text())
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def demo(outdir: Path, port: int) -> None:
    """Serve the demo data at a local node, with a development identity provider that
    issues the caller's passport: node.yaml, passport.jwt and hub.yaml go to OUTDIR."""
    from varnode.federation.identity import LocalIdentityProvider

    outdir = Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    dataset = demo_dataset_config(outdir)
    idp = LocalIdentityProvider("demo-idp")
    audience = "varnode-demo-node"
    node_yaml = outdir / "node.yaml"
    node_yaml.write_text(
        yaml.safe_dump(
            {
                "node_id": "demo-node",
                "port": port,
                "state_dir": "state",
                "identity_provider": {
                    "issuer": idp.issuer,
                    "audience": audience,
                    "allow_insecure_http": True,
                },
                "passports": {"trusted_issuers": [idp.trusted()]},
                "datasets": {DEMO_DATASET: {"config": str(dataset)}},
            },
            sort_keys=False,
        )
    )
    lifetime = DEMO_TOKEN_HOURS * 3600
    visa = idp.visa(CONTROLLED_ACCESS_GRANTS, DEMO_DATASET, lifetime=lifetime)
    (outdir / "passport.jwt").write_text(idp.passport(visa, audience=audience, lifetime=lifetime))
    reference = yaml.safe_load(dataset.read_text())["reference"]["fasta"]
    (outdir / "hub.yaml").write_text(
        yaml.safe_dump(
            {
                "reference": str(Path(reference).resolve()),
                "nodes": [
                    {
                        "name": "demo-node",
                        "url": f"http://127.0.0.1:{port}",
                        "dataset": DEMO_DATASET,
                        "token_file": "passport.jwt",
                    }
                ],
            },
            sort_keys=False,
        )
    )
    print(
        f"demo node on http://127.0.0.1:{port}, dataset {DEMO_DATASET!r}; identity provider"
        f" {idp.issuer} (development only, stops with the node).\n"
        f"Run across nodes from another shell:\n"
        f"  varnode hub run --nodes {outdir / 'hub.yaml'} --dataset {DEMO_DATASET} -o hub-demo",
        flush=True,
    )
    serve(node_yaml)


# --- CLI --------------------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    serve_parser = actions.add_parser(
        "serve", help="run this node's GA4GH WES service (sapporo)", description=serve.__doc__
    )
    serve_parser.add_argument("--node-config", required=True, type=Path, help="node.yaml")
    demo_parser = actions.add_parser(
        "demo", help="serve the demo data at a local node (development identity provider)"
    )
    demo_parser.add_argument("--outdir", type=Path, default=Path("resources/demo-node"))
    demo_parser.add_argument("--port", type=int, default=1122)
    execute_parser = actions.add_parser(
        "execute", help="run one WES run (called by the node's run script)"
    )
    execute_parser.add_argument("--node-config", required=True, type=Path)
    execute_parser.add_argument("--run-dir", required=True, type=Path)


def run(args: argparse.Namespace) -> int:
    if args.action == "serve":
        serve(args.node_config)
        return 0
    if args.action == "demo":
        demo(args.outdir, args.port)
        return 0
    return execute(args.node_config, args.run_dir)
