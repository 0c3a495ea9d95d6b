"""Live Snakemake runs in a folder, so that `snakemake --unlock` can refuse to break one.

`--unlock` removes the run folder's lock whoever holds it: used while another run is
live, the two runs then write the same outputs and both end broken. Only processes of
this host are visible (Linux /proc); a run started from another login node is not.
"""

from __future__ import annotations

import os
from pathlib import Path

# Invocations that take no lock: unlocking beside them breaks nothing.
LOCK_FREE = {"-n", "--dry-run", "--dryrun", "--unlock", "--lint", "--summary", "-S"}


def _ancestors(pid: int) -> set[int]:
    found = {pid}
    while pid > 1:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rsplit(")", 1)[1].split()[1])
        found.add(pid)
    return found


def is_snakemake(argv: list[str]) -> bool:
    """`snakemake ...`, `python -m snakemake ...` or `python .../bin/snakemake ...`."""
    return any(Path(arg).name == "snakemake" for arg in argv[:3]) and not LOCK_FREE & set(argv)


def live_snakemake_runs(directory: str | os.PathLike[str]) -> list[int]:
    """PIDs of other Snakemake processes on this host working in `directory`."""
    directory = Path(directory).resolve()
    mine = _ancestors(os.getpid())
    live = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit() or int(entry.name) in mine:
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == directory and is_snakemake(argv):
            live.append(int(entry.name))
    return sorted(live)


def refuse_unlock_beside_live_runs(
    argv: list[str], directory: str | os.PathLike[str]
) -> str | None:
    """The refusal message when `argv` asks to unlock a folder a live run works in."""
    if "--unlock" not in argv:
        return None
    live = live_snakemake_runs(directory)
    if not live:
        return None
    return (
        f"varnode: refusing --unlock: Snakemake process(es) {', '.join(map(str, live))} are "
        f"running in {Path(directory).resolve()}. Unlocking would let two runs overwrite each "
        "other's outputs. Wait for the run to end, or stop it (Ctrl-C) first."
    )
