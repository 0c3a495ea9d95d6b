"""`varnode run-crate`: the run as a Workflow Run RO-Crate, `results/ro-crate-metadata.json`.

The crate follows the Process, Workflow and Provenance Run Crate profiles 0.5 on Workflow
RO-Crate 1.0 and RO-Crate 1.1, and is built with the `rocrate` library:

- the workflow: a snapshot of the code that ran (Snakefile, workflow/, envs/, the varnode
  package, pyproject.toml, constraints.txt) copied to `results/workflow/` (written under
  another name with --snapshot, for the rule to check and publish it), its Snakefile
  the main `ComputationalWorkflow`; each rule a `HowToStep`, each tool a
  `SoftwareApplication` with the version the run collected;
- the run: a `CreateAction` (start and end time, status, agent when configured, the
  command line) whose objects are the input files and the config as `PropertyValue`s of
  the workflow's `FormalParameter`s, and whose results are every file under `results/`;
- each job: a `CreateAction` (tool, inputs, outputs, start and end time) with the
  `ControlAction` tying it to its rule's step, all inside the engine's `OrganizeAction`.

Every input (config files, sample sheet, FASTQ, reference, resources) and every file in
`results/` carries `sha256` and `contentSize`. Inputs live outside the crate: they get
local identifiers (`#input:<path>`) whose `alternateName` is the path as the run was
given it (relative to the run folder, or absolute where the config says so).

Jobs come from Snakemake's own per-output records (`varnode.provenance.job_records`); a record
that cannot be read is reported and its job left out, never invented.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, ClassVar

from rocrate.model.computationalworkflow import ComputationalWorkflow
from rocrate.model.contextentity import ContextEntity
from rocrate.model.softwareapplication import SoftwareApplication
from rocrate.rocrate import ROCrate

from varnode import __version__
from varnode.common.atomic import write_text_atomic
from varnode.common.checksums import ChecksumCache
from varnode.errors import VarnodeError
from varnode.provenance.job_records import job_label, read_job_records
from varnode.runtime.run_summary import is_summary_file

CRATE_NAME = "ro-crate-metadata.json"
# RO-Crate requires a licence; results of individual-level data have none by default.
NO_LICENCE = (
    "No licence is granted: the results hold individual-level genomic data and may be "
    "shared only as the data node's access policy allows."
)
SNAPSHOT = "workflow"
# What of the workflow checkout is copied into the crate: the code that ran.
SNAPSHOT_PARTS = (
    "Snakefile",
    "workflow",
    "envs",
    "scripts/varnode",
    "pyproject.toml",
    "constraints.txt",
)
SNAPSHOT_SKIP = ("__pycache__", ".pyc", ".snakemake_timestamp")
PROFILES = {
    "https://w3id.org/ro/wfrun/process/0.5": "Process Run Crate",
    "https://w3id.org/ro/wfrun/workflow/0.5": "Workflow Run Crate",
    "https://w3id.org/ro/wfrun/provenance/0.5": "Provenance Run Crate",
    "https://w3id.org/workflowhub/workflow-ro-crate/1.0": "Workflow RO-Crate",
}
# Checksums are Workflow Run RO-Crate terms; declared inline so that reading the crate
# needs no context document beyond RO-Crate 1.1's.
CHECKSUM_TERMS = {"sha256": "https://w3id.org/ro/terms/workflow-run#sha256"}
# Config keys naming input files.
FILE_PARAMETERS = (
    "samples",
    "reference.fasta",
    "reference.regions",
    "filters",
    "annotation.gff3",
    "annotation.dbsnp",
    "annotation.population_af.vcf",
    "annotation.clinvar",
    "accuracy.truth",
    "accuracy.regions",
)
INDEX_SUFFIXES = (".tbi", ".csi")


class StepwiseWorkflow(ComputationalWorkflow):
    """A workflow whose steps are listed (`step`): also a HowTo (Provenance Run Crate)."""

    TYPES: ClassVar[list[str]] = [*ComputationalWorkflow.TYPES, "HowTo"]


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def input_id(path: str) -> str:
    return f"#input:{path}"


def config_value(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Config as dotted keys; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key in sorted(config):
        value = config[key]
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def run_inputs(
    config: dict[str, Any], config_files: list[str], sample_sheet: str
) -> list[tuple[str, str]]:
    """(path as the run was given it, config parameter) of every input file.

    Paths are relative to the run folder (the current one) unless the config gives them
    absolute; FASTQ paths of the sheet are relative to the sheet's folder, so they are
    joined to it. An absolute path inside the run folder is made relative: the crate
    never names the run folder.
    """
    inputs = [(path, "configfile") for path in config_files]
    for parameter in FILE_PARAMETERS:
        path = config_value(config, parameter)
        if not path:
            continue
        inputs.append((str(path), parameter))
        for suffix in INDEX_SUFFIXES:
            if parameter != "samples" and Path(f"{path}{suffix}").is_file():
                inputs.append((f"{path}{suffix}", parameter))
    inputs.extend((path, "samples.fastq") for path in sheet_fastqs(Path(sample_sheet)))
    run_dir = os.path.realpath(".")
    unique: dict[str, str] = {}
    for path, parameter in inputs:
        path = os.path.normpath(path)
        if os.path.isabs(path) and os.path.realpath(path).startswith(run_dir + os.sep):
            path = os.path.relpath(os.path.realpath(path), run_dir)
        unique.setdefault(path, parameter)
    return sorted(unique.items())


def sheet_fastqs(sheet: Path) -> list[str]:
    """FASTQ paths of the sheet (fq1, fq2), joined to the sheet's folder when relative."""
    try:
        header, *rows = sheet.read_text().splitlines()
    except OSError as error:
        raise VarnodeError(f"{sheet}: cannot be read ({error.strerror})") from None
    columns = header.split("\t")
    paths = []
    for row in rows:
        if not row.strip():
            continue
        fields = dict(zip(columns, row.split("\t"), strict=False))
        for column in ("fq1", "fq2"):
            value = fields.get(column, "")
            if value:
                paths.append(value if os.path.isabs(value) else str(sheet.parent / value))
    return paths


