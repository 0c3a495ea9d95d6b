"""FASTQ pairs read to their end before trimming, and fastp's silent failures made loud.

Each broken input is refused naming the file and the first bad record (or the log line),
with exit 2 and no counts file left behind: trim_reads, which needs that file, never runs.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from varnode.cli import main
from varnode.errors import VarnodeError
from varnode.reads.check import check_fastq, check_pair, read_name
from varnode.reads.fastp import check_fastp


def records(n: int, mate: int = 1) -> str:
    """n records of 50 bases."""
    return "".join(f"@read{i}/{mate} extra\n{'ACGT' * 12}AC\n+\n{'I' * 50}\n" for i in range(n))


def write_gz(path: Path, text: str) -> Path:
    path.write_bytes(gzip.compress(text.encode()))
    return path


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    return (
        write_gz(tmp_path / "u_R1.fastq.gz", records(3000, 1)),
        write_gz(tmp_path / "u_R2.fastq.gz", records(3000, 2)),
    )


def run_check(r1: Path, r2: Path, output: Path, capsys) -> tuple[int, str]:
    code = main(["check-reads", str(r1), str(r2), "-o", str(output)])
    return code, capsys.readouterr().err


def test_good_pair_is_counted(pair, tmp_path: Path, capsys) -> None:
    output = tmp_path / "counts.json"
    code, _ = run_check(*pair, output, capsys)
    counts = json.loads(output.read_text())
    assert code == 0 and counts["pairs"] == 3000
    assert counts["r1"]["bases"] == 3000 * 50
    assert counts["r1"]["first_name"] == counts["r2"]["first_name"] == "read0"


def test_plain_fastq_without_final_newline_is_read(tmp_path: Path) -> None:
    fastq = tmp_path / "plain.fastq"
    fastq.write_text(records(5).rstrip("\n"))
    assert check_fastq(fastq).records == 5


def test_truncated_gzip_is_refused_and_leaves_no_counts(pair, tmp_path: Path, capsys) -> None:
    r1, r2 = pair
    data = r1.read_bytes()
    r1.write_bytes(data[: len(data) // 2])
    output = tmp_path / "counts.json"
    code, error = run_check(r1, r2, output, capsys)
    assert code == 2
    assert f"{r1}: gzip stream is truncated or corrupt" in error
    assert not output.exists() and not list(tmp_path.glob(".counts.json*"))


def test_empty_gzip_has_no_reads(tmp_path: Path) -> None:
    with pytest.raises(VarnodeError, match=r"empty\.fastq\.gz: no reads"):
        check_fastq(write_gz(tmp_path / "empty.fastq.gz", ""))


def test_record_cut_at_a_line_boundary_is_refused(tmp_path: Path) -> None:
    text = records(10)
    fastq = write_gz(tmp_path / "cut.fastq.gz", "".join(text.splitlines(keepends=True)[:-2]))
    with pytest.raises(VarnodeError, match=r"ends inside record 10 \(2 of its 4 lines\)"):
        check_fastq(fastq)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda lines: lines.__setitem__(4 * 1500, "read1500\n"), "header does not start"),
        (lambda lines: lines.__setitem__(4 * 1500 + 2, "-\n"), "third line does not start"),
        (lambda lines: lines.__setitem__(4 * 1500 + 3, "III\n"), "50 bases but quality 3"),
    ],
)
def test_garbage_record_names_file_record_and_line(tmp_path: Path, damage, message) -> None:
    lines = records(3000).splitlines(keepends=True)
    damage(lines)
    fastq = write_gz(tmp_path / "bad.fastq.gz", "".join(lines))
    with pytest.raises(VarnodeError) as error:
        check_fastq(fastq)
    assert f"{fastq}: record 1501 (line 6001): " in str(error.value)
    assert message in str(error.value)


def test_mates_with_different_read_counts_are_refused(tmp_path: Path) -> None:
    r1 = write_gz(tmp_path / "u_R1.fastq.gz", records(3000, 1))
    r2 = write_gz(tmp_path / "u_R2.fastq.gz", records(2999, 2))
    with pytest.raises(VarnodeError, match=r"has 3000 reads but its mate file .* has 2999"):
        check_pair(r1, r2)


def test_files_of_different_runs_are_not_mates(tmp_path: Path) -> None:
    r1 = write_gz(tmp_path / "u_R1.fastq.gz", records(10, 1))
    r2 = write_gz(tmp_path / "u_R2.fastq.gz", records(10, 2).replace("@read", "@other"))
    with pytest.raises(VarnodeError, match="first reads are not mates"):
        check_pair(r1, r2)


def test_read_name_drops_mate_suffix_and_comment() -> None:
    assert read_name(b"@A00217:76:1:1104 1:N:0:ACGT") == "A00217:76:1:1104"
    assert read_name(b"@frag7/2") == "frag7"


def fastp_outputs(tmp_path: Path, reads: int, log: str) -> tuple[Path, Path, Path]:
    report = tmp_path / "fastp.json"
    report.write_text(json.dumps({"summary": {"before_filtering": {"total_reads": reads}}}))
    (tmp_path / "fastp.log").write_text(log)
    counts = tmp_path / "counts.json"
    counts.write_text(json.dumps({"pairs": 100, "r1": {"path": "a"}, "r2": {"path": "b"}}))
    return report, tmp_path / "fastp.log", counts


def test_fastp_that_read_everything_passes(tmp_path: Path) -> None:
    assert check_fastp(*fastp_outputs(tmp_path, 200, "Read1 before filtering:\n")) == 200


def test_fastp_warning_about_mismatched_pairs_is_fatal(tmp_path: Path) -> None:
    log = "Detecting adapter\nWARNNIG: different read numbers of the 0 pack\n"
    with pytest.raises(VarnodeError, match=r"fastp\.log line 2: WARNNIG: different read"):
        check_fastp(*fastp_outputs(tmp_path, 200, log))


def test_file_names_with_warning_words_are_not_fastp_problems(tmp_path: Path) -> None:
    log = "/data/ERROR_runs/WARN_1_R1.fastq.gz + /data/ERROR_runs/WARN_1_R2.fastq.gz: 100 pairs\n"
    assert check_fastp(*fastp_outputs(tmp_path, 200, log)) == 200


def test_fastp_reading_fewer_reads_than_the_files_hold_is_fatal(tmp_path: Path) -> None:
    with pytest.raises(VarnodeError, match=r"fastp read 150 reads, but a and b hold 200"):
        check_fastp(*fastp_outputs(tmp_path, 150, ""))
