"""`varnode publish`: a job's outputs count only once checked, then renamed into place.

Every rule writes each output under its partial name (`partial_path`: `.partial.` before
the file name, same folder, same suffixes so tools still pick the format from them) or
into a staging folder, and ends with `varnode publish`. Each output is checked with its
format's own check (a tool exiting 0 is not proof: bcftools 1.16 exits 0 on a truncated
file, fastp and `--version` commands exit 0 when the disk is full), and only when all
pass are they renamed onto their final names, data files before their indexes. A job
killed or failing at any point therefore leaves no final output at all, so a rerun redoes
exactly the jobs whose outputs were not validated, whatever Snakemake's own markers say.
Outputs that fail a check are deleted with the job's other partial outputs.

The job's log can be scanned too: htslib reports errors as `[E::...]` on stderr even
where the tool then exits 0.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from varnode.common.fai import read_fai
from varnode.errors import VarnodeError

PARTIAL_PREFIX = ".partial."
# The 28-byte empty block every complete BGZF file (VCF.gz, BCF, BAM, tbi, csi) ends with.
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
# htslib's error prefix, and its warning that an input it read was cut short.
HTSLIB_ERRORS = ("[E::", "EOF marker")
VARIANT_SUFFIXES = (".vcf.gz", ".vcf.bgz", ".bcf", ".vcf")
ALIGNMENT_SUFFIXES = (".bam", ".cram")
INDEX_SUFFIXES = (".tbi", ".csi", ".bai", ".crai")


class OutputError(VarnodeError):
    """An output failed its check: it is not published."""


def partial_path(final: str | os.PathLike[str]) -> Path:
    """Where a rule writes `final` before it is checked and published."""
    final = Path(final)
    return final.parent / f"{PARTIAL_PREFIX}{final.name}"


def _run(command: list[str], path: Path, what: str) -> str:
    """Run an htslib reader over `path`; an error exit or an `[E::` line fails the check."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    errors = _htslib_errors(result.stderr)
    if result.returncode != 0 or errors:
        detail = "; ".join(errors) or result.stderr.strip() or f"exit {result.returncode}"
        raise OutputError(f"{path}: {what} failed: {detail}")
    return result.stdout


def _htslib_errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if any(tag in line for tag in HTSLIB_ERRORS)]


def _non_empty(path: Path) -> None:
    if not path.exists():
        raise OutputError(f"{path}: not written")
    if path.is_file() and path.stat().st_size == 0:
        raise OutputError(f"{path}: empty")


def _bgzf_complete(path: Path) -> None:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - len(BGZF_EOF)))
        if handle.read() != BGZF_EOF:
            raise OutputError(f"{path}: truncated (no BGZF end-of-file block)")


def check_variants(path: Path, reference: str | None = None, threads: int = 1) -> str:
    if path.name.endswith((".gz", ".bgz", ".bcf")):
        _bgzf_complete(path)
    extra = str(max(0, threads - 1))
    command = ["bcftools", "view", "--threads", extra, "-Ou", "-o", os.devnull, str(path)]
    _run(command, path, "reading to the end")
    return "read to the end"


def check_alignments(path: Path, reference: str | None = None, threads: int = 1) -> str:
    _run(["samtools", "quickcheck", "-vvv", str(path)], path, "samtools quickcheck")
    command = ["samtools", "view", "-c", "-@", str(max(0, threads - 1)), str(path)]
    if reference:
        command[2:2] = ["--reference", reference]
    return f"{_run(command, path, 'reading to the end').strip()} reads"


def check_index(path: Path, data: Path) -> str:
    """An index is checked by loading it for its data file (`file##idx##index`)."""
    _non_empty(path)
    if path.suffix in (".tbi", ".csi"):
        _bgzf_complete(path)
    target = f"{data}##idx##{path}"
    if data.name.endswith(VARIANT_SUFFIXES):
        count = _run(["bcftools", "index", "--nrecords", target], path, "loading the index")
        return f"index of {count.strip()} records"
    if data.name.endswith(ALIGNMENT_SUFFIXES):
        _run(["samtools", "idxstats", target], path, "loading the index")
    return "index"  # of other files (mosdepth's BED.gz): complete BGZF is what is checked


def check_gzip(path: Path, reference: str | None = None, threads: int = 1) -> str:
    _non_empty(path)
    _run(["gzip", "--test", str(path)], path, "gzip --test")
    return "gzip intact"


def check_json(path: Path, reference: str | None = None, threads: int = 1) -> str:
    _non_empty(path)
    opener: Callable = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            json.load(handle)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OutputError(f"{path}: not valid JSON ({error})") from None
    return "JSON"


def _text(path: Path) -> str:
    """Text, not binary: NUL bytes are what a crash leaves in a file's unwritten blocks."""
    _non_empty(path)
    data = path.read_bytes()
    if b"\0" in data:
        raise OutputError(f"{path}: NUL bytes in a text file (partly written?)")
    # Tools print their names and copyright signs in any encoding: only the bytes matter.
    return data.decode("utf-8", errors="replace")


def check_table(path: Path, reference: str | None = None, threads: int = 1) -> str:
    """Tab-separated, every row as wide as the header (comment lines aside)."""
    rows = [line.split("\t") for line in _text(path).splitlines() if not line.startswith("#")]
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise OutputError(
                f"{path}: row {number} has {len(row)} fields, the header {len(rows[0])}"
            )
    return f"table of {max(0, len(rows) - 1)} rows"


