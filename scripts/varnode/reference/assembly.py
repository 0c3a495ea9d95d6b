"""`varnode set-assembly`: name the reference assembly in a VCF/BCF header.

The name goes where GATK and Picard put it, on every contig line (`##contig=<ID=chr1,
length=248956422,assembly=GRCh38>`, a field the VCF specification lists for contigs);
`##reference` keeps naming the FASTA the calls were made against. The header is
rewritten with `bcftools reheader` under a temporary name, then renamed over the file:
records are copied unchanged (an index must be built afterwards).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

from varnode.common.atomic import atomic_path
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
    header = with_assembly(_bcftools("view", "--header-only", "--no-version", str(path)), assembly)
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as folder:
        new_header = Path(folder) / "header.txt"
        new_header.write_text(header)
        with atomic_path(path) as partial:
            _bcftools("reheader", "--header", str(new_header), "-o", str(partial), str(path))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("vcf", help="VCF.gz or BCF, rewritten in place")
    parser.add_argument("--assembly", required=True, help="e.g. GRCh38 (config reference.assembly)")


def run(args: argparse.Namespace) -> int:
    set_assembly(args.vcf, args.assembly)
    return 0