def snapshot_workflow(workflow_dir: Path, target: Path) -> list[Path]:
    """Copy the code that ran into `target` (replaced whole); return the copied files."""
    partial = target.with_name(f".{target.name}.partial{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    copied = []
    try:
        for part in SNAPSHOT_PARTS:
            source = workflow_dir / part
            files = [source] if source.is_file() else sorted(source.rglob("*"))
            for path in files:
                relative = path.relative_to(workflow_dir)
                if not path.is_file() or any(s in path.as_posix() for s in SNAPSHOT_SKIP):
                    continue
                destination = partial / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, destination)
                copied.append(target / relative)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return copied


class CrateBuilder:
    """Builds the crate; ids of files: relative to results/ inside it, `#...` outside."""

    def __init__(self, results: Path, cache: ChecksumCache, run_dir: Path = Path(".")):
        self.results = results
        self.run_dir = run_dir
        self.workflow_dir = ""  # the checkout, once its snapshot is in the crate
        self.cache = cache
        self.crate = ROCrate(version="1.1")
        self.crate.metadata.extra_terms.update(CHECKSUM_TERMS)
        self.by_real_path: dict[str, Any] = {}
        self.intermediates: dict[str, Any] = {}

    def file_properties(self, path: Path, **extra: Any) -> dict[str, Any]:
        digest = self.cache.digest(path)
        return {"sha256": digest.sha256, "contentSize": str(digest.size), **extra}

    def add_output(self, path: Path, located: Path | None = None, **extra: Any) -> Any:
        """The output at `path` under results/, read from `located` where it is written
        now (the snapshot, before it is published) if not there yet."""
        relative = path.relative_to(self.results).as_posix()
        entity = self.crate.add_file(
            dest_path=relative, properties=self.file_properties(located or path, **extra)
        )
        self.by_real_path[os.path.realpath(path)] = entity
        return entity

    def add_input(self, path: str, parameter: Any) -> Any:
        """An input by the path the run was given (relative to the run folder or absolute)."""
        located = self.run_dir / path
        properties = self.file_properties(
            located,
            **{"@type": "File", "name": Path(path).name, "alternateName": path},
            exampleOfWork={"@id": parameter.id},
        )
        entity = self.crate.add(ContextEntity(self.crate, input_id(path), properties))
        self.crate.root_dataset.append_to("mentions", entity)
        self.by_real_path.setdefault(os.path.realpath(located), entity)
        return entity

    def job_file(self, path: str) -> Any:
        """The entity of a job's input or output; intermediates get a `#` id, no checksum."""
        real = os.path.realpath(path)
        if self.workflow_dir and real.startswith(self.workflow_dir + os.sep):
            # A file of the workflow checkout (e.g. MultiQC's config): its snapshot copy.
            real = os.path.realpath(
                self.results / SNAPSHOT / os.path.relpath(real, self.workflow_dir)
            )
        if real in self.by_real_path:
            return self.by_real_path[real]
        if os.path.isabs(path):
            # Outside the run folder and not a recorded input: named by its file name
            # only, never by its absolute location.
            path = Path(path).name
        if path not in self.intermediates:
            located = self.run_dir / path
            if located.is_dir():
                kind, note = "Dataset", "folder of the run; its files under results/ are listed"
            elif located.exists():
                kind, note = "File", "kept in the run folder outside results/; no checksum"
            else:
                kind, note = "File", "temporary file of the run, deleted once used"
            self.intermediates[path] = self.crate.add(
                ContextEntity(
                    self.crate,
                    f"#intermediate:{path}",
                    {"@type": kind, "name": path, "description": note},
                )
            )
        return self.intermediates[path]


