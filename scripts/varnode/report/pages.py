"""Page model and rendering: tables (shown on a page and written as TSV beside it), plots,
and the Jinja2 templates in `templates/` (CSS and JS inlined, so a page opens from disk
with no network and keeps working when the report folder is copied)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from varnode.common.atomic import atomic_path, write_text_atomic
from varnode.report import display

TEMPLATES = Path(__file__).parent / "templates"
MISSING = ""
# Bulk data stays in results/: the report copies only small text files.
NOT_COPIED = (".vcf.gz", ".bcf", ".bam", ".cram")
# Larger text files (a 1,000-sample cohort's pairwise relatedness) are linked where they
# lie under results/ instead of copied into the report folder.
COPY_LIMIT_BYTES = 5_000_000
# Tables longer than this are shown collapsed (a click opens them).
COLLAPSE_ROWS = 12


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
    # (value of the first column, column) -> href, for links that differ per row
    cell_links: dict[tuple[str, str], str] = field(default_factory=dict)
    # a column shown not as a column but in an expandable row under each row
    detail: str | None = None
    # per row, data-* attributes the page's filters use (e.g. {"rare": "true"})
    row_data: list[dict[str, str]] = field(default_factory=list)
    # shown open even when long (the table the page is about)
    collapsed: bool | None = None
    # a metric/value table laid out as tiles (a first screen, not a long column)
    tiles: bool = False
    # (value of the first column, column) -> text shown instead of the value (the TSV
    # keeps the value), e.g. "BAM" for a file's path, a metric's readable name
    shown: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def html_id(self) -> str:
        """Element id usable as a CSS selector without escaping."""
        return "table-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name)

    @property
    def tsv_href(self) -> str:
        return f"tables/{self.name}.tsv"

    @property
    def shown_columns(self) -> list[str]:
        return [column for column in self.columns if column != self.detail]

    @property
    def is_collapsed(self) -> bool:
        return len(self.rows) > COLLAPSE_ROWS if self.collapsed is None else self.collapsed

    def headers(self) -> list[dict[str, str]]:
        """Each shown column's readable label, and its definition for the hover text."""
        headers = []
        for column in self.shown_columns:
            spec = display.column(column)
            label = spec.label if spec else column.replace("_", " ")
            definition = f"{spec.definition} ({column})" if spec else column
            headers.append({"name": column, "label": label, "title": definition})
        return headers

    def cells(self) -> list[list[dict[str, Any]]]:
        key = self.columns[0]
        rows = []
        for row in self.rows:
            cells = []
            for column in self.shown_columns:
                value = row.get(column)
                text = format_value(value)
                shown = self.shown.get((str(row.get(key)), column)) or display.display(
                    column, value
                )
                cells.append(
                    {
                        "column": column,
                        "text": text,
                        "display": text if shown is None else shown,
                        "highlight": (str(row.get(key)), column) in self.highlight,
                        "href": self.cell_links.get((str(row.get(key)), column))
                        or self.links.get(column, {}).get(text),
                        "numeric": isinstance(value, int | float) and not isinstance(value, bool),
                    }
                )
            rows.append(cells)
        return rows

    def details(self) -> list[str]:
        return [format_value(row.get(self.detail)) for row in self.rows] if self.detail else []

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
    # why the block is empty when nothing went wrong (e.g. prioritisation not requested)
    not_requested: str | None = None
    notes: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    raw: list[tuple[str, str | None]] = field(default_factory=list)
    # (status, count) badges, e.g. how many samples pass/warn/fail
    counts: list[tuple[str, int]] = field(default_factory=list)
    # (level, text, href or None): things that need a look, each with its verdict
    items: list[tuple[str, str, str | None]] = field(default_factory=list)
    # (title, links): raw links grouped (e.g. per sample), each group collapsed
    raw_groups: list[tuple[str, list[tuple[str, str | None]]]] = field(default_factory=list)
    # filter checkboxes over a table's rows: (table html id, data attribute, label)
    filters: list[tuple[str, str, str]] = field(default_factory=list)
    # tables above the plots (a list to read first, e.g. the related pairs)
    tables_first: bool = False


@dataclass
class Page:
    filename: str
    title: str
    blocks: list[Block]
    status: str | None = None
    status_reasons: list[str] = field(default_factory=list)
    links: list[tuple[str, str | None]] = field(default_factory=list)
    # a table of contents of the blocks at the top of the page
    contents: bool = False

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


def link_in_results(path: Path, report_dir: Path) -> str:
    """Href from the report folder's pages to a file elsewhere under results/."""
    return Path(os.path.relpath(path.resolve(), report_dir.resolve())).as_posix()


def copy_raw(
    source: Path, results: Path, out_dir: Path, report_dir: Path | None = None
) -> tuple[str, str | None]:
    """Copy a raw input into out_dir/raw/ (same path as under results/) so links keep
    working when the report folder is copied; returns (label, href or None if absent).
    A file too large to copy is linked where it lies, from `report_dir` (the folder the
    pages end up in; default out_dir)."""
    try:
        relative = source.resolve().relative_to(results.resolve())
    except ValueError:
        relative = Path(source.name)
    label = str(Path("results") / relative)
    if not source.is_file():
        return f"{label} (missing)", None
    if source.name.endswith(NOT_COPIED):
        return f"{label} (bulk data: not copied into the report)", None
    if source.stat().st_size > COPY_LIMIT_BYTES:
        href = link_in_results(source, report_dir or out_dir)
        return f"{label} (large: linked in results/, not copied)", href
    target = out_dir / "raw" / relative
    with atomic_path(target) as partial:
        shutil.copyfile(source, partial)
    return label, f"raw/{relative.as_posix()}"
