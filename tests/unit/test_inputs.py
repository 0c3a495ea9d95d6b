"""Config and sample-sheet checks: each bad input is named by file, row and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from varnode.errors import VarnodeError
from varnode.inputs.check import check_config
from varnode.inputs.sheet import SampleSheet, Unit, load_sample_sheet, names_pattern

HEADER = "sample\tunit\tplatform\tfq1\tfq2\tsex\thpo\n"


@pytest.fixture
def fastqs(tmp_path: Path) -> Path:
    for name in ("a_R1.fq.gz", "a_R2.fq.gz", "b_R1.fq.gz", "b_R2.fq.gz"):
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def write_sheet(folder: Path, *rows: str) -> Path:
    sheet = folder / "samples.tsv"
    sheet.write_text(HEADER + "".join(row + "\n" for row in rows))
    return sheet


def problem_lines(error: pytest.ExceptionInfo[VarnodeError]) -> list[str]:
    return [line for line in str(error.value).splitlines() if line.startswith("  - ")]


def test_valid_sheet_relative_paths_resolve_against_sheet_folder(fastqs: Path) -> None:
    sheet = load_sample_sheet(
        write_sheet(
            fastqs,
            "A\tL1\tillumina\ta_R1.fq.gz\ta_R2.fq.gz\tfemale\tHP:0003198;HP:0001252",
            "A\tL2\tILLUMINA\tb_R1.fq.gz\tb_R2.fq.gz\tfemale\tHP:0003198;HP:0001252",
        )
    )
    assert sheet.samples == ["A"]
    assert [unit.unit for unit in sheet.units_of("A")] == ["L1", "L2"]
    assert sheet.unit("A", "L1").fq1 == (fastqs / "a_R1.fq.gz").resolve()
    assert sheet.unit("A", "L1").platform == "ILLUMINA"
    assert sheet.unit("A", "L2").hpo == ("HP:0003198", "HP:0001252")
    assert "ID:A.L2" in sheet.unit("A", "L2").read_group
    assert "SM:A" in sheet.unit("A", "L2").read_group


def test_missing_fastq_names_row_and_column(fastqs: Path) -> None:
    sheet = write_sheet(fastqs, "A\tL1\tILLUMINA\ta_R1.fq.gz\tmissing_R2.fq.gz\t\t")
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    (line,) = problem_lines(error)
    assert "row 2" in line and "column fq2" in line and "file not found" in line
    assert "missing_R2.fq.gz" in line


def test_duplicate_sample_unit_names_both_rows(fastqs: Path) -> None:
    sheet = write_sheet(
        fastqs,
        "A\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\t\t",
        "A\tL1\tILLUMINA\tb_R1.fq.gz\tb_R2.fq.gz\t\t",
    )
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    (line,) = problem_lines(error)
    assert "row 3" in line and "duplicate" in line and "first seen on row 2" in line


@pytest.mark.parametrize("name", ["bad name", "a/b", "x;rm", "é"])
def test_unsafe_sample_name_is_rejected(fastqs: Path, name: str) -> None:
    sheet = write_sheet(fastqs, f"{name}\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\t\t")
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    (line,) = problem_lines(error)
    assert "row 2" in line and "column sample" in line and "not a safe name" in line


def test_r1_without_r2(fastqs: Path) -> None:
    sheet = write_sheet(fastqs, "A\tL1\tILLUMINA\ta_R1.fq.gz\t\t\t")
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    (line,) = problem_lines(error)
    assert "row 2" in line and "column fq2" in line and "mate is missing" in line


def test_every_problem_is_reported_at_once(fastqs: Path) -> None:
    sheet = write_sheet(
        fastqs,
        "A\tL1\tPACBIO\ta_R1.fq.gz\ta_R2.fq.gz\tmaybe\tHP:12",
        "B B\tL1\tILLUMINA\tb_R1.fq.gz\tb_R2.fq.gz\t\t",
    )
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    lines = problem_lines(error)
    assert len(lines) == 4
    assert any("column platform" in line for line in lines)
    assert any("column sex" in line for line in lines)
    assert any("column hpo" in line and "'HP:12'" in line for line in lines)
    assert any("row 3" in line and "column sample" in line for line in lines)


def test_units_of_one_sample_must_agree_on_sex(fastqs: Path) -> None:
    sheet = write_sheet(
        fastqs,
        "A\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\tfemale\t",
        "A\tL2\tILLUMINA\tb_R1.fq.gz\tb_R2.fq.gz\tmale\t",
    )
    with pytest.raises(VarnodeError, match="sample 'A', column sex: units disagree"):
        load_sample_sheet(sheet)


def test_missing_required_column(tmp_path: Path) -> None:
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tfq1\tfq2\nA\tx\ty\n")
    with pytest.raises(VarnodeError, match=r"lacks column.*unit, platform"):
        load_sample_sheet(sheet)


# --- config ---------------------------------------------------------------


@pytest.fixture
def reference(tmp_path: Path) -> Path:
    fasta = tmp_path / "ref.fa"
    fasta.write_text(">chrA\nACGTACGTAC\n>chrB\nGGGGCCCC\n")
    return fasta


def make_config(tmp_path: Path, reference: Path, fastqs: Path, **overrides) -> dict:
    sheet = write_sheet(fastqs, "A\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\t\t")
    config = {"samples": str(sheet), "reference": {"fasta": str(reference)}}
    config.update(overrides)
    return config


def test_defaults_are_filled_in_and_reference_without_index_is_accepted(
    tmp_path: Path, reference: Path, fastqs: Path
) -> None:
    config = make_config(tmp_path, reference, fastqs)
    sheet = check_config(config)
    assert not Path(f"{reference}.fai").exists()  # built by the workflow, not demanded
    assert sheet.samples == ["A"]
    assert config["callers"] == ["bcftools"]
    assert config["calling"]["scatter"] == 5 and config["cohort"]["scatter"] == 50
    assert config["params"]["bwa_mem"] == "-M"


def test_jobs_skip_reading_resources_but_still_read_the_sheet(
    tmp_path: Path, reference: Path, fastqs: Path
) -> None:
    config = make_config(tmp_path, reference, fastqs)
    reference.write_text(">chrA\nACGT\n>chrA\nACGT\n")  # a duplicate name: refused at start
    with pytest.raises(VarnodeError, match="chrA"):
        check_config(dict(config))
    assert check_config(dict(config), read_files=False).samples == ["A"]
    config["samples"] = str(tmp_path / "missing.tsv")
    with pytest.raises(VarnodeError, match=r"missing\.tsv"):
        check_config(config, read_files=False)


def test_unknown_caller_names_the_key(tmp_path: Path, reference: Path, fastqs: Path) -> None:
    config = make_config(tmp_path, reference, fastqs, callers=["bcftools", "gatk4"])
    with pytest.raises(VarnodeError, match=r"callers\[1\]: 'gatk4' is not one of"):
        check_config(config)


def test_unknown_config_key_is_rejected(tmp_path: Path, reference: Path, fastqs: Path) -> None:
    config = make_config(tmp_path, reference, fastqs, calers=["bcftools"])
    with pytest.raises(VarnodeError, match="calers"):
        check_config(config)


def test_filters_file_is_checked_with_the_config(
    tmp_path: Path, reference: Path, fastqs: Path
) -> None:
    filters = tmp_path / "filters.yaml"
    filters.write_text(
        "site:\n  - {name: LowQual, description: d, field: QUAL, fail_if: '<<', value: 30}\n"
        "  - {name: OffTarget, description: d, outside_bed: absent.bed}\n"
    )
    config = make_config(tmp_path, reference, fastqs, filters=str(filters))
    with pytest.raises(VarnodeError) as error:
        check_config(config)
    (line,) = problem_lines(error)
    assert line.startswith("  - config filters: ") and f"{filters}: site/0" in line
    filters.write_text("site:\n  - {name: OffTarget, description: d, outside_bed: absent.bed}\n")
    with pytest.raises(VarnodeError, match=r"OffTarget: BED file .*absent\.bed does not exist"):
        check_config(config)


def test_missing_reference(tmp_path: Path, fastqs: Path) -> None:
    config = make_config(tmp_path, tmp_path / "absent.fa", fastqs)
    with pytest.raises(VarnodeError, match=r"reference\.fasta: file not found"):
        check_config(config)


def test_bed_contig_missing_from_reference(tmp_path: Path, reference: Path, fastqs: Path) -> None:
    bed = tmp_path / "targets.bed"
    bed.write_text("chrA\t0\t5\nchr1\t10\t20\n")
    config = make_config(tmp_path, reference, fastqs)
    config["reference"]["regions"] = str(bed)
    with pytest.raises(VarnodeError) as error:
        check_config(config)
    (line,) = problem_lines(error)
    assert "reference.regions" in line and "the reference lacks: chr1 (" in line


def test_truth_vcf_contig_missing_from_reference(
    tmp_path: Path, fastqs: Path, shared_data: Path
) -> None:
    # A reference whose only contig is named differently from the dbSNP slice's chr22.
    reference = tmp_path / "ref.fa"
    reference.write_text(">22\nACGT\n")
    dbsnp = shared_data / "known_variants" / "dbsnp_146.hg38.vcf.gz"
    config = make_config(tmp_path, reference, fastqs, accuracy={"truth": str(dbsnp)})
    with pytest.raises(VarnodeError) as error:
        check_config(config)
    (line,) = problem_lines(error)
    assert "accuracy.truth" in line and "chr22" in line


def test_vcfs_matching_reference_pass(tmp_path: Path, fastqs: Path, shared_data: Path) -> None:
    reference = shared_data / "reference" / "GRCh38_chr22_16570000-16610000.fa"
    for vcf in sorted((shared_data / "known_variants").glob("*.vcf.gz")):
        config = make_config(tmp_path, reference, fastqs, accuracy={"truth": str(vcf)})
        assert check_config(config).samples == ["A"]


def test_bom_and_crlf_from_a_spreadsheet_export_are_accepted(fastqs: Path) -> None:
    sheet = fastqs / "samples.tsv"
    text = HEADER + "A\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\tfemale\t\n"
    sheet.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    loaded = load_sample_sheet(sheet)
    assert loaded.samples == ["A"]
    assert loaded.unit("A", "L1").sex == "female"


def test_overlong_sample_name_is_refused_naming_row_and_column(fastqs: Path) -> None:
    name = "S" * 300
    sheet = write_sheet(fastqs, f"{name}\tL1\tILLUMINA\ta_R1.fq.gz\ta_R2.fq.gz\t\t")
    with pytest.raises(VarnodeError) as error:
        load_sample_sheet(sheet)
    (line,) = problem_lines(error)
    assert str(sheet) in line and "row 2" in line and "column sample" in line
    assert "300 characters, at most 64" in line


def test_every_config_schema_error_and_sheet_problem_is_reported_at_once(
    tmp_path: Path, reference: Path, fastqs: Path
) -> None:
    config = make_config(tmp_path, reference, fastqs, callers=["gatk4"], calers=["x"])
    config["calling"] = {"scatter": 0}
    with pytest.raises(VarnodeError) as error:
        check_config(config)
    lines = problem_lines(error)
    assert len(lines) == 3
    assert any("callers[0]: 'gatk4'" in line for line in lines)
    assert any("calling.scatter: 0 is less than the minimum" in line for line in lines)
    assert any("'calers' was unexpected" in line for line in lines)

    config = make_config(tmp_path, reference, fastqs)
    config["accuracy"] = {"truth": str(tmp_path / "absent.vcf.gz")}
    write_sheet(fastqs, "A\tL1\tPACBIO\ta_R1.fq.gz\ta_R2.fq.gz\t\t")
    with pytest.raises(VarnodeError) as error:
        check_config(config)
    lines = problem_lines(error)
    assert len(lines) == 2
    assert "accuracy.truth: file not found" in lines[0]
    assert "row 2" in lines[1] and "column platform" in lines[1]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read (No such file or directory)"),
        ("callers: [bcftools\n", "line 2, column 1: not valid YAML"),
        ("- a list\n", "expected a mapping of keys"),
    ],
)
def test_check_inputs_on_a_missing_or_malformed_config_errors_without_traceback(
    tmp_path: Path, content: str | None, message: str
) -> None:
    config = tmp_path / "config.yaml"
    if content is not None:
        config.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "varnode", "check-inputs", "--config", str(config)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert f"varnode check-inputs: error: config {config}" in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_names_pattern_matches_exactly_the_names() -> None:
    import re

    names = ["NA12878", "NA1287", "NA12878.b", "S-1", "S_1", "x"]
    pattern = re.compile(names_pattern(names))
    assert all(pattern.fullmatch(name) for name in names)
    for other in ["NA128", "NA12878.", "S", "S.1", "xx", "", "NA12878.bc"]:
        assert not pattern.fullmatch(other), other
    assert not re.fullmatch(names_pattern([]), "")
    # As a wildcard constraint: `{sample}.{caller}` splits where a listed name ends.
    split = re.fullmatch(
        f"(?P<sample>{pattern.pattern})\\.(?P<caller>bcftools)", "NA12878.b.bcftools"
    )
    assert split["sample"] == "NA12878.b"


def test_sheet_lookups_follow_units_added_after_a_lookup(tmp_path: Path) -> None:
    def unit(sample: str, name: str) -> Unit:
        return Unit(sample, name, "ILLUMINA", tmp_path / "1.fq", tmp_path / "2.fq")

    sheet = SampleSheet(tmp_path / "sheet.tsv", [unit("B", "L1"), unit("A", "L1")])
    assert sheet.samples == ["B", "A"]
    sheet.units.append(unit("B", "L2"))
    assert sheet.samples == ["B", "A"]
    assert [u.unit for u in sheet.units_of("B")] == ["L1", "L2"]
    assert sheet.unit("B", "L2") == unit("B", "L2")
