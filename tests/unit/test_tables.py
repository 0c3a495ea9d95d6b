"""Every documented table (varnode.common.tables) round-trips through its TSV with the
documented types; the writers use the schemas; docs/outputs.md holds their reference."""

from pathlib import Path

import pandas as pd
import pytest

from varnode.annotate.combine import combine
from varnode.cohort.relatedness import relatedness_table
from varnode.cohort.sample_qc import qc_table
from varnode.common.tables import (
    DECIMAL,
    DOCUMENTED,
    INTEGER,
    MEMBERS,
    RELATEDNESS,
    SAMPLE_QC,
    TEXT,
    VARIANTS,
    VARIANTS_PARQUET,
    reference,
)
from varnode.errors import VarnodeError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "outputs.md"
EXAMPLES = {TEXT: ["a b;c", "PASS"], INTEGER: [0, 1234567], DECIMAL: [0.25, 0.0625]}


def example_rows(schema) -> list[dict]:
    """Two rows of values of each column's type, and a third with every value missing."""
    rows = [{c.name: EXAMPLES[c.dtype][i] for c in schema.columns} for i in range(2)]
    return [*rows, {c.name: None for c in schema.columns}]


@pytest.mark.parametrize("schema", [s for s in DOCUMENTED if s is not VARIANTS_PARQUET])
def test_every_documented_table_round_trips_with_its_types(schema, tmp_path):
    path = tmp_path / "table.tsv"
    schema.write(example_rows(schema), path)
    table = schema.read(path)
    assert {name: str(dtype) for name, dtype in table.dtypes.items()} == schema.dtypes
    assert table.iloc[:2].to_dict("records") == example_rows(schema)[:2]
    assert table.iloc[2].isna().all()
    # Missing values are empty fields, never NA or null.
    last = path.read_text().splitlines()[-1]
    assert last == "\t" * (len(schema.columns) - 1)


def test_all_missing_text_columns_stay_text(tmp_path):
    rows = [{"sample": "S1", "pos": 5, "population_af": None, "clinvar_significance": None}]
    VARIANTS.write(rows, tmp_path / "v.tsv")
    table = VARIANTS.read(tmp_path / "v.tsv")
    assert str(table["clinvar_significance"].dtype) == "string"
    assert str(table["population_af"].dtype) == "Float64"


def test_a_header_that_is_not_the_schemas_is_an_error(tmp_path):
    path = tmp_path / "old.tsv"
    path.write_text("sample\tchrom\nS1\tchr1\n")
    with pytest.raises(VarnodeError, match=r"old\.tsv"):
        VARIANTS.read(path)


def test_members_have_no_header_for_bcftools(tmp_path):
    MEMBERS.write([{"sample": "S1", "sex": "F"}, {"sample": "S2", "sex": "U"}], tmp_path / "m")
    assert (tmp_path / "m").read_text() == "S1\tF\nS2\tU\n"
    assert MEMBERS.read(tmp_path / "m")["sex"].tolist() == ["F", "U"]


def test_sample_qc_writer_uses_the_schema(tmp_path):
    row = {c.name: None for c in SAMPLE_QC.columns} | {
        "sample": "S1",
        "call_rate": 0.98765,
        "n_snv": 12,
        "flags": [],
    }
    (tmp_path / "qc.tsv").write_text(qc_table({"samples": [row]}))
    table = SAMPLE_QC.read(tmp_path / "qc.tsv")
    assert table.loc[0, "call_rate"] == 0.9877 and table.loc[0, "n_snv"] == 12
    assert table.loc[0, "flags"] == "PASS" and pd.isna(table.loc[0, "ti_tv"])


def test_skipped_relatedness_reads_as_an_empty_table(tmp_path):
    (tmp_path / "r.tsv").write_text(relatedness_table([], skipped="fewer than 2 samples"))
    table = RELATEDNESS.read(tmp_path / "r.tsv")
    assert table.empty and list(table.columns) == RELATEDNESS.names


def test_all_samples_parquet_loads_with_the_documented_types(tmp_path):
    tables = []
    for sample in ("S1", "S2"):
        rows = [{**row, "sample": sample, "caller": "bcftools"} for row in example_rows(VARIANTS)]
        VARIANTS.write(rows, tmp_path / f"{sample}.tsv")
        tables.append(tmp_path / f"{sample}.tsv")
    assert combine(tables, tmp_path / "variants.parquet") == 6
    loaded = pd.read_parquet(tmp_path / "variants.parquet", dtype_backend="numpy_nullable")
    assert list(loaded.columns) == VARIANTS_PARQUET.names
    assert loaded["sample"].tolist() == ["S1"] * 3 + ["S2"] * 3
    assert str(loaded["pos"].dtype) == "Int64" and str(loaded["vaf"].dtype) == "Float64"
    assert loaded["clinvar_disease"].isna().sum() == 2


def test_docs_hold_the_column_reference_of_every_table():
    assert reference() in DOCS.read_text(), (
        "docs/outputs.md is out of date: paste `python -m varnode.common.tables` into it"
    )
