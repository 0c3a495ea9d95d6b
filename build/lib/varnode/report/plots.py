"""Plots as inline SVG text (matplotlib, Agg-free SVG backend, text drawn as paths so a
page needs no fonts), ready to paste into a self-contained HTML page."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # after matplotlib.use: the backend must be chosen first

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


def coverage_plot(points: Sequence[tuple[int, float]], thresholds: Sequence[int]) -> str:
    """Fraction of bases covered at >= depth (mosdepth's cumulative distribution)."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    depths = [depth for depth, _ in points]
    axes.plot(depths, [fraction for _, fraction in points], color="#1f6f8b")
    for threshold in thresholds:
        axes.axvline(threshold, color="#999999", linestyle=":", linewidth=0.8)
    axes.set_xscale("symlog", linthresh=10)
    axes.set_ylim(0, 1.02)
    axes.set_xlabel("depth")
    axes.set_ylabel("fraction of bases ≥ depth")
    return _to_svg(figure, "coverage distribution")


def insert_size_plot(insert_sizes: Sequence[tuple[int, int]]) -> str:
    """Read pairs per insert size (samtools stats IS)."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    nonzero = [(size, pairs) for size, pairs in insert_sizes if pairs]
    if nonzero:
        axes.bar(
            [size for size, _ in nonzero],
            [pairs for _, pairs in nonzero],
            width=1.0,
            color="#1f6f8b",
        )
    axes.set_xlabel("insert size (bp)")
    axes.set_ylabel("read pairs")
    return _to_svg(figure, "insert size distribution")


def grouped_bar_plot(
    groups: Sequence[str],
    series: dict[str, Sequence[float]],
    ylabel: str,
    title: str,
) -> str:
    """Bars per group (x) for each named series, side by side."""
    figure, axes = plt.subplots(figsize=FIGURE_SIZE)
    width = 0.8 / max(len(series), 1)
    for index, (name, values) in enumerate(series.items()):
        positions = [group + index * width - 0.4 + width / 2 for group in range(len(groups))]
        axes.bar(positions, values, width=width, label=name)
    axes.set_xticks(range(len(groups)), groups, rotation=30 if len(groups) > 6 else 0)
    axes.set_ylabel(ylabel)
    if len(series) > 1:
        axes.legend(frameon=False)
    return _to_svg(figure, title)


def heatmap_plot(
    labels: Sequence[str], matrix: Sequence[Sequence[float | None]], title: str
) -> str:
    """A labelled square matrix (missing cells blank), values written in the cells."""
    figure, axes = plt.subplots(figsize=(1.2 + 0.9 * len(labels), 0.8 + 0.9 * len(labels)))
    values = [[float("nan") if v is None else v for v in row] for row in matrix]
    image = axes.imshow(values, cmap="viridis", vmin=0, vmax=max(0.5, *_finite(values)))
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value is not None:
                axes.text(j, i, f"{value:.3f}", ha="center", va="center", color="white")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    figure.colorbar(image, ax=axes, shrink=0.8)
    return _to_svg(figure, title)


def _finite(matrix: Sequence[Sequence[float]]) -> list[float]:
    return [value for row in matrix for value in row if value == value]
