"""The sample sheet: parsed and checked, every problem reported at once.

Every problem is collected and reported at once, each naming its file, row and
column, so a user fixes a sheet in one pass instead of one error per run.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from varnode.errors import VarnodeError

SAFE_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
# Names become parts of file names (results/accuracy/<sample>.<call_set>.accuracy.
# discrepancies.tsv, a hidden partial name beside it) and of read groups: 64 characters
# keep the longest such file name well under the 255-byte limit of common file systems
# (ext4, XFS, Lustre).
MAX_NAME_LENGTH = 64
HPO_TERM = re.compile(r"^HP:\d{7}$")
REQUIRED_COLUMNS = ("sample", "unit", "platform", "fq1", "fq2")
PLATFORMS = ("ILLUMINA", "ELEMENT", "ULTIMA", "MGI", "DNBSEQ", "IONTORRENT")
SEXES = ("male", "female", "unknown", "")


@dataclass(frozen=True)
class Unit:
    """One sequencing unit (lane/run) of a sample: a row of the sample sheet."""

    sample: str
    unit: str
    platform: str
    fq1: Path
    fq2: Path
    sex: str = "unknown"
    hpo: tuple[str, ...] = ()
    phenopacket: Path | None = None  # GA4GH Phenopacket v2 JSON of the individual

    @property
    def read_group(self) -> str:
        """SAM @RG line for bwa mem -R (tabs escaped as bwa expects)."""
        return (
            f"@RG\\tID:{self.sample}.{self.unit}\\tSM:{self.sample}\\tLB:{self.sample}"
            f"\\tPL:{self.platform}\\tPU:{self.unit}"
        )


@dataclass
class SampleSheet:
    """The sheet's units, looked up by sample and unit through an index: the workflow asks
    for a sample's units once per job, so a scan of every unit would make planning
    quadratic in the number of samples."""

    path: Path
    units: list[Unit] = field(default_factory=list)
    _index: dict[str, dict[str, Unit]] = field(default_factory=dict, repr=False, compare=False)
    _indexed: int = field(default=-1, repr=False, compare=False)

    def _by_sample(self) -> dict[str, dict[str, Unit]]:
        if self._indexed != len(self.units):  # units are appended while the sheet is read
            self._index = {}
            for unit in self.units:
                self._index.setdefault(unit.sample, {})[unit.unit] = unit
            self._indexed = len(self.units)
        return self._index

    @property
    def samples(self) -> list[str]:
        return list(self._by_sample())

    def units_of(self, sample: str) -> list[Unit]:
        return list(self._by_sample()[sample].values())

    def unit(self, sample: str, unit: str) -> Unit:
        return self._by_sample()[sample][unit]


def names_pattern(names: list[str]) -> str:
    """A regex matching exactly `names`, as a prefix tree: Snakemake matches the sample
    wildcard against every file it plans, and a plain alternation of thousands of names
    is tried name by name."""
    tree: dict = {}
    for name in names:
        node = tree
        for character in name:
            node = node.setdefault(character, {})
        node[""] = {}

    def render(node: dict) -> str:
        branches = [re.escape(key) + render(child) for key, child in sorted(node.items()) if key]
        if "" in node:
            branches.append("")
        return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"

    return render(tree) if names else "(?!)"


def _report(problems: list[str], what: str) -> None:
    if problems:
        listing = "\n  - ".join(problems)
        raise VarnodeError(f"{len(problems)} problem(s) in {what}:\n  - {listing}")


def load_sample_sheet(path: str | Path) -> SampleSheet:
    """Parse and check a sample sheet; relative FASTQ paths are relative to the sheet."""
    sheet, problems = read_sample_sheet(path)
    _report(problems, f"sample sheet {path}")
    return sheet


def read_sample_sheet(path: str | Path) -> tuple[SampleSheet, list[str]]:
    """The sheet's valid units and every problem found, each naming its row and column.

    Spreadsheet exports are accepted as they come: a UTF-8 byte-order mark and CRLF line
    ends are read as plain UTF-8 text.
    """
    path = Path(path)
    sheet = SampleSheet(path)
    if not path.is_file():
        return sheet, [f"sample sheet {path}: file not found"]
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle, delimiter="\t") if row and row[0][:1] != "#"]
    except UnicodeDecodeError as error:
        return sheet, [f"sample sheet {path}: not UTF-8 text (byte {error.start})"]
    if not rows:
        return sheet, [f"sample sheet {path}: empty (expected a header line)"]
    header = [name.strip() for name in rows[0]]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        return sheet, [
            f"sample sheet {path}: header lacks column(s) {', '.join(missing)} "
            f"(required: {', '.join(REQUIRED_COLUMNS)}; optional: sex, hpo, phenopacket)"
        ]
    problems: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for line_number, values in enumerate(rows[1:], start=2):
        if len(values) != len(header):
            problems.append(
                f"{path} row {line_number}: {len(values)} fields, header has {len(header)}"
            )
            continue
        record = {name: value.strip() for name, value in zip(header, values, strict=True)}
        unit = _check_row(path, line_number, record, problems)
        key = (record["sample"], record["unit"])
        if key in seen:
            problems.append(
                f"{path} row {line_number}, columns sample/unit: duplicate "
                f"(sample {key[0]!r}, unit {key[1]!r}), first seen on row {seen[key]}"
            )
        seen.setdefault(key, line_number)
        if unit is not None:
            sheet.units.append(unit)
    if not rows[1:]:
        problems.append(f"{path}: no sample rows")
    problems += _inconsistent_sample_fields(sheet)
    return sheet, problems


def _check_row(path: Path, line: int, record: dict[str, str], problems: list[str]) -> Unit | None:
    def problem(column: str, reason: str) -> None:
        problems.append(
            f"{path} row {line} (sample {record['sample']!r}), column {column}: {reason}"
        )

    before = len(problems)
    for column in ("sample", "unit"):
        if not SAFE_NAME.match(record[column]):
            problem(column, f"{record[column]!r} is not a safe name (allowed: A-Z a-z 0-9 . _ -)")
        elif len(record[column]) > MAX_NAME_LENGTH:
            problem(
                column,
                f"{len(record[column])} characters, at most {MAX_NAME_LENGTH} (names become "
                "parts of file names, which file systems limit to 255 bytes)",
            )
    if record["platform"].upper() not in PLATFORMS:
        problem("platform", f"{record['platform']!r} is not one of {', '.join(PLATFORMS)}")
    fastqs = {}
    for column in ("fq1", "fq2"):
        if not record[column]:
            other = "fq1" if column == "fq2" else "fq2"
            problem(column, f"empty: {other} is given but its mate is missing (paired-end only)")
            continue
        fastq = Path(record[column])
        fastq = fastq if fastq.is_absolute() else (path.parent / fastq)
        if not fastq.is_file():
            problem(column, f"file not found: {fastq}")
        fastqs[column] = fastq
    if fastqs.get("fq1") is not None and fastqs.get("fq1") == fastqs.get("fq2"):
        problem("fq2", "same file as fq1")
    sex = record.get("sex", "").lower()
    if sex not in SEXES:
        problem("sex", f"{record['sex']!r} is not one of male, female, unknown (or empty)")
    hpo = tuple(term.strip() for term in record.get("hpo", "").split(";") if term.strip())
    for term in hpo:
        if not HPO_TERM.match(term):
            problem("hpo", f"{term!r} is not an HPO term id (HP:0000000, separated by ';')")
    phenopacket, packet_hpo = _check_phenopacket(path, record, sex, problem)
    hpo += tuple(term for term in packet_hpo if term not in hpo)
    if len(problems) > before:
        return None
    return Unit(
        sample=record["sample"],
        unit=record["unit"],
        platform=record["platform"].upper(),
        fq1=fastqs["fq1"].resolve(),
        fq2=fastqs["fq2"].resolve(),
        sex=sex or "unknown",
        hpo=hpo,
        phenopacket=phenopacket,
    )


def _check_phenopacket(
    path: Path, record: dict[str, str], sex: str, problem
) -> tuple[Path | None, tuple[str, ...]]:
    """The optional phenopacket must parse and describe this row's individual.

    Returns its path and its observed HPO terms, which join the hpo column's (the column
    is the short form of the same thing), so prioritisation uses them too.
    """
    from varnode.phenotype.phenopacket import read_phenopacket

    if not record.get("phenopacket"):
        return None, ()
    packet = Path(record["phenopacket"])
    packet = (packet if packet.is_absolute() else path.parent / packet).resolve()
    try:
        clinical = read_phenopacket(packet)
    except VarnodeError as error:
        problem("phenopacket", str(error))
        return None, ()
    if clinical.subject != record["sample"]:
        problem("phenopacket", f"{packet}: subject.id {clinical.subject!r} is not the sample")
    if sex in ("male", "female") and clinical.sex in ("male", "female") and sex != clinical.sex:
        problem("phenopacket", f"{packet}: subject.sex {clinical.sex} but column sex is {sex}")
    return packet, tuple(term.id for term in clinical.phenotypes)


def _inconsistent_sample_fields(sheet: SampleSheet) -> list[str]:
    """Sex, HPO terms and phenopacket describe the individual: all units of a sample agree."""
    problems = []
    for sample in sheet.samples:
        units = sheet.units_of(sample)
        for attribute in ("sex", "hpo", "phenopacket"):
            values = {getattr(unit, attribute) for unit in units}
            if len(values) > 1:
                problems.append(
                    f"{sheet.path} sample {sample!r}, column {attribute}: units disagree "
                    f"({', '.join(sorted(map(str, values)))})"
                )
    return problems
