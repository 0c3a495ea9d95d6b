"""`varnode filter`: apply declarative site and genotype filters to a VCF/BCF.

Each tool does what it is best at. Per region shard (an indexed input is cut into
shards of about SHARD_RECORDS records, run --threads at a time), one stream of
uncompressed BCF:

    bcftools annotate -h <our header lines>      C: parse, add ##FILTER/FT descriptions
    | bcftools filter -m+ -s NAME -e EXPR ...    C: one soft filter per site filter
    | bcftools filter -m+ -s SCREEN -e ANY_GT    C, few samples only: flag records where
                                                 any genotype fails any genotype filter
    | python (cyvcf2 + numpy)                    genotype filters in numpy batches,
                                                 FORMAT/FT on every genotype, GT set
                                                 missing (--set-missing), counts, --hard
    | bcftools view -O z|b|v                     C: format, compress, write

The screen keeps per-record Python work on a single-sample call set, where most
records have no failing genotype, to a read, an FT of PASS and a write; with more
samples nearly every record holds a failing genotype and the screen is pure cost.
Shard outputs are bgzf files joined without recompression (`bcftools concat --naive`),
then indexed. The shards depend on the input only, never on --threads, so the output is
the same bytes whatever the thread count. Any stage exiting non-zero or printing an
htslib error (`[E::`, which bcftools 1.16 prints on a truncated input and then exits 0)
fails the run; output goes to a partial file renamed into place only on success, so a
failure leaves nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

from cyvcf2 import VCF, Writer

from varnode.common.atomic import atomic_path, write_text_atomic
from varnode.common.tables import FILTER_STATS
from varnode.errors import VarnodeError
from varnode.filters.genotype import GenotypeFilters
from varnode.filters.spec import FilterSpec, MissingTagError, load

BATCH = 256
FT_HEADER = (
    '##FORMAT=<ID=FT,Number=1,Type=String,Description="Genotype filters failed '
    '(varnode filter): PASS or the failed filter names separated by semicolons">'
)
SCREEN = "VARNODE_GT_SCREEN"  # transient FILTER flag, removed before writing
SCREEN_MAX_SAMPLES = 8  # measured: tests/bench/bench_filter.py
OUTPUT_TYPE = {".bcf": "b", ".gz": "z", ".bgz": "z", ".vcf": "v"}
HTSLIB_ERROR = "[E::"
# Records per region shard of an indexed input; shards run --threads at a time. Small
# enough that a sample's calls (a few 100k records for WES, millions for WGS) use every
# thread, large enough that the few processes a shard starts cost little.
SHARD_RECORDS = 100_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="VCF/BCF to filter (bgzipped and indexed to use threads)")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .vcf.gz, .bcf or .vcf (format from the name)",
    )
    parser.add_argument("--filters", required=True, help="filters YAML (config/filters.yaml)")
    parser.add_argument("--stats", required=True, help="per-filter counts TSV (JSON beside it)")
    parser.add_argument("--hard", action="store_true", help="drop failing sites (default: mark)")
    parser.add_argument(
        "--set-missing", action="store_true", help="also set failing genotypes' GT to missing"
    )
    parser.add_argument("--threads", type=int, default=1, help="region shards run in parallel")
    parser.add_argument(
        "--index",
        choices=["auto", "tbi", "csi", "none"],
        default="auto",
        help="index the output (auto: .tbi for .vcf.gz, .csi for .bcf, none for .vcf)",
    )


@dataclass
class Stats:
    """Failure counts of one run (or shard); shards add up."""

    sites: int = 0
    site_filters: Counter = field(default_factory=Counter)  # FILTER value -> records
    genotype_histogram: list[int] = field(default_factory=list)  # see GenotypeFilters

    def __add__(self, other: Stats) -> Stats:
        mine, theirs = self.genotype_histogram, other.genotype_histogram
        histogram = [a + b for a, b in zip(mine, theirs, strict=True)] if mine and theirs else []
        return Stats(
            self.sites + other.sites,
            self.site_filters + other.site_filters,
            histogram or mine or theirs,
        )


@dataclass(frozen=True)
class Job:
    """Everything one shard needs; picklable for worker processes."""

    source: str
    spec: FilterSpec
    header_file: str  # our ##FILTER/FT lines, added by the first stage
    hard: bool
    set_missing: bool
    samples: int
    writer_threads: int
    workdir: str  # private folder for shard outputs
    # With screening: a tab file giving every genotype FT=PASS on every header contig (a
    # BCF stream holds no other), so Python sets FT only on flagged records: cyvcf2's
    # set_format costs ~2 us a call, as much as reading and writing the record.
    pass_ft: str = ""

    @property
    def screening(self) -> bool:
        """Whether a bcftools pass flags the records holding a failing genotype."""
        return bool(self.spec.genotype) and 0 < self.samples <= SCREEN_MAX_SAMPLES


def _header_tags(reader: VCF) -> dict[str, dict]:
    tags = {}
    for line in reader.header_iter():
        info = line.info()
        if info.get("HeaderType") in ("INFO", "FORMAT"):
            tags[f"{info['HeaderType']}/{info['ID']}"] = info
    return tags


def _first_record_position(reader: VCF) -> str:
    for record in reader:
        return f"first record {record.CHROM}:{record.POS}"
    return "no records"


def _checked_spec(spec: FilterSpec, source: str) -> tuple[FilterSpec, VCF, str]:
    """Restrict `spec` to the input's header; return it, the open reader and header lines."""
    try:
        reader = VCF(source)
    except Exception as error:  # cyvcf2 raises a bare Exception for a malformed header
        raise VarnodeError(f"{source}: cannot read as VCF/BCF: {error}") from None
    tags = _header_tags(reader)
    try:
        spec = spec.restricted_to(set(tags))
    except MissingTagError as error:
        raise VarnodeError(f"{source}: {error} ({_first_record_position(reader)})") from None
    for item in spec.genotype:
        declared = tags.get(item.field, {"Number": "1", "Type": "Integer"})  # derived: AD, GT
        if declared.get("Number") != "1" or declared.get("Type") not in ("Integer", "Float"):
            raise VarnodeError(
                f"{source}: genotype filter {item.name} needs a single numeric value per "
                f"sample, but the header declares {item.field} as Number={declared.get('Number')}"
                f" Type={declared.get('Type')}"
            )
    # Genotype filters get ##FILTER lines too: FT values are filter IDs, as in FILTER.
    described = [*spec.site, *(spec.genotype if reader.samples else ())]
    lines = [
        f'##FILTER=<ID={item.name},Description="{item.description.replace(chr(34), chr(39))}">'
        for item in described
    ]
    if spec.genotype and reader.samples:
        lines.append(FT_HEADER)
    if spec.genotype and 0 < len(reader.samples) <= SCREEN_MAX_SAMPLES:
        lines.append(f'##FILTER=<ID={SCREEN},Description="varnode-internal">')
    return spec, reader, "\n".join(lines) + "\n"


