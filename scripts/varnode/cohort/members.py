"""The cohort's members and their sheet sex, as bcftools call --samples-file expects them.

One line per sample, in sample-sheet order: `sample<TAB>M|F|U`. bcftools applies its
--ploidy rules by this sex (U, unknown, keeps the default diploid calls); the allele
count strata and the sample-QC sex check read the same file.
"""

from __future__ import annotations

import argparse

from varnode.common.atomic import write_text_atomic
from varnode.common.tables import MEMBERS
from varnode.inputs.sheet import SampleSheet, load_sample_sheet

SEX_CODES = {"male": "M", "female": "F", "unknown": "U"}


def members_table(sheet: SampleSheet) -> str:
    """The members as common.tables.MEMBERS writes them (no header: bcftools -S)."""
    rows = [
        {"sample": sample, "sex": SEX_CODES[sheet.units_of(sample)[0].sex]}
        for sample in sheet.samples
    ]
    return MEMBERS.to_tsv(MEMBERS.frame(rows))


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sheet", help="sample sheet TSV (config `samples`)")
    parser.add_argument("-o", "--output", required=True, help="output table: sample<TAB>M|F|U")


def run(args: argparse.Namespace) -> int:
    write_text_atomic(args.output, members_table(load_sample_sheet(args.sheet)))
    return 0
