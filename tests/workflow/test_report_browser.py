"""The report in a real browser: headless Debian Chromium driven by Playwright, network off.

Opens index.html, a sample page and the cohort page of the shared-data pipeline run from a
copy of the report folder (so nothing outside it is reachable), and checks: no console
errors, no network requests, key numbers equal to the raw TSV, every link resolves, table
sorting and search work. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import REPO

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif(not CHROMIUM.is_file(), reason="Debian chromium is not installed"),
]


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.fixture(scope="module")
def report_copy(pipeline_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder copied elsewhere: pages must not depend on results/ around it,
    except the run's RO-Crate, which they link beside the folder (results/)."""
    copy = tmp_path_factory.mktemp("copied") / "report"
    shutil.copytree(pipeline_run / "results" / "report", copy)
    shutil.copy(pipeline_run / "results" / "ro-crate-metadata.json", copy.parent)
    return copy


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Open a report page offline; returns (page, console errors, blocked requests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def block_network(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", block_network)
    errors: list[str] = []

    def visit(path: Path):
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{path.stem}.png"), full_page=True)
        return page, errors, blocked

    yield visit
    context.close()


def assert_links_resolve(page, folder: Path) -> int:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    for href in hrefs:
        url = urlparse(href)
        assert url.scheme == "file", f"non-local link {href}"
        assert Path(unquote(url.path)).is_file(), f"broken link {href}"
    return len(hrefs)


def cell_text(page, table: str, row_key: str | tuple[str, ...], column: str) -> str:
    """Text of `column` in the row whose leading cells are exactly `row_key`."""
    row = page.locator(f"#table-{table} tbody tr")
    for number, key in enumerate((row_key,) if isinstance(row_key, str) else row_key, start=1):
        cell = page.locator(f"td:nth-child({number})", has_text=re.compile(f"^{re.escape(key)}$"))
        row = row.filter(has=cell)
    return row.locator(f"td[data-column='{column}']").inner_text()


def test_index_page(open_page, report_copy: Path):
    page, errors, blocked = open_page(report_copy / "index.html")
    assert errors == [] and blocked == []
    metrics = read_tsv(report_copy / "tables" / "sample_metrics.tsv")
    assert {row["sample"] for row in metrics} == {"NA12878", "testN", "testT"}
    for row in metrics:
        for column in ("qc_status", "mapping_rate", "duplicate_rate", "mean_depth"):
            assert cell_text(page, "index_samples", row["sample"], column) == row[column]
    # NA12878 is 30x WGS-like data; testN/testT are targeted, so low genome-wide breadth.
    assert cell_text(page, "index_samples", "NA12878", "qc_status") == "pass"
    assert cell_text(page, "index_samples", "testN", "qc_status") == "fail"
    assert page.locator("#run-metadata").inner_text().count("samtools") >= 1
    assert page.locator("a", has_text="MultiQC report").count() >= 1
    assert assert_links_resolve(page, report_copy) > 20


def test_sample_page(open_page, report_copy: Path):
    page, errors, blocked = open_page(report_copy / "sample-NA12878.html")
    assert errors == [] and blocked == []
    for section in ("reads", "mapping", "duplicates", "insert-size", "coverage", "variants"):
        assert page.locator(f"section#{section} .not-available").count() == 0, section
    assert page.locator("section#coverage svg[aria-label='coverage distribution']").count() == 1
    variants = read_tsv(report_copy / "tables" / "NA12878.variants.tsv")
    raw = next(row for row in variants if row["caller"] == "bcftools" and row["stage"] == "raw")
    assert cell_text(page, "NA12878-variants", ("bcftools", "raw"), "ts_tv") == raw["ts_tv"]
    assert cell_text(page, "NA12878-variants", ("bcftools", "raw"), "snvs") == raw["snvs"]
    metrics = {
        row["metric"]: row["value"]
        for row in read_tsv(report_copy / "tables" / "NA12878.metrics.tsv")
    }
    assert cell_text(page, "NA12878-metrics", "breadth_10x", "value") == metrics["breadth_10x"]
    assert page.locator(".status").inner_text().lower() == "pass"
    # Sorting: a click on 'value' orders the metrics table numerically.
    header = page.locator("#table-NA12878-metrics th", has_text="value")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert_links_resolve(page, report_copy)


def test_cohort_page(open_page, report_copy: Path):
    page, errors, blocked = open_page(report_copy / "cohort.html")
    assert errors == [] and blocked == []
    for section in ("sample-metrics", "relatedness", "af-spectrum", "variants-per-sample"):
        assert page.locator(f"section#{section}").count() == 1
    per_sample = read_tsv(report_copy / "tables" / "cohort.variants_per_sample.tsv")
    for row in per_sample:
        assert (
            cell_text(page, "cohort-variants_per_sample", row["sample"], "variants")
            == row["variants"]
        )
    spectrum = read_tsv(report_copy / "tables" / "cohort.af_spectrum.tsv")
    shown = page.locator("#table-cohort-af_spectrum td[data-column='snvs']").all_inner_texts()
    assert shown == [row["snvs"] for row in spectrum]
    assert page.locator("section#relatedness svg").count() == 1
    assert_links_resolve(page, report_copy)


def test_candidate_search_filters_rows(open_page, report_copy: Path):
    page, errors, _ = open_page(report_copy / "sample-NA12878.html")
    search = page.locator("input.table-search").first
    if search.count() == 0:
        pytest.skip("no candidate table in this run (annotation stage absent)")
    table = page.locator(f"#{search.get_attribute('data-table')} tbody tr")
    total = table.count()
    search.fill("no-such-text-anywhere")
    assert page.locator(f"#{search.get_attribute('data-table')} tbody tr:visible").count() == 0
    search.fill("")
    assert page.locator(f"#{search.get_attribute('data-table')} tbody tr:visible").count() == total
    assert errors == []