def _write_pass_ft(path: Path, contigs: list[str], samples: int) -> None:
    """A bgzipped, CSI-indexed tab file: each contig whole, FT=PASS for every sample."""
    passes = "\tPASS" * samples
    path.with_suffix("").write_text(
        "".join(f"{name}\t1\t{2**31 - 1}{passes}\n" for name in contigs)
    )
    for command in (["bgzip", "-f", str(path.with_suffix(""))],
                    ["tabix", "-f", "--csi", "-s1", "-b2", "-e3", str(path)]):  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise VarnodeError(f"{path}: {command[0]} failed: {result.stderr.strip()}")


def _site_commands(job: Job, region: str | None) -> list[list[str]]:
    first = ["bcftools", "annotate", "--no-version", "-Ou", "-h", job.header_file]
    if job.pass_ft:
        first += ["-a", job.pass_ft, "-c", "CHROM,FROM,TO,FMT/FT"]
    if region:
        first += ["-r", region, "--regions-overlap", "0"]
    commands = [[*first, job.source]]
    for item in job.spec.site:
        commands.append(["bcftools", "filter", "--no-version", "-Ou", *item.bcftools_args()])
    if job.screening:
        screen = ["-m+", "-s", SCREEN, "-e", job.spec.genotype_screen]
        commands.append(["bcftools", "filter", "--no-version", "-Ou", *screen])
    return commands


