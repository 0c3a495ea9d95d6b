"""`varnode set-assembly`: name the reference assembly in a VCF/BCF header.

The name goes where GATK and Picard put it, on every contig line (`##contig=<ID=chr1,
length=248956422,assembly=GRCh38>`, a field the VCF specification lists for contigs);
`##reference` keeps naming the FASTA the calls were made against. The header is
rewritten with `bcftools reheader` under a companion name, then renamed over the file:
records are copied unchanged (an index must be built afterwards).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
from pathlib import Path

from varnode.errors import VarnodeError

CONTIG = re.compile(r"^##contig=<(.*)>$")
ASSEMBLY_NAME = re.compile(r"^[A-Za-z0-9._-]+$")


def with_assembly(header: str, assembly: str) -> str:
    """The header text with `assembly=<name>` on every contig line (replacing any other)."""
    if not ASSEMBLY_NAME.match(assembly):
        raise VarnodeError(f"assembly {assembly!r}: letters, digits, '.', '_' or '-' only")
    lines = []
    for line in header.splitlines():
        match = CONTIG.match(line)
        if match:
            fields = [f for f in match.group(1).split(",") if not f.startswith("assembly=")]
            line = f"##contig=<{','.join([*fields, f'assembly={assembly}'])}>"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _bcftools(*arguments: str) -> str:
    result = subprocess.run(["bcftools", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise VarnodeError(f"bcftools {arguments[0]}: {result.stderr.strip()}")
    return result.stdout


def set_assembly(path: str | Path, assembly: str) -> None:
    """Rewrite `path`'s header in place. Its companions have fixed names beside it, so a
    rerun after a kill overwrites what the kill left (`path` is a rule's partial output,
    published only once this and the rule's later steps have succeeded)."""
    path = Path(path)
    header = with_assembly(_bcftools("view", "--header-only", "--no-version", str(path)), assembly)
    new_header = path.with_name(f"{path.name}.header.txt")
    rewritten = path.with_name(f"{path.name}.reheadered")
    try:
        new_header.write_text(header)
        _bcftools("reheader", "--header", str(new_header), "-o", str(rewritten), str(path))
        os.replace(rewritten, path)
    finally:
        new_header.unlink(missing_ok=True)
        rewritten.unlink(missing_ok=True)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="VCF.gz or BCF, rewritten in place")
    parser.add_argument("--assembly", required=True, help="e.g. GRCh38 (config reference.assembly)")


def run(args: argparse.Namespace) -> int:
    set_assembly(args.vcf, args.assembly)
    return 0
