"""The report in a real browser: headless Debian Chromium driven by Playwright, network off.

Opens index.html, a sample page and the cohort page of the shared-data pipeline run from a
copy of the report folder (so nothing outside it is reachable but the results the index
links to), at 1,280 px wide, and checks: no console errors, no network requests, key
numbers equal to the raw TSV, every link resolves, nothing wider than the window, table
sorting, search, filters and explanation rows work. Full-page screenshots of the three
pages are saved in the test's temporary folder and, when VARNODE_ARTEFACTS names a
folder, there too.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
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
    results = pipeline_run / "results"
    shutil.copytree(results / "report", copy)
    shutil.copy(results / "ro-crate-metadata.json", copy.parent)
    # The index links each sample's results where they lie under results/.
    for folder in ("aligned", "calls", "annotated", "prioritised"):
        (copy.parent / folder).symlink_to(results / folder)
    return copy


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Folders the screenshots go to: the test's own, and VARNODE_ARTEFACTS if set."""
    folders = [tmp_path_factory.mktemp("screenshots")]
    if os.environ.get("VARNODE_ARTEFACTS"):
        folders.append(Path(os.environ["VARNODE_ARTEFACTS"]))
        folders[-1].mkdir(parents=True, exist_ok=True)
    return folders


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, artefacts):
    """Open a report page offline; returns (page, console errors, blocked requests)."""
    context = browser.new_context(viewport=VIEWPORT)
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
        for folder in artefacts:
            page.screenshot(path=str(folder / f"report-{path.stem}.png"), full_page=True)
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


def _cell(page, table: str, row_key: str | tuple[str, ...], column: str):
    """The `column` cell of the row whose leading cells hold exactly `row_key`."""
    row = page.locator(f"#table-{table} tbody tr.main")
    for number, key in enumerate((row_key,) if isinstance(row_key, str) else row_key, start=1):
        cell = page.locator(f"td[data-column]:nth-child({number})[data-value='{key}']")
        row = row.filter(has=cell)
    return row.locator(f"td[data-column='{column}']")


def cell_text(page, table: str, row_key: str | tuple[str, ...], column: str) -> str:
    """The raw value of a cell (what the TSV holds), from its data-value."""
    return _cell(page, table, row_key, column).get_attribute("data-value")


def shown_text(page, table: str, row_key: str | tuple[str, ...], column: str) -> str:
    """What a reader sees in the cell (the value with its unit)."""
    return _cell(page, table, row_key, column).inner_text()


