"""Page model and rendering: tables (shown on a page and written as TSV beside it), plots,
and the Jinja2 templates in `templates/` (CSS and JS inlined, so a page opens from disk
with no network and keeps working when the report folder is copied)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from varnode.common.atomic import atomic_path, write_text_atomic

TEMPLATES = Path(__file__).parent / "templates"
MISSING = ""
# Bulk data stays in results/: the report copies only small text files.
NOT_COPIED = (".vcf.gz", ".bcf", ".bam", ".cram")


def format_value(value: Any) -> str:
    """The one text form of a value, used both on the page and in the TSV."""
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        text = f"{value:.6g}"
        return repr(value) if "e" in text else text
    return str(value)


@dataclass
class Table:
    """Rows of one table; `name` is its file stem under tables/ (name.tsv)."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    # (value of the first column, column) of cells to highlight, e.g. outliers
    highlight: set[tuple[str, str]] = field(default_factory=set)
    searchable: bool = False
    # column whose values link to a page: {value: href}
    links: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def html_id(self) -> str:
        """Element id usable as a CSS selector without escaping."""
        return "table-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def tsv_href(self) -> str:
        return f"tables/{self.name}.tsv"

    def cells(self) -> list[list[dict[str, Any]]]:
        key = self.columns[0]
        return [
            [
                {
                    "text": format_value(row.get(column)),
                    "highlight": (str(row.get(key)), column) in self.highlight,
                    "href": self.links.get(column, {}).get(str(row.get(column))),
                    "numeric": isinstance(row.get(column), int | float)
                    and not isinstance(row.get(column), bool),
                }
                for column in self.columns
            ]
            for row in self.rows
        ]

    def tsv(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([format_value(row.get(column)) for column in self.columns])
        return buffer.getvalue()


@dataclass
class Block:
    """A titled section of a page; `problem` replaces its content with a 'not available'
    note. `raw` lists (label, href or None when the file is missing)."""

    id: str
    title: str
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    raw: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class Page:
    filename: str
    title: str
    blocks: list[Block]
    status: str | None = None
    status_reasons: list[str] = field(default_factory=list)
    links: list[tuple[str, str | None]] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [table for block in self.blocks for table in block.tables]


def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_page(page: Page, out_dir: Path, run: dict[str, Any] | None, run_problem: str | None):
    """Write the page and its tables (TSV, plus all of them together as JSON)."""
    html = (
        environment()
        .get_template("page.html")
        .render(page=page, run=run, run_problem=run_problem, format_value=format_value)
    )
    for table in page.tables():
        write_text_atomic(out_dir / table.tsv_href, table.tsv())
    write_text_atomic(out_dir / page.filename, html)


def write_json(path: Path, tables: list[Table]) -> None:
    document = {table.name: table.rows for table in tables}
    write_text_atomic(path, json.dumps(document, indent=2, default=str) + "\n")


def copy_raw(source: Path, results: Path, out_dir: Path) -> tuple[str, str | None]:
    """Copy a raw input into out_dir/raw/ (same path as under results/) so links keep
    working when the report folder is copied; returns (label, href or None if absent)."""
    try:
        relative = source.resolve().relative_to(results.resolve())
    except ValueError:
        relative = Path(source.name)
    label = str(Path("results") / relative)
    if not source.is_file():
        return f"{label} (missing)", None
    if source.name.endswith(NOT_COPIED):
        return f"{label} (bulk data: not copied into the report)", None
    target = out_dir / "raw" / relative
    with atomic_path(target) as partial:
        shutil.copyfile(source, partial)
    return label, f"raw/{relative.as_posix()}"
