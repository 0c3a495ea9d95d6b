"""Reading a node export for discovery: checksum, columns, and the floor applied again."""

from __future__ import annotations

import hashlib
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.federation.node import EXPORT_SCHEMA
from varnode.errors import VarnodeError
from varnode.federation.export_table import open_export, register


def row(pos, population, ac, an, gene="G1"):
    return {
        "CHROM": "chr1",
        "POS": pos,
        "REF": "A",
        "ALT": "G",
        "POPULATION": population,
        "AF": ac / an,
        "AC": ac,
        "AC_HET": ac,
        "AC_HOM": 0,
        "AC_HEMI": 0,
        "AN": an,
        "GENE": gene,
    }


def write(folder, rows, schema=EXPORT_SCHEMA, checksum=None):
    parquet = folder / "d1.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), parquet)
    digest = checksum or hashlib.sha256(parquet.read_bytes()).hexdigest()
    manifest = {
        "dataset_id": "d1",
        "assembly": "GRCh38",
        "floor": 10,
        "files": {"d1.parquet": {"sha256": digest}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def served(folder) -> list[tuple]:
    connection = duckdb.connect()
    register(connection, open_export(folder))
    query = "SELECT pos, population, ac FROM frequencies ORDER BY pos, population"
    return connection.execute(query).fetchall()


def test_the_floor_is_applied_again_on_both_tails_with_strata_collapse(tmp_path):
    rows = [
        row(1, "ALL", 30, 100),
        row(1, "F", 15, 50),
        row(1, "M", 15, 50),  # all served
        row(2, "ALL", 30, 100),
        row(2, "F", 3, 50),
        row(2, "M", 27, 50),  # F sub-floor
        row(3, "ALL", 4, 100),  # total sub-floor: the site goes
        row(4, "ALL", 95, 100),  # AN - AC = 5: the other tail
        row(5, "ALL", 0, 100),  # AC = 0 stays
    ]
    assert served(write(tmp_path, rows)) == [
        (1, "ALL", 30),
        (1, "F", 15),
        (1, "M", 15),
        (2, "ALL", 30),
        (5, "ALL", 0),
    ]


def test_a_payload_that_differs_from_its_manifest_is_not_served(tmp_path):
    write(tmp_path, [row(1, "ALL", 30, 100)], checksum="0" * 64)
    with pytest.raises(VarnodeError, match="sha256 differs"):
        open_export(tmp_path)


def test_missing_manifest_and_missing_columns_are_named(tmp_path):
    with pytest.raises(VarnodeError, match=r"manifest\.json: not found"):
        open_export(tmp_path)
    narrow = pa.schema([f for f in EXPORT_SCHEMA if f.name != "AC_HEMI"])
    rows = [{k: v for k, v in row(1, "ALL", 30, 100).items() if k != "AC_HEMI"}]
    with pytest.raises(VarnodeError, match="lacks column"):
        served(write(tmp_path, rows, schema=narrow))