def assert_fits_the_window(page) -> None:
    """No element reaches past the right edge of a 1,280 px window, none is clipped by a
    horizontally scrolling wrapper, and the page itself does not scroll sideways."""
    width = page.evaluate("document.documentElement.clientWidth")
    assert width == VIEWPORT["width"] or width > 1200
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    wider = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('body *'))
            .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > width + 0.5)
            .map(e => e.tagName + (e.id ? '#' + e.id : '') + ' ' + e.className)""",
        width,
    )
    assert wider == [], f"wider than the window: {wider[:5]}"
    clipped = page.evaluate(
        """() => Array.from(document.querySelectorAll('.table-wrap'))
            .filter(w => w.getClientRects().length && w.scrollWidth > w.clientWidth + 1)
            .map(w => w.querySelector('table').id)"""
    )
    assert clipped == [], f"tables scrolling sideways at 1,280 px: {clipped}"


def test_index_page(open_page, report_copy: Path):
    page, errors, blocked = open_page(report_copy / "index.html")
    assert errors == [] and blocked == []
    metrics = read_tsv(report_copy / "tables" / "sample_metrics.tsv")
    index = read_tsv(report_copy / "tables" / "index_samples.tsv")
    assert {row["sample"] for row in metrics} == {"NA12878", "testN", "testT"}
    for row in index:
        for column in ("qc_status", "mapping_rate", "duplicate_rate", "mean_depth"):
            assert cell_text(page, "index_samples", row["sample"], column) == row[column]
        # Status as a coloured badge; each reason marked with the verdict it caused.
        badge = _cell(page, "index_samples", row["sample"], "qc_status").locator(".status")
        assert badge.get_attribute("data-status") == row["qc_status"]
        levels = _cell(page, "index_samples", row["sample"], "qc_reasons").locator(".reason")
        reasons = [r for r in row["qc_reasons"].split("; ") if r]
        assert [r.split(":")[0] for r in reasons] == [
            level.get_attribute("data-level") for level in levels.all()
        ]
    # The first screen counts each verdict as index_samples.tsv does.
    statuses = [row["qc_status"] for row in index]
    for status in ("pass", "warn", "fail"):
        count = page.locator(f"#overview .counts .status-{status}").inner_text()
        assert count.split()[0] == str(statuses.count(status)), status
    # Units: 99.96 % mapped, 32.6x depth, reads in thousands.
    assert shown_text(page, "index_samples", "NA12878", "mapping_rate").endswith(" %")
    assert shown_text(page, "index_samples", "NA12878", "mean_depth").endswith("\u00d7")
    assert shown_text(page, "index_samples", "NA12878", "reads_before_trimming").endswith(" K")
    header = page.locator("#table-index_samples th[data-column='duplicate_rate']")
    assert "markdup" in header.get_attribute("title")
    # testN: mean depth 11.7x is below the warn limit (20x) only, and says so.
    reasons = _cell(page, "index_samples", "testN", "qc_reasons").inner_text()
    assert re.search(r"WARN\s*Mean depth 11\.7\u00d7 < 20\.0\u00d7", reasons, re.IGNORECASE)
    assert cell_text(page, "index_samples", "NA12878", "qc_status") == "pass"
    assert cell_text(page, "index_samples", "testN", "qc_status") == "fail"
    # Cohort findings surface on the first screen (testN/testT: low call rate).
    assert page.locator("#overview li", has_text="low_call_rate").count() == 2
    # Each sample's results, linked; the raw files collapsed per sample.
    bam = _cell(page, "index_deliverables", "NA12878", "alignments").locator("a")
    assert bam.inner_text() == "BAM"
    assert page.locator("#files details.raw-group").count() == 4
    assert not page.locator("#files details.raw-group").first.get_attribute("open")
    assert page.locator("#run-metadata").inner_text().count("samtools") >= 1
    assert page.locator("a", has_text="MultiQC report").count() >= 1
    assert assert_links_resolve(page, report_copy) > 20
    assert_fits_the_window(page)


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
    assert page.locator(".status-line .status").inner_text().lower() == "pass"
    # Contents at the top; the candidates come right after the summary.
    contents = page.locator("nav.contents a").all_inner_texts()
    assert contents[:2] == ["Summary", "Candidate variants (bcftools)"]
    # The filtered stage counts PASS records (bcftools stats --apply-filters PASS).
    for caller in ("bcftools", "freebayes"):
        assert cell_text(page, "NA12878-variants", (caller, "filtered"), "counted") == "PASS"
    passed = next(
        row for row in variants if row["caller"] == "freebayes" and row["stage"] == "filtered"
    )
    freebayes_raw = next(
        row for row in variants if row["caller"] == "freebayes" and row["stage"] == "raw"
    )
    assert int(passed["records"]) < int(freebayes_raw["records"])
    # flagstat categories keep their qualifier: no category twice.
    categories = page.locator("#table-NA12878-flagstat td[data-column='category']")
    names = categories.all_text_contents()
    assert len(names) == len(set(names))
    assert "with mate mapped to a different chr (mapQ>=5)" in names
    for plot in ("read quality", "insert size distribution", "variant counts by type"):
        assert page.locator(f"svg[aria-label='{plot}']").count() == 1, plot
    # Sorting: a click on 'records' orders the variant counts numerically.
    header = page.locator("#table-NA12878-variants th[data-column='records']")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    shown = page.locator("#table-NA12878-variants td[data-column='records']")
    counts = [int(cell.get_attribute("data-value")) for cell in shown.all()]
    assert counts == sorted(counts)
    assert_links_resolve(page, report_copy)
    assert_fits_the_window(page)


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
    # 20 bins: a long table, collapsed until opened.
    cells = page.locator("#table-cohort-af_spectrum td[data-column='snvs']")
    assert cells.first.is_hidden()
    page.locator("#af-spectrum details.table-details summary").click()
    assert cells.all_inner_texts() == [row["snvs"] for row in spectrum]
    # 40 kb of data: every pair rests on too few sites, and is shown as such (the raw
    # table's 0.5 for testN-testT is no estimate).
    kinship = page.locator("#table-cohort-insufficient_pairs td[data-column='kinship']")
    assert set(kinship.all_inner_texts()) == {"insufficient data"}
    assert "0.500" not in page.locator("section#relatedness").inner_text()
    assert page.locator("section#relatedness svg").count() == 0
    # One outlier rule: the sample-QC one, which needs 10 samples.
    assert "needs 10" in page.locator("section#sample-metrics").inner_text()
    assert page.locator("td[data-outlier='true']").count() == 2  # testN/testT call rate
    assert_links_resolve(page, report_copy)
    assert_fits_the_window(page)


def test_candidate_search_filters_rows(open_page, report_copy: Path):
    page, errors, _ = open_page(report_copy / "sample-NA12878.html")
    search = page.locator("input.table-search").first
    table_id = search.get_attribute("data-table")
    rows = page.locator(f"#{table_id} tbody tr.main")
    total = rows.count()
    assert total > 0
    candidates = read_tsv(report_copy / "tables" / "NA12878.bcftools.candidates.tsv")
    assert [
        row.get_attribute("data-value") for row in rows.locator("td[data-column='rank']").all()
    ] == [row["rank"] for row in candidates]
    search.fill("no-such-text-anywhere")
    assert page.locator(f"#{table_id} tbody tr.main:visible").count() == 0
    search.fill("")
    assert page.locator(f"#{table_id} tbody tr.main:visible").count() == total
    # Rare/damaging filters keep only the rows so marked.
    rare = [row for row in rows.all() if row.get_attribute("data-rare") == "true"]
    page.locator(f"input.row-filter-box[data-table='{table_id}'][data-attribute='rare']").check()
    assert page.locator(f"#{table_id} tbody tr.main:visible").count() == len(rare) < total
    page.locator(f"input.row-filter-box[data-table='{table_id}'][data-attribute='rare']").uncheck()
    # A row is one line high; its explanation opens below it and follows it when sorted.
    first = rows.first
    assert first.bounding_box()["height"] < 40
    detail = page.locator(f"#{table_id} tbody tr.detail").first
    assert detail.is_hidden()
    first.locator("button.expand").click()
    assert detail.is_visible() and "score = " in detail.inner_text()
    page.locator(f"#{table_id} th[data-column='score']").click()
    for row in rows.all():
        following = row.locator("xpath=following-sibling::tr[1]")
        assert following.get_attribute("class") == "detail"
    # The candidate table fits the window: score and explanation are on screen.
    box = page.locator(f"#{table_id}").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORT["width"]
    assert errors == []


def test_not_requested_candidates_are_not_an_error(open_page, report_copy: Path):
    page, errors, _ = open_page(report_copy / "sample-testN.html")
    section = page.locator("section#candidates-bcftools")
    assert section.locator(".not-requested").count() == 1
    assert section.locator(".not-available").count() == 0
    assert "no HPO terms" in section.inner_text()
    assert_fits_the_window(page)
    assert errors == []
