"""Files under results/ that are run metadata outside the run's crate.

The end-of-run summary (report/run_summary.html and .txt, and its tables
report/tables/run_summary*.tsv/.json; varnode.runtime.run_summary writes them) is
rewritten at the end of every run, after the run's crate, so the crate neither lists
nor checksums it, and `varnode verify` does not compare it (like run.json's times).
"""

from __future__ import annotations

SUMMARY_NAME = "run_summary"
SUMMARY_FOLDERS = ("report", "report/tables")


def is_summary_file(relative: str) -> bool:
    """Whether `relative` (a path under results/) is one of the run summary's files."""
    folder, _, name = relative.rpartition("/")
    return folder in SUMMARY_FOLDERS and name.startswith(f"{SUMMARY_NAME}.")
