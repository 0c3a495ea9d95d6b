"""Write-then-rename, so a killed process never leaves a file that looks complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it onto `final` only on success."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real suffixes: tools such as htslib pick the output format from them.
    partial = final.with_name(f".{final.name}.partial{os.getpid()}{''.join(final.suffixes)}")
    try:
        yield partial
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def write_text_atomic(final: str | os.PathLike[str], text: str) -> None:
    with atomic_path(final) as partial:
        partial.write_text(text)