def check_parquet(path: Path, reference: str | None = None, threads: int = 1) -> str:
    """Parquet read in full: its footer, schema and every row group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    _non_empty(path)
    try:
        rows = pq.read_table(path).num_rows
    except (OSError, pa.ArrowException) as error:
        raise OutputError(f"{path}: not a complete Parquet file ({error})") from None
    return f"Parquet of {rows} rows"


def check_text(path: Path, reference: str | None = None, threads: int = 1) -> str:
    return f"{len(_text(path).splitlines())} lines"


def check_non_empty(path: Path, reference: str | None = None, threads: int = 1) -> str:
    """Binary or opaque outputs (bwa index, FASTA link): present and not empty."""
    _non_empty(path)
    return "non-empty"


def check_html(path: Path, reference: str | None = None, threads: int = 1) -> str:
    if "</html>" not in _text(path)[-4096:].lower():
        raise OutputError(f"{path}: HTML ends before </html>")
    return "HTML"


def check_fai(path: Path, reference: str | None = None, threads: int = 1) -> str:
    _non_empty(path)
    try:
        return f"{len(read_fai(path))} contigs"
    except VarnodeError as error:
        raise OutputError(str(error)) from None


def check_folder(path: Path, reference: str | None = None, threads: int = 1) -> str:
    if not path.is_dir() or not any(path.iterdir()):
        raise OutputError(f"{path}: folder missing or empty")
    return f"folder of {sum(1 for _ in path.rglob('*'))} entries"


CHECKS: list[tuple[tuple[str, ...], Callable[..., str]]] = [
    (VARIANT_SUFFIXES, check_variants),
    (ALIGNMENT_SUFFIXES, check_alignments),
    ((".fastq.gz", ".fq.gz"), check_gzip),
    ((".json", ".json.gz"), check_json),
    ((".tsv",), check_table),
    ((".parquet",), check_parquet),
    ((".html",), check_html),
    ((".fai",), check_fai),
    ((".txt",), check_text),
]


def check(path: Path, final: Path, reference: str | None = None, threads: int = 1) -> str:
    """Check `path`, a partial copy of `final` (whose name says the format); describe it."""
    if not path.exists():
        raise OutputError(f"{path}: not written")
    if path.is_dir():
        return check_folder(path)
    if final.name.endswith(INDEX_SUFFIXES):
        data_final = final.with_suffix("")
        staged = path.with_name(path.name.removesuffix(final.suffix))
        return check_index(path, staged if staged.exists() else data_final)
    for suffixes, checker in CHECKS:
        if final.name.endswith(suffixes):
            return checker(path, reference, threads)
    return check_non_empty(path)


def scan_log(log: Path) -> None:
    """htslib errors in a job's log fail it even when the tool exited 0."""
    if not log.is_file():
        return
    errors = _htslib_errors(log.read_text(errors="replace"))
    if errors:
        raise OutputError(f"{log}: htslib reported errors: {'; '.join(errors[:5])}")


def _discard(partials, staging: Path | None) -> None:
    for partial in partials:
        if partial.is_dir() and not partial.is_symlink():
            shutil.rmtree(partial)
        else:
            partial.unlink(missing_ok=True)
    if staging is not None:
        shutil.rmtree(staging, ignore_errors=True)


def _replace(source: Path, final: Path) -> None:
    if final.is_dir() and not final.is_symlink():
        shutil.rmtree(final)
    os.replace(source, final)


def publish(
    finals: list[Path],
    staging: Path | None = None,
    reference: str | None = None,
    log: Path | None = None,
    threads: int = 1,
) -> list[str]:
    """Check every output, then rename all into place, data before indexes.

    Without `staging` each output was written to its `partial_path`; with it, every
    entry of the `staging` folder (the outputs and any companions a tool writes beside
    them) moves into the outputs' folder, and the staging folder is removed.
    """
    sources = {
        final: (staging / final.name if staging else partial_path(final)) for final in finals
    }
    try:
        if log is not None:
            scan_log(log)
        descriptions = [
            f"{final}: {check(source, final, reference, threads)}"
            for final, source in sources.items()
        ]
    except OutputError:
        _discard(sources.values(), staging)  # a failed job frees its space at once
        raise
    if staging is not None:  # companions first: a declared output in place implies them
        declared = {source.name for source in sources.values()}
        for entry in sorted(staging.iterdir()):
            if entry.name not in declared:
                _replace(entry, finals[0].parent / entry.name)
    ordered = sorted(finals, key=lambda final: final.name.endswith(INDEX_SUFFIXES))
    for final in ordered:
        _replace(sources[final], final)
    if staging is not None:
        staging.rmdir()
    return descriptions


def configure(parser) -> None:
    parser.add_argument("outputs", nargs="+", type=Path, help="final paths of a job's outputs")
    parser.add_argument(
        "--staging",
        type=Path,
        help="folder the job wrote its outputs into (default: each output's partial name)",
    )
    parser.add_argument("--reference", help="reference FASTA, to read CRAM outputs")
    parser.add_argument("--log", type=Path, help="the job's log, scanned for htslib errors")
    parser.add_argument("--threads", type=int, default=1, help="threads for reading BAM/VCF")


def run(args) -> int:
    if args.staging is not None and len({final.parent for final in args.outputs}) > 1:
        raise VarnodeError("--staging: the outputs must share one folder")
    for line in publish(args.outputs, args.staging, args.reference, args.log, args.threads):
        print(f"published {line}")
    return 0
