"""`varnode filter`: apply declarative site and genotype filters to a VCF/BCF.

filters.yaml is compiled into a plan (`_plan`) and run, per region shard (one shard
per thread when the input is indexed), by one C pass:

    [bcftools filter -m+ -s NAME ...]    only for site filters of raw expressions or
                                         regions: bcftools' own soft filter, one each
    | bcftools +filter_plugin.so         every comparison of QUAL, a Number=1 INFO or
                                         FORMAT field, or AB/VAF from AD, variant types:
                                         FILTER names, FORMAT/FT, GTs set missing,
                                         --hard drops, counts

The plugin (filter_plugin.c, built on first use by `varnode.bcftools_plugin`) reads and
writes through bcftools, so a record is parsed once and formatted once, as by bcftools
itself, with no per-record work in Python: on a 2-core machine a single-sample genome
filters faster than `bcftools view -e | bcftools +setGT` (tests/bench/bench_filter.py).
Shard outputs are bgzf files joined without recompression (`bcftools concat --naive`),
then indexed. Output goes to a partial file renamed into place only on success, so a
failure leaves nothing behind.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from cyvcf2 import VCF

from varnode.atomic import atomic_path, write_text_atomic
from varnode.bcftools_plugin import plugin
from varnode.errors import VarnodeError
from varnode.filterspec import (
    DERIVED,
    Comparison,
    FilterSpec,
    MissingTagError,
    SiteFilter,
    load,
)

OUTPUT_TYPE = {".bcf": "b", ".gz": "z", ".bgz": "z", ".vcf": "v"}
OPERATORS = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne",
             "outside": "outside"}  # fmt: skip
LAST_RECORD = "varnode filter plugin: last record read "
# bcftools' TYPE values in the order filter_plugin.c indexes them (VCF_REF is 0, then
# one bit each from VCF_SNP): a type filter's plan value is a bit mask of these.
VARIANT_TYPES = ("ref", "snp", "mnp", "indel", "other", "bnd", "overlap")
MAX_FILTERS = 16  # per level, as in filter_plugin.c (counts are kept per bit mask)
# Records per region shard of an indexed input; shards run --threads at a time.
SHARD_RECORDS = 500_000


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="VCF/BCF to filter (bgzipped and indexed to use threads)")
    parser.add_argument("output", help="output .vcf.gz, .bcf or .vcf (format from the name)")
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
    """Counts of one run (or shard); shards add up."""

    sites: Counter = field(default_factory=Counter)  # bit mask of failed site filters -> sites
    genotypes: Counter = field(default_factory=Counter)  # same for genotype filters

    def __add__(self, other: Stats) -> Stats:
        return Stats(self.sites + other.sites, self.genotypes + other.genotypes)


@dataclass(frozen=True)
class Job:
    """Everything a shard needs."""

    source: str
    plugin: str
    plan: str  # path of the plan file
    upstream: tuple[SiteFilter, ...]  # site filters bcftools filter applies before the plugin
    hard: bool
    set_missing: bool
    extra_threads: int


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


def _single_number(declared: dict | None) -> str | None:
    """The plan's type letter (i, f) of a Number=1 Integer/Float header line, else None."""
    if declared and declared.get("Number") == "1" and declared.get("Type") in ("Integer", "Float"):
        return "i" if declared["Type"] == "Integer" else "f"
    return None


def _checked_spec(spec: FilterSpec, source: str) -> tuple[FilterSpec, int, dict[str, dict]]:
    """Restrict `spec` to the input's header; return it, the sample count and header tags."""
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
        if not _single_number(declared):
            raise VarnodeError(
                f"{source}: genotype filter {item.name} needs a single numeric value per "
                f"sample, but the header declares {item.field} as Number={declared.get('Number')}"
                f" Type={declared.get('Type')}"
            )
    return spec, len(reader.samples), tags


def _native(item: SiteFilter, tags: dict[str, dict]) -> bool:
    """Whether the plugin evaluates `item` itself (else a bcftools filter pass does)."""
    if item.types or item.field == "QUAL":
        return True
    return item.field != "" and bool(_single_number(tags.get(item.field)))


