"""`varnode combine-variants`: every sample's variant table in one Parquet file.

The TSVs are read with their schema (common.tables.VARIANTS), so each column keeps its
documented type whatever a sample's content; the file is written under a partial name
and read back in full before it counts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from varnode.common.atomic import atomic_path
from varnode.common.tables import VARIANTS, VARIANTS_PARQUET
from varnode.errors import VarnodeError


def combine(tables: list[str | Path], output: str | Path) -> int:
    """Concatenate the variant tables, in the order given, into Parquet; returns rows."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not tables:
        raise VarnodeError("no variant tables given")
    frames = [VARIANTS.read(path) for path in tables]
    frame = pd.concat(frames, ignore_index=True)
    arrow = pa.Table.from_pandas(
        frame, schema=VARIANTS_PARQUET.arrow_schema(), preserve_index=False
    )
    # No pandas metadata: the Arrow schema is the documented one, and the bytes depend only
    # on the rows.
    arrow = arrow.replace_schema_metadata(None)
    with atomic_path(output) as partial:
        pq.write_table(arrow, partial, compression="zstd")
        read_back = pq.read_table(partial)
        if read_back.num_rows != len(frame) or read_back.schema != arrow.schema:
            raise VarnodeError(f"{output}: Parquet read back differs from what was written")
    return len(frame)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("tables", nargs="+", help="variant tables (varnode annotation-table)")
    parser.add_argument("-o", "--output", required=True, help="Parquet file to write")


def run(args: argparse.Namespace) -> int:
    rows = combine(args.tables, args.output)
    print(f"{args.output}: {rows} variant alleles from {len(args.tables)} tables")
    return 0
