"""`varnode merge-gvcfs`: one cohort shard from the per-sample gVCFs, in tiers.

Each sample's gVCF (`bcftools call -g`: its variant calls plus reference blocks) is
merged with `bcftools merge --gvcf`, which gives a sample whose block covers another
sample's variant site its block's 0/0 genotype and minimum depth. The per-sample calls
are kept as they are: `call -g` writes no likelihoods in reference blocks, so the merge
cannot be re-genotyped, and on the measured data keeping them is as accurate as joint
calling from the alignments (README, "Cohort"). A sample added to a cohort therefore
costs its own calling plus this merge; no other sample's alignment is read again.

One `bcftools merge` holds every input open at once, so a cohort larger than the
descriptor limit (`ulimit -n`) is merged in tiers: groups of at most `fan_in` files,
then groups of the results, until one file is left. Merging is associative for every
field bcftools merges (sums, minima, the first file's value in sample order), so the
tiers give the same records as a single merge. Only records with a variant in some
sample and whose POS lies in the shard are kept: blocks that reach into the shard from
the previous one are read (their samples are 0/0 at its first sites) but not repeated.

Neither the rule nor a tier lists the gVCFs on a command line: the rule passes them as
`@FILE` (a pipe bash's printf writes) and each merge reads its group from a
`--file-list`, so tens of thousands of samples stay far below the kernel's argument
limit (ARG_MAX, ~2 MB).
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from varnode.errors import VarnodeError

# Descriptors a merge needs besides its inputs: stdio, the output, the reference and its
# index, the regions file, and htslib's index reads.
RESERVED_DESCRIPTORS = 16
# What bcftools does with INFO and records is spelled out once, for every tier.
MERGE = ["bcftools", "merge", "--no-version", "--merge", "both"]


def descriptor_fan_in(limit: int | None = None) -> int:
    """The most inputs one merge may open under the soft descriptor limit (`ulimit -n`)."""
    if limit is None:
        limit, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if limit == resource.RLIM_INFINITY:
            limit = 1 << 20
    fan_in = limit - RESERVED_DESCRIPTORS
    if fan_in < 2:
        raise VarnodeError(
            f"descriptor limit {limit} (ulimit -n) leaves no room to merge two files; "
            f"raise it to at least {RESERVED_DESCRIPTORS + 2}"
        )
    return fan_in


def plan_tiers(n_inputs: int, fan_in: int) -> list[list[list[int]]]:
    """The merges to run: tier by tier, groups of indices into the previous tier's files
    (tier 0: the inputs). Groups are balanced and at most `fan_in` files; the last tier
    is a single group. A group of one file passes it through unmerged.
    """
    if n_inputs < 1:
        raise VarnodeError("no gVCFs to merge")
    if fan_in < 2:
        raise VarnodeError(f"fan-in {fan_in}: a merge needs at least 2 files at once")
    tiers: list[list[list[int]]] = []
    count = n_inputs
    while True:
        n_groups = math.ceil(count / fan_in)
        size, extra = divmod(count, n_groups)
        groups, start = [], 0
        for index in range(n_groups):
            end = start + size + (1 if index < extra else 0)
            groups.append(list(range(start, end)))
            start = end
        tiers.append(groups)
        if n_groups == 1:
            return tiers
        count = n_groups


def _run(command: Sequence[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or "[E::" in result.stderr:
        raise VarnodeError(f"{' '.join(command[:2])} failed: {result.stderr.strip()[-2000:]}")


def _file_list(files: Sequence[str], listing: Path) -> list[str]:
    """`--file-list` options naming `listing`, written with `files` one per line."""
    listing.write_text("".join(f"{name}\n" for name in files))
    return ["--file-list", str(listing)]


def _merge_group(files: Sequence[str], ref: str, regions: str, output: Path) -> None:
    """An intermediate merge: still a gVCF (blocks kept), indexed for the next tier."""
    inputs = _file_list(files, output.with_suffix(".list"))
    _run([*MERGE, "--gvcf", ref, "-R", regions, "-Ob", "-o", str(output), *inputs])
    _run(["bcftools", "index", "--csi", str(output)])


def _final_merge(files: Sequence[str], ref: str, regions: str, output: str, listing: Path) -> None:
    """The last tier: merged (its inputs listed in `listing`), then only variant records
    whose POS is in the shard."""
    select = [
        "bcftools", "view", "--no-version", "-T", regions, "--exclude", 'ALT="."',
        "-Ob", "-o", output,
    ]  # fmt: skip
    if len(files) == 1:
        _run([*select[:3], "-R", regions, *select[3:], files[0]])
        return
    merge = subprocess.Popen(
        [*MERGE, "--gvcf", ref, "-R", regions, "-Ou", *_file_list(files, listing)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    view = subprocess.run([*select, "-"], stdin=merge.stdout, capture_output=True, check=False)
    merge.stdout.close()
    merge_errors = merge.stderr.read().decode()
    merge.wait()
    view_errors = view.stderr.decode()
    for name, code, errors in (
        ("bcftools merge", merge.returncode, merge_errors),
        ("bcftools view", view.returncode, view_errors),
    ):
        if code != 0 or "[E::" in errors:
            raise VarnodeError(f"{name} failed: {errors.strip()[-2000:]}")


def merge_gvcfs(
    gvcfs: Sequence[str], ref: str, regions: str, output: str, fan_in: int | None = None
) -> list[list[list[int]]]:
    """Merge `gvcfs` (indexed) over `regions` into `output` (BCF); returns the tiers run."""
    fan_in = fan_in or descriptor_fan_in()
    tiers = plan_tiers(len(gvcfs), fan_in)
    work = Path(tempfile.mkdtemp(prefix=".merge-tiers.", dir=Path(output).parent))
    try:
        files = [str(path) for path in gvcfs]
        for depth, groups in enumerate(tiers[:-1]):
            merged = []
            for index, group in enumerate(groups):
                if len(group) == 1:
                    merged.append(files[group[0]])
                    continue
                path = work / f"tier{depth}.{index}.bcf"
                _merge_group([files[i] for i in group], ref, regions, path)
                merged.append(str(path))
            files = merged
        _final_merge(files, ref, regions, output, work / "final.list")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return tiers


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "gvcfs", nargs="+", help="per-sample gVCFs (bgzipped, indexed), or @FILE listing them"
    )
    parser.add_argument("--ref", required=True, help="reference FASTA (indexed)")
    parser.add_argument("--regions", required=True, help="BED of the shard's regions")
    parser.add_argument("-o", "--output", required=True, help="merged variant records (BCF)")
    parser.add_argument(
        "--fan-in",
        type=int,
        default=0,
        help="most files one merge opens; 0 = from the descriptor limit (ulimit -n)",
    )


def run(args: argparse.Namespace) -> int:
    tiers = merge_gvcfs(args.gvcfs, args.ref, args.regions, args.output, args.fan_in)
    merges = sum(1 for groups in tiers for group in groups if len(group) > 1)
    print(f"{args.output}: {len(args.gvcfs)} gVCFs merged in {len(tiers)} tier(s), {merges} merges")
    return 0