def _plan(spec: FilterSpec, samples: int, tags: dict[str, dict]) -> str:
    """The plugin's plan: FILTER descriptions, then one line per filter (filter_plugin.c)."""
    for level, items in (("site", spec.site), ("genotype", spec.genotype)):
        if len(items) > MAX_FILTERS:
            raise VarnodeError(f"{spec.path}: at most {MAX_FILTERS} {level} filters are supported")
    described = [*spec.site, *(spec.genotype if samples else ())]
    lines = [
        f"describe\t{item.name}\t{' '.join(item.description.replace(chr(34), chr(39)).split())}"
        for item in described
    ]
    for item in spec.site:
        if not _native(item, tags):
            lines.append(f"site\t{item.name}\tupstream\t-\t-\t-\t-\t-")
            continue
        if item.types:
            mask = sum(1 << VARIANT_TYPES.index(kind) for kind in item.types)
            lines.append(f"site\t{item.name}\ttypes\t-\t-\teq\t{mask}\t-")
            continue
        if item.field == "QUAL":
            kind, tag, number = "qual", "-", "f"
        else:
            prefix, tag = item.field.split("/", 1)
            kind, number = prefix.lower(), _single_number(tags[item.field])
        lines.append(f"site\t{item.name}\t{kind}\t{tag}\t{number}\t{_bounds(item.comparison)}")
    for item in spec.genotype:
        if item.field in DERIVED:
            kind, tag, number = item.field.lower(), "-", "f"
        else:
            kind, tag = "format", item.field.split("/", 1)[1]
            number = _single_number(tags[item.field])
        lines.append(f"genotype\t{item.name}\t{kind}\t{tag}\t{number}\t{_bounds(item.comparison)}")
    return "\n".join(lines) + "\n"


def _bounds(comparison: Comparison) -> str:
    threshold = comparison.threshold
    low, high = threshold if comparison.op == "outside" else (threshold, "-")
    return f"{OPERATORS[comparison.op]}\t{low}\t{high}"


def _commands(job: Job, region: str | None, output: str, stats: str) -> list[list[str]]:
    where = ["-r", region, "--regions-overlap", "0"] if region else []
    commands = []
    for item in job.upstream:
        source = [] if commands else [*where, job.source]
        commands.append(["bcftools", "filter", "--no-version", "-Ou", *item.bcftools_args(),
                         *source])  # fmt: skip
    source = ["-"] if commands else [*where, job.source]
    kind = OUTPUT_TYPE.get(Path(output).suffix, "z")
    options = ["--no-version", f"-O{kind}", "-o", output, "--threads", str(job.extra_threads)]
    flags = ["hard"] * job.hard + ["set-missing"] * job.set_missing
    commands.append(
        ["bcftools", f"+{job.plugin}", *options, *source, "--", job.plan, stats, *flags]
    )
    return commands


def _run_shard(job: Job, region: str | None, output: str, stats_path: str) -> Stats:
    """Filter one region (None: the whole input) of `job.source` into `output`."""
    commands = _commands(job, region, output, stats_path)
    with ExitStack() as stack:
        # stderr goes to files: htslib may warn once per record, which would fill a
        # pipe nobody reads until the end and stall the whole chain.
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]
        processes: list[subprocess.Popen] = []
        for command, error_file in zip(commands, errors, strict=True):
            upstream = processes[-1].stdout if processes else None
            last = len(processes) == len(commands) - 1
            processes.append(
                subprocess.Popen(
                    command,
                    stdin=upstream,
                    stdout=None if last else subprocess.PIPE,
                    stderr=error_file,
                )
            )
            if upstream is not None:
                upstream.close()  # the child holds it now; EOF must reach it
        messages = []
        for process, error_file in zip(processes, errors, strict=True):
            process.wait()
            error_file.seek(0)
            messages.append(error_file.read().decode(errors="replace").strip().splitlines())
    position = "before the first record"
    for line in messages[-1]:
        if line.startswith(LAST_RECORD):
            position = f"after record {line[len(LAST_RECORD) :]}"
    for process, command, lines in zip(processes, commands, messages, strict=True):
        if process.returncode != 0:
            # htslib's own error (a truncated block, say) names the cause best.
            detail = [line for line in lines if line.startswith("[E::")][:1] or [
                line for line in lines if not line.startswith(LAST_RECORD)
            ]
            where = f" in region {region}" if region else ""
            raise VarnodeError(
                f"{job.source}: reading failed {position}{where}: bcftools "
                f"{'+varnode-filter' if command[1] == f'+{job.plugin}' else command[1]}: "
                f"{detail[-1] if detail else f'exit {process.returncode}'}"
            )
    stats = Stats()
    for line in Path(stats_path).read_text().splitlines():
        level, mask, count = line.split("\t")
        (stats.sites if level == "site" else stats.genotypes)[int(mask)] += int(count)
    return stats