def _writer_command(job: Job, output: str) -> list[str]:
    """The last stage: reads the Python stage's BCF, writes `output`."""
    kind = OUTPUT_TYPE.get(Path(output).suffix, "z")
    return ["bcftools", "view", "--no-version", f"-O{kind}", "-o", output,
            "--threads", str(job.writer_threads), "-"]  # fmt: skip


def _failure(process: subprocess.Popen, message: str) -> str:
    """What went wrong in one stage, or "" if nothing: its exit code or an htslib error."""
    errors = [line for line in message.splitlines() if line.startswith(HTSLIB_ERROR)]
    if errors:
        return errors[0]  # htslib's own error (a truncated block, say) names the cause best
    if process.returncode != 0:  # bcftools' cause comes first, its advice after it
        return " ".join(message.splitlines()[:2]) if message else f"exit {process.returncode}"
    return ""


def _run_shard(job: Job, region: str | None, output: str) -> Stats:
    """Filter one region (None: the whole input) of `job.source` into `output`."""
    where = f" in region {region}" if region else ""
    with ExitStack() as stack:
        commands = _site_commands(job, region)
        commands.append(_writer_command(job, output))
        processes: list[subprocess.Popen] = []
        # stderr goes to files: htslib may warn once per record, which would fill a
        # pipe nobody reads until the end and stall the whole chain.
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]
        for command, error_file in zip(commands[:-1], errors, strict=False):
            upstream = processes[-1].stdout if processes else None
            processes.append(
                subprocess.Popen(command, stdin=upstream, stdout=subprocess.PIPE, stderr=error_file)
            )
            if upstream is not None:
                upstream.close()  # the child holds it now; EOF must reach it
        source = processes[-1].stdout
        writer = subprocess.Popen(commands[-1], stdin=subprocess.PIPE, stderr=errors[-1])
        processes.append(writer)
        stream = StreamFilter(job)
        try:
            stats = stream.run(source.fileno(), f"/dev/fd/{writer.stdin.fileno()}")
            failure = ""
        except (OSError, ValueError, RuntimeError) as error:
            stats, failure = None, str(error)
        source.close()
        writer.stdin.close()
        for process, command, error_file in zip(processes, commands, errors, strict=True):
            process.wait()
            error_file.seek(0)
            detail = _failure(process, error_file.read().decode(errors="replace").strip())
            if detail:
                raise VarnodeError(
                    f"{job.source}: reading failed {stream.position}{where}: "
                    f"bcftools {command[1]}: {detail}"
                )
        if stats is None:
            raise VarnodeError(f"{job.source}: reading failed {stream.position}{where}: {failure}")
        return stats


class StreamFilter:
    """The Python stage: reads site-filtered BCF, applies genotype filters, writes output."""

    def __init__(self, job: Job):
        self.job = job
        self.last = None  # last record read, to name the position of a failure

    @property
    def position(self) -> str:
        if self.last is None:
            return "before the first record"
        return f"after record {self.last.CHROM}:{self.last.POS}"

    def run(self, fd: int, output: str) -> Stats:
        job = self.job
        reader = VCF(fd, lazy=True)  # records are unpacked only as far as fields are read
        writer = Writer(output, reader, mode="wbu")  # uncompressed BCF to the writer stage
        engine = None
        if job.spec.genotype and job.samples:
            engine = GenotypeFilters(job.spec.genotype, job.samples, job.set_missing)
        screening = job.screening
        if screening:
            writer.remove_header(SCREEN)
        pass_ft = bool(job.pass_ft)
        site_names = {item.name for item in job.spec.site}
        site_filters: Counter = Counter()
        # FILTER value -> (value without the screen flag, flagged, fails a site filter)
        decoded: dict[str | None, tuple[str | None, bool, bool]] = {}
        batch: list = []
        flagged: list = []
        sites = unflagged = 0

        def flush() -> None:
            if flagged:
                engine.apply(flagged)
                flagged.clear()
            for record in batch:
                writer.write_record(record)
            batch.clear()

        for record in reader:
            self.last = record
            sites += 1
            value = record.FILTER
            if value not in decoded:
                names = (value or "").split(";")
                clean = ";".join(name for name in names if name != SCREEN) or "PASS"
                fails = bool(site_names.intersection(names))
                decoded[value] = (clean if SCREEN in names else value, SCREEN in names, fails)
            clean, screened, fails = decoded[value]
            site_filters[clean] += 1
            if fails and job.hard:
                continue
            if screened:
                record.FILTER = clean
                flagged.append(record)
            elif screening:
                # Not flagged: every genotype passed every filter.
                if not pass_ft:
                    record.set_format("FT", engine.all_pass)
                unflagged += 1
            elif engine is not None:
                flagged.append(record)
            batch.append(record)
            if len(batch) >= BATCH:
                flush()
        flush()
        writer.close()
        reader.close()
        histogram = []
        if engine is not None:
            engine.passed(unflagged)
            histogram = engine.histogram.tolist()
        return Stats(sites, site_filters, histogram)


