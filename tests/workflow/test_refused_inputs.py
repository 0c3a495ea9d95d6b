"""Bad inputs refused before work starts (or at the first job reading them), and a
one-sample run that completes, on the shared data with the real tools.

Each refusal asserts the exit code, that the message names the file (and row, column),
and that nothing under results/ looks complete.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import snakemake

pytestmark = pytest.mark.workflow

REFERENCE = "reference/GRCh38_chr22_16570000-16610000.fa"
GFF3 = "annotation/Homo_sapiens.GRCh38.103.chr22_16570000-16610000.gff3"
DBSNP = "known_variants/dbsnp_146.hg38.vcf.gz"


def set_config(workdir: Path, section: str, key: str | None, value) -> None:
    config_file = workdir / "config" / "config.yaml"
    config = yaml.safe_load(config_file.read_text())
    if key is None:
        config[section] = value
    else:
        config[section][key] = value
    config_file.write_text(yaml.safe_dump(config, sort_keys=False))


def keep_only(workdir: Path, sample: str, rename: str | None = None) -> None:
    sheet = workdir / "config" / "samples.tsv"
    header, *rows = sheet.read_text().splitlines()
    (row,) = [row for row in rows if row.split("\t")[0] == sample]
    if rename:
        row = row.replace(sample, rename, 1)
    sheet.write_text(f"{header}\n{row}\n")


def duplicate_contig(workdir: Path, data: Path) -> str:
    fasta = workdir / "dup.fa"
    text = (data / REFERENCE).read_text()
    fasta.write_text(text + text)
    set_config(workdir, "reference", "fasta", str(fasta))
    return f"{fasta} has duplicate contig name(s) chr22"


def gzip_reference(workdir: Path, data: Path) -> str:
    fasta = workdir / "ref.fa.gz"
    fasta.write_bytes(gzip.compress((data / REFERENCE).read_bytes()))
    set_config(workdir, "reference", "fasta", str(fasta))
    return f"config reference.fasta: {fasta} is gzip-compressed but not bgzip"


def unindexed_annotation_vcf(workdir: Path, data: Path) -> str:
    vcf = workdir / "dbsnp.vcf.gz"
    shutil.copyfile(data / DBSNP, vcf)
    set_config(workdir, "annotation", "dbsnp", str(vcf))
    return f"config annotation.dbsnp: {vcf} has no index"


def truncated_gff3(workdir: Path, data: Path) -> str:
    gff3 = workdir / "genes.gff3.gz"
    compressed = gzip.compress((data / GFF3).read_bytes())
    gff3.write_bytes(compressed[: len(compressed) // 2])
    set_config(workdir, "annotation", "gff3", str(gff3))
    return f"config annotation.gff3: {gff3}: compressed stream ends early"


def gff3_without_genes(workdir: Path, data: Path) -> str:
    gff3 = workdir / "genes.gff3"
    lines = (data / GFF3).read_text().splitlines(keepends=True)
    gff3.write_text(
        "".join(line for line in lines if "\tgene\t" not in line and "gene\t" not in line)
    )
    set_config(workdir, "annotation", "gff3", str(gff3))
    return f"config annotation.gff3: {gff3}: no gene features"


def overlong_sample_name(workdir: Path, data: Path) -> str:
    keep_only(workdir, "NA12878", rename="N" * 300)
    # The config names the sheet relative to the run folder.
    return f"config/samples.tsv row 2 (sample '{'N' * 300}'), column sample: 300 characters"


REFUSALS: dict[str, Callable[[Path, Path], str]] = {
    "duplicate-contig": duplicate_contig,
    "gzip-reference": gzip_reference,
    "unindexed-vcf": unindexed_annotation_vcf,
    "truncated-gff3": truncated_gff3,
    "gff3-without-genes": gff3_without_genes,
    "overlong-sample-name": overlong_sample_name,
}


@pytest.mark.parametrize("case", REFUSALS)
def test_bad_input_is_refused_before_any_job(make_workdir, shared_data: Path, case: str) -> None:
    workdir = make_workdir(f"refused-{case}", callers=["bcftools"])
    message = REFUSALS[case](workdir, shared_data)
    result = snakemake(workdir, "--cores", "1", check=False)
    assert result.returncode == 1
    assert "varnode: invalid input, nothing was started." in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (workdir / "results").exists()


def test_truncated_fastq_fails_its_check_before_trimming(make_workdir, shared_data) -> None:
    workdir = make_workdir("truncated-fastq", callers=["bcftools"])
    keep_only(workdir, "NA12878")
    fastq = workdir / "cut_R1.fastq.gz"
    whole = (shared_data / "reads" / "NA12878_R1.fastq.gz").read_bytes()
    fastq.write_bytes(whole[: len(whole) // 2])
    sheet = workdir / "config" / "samples.tsv"
    sheet.write_text(
        sheet.read_text().replace(str(shared_data / "reads/NA12878_R1.fastq.gz"), str(fastq))
    )
    result = snakemake(workdir, "--cores", "2", check=False)
    assert result.returncode == 1
    assert f"{fastq}: gzip stream is truncated or corrupt" in result.stdout + result.stderr
    results = workdir / "results"
    assert not (results / "qc/reads/NA12878.L1.counts.json").exists()
    assert not list(results.glob("trimmed/**/*.fastq.gz"))
    assert not (results / "qc/fastp").exists()
    summary = (results / "report/run_summary.txt").read_text()
    assert "NA12878: failed" in summary
    assert "trim_reads (sample=NA12878, unit=L1); logs: logs/trim_reads/NA12878.L1.log" in summary


@pytest.fixture(scope="module")
def one_sample_run(make_workdir) -> Path:
    """NA12878 alone, bcftools only, in a sheet saved by a spreadsheet (UTF-8 byte-order
    mark, CRLF line ends); a page and an alignment of a sample that has left the sheet
    are left over from an 'earlier run'."""
    workdir = make_workdir("one-sample", callers=["bcftools"])
    keep_only(workdir, "NA12878")
    sheet = workdir / "config" / "samples.tsv"
    sheet.write_bytes(b"\xef\xbb\xbf" + sheet.read_text().replace("\n", "\r\n").encode())
    for leftover in ("results/report/sample-departed.html", "results/aligned/departed.bam"):
        (workdir / leftover).parent.mkdir(parents=True, exist_ok=True)
        (workdir / leftover).write_text("from an earlier run\n")
    snakemake(workdir, "--cores", "2")
    return workdir


def test_one_sample_run_of_a_bom_crlf_sheet_completes_with_every_output(
    one_sample_run: Path,
) -> None:
    summary = snakemake(one_sample_run, "--summary", "--cores", "1").stdout.splitlines()
    header, *rows = [line.split("\t") for line in summary if "\t" in line]
    status = {row[0]: (row[header.index("status")], row[header.index("plan")]) for row in rows}
    assert status, "no outputs listed"
    unfinished = {path: s for path, s in status.items() if s[0] not in ("ok", "removed temp file")}
    assert not unfinished
    report = one_sample_run / "results" / "report"
    for page in ("index.html", "cohort.html", "sample-NA12878.html", "multiqc/multiqc_report.html"):
        assert (report / page).stat().st_size > 0
    assert "NA12878: finished" in (report / "run_summary.txt").read_text()


def test_one_sample_relatedness_is_skipped_with_its_reason(one_sample_run: Path) -> None:
    reason = "relatedness needs at least 2 samples, found 1"
    table = (one_sample_run / "results/cohort/relatedness.tsv").read_text().splitlines()
    assert table[0].startswith(f"## skipped: {reason}") and len(table) == 2
    cohort = (one_sample_run / "results/report/cohort.html").read_text()
    assert f"Skipped: {reason}" in cohort
    assert "Outlier test (flags outlier_*): skipped: 1 samples" in cohort


def test_outputs_of_a_sample_no_longer_in_the_sheet_are_not_shown_as_current(
    one_sample_run: Path,
) -> None:
    report = one_sample_run / "results" / "report"
    assert not (report / "sample-departed.html").exists()
    assert (report / "stale" / "sample-departed.html").is_file()
    assert "results/aligned/departed.bam" in (report / "index.html").read_text()
    assert "STALE: departed is not in the sample sheet" in (report / "run_summary.txt").read_text()


def test_fastp_exiting_0_on_a_cut_pair_is_caught_by_its_log(tmp_path: Path, shared_data) -> None:
    """fastp 0.23 reads a cut R1 with an intact R2, logs 'WARNNIG: different read
    numbers' and exits 0; trim_reads' check-fastp fails on it."""
    reads = shared_data / "reads"
    counts = tmp_path / "counts.json"
    checked = run_varnode(
        "check-reads", reads / "NA12878_R1.fastq.gz", reads / "NA12878_R2.fastq.gz", "-o", counts
    )
    assert checked.returncode == 0
    cut = tmp_path / "cut_R1.fastq.gz"
    whole = (reads / "NA12878_R1.fastq.gz").read_bytes()
    cut.write_bytes(whole[: len(whole) // 2])
    outputs = {name: tmp_path / name for name in ("o1.fq.gz", "o2.fq.gz", "f.json", "f.html")}
    log = tmp_path / "fastp.log"
    with log.open("w") as stderr:
        fastp = subprocess.run(
            [
                "fastp",
                "-i",
                cut,
                "-I",
                reads / "NA12878_R2.fastq.gz",
                "-o",
                outputs["o1.fq.gz"],
                "-O",
                outputs["o2.fq.gz"],
                "-j",
                outputs["f.json"],
                "-h",
                outputs["f.html"],
            ],
            stderr=stderr,
        )
    assert fastp.returncode == 0  # the tool's own verdict
    result = run_varnode(
        "check-fastp", "--json", outputs["f.json"], "--log", log, "--counts", counts
    )
    assert result.returncode == 2
    assert f"{log} line" in result.stderr and "different read numbers" in result.stderr


def run_varnode(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "varnode", *map(str, args)], capture_output=True, text=True
    )
