"""The SLURM profile's groups name rules that exist; a sample's per-shard callers join its
variants group, the cohort's shards stay separate jobs (submissions per sample on GRCh38:
tests/workflow/test_shipped_config.py).

Snakemake silently ignores a `groups:` entry for a rule it does not know, so a renamed rule
would quietly fall out of its group and cost a cluster job per step again.
"""

from __future__ import annotations

import re

import yaml

from tests.conftest import REPO

PROFILE = REPO / "workflow" / "profiles" / "slurm" / "config.yaml"
RULE = re.compile(r"^(?:rule|checkpoint)\s+(\w+)\s*:", re.MULTILINE)


def workflow_rules() -> set[str]:
    rules = set()
    for path in [REPO / "Snakefile", *(REPO / "workflow" / "rules").glob("*.smk")]:
        rules.update(RULE.findall(path.read_text()))
    return rules


def profile() -> dict:
    return yaml.safe_load(PROFILE.read_text())


def test_grouped_rules_exist() -> None:
    unknown = sorted(set(profile()["groups"]) - workflow_rules())
    assert not unknown, f"profile groups name rules the workflow does not define: {unknown}"


def test_group_components_name_groups() -> None:
    settings = profile()
    assert set(settings["group-components"]) <= set(settings["groups"].values())


def test_sample_shards_join_their_chain_and_cohort_shards_stay_apart() -> None:
    callers = {rule for rule in workflow_rules() if rule.startswith("call_variants_")}
    assert callers, "no per-shard calling rules found"
    groups = profile()["groups"]
    assert {groups.get(rule) for rule in callers} == {groups["gather_shards"]}
    assert "merge_cohort_shard" in workflow_rules()
    assert "merge_cohort_shard" not in groups


def test_profile_runs_on_slurm_with_retries() -> None:
    settings = profile()
    assert settings["executor"] == "slurm"
    assert settings["retries"] >= 1
    assert settings["scheduler"] == "greedy"