def _shards(source: str, shard_records: int) -> list[str | None]:
    """Regions of about `shard_records` records each, from the input's index; [None] if
    unindexed or one shard. The layout depends on the input only, never on the thread
    count, so the compressed output (its BGZF blocks) is the same bytes whatever
    --threads is."""
    if not any(Path(source + ext).exists() for ext in (".tbi", ".csi")):
        return [None]
    listing = subprocess.run(
        ["bcftools", "index", "--stats", source], capture_output=True, text=True, check=False
    )
    contigs = []
    for line in listing.stdout.splitlines():
        name, length, records = line.split("\t")
        if records != "." and int(records) > 0:
            contigs.append((name, int(length) if length != "." else 0, int(records)))
    total = sum(records for _, _, records in contigs)
    count = max(1, round(total / shard_records))
    if listing.returncode != 0 or count == 1:
        return [None]
    # Cut contigs into pieces of about shard_records records, assuming records spread
    # evenly along a contig (only the balance depends on it).
    target = total / count
    shards: list[list[str]] = [[]]
    filled = 0.0
    for name, length, records in contigs:
        start = 1
        while records > 0:
            room = target - filled
            if records <= room or len(shards) == count or length == 0:
                shards[-1].append(f"{name}:{start}-" if length == 0 else f"{name}:{start}-{length}")
                filled += records
                records = 0
            else:
                end = start + int((length - start + 1) * room / records)
                shards[-1].append(f"{name}:{start}-{end}")
                records -= int(room)
                start = end + 1
                shards.append([])
                filled = 0.0
    return [",".join(regions) for regions in shards if regions]


