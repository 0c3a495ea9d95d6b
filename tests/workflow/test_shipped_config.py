"""The shipped config is a real GRCh38 WGS config: it validates, and plans a whole-genome
run whose job count per sample does not grow with the genome's ~3,400 contigs, nor its
SLURM submissions per sample with the profile's groups."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tests.conftest import REPO, merge_config, snakemake
from tests.grch38_shape import write_grch38_run
from varnode.common.config import CONFIG_SCHEMA
from varnode.inputs.check import check_config, config_schema_problems

TWO_CALLERS = {"callers": ["bcftools", "freebayes"]}
MAX_JOBS_PER_SAMPLE = 40
MAX_SUBMISSIONS_PER_SAMPLE = 5
SLURM_PROFILE = REPO / "workflow" / "profiles" / "slurm" / "config.yaml"
NODE = re.compile(r"^\s*(\d+)\[label = \"(\w+)\"", re.MULTILINE)
EDGE = re.compile(r"^\s*(\d+) -> (\d+)", re.MULTILINE)


def planned_jobs(run: Path, config_file: Path) -> dict[str, int]:
    result = snakemake(run, "--dry-run", "--cores", "2", "--configfile", str(config_file))
    table = result.stdout[result.stdout.index("Job stats:") :].split("\n\n")[0]
    return {job: int(count) for job, count in re.findall(r"^(\w+) +(\d+)$", table, re.MULTILINE)}


def slurm_submissions(run: Path, config_file: Path) -> int:
    """Cluster jobs of the planned DAG under the SLURM profile's groups: a group's jobs
    connected to each other are one submission, an ungrouped job one each, and the target
    rule (no action) none."""
    dot = snakemake(run, "--dag", "--cores", "2", "--configfile", str(config_file)).stdout
    groups = yaml.safe_load(SLURM_PROFILE.read_text())["groups"]
    rules = {node: rule for node, rule in NODE.findall(dot) if rule != "all"}
    root = {node: node for node in rules}

    def find(node: str) -> str:
        while root[node] != node:
            node = root[node]
        return node

    for parent, child in EDGE.findall(dot):
        group = groups.get(rules.get(parent, ""))
        if group and child in rules and group == groups.get(rules[child]):
            root[find(parent)] = find(child)
    return len({find(node) if groups.get(rule) else node for node, rule in rules.items()})


def test_shipped_config_plans_a_grch38_genome_in_few_jobs_per_sample(tmp_path: Path) -> None:
    shipped = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    assert config_schema_problems(shipped, CONFIG_SCHEMA) == []
    assert "shared/data" not in yaml.safe_dump(shipped)  # no test path in its values

    jobs, submissions = {}, {}
    for samples in (1, 2):
        folder = tmp_path / f"{samples}-samples"
        config_file = write_grch38_run(folder, samples, **TWO_CALLERS)
        overlay = yaml.safe_load(config_file.read_text())
        run = folder / "run"
        shutil.copytree(REPO / "config", run / "config")
        assert check_config(merge_config(shipped, overlay)).samples  # validates as shipped
        jobs[samples] = planned_jobs(run, config_file)
        submissions[samples] = slurm_submissions(run, config_file)

    shards = jobs[1]["call_variants_bcftools"]
    assert shards == shipped["calling"]["scatter"]
    assert jobs[1]["merge_cohort_shard"] == shipped["cohort"]["scatter"]
    per_sample = jobs[2]["total"] - jobs[1]["total"]
    assert 10 < per_sample <= MAX_JOBS_PER_SAMPLE, (per_sample, jobs[2])

    per_sample = submissions[2] - submissions[1]
    assert 1 <= per_sample <= MAX_SUBMISSIONS_PER_SAMPLE, submissions
