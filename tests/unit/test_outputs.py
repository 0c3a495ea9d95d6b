"""varnode publish: an output reaches its final name only after its format's check."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest

from varnode.cli import main
from varnode.common.publish import OutputError, partial_path, publish

HEADER = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=1000>\n"
COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
SAM = "@SQ\tSN:chr1\tLN:1000\n" + "".join(
    f"r{n}\t0\tchr1\t{10 + n}\t60\t4M\t*\t0\t0\tACGT\tIIII\n" for n in range(50)
)


def write_vcf(final: Path, records: int = 200) -> Path:
    """A bgzipped, indexed VCF at `final`'s partial name."""
    body = "".join(f"chr1\t{pos}\t.\tA\tC\t50\tPASS\t.\n" for pos in range(1, records + 1))
    text = HEADER + COLUMNS + body
    partial = partial_path(final)
    subprocess.run(["bgzip", "-c"], input=text.encode(), stdout=partial.open("wb"), check=True)
    subprocess.run(["tabix", "-f", "-p", "vcf", str(partial)], check=True)
    return partial


def write_bam(final: Path) -> Path:
    partial = partial_path(final)
    sam = final.with_name("reads.sam")
    sam.write_text(SAM)
    subprocess.run(["samtools", "view", "-b", "-o", str(partial), str(sam)], check=True)
    return partial


def test_partial_name_keeps_folder_and_suffixes() -> None:
    assert partial_path("results/calls/a.vcf.gz") == Path("results/calls/.partial.a.vcf.gz")


@pytest.mark.tools
def test_valid_vcf_and_index_are_renamed_into_place_data_first(tmp_path: Path) -> None:
    vcf, tbi = tmp_path / "a.vcf.gz", tmp_path / "a.vcf.gz.tbi"
    write_vcf(vcf)
    lines = publish([tbi, vcf])  # argument order does not matter
    assert vcf.is_file() and tbi.is_file()
    assert not list(tmp_path.glob(".partial.*"))
    assert any("index of 200 records" in line for line in lines)
    assert tbi.stat().st_mtime_ns >= vcf.stat().st_mtime_ns


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:-28], id="no-bgzf-eof"),  # cut at a block boundary
        pytest.param(lambda data: data[: len(data) // 2], id="cut-mid-block"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(
            lambda data: data[:40] + bytes(len(data) - 68) + data[-28:], id="zeroed-blocks"
        ),
    ],
)
@pytest.mark.tools
def test_damaged_vcf_is_refused_and_nothing_is_left(tmp_path: Path, damage) -> None:
    final = tmp_path / "a.vcf.gz"
    partial = write_vcf(final)
    Path(f"{partial}.tbi").unlink()
    partial.write_bytes(damage(partial.read_bytes()))
    with pytest.raises(OutputError, match=r"\.partial\.a\.vcf\.gz"):
        publish([final])
    assert not final.exists() and not partial.exists()


@pytest.mark.tools
def test_bam_is_read_to_the_end(tmp_path: Path) -> None:
    final = tmp_path / "a.bam"
    write_bam(final)
    assert publish([final]) == [f"{final}: 50 reads"]
    subprocess.run(["samtools", "index", str(final), str(partial_path(f"{final}.bai"))], check=True)
    assert "index" in publish([Path(f"{final}.bai")])[0]  # data already in place

    truncated = tmp_path / "b.bam"
    data = final.read_bytes()
    partial_path(truncated).write_bytes(data[:-28])
    with pytest.raises(OutputError, match="quickcheck"):
        publish([truncated])
    assert not truncated.exists()


def test_cut_gzip_fastq_is_refused(tmp_path: Path) -> None:
    final = tmp_path / "r1.fastq.gz"
    data = gzip.compress(b"@r1\nACGT\n+\nIIII\n" * 1000)
    partial_path(final).write_bytes(data[: len(data) // 2])
    with pytest.raises(OutputError, match="gzip --test"):
        publish([final])
    partial_path(final).write_bytes(data)
    publish([final])
    assert final.is_file()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("fastp.txt", "", "empty"),
        ("tool.txt", "\0\0\0\0", "NUL bytes"),
        ("run.json", '{"a": [1, 2', "not valid JSON"),
        ("table.tsv", "a\tb\n1\t2\n3\n", "row 3 has 1 fields"),
        ("page.html", "<html><body><p>cut here", "ends before </html>"),
        ("genome.fa.fai", "chr1 1000\n", "not a .fai line"),
    ],
)
def test_text_outputs_must_parse(tmp_path: Path, name: str, content: str, problem: str) -> None:
    final = tmp_path / name
    partial_path(final).write_text(content)
    with pytest.raises(OutputError, match=problem):
        publish([final])
    assert not final.exists()


def test_all_outputs_of_a_job_or_none(tmp_path: Path) -> None:
    good, bad = tmp_path / "stats.json", tmp_path / "stats.tsv"
    partial_path(good).write_text(json.dumps({"ok": 1}))
    partial_path(bad).write_text("")
    with pytest.raises(OutputError):
        publish([good, bad])
    assert not good.exists() and not bad.exists()


@pytest.mark.tools
def test_htslib_errors_in_the_log_fail_the_job(tmp_path: Path) -> None:
    final = tmp_path / "a.vcf.gz"
    write_vcf(final)
    log = tmp_path / "job.log"
    log.write_text("[E::bgzf_read_block] Failed to read BGZF block data at offset 1234\n")
    with pytest.raises(OutputError, match="htslib reported errors"):
        publish([final], log=log)
    assert not final.exists()
    log.write_text("[W::vcf_parse] harmless warning\n")
    write_vcf(final)
    publish([final], log=log)
    assert final.is_file()


def test_staging_folder_publishes_companions_and_replaces_old_folders(tmp_path: Path) -> None:
    out = tmp_path / "multiqc"
    (out / "multiqc_data").mkdir(parents=True)
    (out / "multiqc_data" / "old.txt").write_text("old")
    staging = out / ".partial"
    (staging / "multiqc_data").mkdir(parents=True)
    (staging / "multiqc_data" / "new.txt").write_text("new")
    (staging / "report.html").write_text("<html></html>\n")
    publish([out / "report.html"], staging=staging)
    assert (out / "report.html").is_file() and not staging.exists()
    assert [p.name for p in (out / "multiqc_data").iterdir()] == ["new.txt"]


def test_cli_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    final = tmp_path / "versions.txt"
    partial_path(final).write_text("")
    assert main(["publish", str(final)]) == 2
    assert f"{partial_path(final)}: empty" in capsys.readouterr().err
    partial_path(final).write_text("tool 1.0\n")
    assert main(["publish", str(final)]) == 0
    assert final.read_text() == "tool 1.0\n"
    assert oct(os.stat(final).st_mode)  # a plain file, in place