def _index(path: Path, kind: str, final: Path) -> None:
    if kind == "none":
        return
    extension = ".tbi" if kind == "tbi" else ".csi"
    with atomic_path(f"{final}{extension}") as partial:
        command = ["bcftools", "index", "--force", f"--{kind}", "-o", str(partial), str(path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise VarnodeError(f"{final}: indexing failed: {result.stderr.strip()}")


def _index_kind(output: Path, requested: str) -> str:
    compressed = output.suffix in (".gz", ".bgz", ".bcf")
    if requested == "auto":
        return {".bcf": "csi"}.get(output.suffix, "tbi") if compressed else "none"
    if requested != "none" and not compressed:
        raise VarnodeError(f"{output}: an uncompressed VCF cannot be indexed; use .vcf.gz")
    if requested == "tbi" and output.suffix == ".bcf":
        raise VarnodeError(f"{output}: BCF takes a .csi index, not .tbi")
    return requested


def filter_vcf(
    source: str,
    output: str,
    spec: FilterSpec,
    hard: bool = False,
    set_missing: bool = False,
    threads: int = 1,
    index: str = "auto",
    shard_records: int = SHARD_RECORDS,
) -> dict:
    """Filter `source` into `output` (atomically, indexed); return the stats table.
    Shards of `shard_records` records run `threads` at a time."""
    final = Path(output)
    index_kind = _index_kind(final, index)
    spec, reader, header_lines = _checked_spec(spec, source)
    samples, contigs = len(reader.samples), list(reader.seqnames)
    reader.close()
    compressed = final.suffix in (".gz", ".bgz", ".bcf")
    shards = _shards(source, shard_records) if compressed else [None]
    workers = min(threads, len(shards))
    writer_threads = max(1, threads // workers)
    with (
        atomic_path(final) as partial,
        tempfile.TemporaryDirectory(dir=partial.parent, prefix=".varnode-filter.") as tmp,
    ):
        header_file = Path(tmp) / "header.txt"
        header_file.write_text(header_lines)
        job = Job(source, spec, str(header_file), hard, set_missing, samples, writer_threads, tmp)
        if job.screening and contigs:
            pass_ft = Path(tmp) / "pass_ft.tsv.gz"
            _write_pass_ft(pass_ft, contigs, samples)
            job = replace(job, pass_ft=str(pass_ft))
        if len(shards) == 1:
            stats = _run_shard(job, shards[0], str(partial))
        else:
            stats = _run_shards(job, shards, partial, workers)
        _index(partial, index_kind, final)
    return stats_table(spec, stats)


def _run_shards(job: Job, shards: list[str | None], partial: Path, workers: int) -> Stats:
    parts = [str(Path(job.workdir) / f"part{i}{partial.suffix}") for i in range(len(shards))]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        results = list(pool.map(_run_shard, [job] * len(shards), shards, parts))
    command = ["bcftools", "concat", "--naive", "--no-version", "-o", str(partial), *parts]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise VarnodeError(f"{partial}: joining shards failed: {result.stderr.strip()}")
    total = results[0]
    for stats in results[1:]:
        total = total + stats
    return total


def stats_table(spec: FilterSpec, stats: Stats) -> dict:
    """Counts per filter: records/genotypes failing it (failed) and failing only it (alone)."""
    site_names = [item.name for item in spec.site]
    per_site = {name: {"failed": 0, "failed_alone": 0} for name in site_names}
    failed_sites = 0
    for value, records in stats.site_filters.items():
        ours = [name for name in (value or "").split(";") if name in per_site]
        failed_sites += records if ours else 0
        for name in ours:
            per_site[name]["failed"] += records
            if len(ours) == 1:
                per_site[name]["failed_alone"] += records
    genotype = GenotypeFilters(spec.genotype, 0, set_missing=False) if spec.genotype else None
    if genotype is not None and stats.genotype_histogram:
        genotype.histogram[:] = stats.genotype_histogram
    per_genotype = genotype.counts() if genotype else {}
    return {
        "filters_file": spec.path,
        "sites": {"evaluated": stats.sites, "failed_any": failed_sites},
        "genotypes": {
            "evaluated": genotype.evaluated if genotype else 0,
            "failed_any": genotype.failed_any if genotype else 0,
        },
        "skipped_filters": list(spec.skipped),
        "filters": [
            {"level": "site", "name": item.name, "description": item.description,
             **per_site[item.name]}
            for item in spec.site
        ]
        + [
            {"level": "genotype", "name": item.name, "description": item.description,
             **per_genotype.get(item.name, {"failed": 0, "failed_alone": 0})}
            for item in spec.genotype
        ],
    }  # fmt: skip


def write_stats(path: str, table: dict) -> None:
    """The table as TSV (common.tables.FILTER_STATS) and as JSON beside it."""
    rows = [
        {"level": level[:-1], "filter": "any", "failed": table[level]["failed_any"],
         "evaluated": table[level]["evaluated"]}
        for level in ("sites", "genotypes")
    ] + [
        {**item, "filter": item["name"], "evaluated": table[f"{item['level']}s"]["evaluated"]}
        for item in table["filters"]
    ]  # fmt: skip
    FILTER_STATS.write(rows, path)
    write_text_atomic(Path(path).with_suffix(".json"), json.dumps(table, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    if args.threads < 1:
        raise VarnodeError("--threads must be at least 1")
    spec = load(args.filters)
    table = filter_vcf(
        args.input, args.output, spec, args.hard, args.set_missing, args.threads, args.index
    )
    write_stats(args.stats, table)
    return 0
