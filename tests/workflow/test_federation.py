"""End to end: three simulated nodes run the real pipeline, export, and a hub merges them.

Kept small: three samples per node on one 6 kb simulated genome, the bcftools caller
only, and only the export (and its egress check) as the target. The floor is 2 so that
three-sample nodes publish something (the shipped default of 10 would withhold it all).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cyvcf2 import VCF

from tests.conftest import REPO, snakemake, snakemake_env
from varnode.federation.callable import read_callable
from varnode.federation.sites import read_sites
from varnode.federation.strata import TOTAL, node_strata

pytestmark = pytest.mark.workflow

NODES = {"node-a": 11, "node-b": 12, "node-c": 13}
FLOOR = 2


def varnode(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "varnode", *args],
        capture_output=True,
        text=True,
        env=snakemake_env(),
    )


@pytest.fixture(scope="module")
def federation(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("federation")
    exports: dict[str, Path] = {}
    reference = None
    for node, seed in NODES.items():
        data = root / f"{node}-data"
        # Every node shares the first node's genome: a hub merges one assembly.
        genome = ["--reference", str(reference)] if reference else ["--length", "6000"]
        result = varnode(
            "simulate", "--outdir", str(data), "--seed", str(seed), "--samples", "3", *genome
        )
        assert result.returncode == 0, result.stderr
        reference = reference or data / "reference.fa"
        workdir = root / node
        shutil.copytree(REPO / "config", workdir / "config")
        overrides = workdir / "federation.yaml"
        overrides.write_text(
            yaml.safe_dump(
                {
                    "callers": ["bcftools"],
                    "export": {"node_id": node, "dataset_id": f"sim-{node}", "floor": FLOOR},
                }
            )
        )
        snakemake(
            workdir,
            "results/federation/egress_check.txt",
            "--cores",
            "2",
            "--configfile",
            str(data / "config.yaml"),
            str(overrides),
        )
        exports[node] = workdir / "results" / "export"
    merged = root / "hub"
    result = varnode(
        "merge", *map(str, exports.values()), "-o", str(merged), "--reference", str(reference)
    )
    assert result.returncode == 0, result.stderr
    return {**exports, "hub": merged, "reference": reference}


def test_each_node_export_passes_its_egress_check(federation):
    for node in NODES:
        export = federation[node]
        manifest = json.loads((export / "manifest.json").read_text())
        assert manifest["node_id"] == node and manifest["floor"] == FLOOR
        assert manifest["sites_exported"] > 0
        check = varnode(
            "egress-check",
            str(export),
            "--samples",
            str(export.parents[1] / "config" / "samples.tsv"),
        )
        assert check.returncode == 0, check.stdout


def test_the_beacon_reads_each_node_export_as_written(federation):
    """The discovery side (issue 19) opens the exporter's own files: checksums, columns,
    the floor applied again; every published row reaches the Beacon's frequency view."""
    import duckdb
    import pyarrow.parquet as pq

    from varnode.federation.export_table import open_export, register

    for node in NODES:
        export = open_export(federation[node])
        connection = duckdb.connect()
        register(connection, export)
        served = connection.execute("SELECT count(*), count(gene) FROM frequencies").fetchone()
        rows = pq.read_table(export.parquet).num_rows
        assert served[0] == rows > 0
        connection.close()


def test_the_hub_sums_node_counts_and_fills_absent_nodes_with_callable_an(federation):
    strata = node_strata("", True)
    per_node = {
        node: {
            site.key: site
            for site in read_sites(next(federation[node].glob("*.sites.vcf.gz")), strata)
        }
        for node in NODES
    }
    callable_an = {
        node: read_callable(next(federation[node].glob("*.callable.bed.gz"))) for node in NODES
    }
    reader = VCF(str(federation["hub"] / "merged.sites.vcf.gz"))
    checked = filled = 0
    for record in reader:
        key = (record.CHROM, record.POS, record.REF, record.ALT[0])
        sites = {node: per_node[node].get(key) for node in NODES}
        if record.INFO.get("INCOMPLETE") or record.FILTER:
            assert record.FILTER == "WITHHELD" or any(s and s.withheld for s in sites.values())
            continue
        ac = an = 0
        for node, site in sites.items():
            if site is not None:
                ac, an = ac + site.counts[TOTAL].ac, an + site.counts[TOTAL].an
            elif (node_an := callable_an[node].an_at(record.CHROM, record.POS)) is not None:
                an += node_an[TOTAL]
                filled += 1
        assert (record.INFO["AC"], record.INFO["AN"]) == (ac, an), key
        checked += 1
    reader.close()
    assert checked > 10 and filled > 0
    manifest = json.loads((federation["hub"] / "manifest.json").read_text())
    assert [entry["node_id"] for entry in manifest["inputs"]] == list(NODES)
    assert (federation["hub"] / "summary.html").stat().st_size > 0


def test_the_demo_run_writes_an_export_that_passes_the_egress_check(pipeline_run: Path):
    """The shipped config (what `make demo` runs) exports by default: three samples, so the
    floor of 10 withholds every site, and the folder still passes the check."""
    export = pipeline_run / "results" / "export"
    manifest = json.loads((export / "manifest.json").read_text())
    assert manifest["dataset_id"] == "demo-chr22" and manifest["floor"] == 10
    assert manifest["sites_exported"] + manifest["sites_withheld"] > 50
    assert "passes" in (pipeline_run / "results" / "federation" / "egress_check.txt").read_text()
    sheet = pipeline_run / "config" / "samples.tsv"
    check = varnode("egress-check", str(export), "--samples", str(sheet))
    assert check.returncode == 0, check.stdout
    # The cohort's own sites file, by contrast, would not pass: it has sub-floor counts.
    cohort = pipeline_run / "cohort-as-export"
    cohort.mkdir()
    shutil.copy(
        pipeline_run / "results" / "cohort" / "cohort.sites.vcf.gz", cohort / "c.sites.vcf.gz"
    )
    check = varnode("egress-check", str(cohort), "--samples", str(sheet), "--floor", "10")
    assert check.returncode == 1 and "below the floor of 10" in check.stdout
