"""Rule index_beacon in the reference run: the Beacon's individuals and carriers tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from varnode.federation.records import schema_problems

pytestmark = pytest.mark.workflow


def test_the_run_indexes_its_individuals_and_their_carried_variants(pipeline_run: Path):
    individuals = pq.read_table(pipeline_run / "results/beacon/individuals.parquet").to_pylist()
    by_id = {row["id"]: row for row in individuals}
    assert set(by_id) == {"NA12878", "testN", "testT"}
    na12878 = by_id["NA12878"]
    assert (na12878["sex"], na12878["phenotypes"]) == ("female", ["HP:0003198"])
    record = json.loads(na12878["record"])
    assert record["phenotypicFeatures"] == [
        {"featureType": {"id": "HP:0003198", "label": "Myopathy"}, "excluded": False}
    ]
    for row in individuals:
        assert schema_problems("individuals", json.loads(row["record"])) == []
    carriers = pq.read_table(pipeline_run / "results/beacon/carriers.parquet").to_pylist()
    missense = [c for c in carriers if (c["gene"], c["pos"]) == ("CCT8L2", 21594)]
    assert [(c["individual_id"], c["consequence"]) for c in missense] == [("NA12878", "missense")]
    keys = [(c["individual_id"], c["chrom"], c["pos"], c["ref"], c["alt"]) for c in carriers]
    assert len(keys) == len(set(keys))  # a call made by both callers counts once