def tool_entities(crate: ROCrate, tools: list[dict[str, str]], extra: dict[str, str]):
    entities = {}
    for name, version in [*((t["tool"], t["version"]) for t in tools), *extra.items()]:
        entities[name] = crate.add(
            SoftwareApplication(
                crate, f"#tool-{name}", {"name": name, "softwareVersion": version or "unknown"}
            )
        )
    return entities


def agent_entity(crate: ROCrate, name: str, identifier: str, kind: str):
    if not name:
        return None
    return crate.add(
        ContextEntity(crate, identifier or f"#agent-{name}", {"@type": kind, "name": name})
    )


def add_profiles(crate: ROCrate) -> None:
    for identifier, name in PROFILES.items():
        version = identifier.rsplit("/", 1)[-1]
        profile = crate.add(
            ContextEntity(
                crate, identifier, {"@type": "CreativeWork", "name": name, "version": version}
            )
        )
        crate.root_dataset.append_to("conformsTo", profile)


def build(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """The crate's JSON-LD and the job records that were skipped."""
    run = json.loads(args.run_json.read_text())
    cache = ChecksumCache(args.checksum_cache)
    builder = CrateBuilder(args.results, cache)
    crate = builder.crate
    started = run.get("started")
    finished = datetime.now(UTC).isoformat(timespec="seconds")
    root = crate.root_dataset
    root["name"] = "varnode run"
    root["description"] = (
        "A run of the varnode germline-variant workflow: its code, inputs, parameters, "
        "jobs and outputs, with the sha256 of every file."
    )
    root["datePublished"] = finished
    root["license"] = args.license or NO_LICENCE
    add_profiles(crate)

    workflow = add_workflow(builder, run, args.workflow_dir, args.snapshot)
    tools = tool_entities(
        crate,
        run.get("tools", []),
        {"varnode": __version__, "snakemake": run.get("snakemake_version") or ""},
    )
    for name, entity in tools.items():
        if name != "snakemake":  # the engine runs the workflow, it is not part of it
            workflow.append_to("hasPart", entity)
    parameters, values = add_parameters(crate, workflow, run["config"])
    config_files = [item["path"] for item in run["config_files"]]
    inputs = [
        builder.add_input(path, parameters[parameter])
        for path, parameter in run_inputs(run["config"], config_files, run["sample_sheet"]["path"])
    ]
    outputs = add_outputs(builder, workflow)

    run_action = crate.add_action(
        workflow,
        identifier="#run",
        object=[*inputs, *values],
        result=outputs,
        properties={
            "name": "varnode run",
            "startTime": started or finished,
            "endTime": finished,
            "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
            "description": args.command,
        },
    )
    root.append_to("mentions", run_action)
    agent = agent_entity(crate, args.agent_name, args.agent_id, args.agent_type)
    if agent:
        run_action["agent"] = agent
        root["author"] = agent
    engine = crate.add_action(
        tools["snakemake"],
        identifier="#engine-run",
        result=run_action,
        properties={
            "@type": "OrganizeAction",
            "name": "Snakemake scheduling the run",
            "startTime": started or finished,
            "endTime": finished,
        },
    )
    jobs, skipped = read_job_records(args.metadata_dir)
    rule_tools = json.loads(args.rule_tools)
    add_jobs(builder, workflow, engine, jobs, [tool_of_job(j, rule_tools, tools) for j in jobs])
    cache.save()
    return crate.metadata.generate(), skipped


def add_workflow(
    builder: CrateBuilder, run: dict[str, Any], workflow_dir: Path, written: Path | None
) -> Any:
    """The code that ran, copied into the crate (`written` there first, if given, to be
    moved to results/workflow by the rule); its Snakefile the main workflow."""
    final = builder.results / SNAPSHOT
    written = written or final
    snapshot = [
        final / path.relative_to(written) for path in snapshot_workflow(workflow_dir, written)
    ]
    main = final / "Snakefile"
    workflow = builder.crate.add_workflow(
        dest_path=f"{SNAPSHOT}/Snakefile",
        main=True,
        lang="snakemake",
        lang_version=run.get("snakemake_version"),
        cls=StepwiseWorkflow,
        properties={
            "name": f"varnode {run['workflow']['version']}",
            "version": run["workflow"].get("git_commit") or run["workflow"]["version"],
            **builder.file_properties(written / "Snakefile"),
        },
    )
    builder.by_real_path[os.path.realpath(main)] = workflow
    for path in snapshot:
        if path != main:
            builder.add_output(path, written / path.relative_to(final))
    builder.workflow_dir = os.path.realpath(workflow_dir)
    return workflow


def add_parameters(crate: ROCrate, workflow: Any, config: dict[str, Any]):
    """A FormalParameter per config key (and for the files beside the config), inputs of
    the workflow; the run's values as PropertyValues. Returns (parameters, values)."""
    flat = flatten(config)
    kinds = {name: json_type(value) for name, value in flat.items()}
    descriptions = {name: f"config key {name}" for name in flat}
    kinds |= {"configfile": "File", "samples.fastq": "File"}
    descriptions |= {
        "configfile": "config file the run started with",
        "samples.fastq": "FASTQ files of the sample sheet (fq1, fq2)",
    }
    parameters = {
        name: crate.add_formal_parameter(
            name=name,
            additionalType=kinds[name],
            identifier=f"#param-{name}",
            description=descriptions[name],
        )
        for name in kinds
    }
    for parameter in parameters.values():
        workflow.append_to("input", parameter)
    values = [
        crate.add(
            ContextEntity(
                crate,
                f"#pv-{name}",
                {
                    "@type": "PropertyValue",
                    "name": name,
                    "value": property_value(value),
                    "exampleOfWork": {"@id": parameters[name].id},
                },
            )
        )
        for name, value in flat.items()
    ]
    return parameters, values


def add_outputs(builder: CrateBuilder, workflow: Any) -> list[Any]:
    """Every file under results/ but the crate itself, the workflow snapshot, hidden files
    and folders (partial outputs, Snakemake's time stamps) and the run summary (written
    after the crate, at the end of every run)."""
    parameter = builder.crate.add_formal_parameter(
        name="results",
        additionalType="File",
        identifier="#param-results",
        description="files the run writes under results/",
    )
    workflow.append_to("output", parameter)
    outputs = []
    for path in sorted(builder.results.rglob("*")):
        relative = path.relative_to(builder.results)
        if (
            not path.is_file()
            or any(part.startswith(".") for part in relative.parts)
            or relative.parts[0] == SNAPSHOT
            or path.name == CRATE_NAME
            or is_summary_file(relative.as_posix())
        ):
            continue
        outputs.append(builder.add_output(path, exampleOfWork={"@id": parameter.id}))
    return outputs


def tool_of_job(job: dict[str, Any], rule_tools: dict[str, str], tools: dict[str, Any]):
    """The rule's tool (its conda environment's name); for a rule whose environment is
    chosen per job (collect_tool_versions), the tool its output is named after; else
    varnode."""
    named = rule_tools.get(job["rule"]) or Path(job["outputs"][0]).stem
    return tools.get(named, tools["varnode"])


def add_jobs(
    builder: CrateBuilder,
    workflow: Any,
    engine: Any,
    jobs: list[dict[str, Any]],
    tools: list[Any],
) -> None:
    """Each rule a HowToStep (its example: the tool of its first job), each job a
    CreateAction of its tool, with the ControlAction of its step."""
    crate = builder.crate
    first_tool = {}
    for job, tool in zip(jobs, tools, strict=True):
        first_tool.setdefault(job["rule"], tool)
    steps = {}
    for position, rule in enumerate(sorted(first_tool)):
        steps[rule] = crate.add(
            ContextEntity(
                crate,
                f"#step-{rule}",
                {
                    "@type": "HowToStep",
                    "name": rule,
                    "position": str(position),
                    "workExample": {"@id": first_tool[rule].id},
                },
            )
        )
        workflow.append_to("step", steps[rule])
    for job, tool in zip(jobs, tools, strict=True):
        label = job_label(job)
        action = crate.add_action(
            tool,
            identifier=f"#job-{label}",
            object=single([builder.job_file(path) for path in job["inputs"]]),
            result=single([builder.job_file(path) for path in job["outputs"]]),
            properties={
                "name": f"{job['rule']} {label.split('/', 1)[-1]}",
                "startTime": iso(job["start"]),
                "endTime": iso(job["end"]),
                "actionStatus": {"@id": "http://schema.org/CompletedActionStatus"},
            },
        )
        control = crate.add_action(
            steps[job["rule"]],
            identifier=f"#control-{label}",
            object=action,
            properties={"@type": "ControlAction", "name": f"orchestrate {label}"},
        )
        engine.append_to("object", control)
        crate.root_dataset.append_to("mentions", action)


def single(entities: list[Any]) -> Any:
    """One entity as itself, several as a list (RO-Crate's compact JSON-LD)."""
    return entities[0] if len(entities) == 1 else entities


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Float"
    return "Text"


def property_value(value: Any) -> Any:
    """Scalars as they are; lists and empty maps as JSON text."""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True)
    return value


