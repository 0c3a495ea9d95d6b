"""A node's WES request rules (varnode.federation.node), without servers or tools."""

from __future__ import annotations

import pytest
import yaml

from varnode.errors import VarnodeError
from varnode.federation.node import (
    RequestRefused,
    failed_rule_excerpt,
    load_node_config,
    node_run_script,
    node_service_info,
    validate_params,
)


@pytest.fixture
def node(tmp_path):
    (tmp_path / "cohort.yaml").write_text(
        yaml.safe_dump({"samples": "samples.tsv", "export": {"floor": 5}})
    )
    path = tmp_path / "node.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "node_id": "n1",
                "state_dir": "state",
                "identity_provider": {"issuer": "https://idp.example.org", "audience": "n1"},
                "datasets": {"cohort": {"config": "cohort.yaml"}},
            }
        )
    )
    return load_node_config(path)


def test_node_config_defaults_and_absolute_paths(node, tmp_path):
    assert node["profile"] == "default" and node["port"] == 1122
    assert node["state_dir"] == str(tmp_path / "state")
    assert node["datasets"]["cohort"]["config"] == str(tmp_path / "cohort.yaml")


def test_node_config_rejects_unknown_keys_and_path_like_dataset_ids(tmp_path):
    path = tmp_path / "node.yaml"
    base = {
        "node_id": "n1",
        "state_dir": "s",
        "identity_provider": {"issuer": "https://i", "audience": "a"},
    }
    for bad in (
        {**base, "datasets": {"d": {"config": "c.yaml"}}, "shell": "x"},
        {**base, "datasets": {"../d": {"config": "c.yaml"}}},
        {**base, "datasets": {"d": {"config": "c.yaml"}}, "profile": "cloud"},
    ):
        path.write_text(yaml.safe_dump(bad))
        with pytest.raises(VarnodeError):
            load_node_config(path)


def test_analysis_options_are_accepted(node):
    dataset, options = validate_params(
        node,
        {"dataset": "cohort", "config": {"callers": ["bcftools"], "export": {"floor": 8}}},
    )
    assert dataset == "cohort" and options["export"]["floor"] == 8


@pytest.mark.parametrize(
    ("params", "status", "says"),
    [
        ({"dataset": "cohort", "config": {"samples": "/etc/passwd"}}, 400, "samples"),
        ({"dataset": "cohort", "config": {"reference": {"fasta": "/x.fa"}}}, 400, "reference"),
        ({"dataset": "cohort", "config": {"params": {"fastp": "; rm -rf /"}}}, 400, "params"),
        ({"dataset": "cohort", "config": {"export": {"node_id": "other"}}}, 400, "export.node_id"),
        ({"dataset": "cohort", "config": {"cohort": {"bogus": 1}}}, 400, "bogus"),
        ({"dataset": "cohort", "config": {"callers": ["rm -rf"]}}, 400, "callers"),
        ({"dataset": "cohort", "profile": "slurm"}, 400, "profile"),
        ({"dataset": "/data/cohort.yaml"}, 404, "no dataset"),
        ({"dataset": "cohort", "config": {"export": {"floor": 2}}}, 403, "below"),
        (["cohort"], 400, "JSON object"),
    ],
)
def test_requests_that_must_not_run(node, params, status, says):
    with pytest.raises(RequestRefused) as refused:
        validate_params(node, params)
    assert refused.value.status == status and says in str(refused.value)


def test_the_failing_rule_and_its_log_are_quoted(tmp_path):
    (tmp_path / "logs" / "align").mkdir(parents=True)
    (tmp_path / "logs" / "align" / "S1.log").write_text("ok\n" * 50 + "bwa: index missing\n")
    stderr = (
        "Building DAG of jobs...\n"
        "Error in rule align_reads:\n"
        "    jobid: 3\n"
        "    log: logs/align/S1.log (check log file(s) for error details)\n"
        "    shell: bwa mem ...\n\n"
        "Shutting down\n"
    )
    excerpt = failed_rule_excerpt(stderr, tmp_path)
    assert excerpt.startswith("rule align_reads failed")
    assert excerpt.endswith("bwa: index missing") and "last 40 lines" in excerpt


def test_the_run_script_is_sapporos_with_the_nodes_snakemake():
    script = node_run_script()
    assert "varnode node execute" in script and "cancel_snakemake" in script
    run_snakemake = script[script.index("function run_snakemake") :]
    run_snakemake = run_snakemake[: run_snakemake.index("\n}\n")]
    assert "docker" not in run_snakemake and "wf_url" not in run_snakemake
    assert "function cancel_by_request" in script  # sapporo's state handling is kept


def test_service_info_offers_snakemake_only_without_engine_parameters(node):
    info = node_service_info(node)
    assert list(info["workflow_type_versions"]) == ["SMK"]
    assert list(info["workflow_engine_versions"]) == ["snakemake"]
    assert info["default_workflow_engine_parameters"] == {}
