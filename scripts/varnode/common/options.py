"""Command-line options several commands share, spelled one way (`-o/--output`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_output_folder(parser: argparse.ArgumentParser, help_text: str) -> None:
    """The folder a command writes into: `-o/--output` (`--outdir` still accepted)."""
    parser.add_argument(
        "-o", "--output", "--outdir", dest="outdir", required=True, type=Path, help=help_text
    )
