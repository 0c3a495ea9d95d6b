"""Plots as inline SVG text (matplotlib, Agg-free SVG backend, text drawn as paths so a
page needs no fonts), ready to paste into a self-contained HTML page."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # after matplotlib.use: the backend must be chosen first
import numpy as np
from matplotlib.ticker import PercentFormatter

from varnode.report.display import TIMES

matplotlib.rcParams.update(
    {
        "svg.fonttype": "path",
        # A fixed salt gives reproducible element ids, so reruns produce identical pages.
        "svg.hashsalt": "varnode",
        "figure.dpi": 96,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

FIGURE_SIZE = (6.0, 3.2)
XML_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def _to_svg(figure, title: str) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    svg = XML_PROLOGUE.sub("", buffer.getvalue(), count=1)
    # An accessible name for the figure (screen readers, and tests that look plots up).
    return svg.replace("<svg ", f'<svg role="img" aria-label="{title}" ', 1)


def coverage_plot(
    points: Sequence[tuple[int, float]], thresholds: Sequence[int], mean_depth: float | None
) -> str:
    """Fraction of bases covered at >= depth (mosdepth's cumulative distribution), depth
    axis from 0 to where coverage has run out, each threshold marked with its breadth."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    covered = [depth for depth, fraction in points if fraction >= 0.005]
    limit = max([*covered, *thresholds, 1])
    if mean_depth:
        limit = min(limit, max(3 * mean_depth, *thresholds))
    shown = [(depth, fraction) for depth, fraction in points if depth <= limit]
    axes.plot([d for d, _ in shown], [f for _, f in shown], color="#1f6f8b")
    for threshold in thresholds:
        breadth = max((f for d, f in points if d >= threshold), default=0.0)
        axes.axvline(threshold, color="#888888", linestyle=":", linewidth=0.8)
        axes.annotate(
            f"{threshold}{TIMES}: {100 * breadth:.1f} %",
            (threshold, 0.04),
            xycoords=("data", "axes fraction"),
            xytext=(-3, 0),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="bottom",
            fontsize=8,
            color="#444444",
        )
    axes.set_xlim(0, limit)
    axes.set_ylim(0, 1.02)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("depth (reads covering a base)")
    axes.set_ylabel("bases covered at ≥ depth")
    return _to_svg(figure, "coverage distribution")


def insert_size_plot(insert_sizes: Sequence[tuple[int, int]]) -> str:
    """Read pairs per insert size (samtools stats IS), the longest 0.5 % of pairs cut off
    so a few chimeric pairs do not squeeze the distribution into a line."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    nonzero = [(size, pairs) for size, pairs in insert_sizes if pairs]
    if nonzero:
        total, running, cut = sum(p for _, p in nonzero), 0, nonzero[-1][0]
        for size, pairs in nonzero:
            running += pairs
            if running >= 0.995 * total:
                cut = size
                break
        kept = [(size, pairs) for size, pairs in nonzero if size <= cut]
        axes.bar([s for s, _ in kept], [p for _, p in kept], width=1.0, color="#1f6f8b")
        axes.set_xlim(left=0)
    axes.set_xlabel("insert size (bp)")
    axes.set_ylabel("read pairs")
    return _to_svg(figure, "insert size distribution")


def read_quality_plot(curves: dict[str, Sequence[float]]) -> str:
    """Mean base quality per read position (fastp, after trimming), one line per read."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    for name, curve in curves.items():
        axes.plot(range(1, len(curve) + 1), curve, label=name, linewidth=1)
    axes.axhline(30, color="#888888", linestyle=":", linewidth=0.8)
    axes.annotate("Q30", (1, 30), xytext=(2, 2), textcoords="offset points", fontsize=8)
    axes.set_ylim(0, 42)
    axes.set_xlim(left=0)
    axes.set_xlabel("position in read (cycle)")
    axes.set_ylabel("mean base quality (Phred)")
    if len(curves) > 1:
        axes.legend(frameon=False, fontsize=8, loc="lower left")
    return _to_svg(figure, "read quality")


def grouped_bar_plot(
    groups: Sequence[str],
    series: dict[str, Sequence[float]],
    ylabel: str,
    title: str,
    xlabel: str,
    colors: Sequence[str] | None = None,
) -> str:
    """Bars per group (x) for each named series, side by side (colours: one per series,
    default matplotlib's cycle)."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [group + index * width - 0.4 + width / 2 for group in range(len(groups))]
        color = colors[index] if colors else None
        axes.bar(positions, values, width=width, label=name, color=color)
    rotation = 90 if len(groups) > 12 else 30 if len(groups) > 6 else 0
    axes.set_xticks(range(len(groups)), groups, rotation=rotation)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if len(series) > 1:
        axes.legend(frameon=False, fontsize=8)
    return _to_svg(figure, title)


def paired_colors(pairs: int) -> list[str]:
    """Light then dark of one hue per pair (e.g. a caller's raw and PASS counts)."""
    cycle = plt.get_cmap("tab20").colors
    return [
        matplotlib.colors.to_hex(cycle[(2 * (i // 2) + 1 - i % 2) % 20]) for i in range(2 * pairs)
    ]


def histogram_plot(values: Sequence[float], xlabel: str, ylabel: str, title: str) -> str:
    """Distribution of one value over many items (e.g. variants per sample)."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    axes.hist(np.asarray(values, dtype=float), bins=40, color="#1f6f8b")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    return _to_svg(figure, title)


def kinship_histogram(kinship: np.ndarray, boundaries: Sequence[tuple[float, str]]) -> str:
    """Pairs by kinship (log count axis: thousands of unrelated pairs, a few related),
    with the degree boundaries marked."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    axes.hist(kinship, bins=np.linspace(-0.5, 0.55, 106), color="#1f6f8b", log=True)
    for bound, label in boundaries:
        axes.axvline(bound, color="#aa5500", linestyle=":", linewidth=0.8)
        axes.annotate(
            label,
            (bound, 0.98),
            xycoords=("data", "axes fraction"),
            xytext=(2, 0),
            textcoords="offset points",
            rotation=90,
            ha="left",
            va="top",
            fontsize=7,
            color="#aa5500",
        )
    axes.set_xlabel("kinship (KING-robust)")
    axes.set_ylabel("sample pairs (log scale)")
    return _to_svg(figure, "kinship histogram")


SCATTER_LIMIT = 5000


def kinship_scatter(kinship: np.ndarray, n_sites: np.ndarray) -> str:
    """Kinship against the informative sites it rests on: points while few, a 2-D
    histogram (a fixed-size raster, whatever the number of pairs) beyond SCATTER_LIMIT."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    if len(kinship) <= SCATTER_LIMIT:
        axes.scatter(n_sites, kinship, s=8, color="#1f6f8b", alpha=0.7)
    else:
        counts, x_edges, y_edges = np.histogram2d(n_sites, kinship, bins=(80, 60))
        image = axes.imshow(
            np.ma.masked_equal(counts.T, 0),
            origin="lower",
            aspect="auto",
            extent=(x_edges[0], x_edges[-1], y_edges[0], y_edges[-1]),
            cmap="viridis",
            norm=matplotlib.colors.LogNorm(),
            interpolation="nearest",
        )
        figure.colorbar(image, ax=axes, label="sample pairs")
    axes.set_xlabel("informative sites of the pair")
    axes.set_ylabel("kinship (KING-robust)")
    return _to_svg(figure, "kinship by informative sites")