def _shards(source: str, shard_records: int) -> list[str | None]:
    """Regions of about `shard_records` records each, from the input's index; [None] if
    unindexed. The layout depends on the input only, never on the thread count, so the
    compressed output (its BGZF blocks) is the same bytes whatever --threads is."""
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
    if listing.returncode != 0 or total == 0:
        return [None]
    # Cut contigs into pieces of about shard_records records, assuming records spread
    # evenly along a contig (only the balance depends on it).
    count = max(1, round(total / shard_records))
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
    spec, samples, tags = _checked_spec(spec, source)
    compressed = final.suffix in (".gz", ".bgz", ".bcf")
    shards = _shards(source, shard_records) if compressed else [None]
    upstream = tuple(item for item in spec.site if not _native(item, tags))
    with (
        atomic_path(final) as partial,
        tempfile.TemporaryDirectory(dir=partial.parent, prefix=".varnode-filter.") as tmp,
    ):
        plan = Path(tmp) / "plan.tsv"
        plan.write_text(_plan(spec, samples, tags))
        workers = min(threads, len(shards))
        extra_threads = max(0, threads // workers - 1)
        job = Job(source, str(plugin()), str(plan), upstream, hard, set_missing, extra_threads)
        if len(shards) == 1:
            stats = _run_shard(job, shards[0], str(partial), f"{tmp}/stats0.tsv")
        else:
            parts = [f"{tmp}/part{i}{partial.suffix}" for i in range(len(shards))]
            stat_files = [f"{tmp}/stats{i}.tsv" for i in range(len(shards))]
            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(_run_shard, [job] * len(shards), shards, parts,
                                        stat_files))  # fmt: skip
            _concat(parts, partial)
            stats = sum(results[1:], results[0])
        _index(partial, index_kind, final)
    return stats_table(spec, stats)


def _concat(parts: list[str], partial: Path) -> None:
    command = ["bcftools", "concat", "--naive", "--no-version", "-o", str(partial), *parts]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise VarnodeError(f"{partial}: joining shards failed: {result.stderr.strip()}")


def _counts(histogram: Counter, names: list[str]) -> tuple[dict, int, int]:
    """Per filter name: items failing it and failing only it; items failing any; all."""
    per_name = {
        name: {
            "failed": sum(n for mask, n in histogram.items() if mask >> bit & 1),
            "failed_alone": histogram.get(1 << bit, 0),
        }
        for bit, name in enumerate(names)
    }
    failed_any = sum(n for mask, n in histogram.items() if mask)
    return per_name, failed_any, sum(histogram.values())


def stats_table(spec: FilterSpec, stats: Stats) -> dict:
    """Counts per filter: records/genotypes failing it (failed) and failing only it (alone)."""
    per_site, failed_sites, sites = _counts(stats.sites, [item.name for item in spec.site])
    per_genotype, failed_genotypes, genotypes = _counts(
        stats.genotypes, [item.name for item in spec.genotype]
    )
    return {
        "filters_file": spec.path,
        "sites": {"evaluated": sites, "failed_any": failed_sites},
        "genotypes": {"evaluated": genotypes, "failed_any": failed_genotypes},
        "skipped_filters": list(spec.skipped),
        "filters": [
            {"level": "site", "name": item.name, "description": item.description,
             **per_site[item.name]}
            for item in spec.site
        ]
        + [
            {"level": "genotype", "name": item.name, "description": item.description,
             **per_genotype[item.name]}
            for item in spec.genotype
        ],
    }  # fmt: skip


def write_stats(path: str, table: dict) -> None:
    rows = ["level\tfilter\tfailed\tfailed_alone\tevaluated\tdescription"]
    for level in ("sites", "genotypes"):
        counts = table[level]
        rows.append(f"{level[:-1]}\tany\t{counts['failed_any']}\t\t{counts['evaluated']}\t")
    for item in table["filters"]:
        evaluated = table[f"{item['level']}s"]["evaluated"]
        rows.append(
            f"{item['level']}\t{item['name']}\t{item['failed']}\t{item['failed_alone']}"
            f"\t{evaluated}\t{item['description']}"
        )
    write_text_atomic(path, "\n".join(rows) + "\n")
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
