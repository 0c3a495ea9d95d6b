"""Phenopacket v2 input: parsed by the phenopackets schema, checked at start-up in the sheet."""

from __future__ import annotations

import json

import pytest

from varnode.errors import VarnodeError
from varnode.inputs.sheet import load_sample_sheet
from varnode.phenotype.phenopacket import read_phenopacket


def packet(subject: str = "P1", sex: str = "FEMALE", **extra) -> dict:
    return {
        "id": f"{subject}-packet",
        "subject": {"id": subject, "sex": sex},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0003198", "label": "Myopathy"}},
            {"type": {"id": "HP:0001250", "label": "Seizure"}, "excluded": True},
        ],
        "diseases": [{"term": {"id": "MONDO:0100096", "label": "COVID-19"}}],
        "medicalActions": [{"treatment": {"agent": {"id": "NCIT:C64768", "label": "Vemurafenib"}}}],
        "measurements": [
            {
                "assay": {"id": "NCIT:C17872", "label": "BRAF gene"},
                "value": {"ontologyClass": {"id": "NCIT:C98273", "label": "BRAF V600E"}},
            },
            {
                "assay": {"id": "LOINC:26515-7", "label": "Platelets"},
                "value": {
                    "quantity": {"unit": {"id": "UCUM:10*9/L", "label": "10^9/L"}, "value": 250}
                },
            },
        ],
        "metaData": {"created": "2026-01-01T00:00:00Z", "phenopacketSchemaVersion": "2.0"},
        **extra,
    }


def write(path, data) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def test_a_phenopacket_yields_the_clinical_record(tmp_path):
    record = read_phenopacket(write(tmp_path / "p1.json", packet()))
    assert record.subject == "P1" and record.sex == "female"
    assert [t.id for t in record.phenotypes] == ["HP:0003198"]
    assert [t.id for t in record.excluded_phenotypes] == ["HP:0001250"]
    assert [t.id for t in record.diseases] == ["MONDO:0100096"]
    assert [t.label for t in record.treatments] == ["Vemurafenib"]
    biomarker, platelets = record.measurements
    assert biomarker.value.label == "BRAF V600E"
    assert (platelets.quantity, platelets.unit.id) == (250, "UCUM:10*9/L")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unknownField": 1}, "not a Phenopacket v2"),
        ({"subject": {"id": "P1", "sex": "YES"}}, "not a Phenopacket v2"),
        ({"phenotypicFeatures": [{"type": {"id": "HPO:1"}}]}, r"phenotypicFeatures\[0\].type"),
        ({"metaData": {"phenopacketSchemaVersion": "1.0"}}, "phenopacketSchemaVersion"),
        ({"diseases": [{"term": {"id": "COVID"}}]}, r"diseases\[0\].term"),
    ],
)
def test_bad_phenopackets_are_refused_naming_the_field(tmp_path, change, message):
    with pytest.raises(VarnodeError, match=message):
        read_phenopacket(write(tmp_path / "bad.json", {**packet(), **change}))


def sheet(tmp_path, rows: list[tuple[str, str, str]]) -> str:
    (tmp_path / "r1.fq.gz").write_bytes(b"")
    (tmp_path / "r2.fq.gz").write_bytes(b"")
    lines = ["sample\tunit\tplatform\tfq1\tfq2\tsex\tphenopacket"]
    lines += [f"{s}\tL1\tILLUMINA\tr1.fq.gz\tr2.fq.gz\t{sex}\t{p}" for s, sex, p in rows]
    (tmp_path / "samples.tsv").write_text("\n".join(lines) + "\n")
    return str(tmp_path / "samples.tsv")


def test_the_sheet_takes_an_optional_phenopacket_column(tmp_path):
    write(tmp_path / "p1.json", packet())
    parsed = load_sample_sheet(sheet(tmp_path, [("P1", "female", "p1.json"), ("P2", "", "")]))
    assert parsed.units[0].phenopacket == (tmp_path / "p1.json").resolve()
    assert parsed.units[0].hpo == ("HP:0003198",)  # observed terms join the hpo column
    assert parsed.units[1].phenopacket is None


def test_the_sheet_names_row_and_column_of_phenopacket_problems(tmp_path):
    write(tmp_path / "p1.json", packet())
    write(tmp_path / "other.json", packet(subject="P9"))
    rows = [("P1", "male", "p1.json"), ("P2", "", "other.json"), ("P3", "", "missing.json")]
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet(tmp_path, rows))
    text = str(error.value)
    assert "row 2 (sample 'P1'), column phenopacket" in text and "subject.sex female" in text
    assert "row 3 (sample 'P2'), column phenopacket" in text and "'P9' is not the sample" in text
    assert "row 4 (sample 'P3'), column phenopacket" in text and "file not found" in text