def portable_command(argv: list[str], workflow_dir: str, workdir: str) -> str:
    """The Snakemake command line without the absolute paths of this machine, to rerun
    elsewhere: workflow code (Snakefile, workflow/, envs/, scripts/) becomes $VARNODE/...,
    other paths in the run folder relative to it, --directory `.`; the Snakefile is
    always named. A rerun in another folder thus records the same command."""
    workflow_dir, workdir = os.path.realpath(workflow_dir), os.path.realpath(workdir)
    code = [os.path.join(workflow_dir, part) for part in SNAPSHOT_PARTS]
    words = ["snakemake"]
    for previous, word in pairwise(argv):
        if previous in ("--directory", "-d"):
            word = "."
        elif word.startswith("--directory="):
            word = "--directory=."
        elif not word.startswith("-"):
            word = portable_path(word, workflow_dir, workdir, code)
        words.append(word)
    if not {"-s", "--snakefile"} & set(argv):
        words += ["-s", "$VARNODE/Snakefile"]
    return shlex.join(words)


def portable_path(word: str, workflow_dir: str, workdir: str, code: list[str]) -> str:
    """A path argument (relative ones from the run folder) as $VARNODE/... when it is
    workflow code, relative when it is in the run folder; other words unchanged."""
    located = word if os.path.isabs(word) else os.path.join(workdir, word)
    if not os.path.exists(located):
        return word
    real = os.path.realpath(located)
    if any(real == part or real.startswith(part + os.sep) for part in code):
        return "$VARNODE" + real[len(workflow_dir) :]
    if os.path.isabs(word) and (real == workdir or real.startswith(workdir + os.sep)):
        return os.path.relpath(real, workdir)
    return word


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--results", type=Path, default=Path("results"), help="crate root")
    parser.add_argument("--run-json", type=Path, required=True, help="the run's run.json")
    parser.add_argument("--workflow-dir", type=Path, required=True, help="workflow checkout")
    parser.add_argument(
        "--snapshot",
        type=Path,
        default=None,
        help="where to write the workflow snapshot (default: results/workflow); the crate "
        "names it results/workflow all the same",
    )
    parser.add_argument("--rule-tools", default="{}", help="JSON: rule -> tool it runs")
    parser.add_argument("--command", default="snakemake", help="the run's command line")
    parser.add_argument("--agent-name", default="", help="who ran it (Person/Organization)")
    parser.add_argument("--agent-id", default="", help="the agent's identifier (e.g. ORCID)")
    parser.add_argument("--agent-type", default="Person", choices=["Person", "Organization"])
    parser.add_argument("--license", default="", help="licence of the results; '' = none given")
    parser.add_argument(
        "--metadata-dir",
        type=Path,
        default=Path(".snakemake/metadata"),
        help="Snakemake's per-output job records",
    )
    parser.add_argument(
        "--checksum-cache",
        type=Path,
        default=None,
        help="sha256 cache (path, size, mtime) reused across runs",
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="crate metadata file")


def run(args: argparse.Namespace) -> int:
    document, skipped = build(args)
    for problem in skipped:
        print(f"varnode run-crate: job record skipped: {problem}", file=sys.stderr)
    write_text_atomic(args.output, json.dumps(document, indent=2) + "\n")
    return 0
