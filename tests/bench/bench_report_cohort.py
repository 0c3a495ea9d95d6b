"""Build time and size of the report's cohort page for a generated cohort.

    python tests/bench/bench_report_cohort.py                 # 1,000 samples
    python tests/bench/bench_report_cohort.py --samples 200 1000 2000

Per cohort size, a results/ folder is generated with the cohort stage's tables as
`varnode sample-qc` and `varnode relatedness` write them (sample_qc.tsv/.json, and
relatedness.tsv with one row per pair: 499,500 rows for 1,000 samples; seeded families of
duplicates, first- and second-degree relatives, and 3 % of pairs resting on too few
sites), plus the per-sample QC files the sequencing table reads (one sample's real
outputs from tests/unit/data/report, copied under every name). Then `varnode report`
runs as the workflow runs it, and the cohort page's build is timed on its own (the
parsed inputs in memory, as `varnode report` holds them). No cohort VCF: its summary is
the cohort stage's cost, measured by bench_cohort.py. Results print as a table.

Measured 2026-12-01 (2 shared cores, nice), 1,000 samples: relatedness.tsv 28.8 MB
(499,500 pairs) read in 1.0 s, cohort page built and written in 1.2 s, cohort.html
2.5 MB, index.html 2.0 MB; the whole `varnode report` 223 s (mostly its 1,000 sample
pages; 354 s in a busier run), folder 107 MB.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from itertools import combinations
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "unit" / "data" / "report"
PER_SAMPLE = {
    "NA12878.L1.fastp.json": "qc/fastp/{sample}.L1.fastp.json",
    "NA12878.samtools_stats.txt": "qc/samtools_stats/{sample}.txt",
    "NA12878.flagstat.txt": "qc/samtools_flagstat/{sample}.txt",
    "NA12878.markdup.txt": "qc/markdup/{sample}.markdup.txt",
    "NA12878.mosdepth.summary.txt": "qc/mosdepth/{sample}.mosdepth.summary.txt",
    "NA12878.mosdepth.global.dist.txt": "qc/mosdepth/{sample}.mosdepth.global.dist.txt",
}
SAMPLE_QC_COLUMNS = (
    "sample\tsheet_sex\tinferred_sex\tcall_rate\tn_called_autosomal\tn_autosomal_sites\tn_snv"
    "\tn_indel\tti_tv\tn_het\tn_hom_alt\thet_hom_ratio\tx_variant_calls\tx_het_fraction"
    "\tmean_depth_autosomes\tx_depth_ratio\ty_depth_ratio\tsex_evidence\tflags"
)
RELATEDNESS_COLUMNS = (
    "sample_a\tsample_b\tkinship\tn_sites\thet_het\topposite_hom\thet_a\thet_b"
    "\testimate_degree\tflag"
)


def write_results(root: Path, n_samples: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    samples = [f"S{i:05d}" for i in range(n_samples)]
    results = root / "results"
    for sample in samples:
        for fixture, target in PER_SAMPLE.items():
            path = results / target.format(sample=sample)
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(FIXTURES / fixture, path)
    (root / "samples.tsv").write_text(
        "sample\tunit\n" + "".join(f"{sample}\tL1\n" for sample in samples)
    )
    cohort = results / "cohort"
    cohort.mkdir(parents=True, exist_ok=True)
    lines = [SAMPLE_QC_COLUMNS]
    for index, sample in enumerate(samples):
        call_rate = 0.6 if index % 97 == 0 else rng.uniform(0.97, 1.0)
        flags = "low_call_rate" if call_rate < 0.9 else "PASS"
        het, hom = int(rng.integers(2000, 2600)), int(rng.integers(1200, 1500))
        lines.append(
            f"{sample}\tfemale\tfemale\t{call_rate:.4g}\t9900\t10000\t3000\t400"
            f"\t{rng.normal(2.05, 0.03):.4g}\t{het}\t{hom}\t{het / hom:.4g}\t300\t0.45"
            f"\t{rng.normal(30, 2):.4g}\t1.0\tNA\tX heterozygosity\t{flags}"
        )
    (cohort / "sample_qc.tsv").write_text("\n".join(lines) + "\n")
    (cohort / "sample_qc.json").write_text(
        '{"outlier_test": "median +- 4.0 x scaled MAD per metric",'
        ' "thresholds": {"outlier_mads": 4.0, "min_samples_for_outliers": 10}}\n'
    )
    family = {i: ("duplicate", 0.49) for i in range(0, n_samples, 211)}
    family |= {i: ("first-degree", 0.25) for i in range(50, n_samples, 101)}
    family |= {i: ("second-degree", 0.12) for i in range(70, n_samples, 151)}
    with (cohort / "relatedness.tsv").open("w") as handle:
        handle.write(RELATEDNESS_COLUMNS + "\n")
        for i, j in combinations(range(n_samples), 2):
            sites = int(rng.integers(50, 4000))
            if j == i + 1 and i in family:
                degree, kinship = family[i]
            else:
                degree, kinship = "unrelated", rng.normal(0.0, 0.02)
            flag = degree if sites >= 200 else "insufficient_data"
            handle.write(
                f"{samples[i]}\t{samples[j]}\t{kinship:.4f}\t{sites}\t10\t2\t30\t31"
                f"\t{degree}\t{flag}\n"
            )
    return results


def measure(n_samples: int, seed: int, keep: Path | None = None) -> dict[str, float]:
    sys.path[:0] = [str(REPO / "scripts"), str(REPO)]
    from tests.unit.report_sources import SOURCES, sources
    from varnode.common.config import config_default
    from varnode.report import builders, command, tables
    from varnode.report.pages import copy_raw, write_page
    from varnode.report.tables import Section

    with tempfile.TemporaryDirectory(prefix="bench_report_") as folder:
        root = Path(folder)
        results = write_results(root, n_samples, seed)
        out = root / "report"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "varnode",
                "report",
                "--sources",
                sources(results),
                "--results",
                str(results),
                "--sample-sheet",
                str(root / "samples.tsv"),
                "--callers",
                "bcftools",
                "-o",
                str(out),
            ],
            check=True,
            capture_output=True,
            env={"PYTHONPATH": str(REPO / "scripts"), "PATH": "/usr/bin:/bin"},
        )
        whole = time.perf_counter() - started

        args = command.argparse.Namespace(outlier_mads=4.0, min_samples_for_outliers=10)
        patterns = {role: f"{results}/{pattern}" for role, pattern in SOURCES.items()}
        thresholds = config_default("report", "qc_thresholds")
        reports = []
        for sample in [f"S{i:05d}" for i in range(n_samples)]:
            report = tables.load_sample(patterns, sample, ["L1"], [])
            report.metrics = tables.sample_metrics(report, [1, 10, 20])
            report.qc_status, report.qc_reasons = tables.qc_status(report.metrics, thresholds)
            reports.append(report)
        started = time.perf_counter()
        cohort = partial(tables.source, patterns)
        sample_qc, relatedness, outlier_test, rule = command.load_cohort(cohort, args)
        loaded = time.perf_counter() - started
        link = partial(copy_raw, results=results, out_dir=root / "page")
        started = time.perf_counter()
        page = builders.cohort_page(
            reports,
            rule,
            sample_qc,
            outlier_test,
            relatedness,
            Section(problem="not generated"),
            link,
        )
        write_page(page, root / "page", None, "not generated")
        built = time.perf_counter() - started
        if keep:
            shutil.copytree(out, keep / f"report-{n_samples}", dirs_exist_ok=True)
        return {
            "samples": n_samples,
            "pairs": n_samples * (n_samples - 1) // 2,
            "relatedness_tsv_mb": (results / "cohort/relatedness.tsv").stat().st_size / 1e6,
            "report_command_s": whole,
            "cohort_inputs_load_s": loaded,
            "cohort_page_build_s": built,
            "cohort_html_mb": (out / "cohort.html").stat().st_size / 1e6,
            "index_html_mb": (out / "index.html").stat().st_size / 1e6,
            "report_folder_mb": sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 1e6,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, nargs="+", default=[1000])
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--keep", type=Path, help="copy each report folder here, to look at")
    args = parser.parse_args()
    rows = [measure(n, args.seed, args.keep) for n in args.samples]
    columns = list(rows[0])
    print("\t".join(columns))
    for row in rows:
        print(
            "\t".join(
                f"{row[c]:.2f}" if isinstance(row[c], float) else str(row[c]) for c in columns
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
