"""Build varnode's bcftools plugin (filter_plugin.c) once per bcftools/compiler/source.

The plugin is compiled on first use against the htslib bcftools itself links (Debian's
libhts-dev, or the conda env's htslib under $CONDA_PREFIX) and cached in
$VARNODE_CACHE (default: $XDG_CACHE_HOME/varnode or ~/.cache/varnode; the system's
temporary folder where that cannot be written, as on some compute nodes), keyed by the
source, the bcftools version and the compiler, so an upgrade rebuilds it. Concurrent
first uses each compile to a private file and rename it into place.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from varnode.errors import VarnodeError

SOURCE = Path(__file__).with_name("filter_plugin.c")


def _cache_dir() -> Path:
    if "VARNODE_CACHE" in os.environ:
        return Path(os.environ["VARNODE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "varnode"


def _writable(folder: Path) -> Path:
    """`folder`, created if needed, or a private temporary folder if it cannot be written."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    if "VARNODE_CACHE" in os.environ:
        raise VarnodeError(f"VARNODE_CACHE={folder} cannot be written")
    fallback = Path(tempfile.gettempdir()) / f"varnode-{os.getuid()}"
    fallback.mkdir(mode=0o700, exist_ok=True)
    return fallback


def _bcftools_version() -> str:
    try:
        result = subprocess.run(["bcftools", "--version"], capture_output=True, text=True)
    except FileNotFoundError:
        raise VarnodeError("bcftools is not on PATH (varnode filter runs it)") from None
    first = result.stdout.splitlines()[0] if result.stdout else ""
    if result.returncode != 0 or not first.startswith("bcftools "):
        raise VarnodeError(f"cannot read the bcftools version: {result.stderr.strip()}")
    return first.split()[1]


def _compile_command(output: Path, version: str) -> list[str]:
    command = [*shlex.split(os.environ.get("CC", "cc")), "-O2", "-shared", "-fPIC"]
    command += [f'-DBCFTOOLS_VERSION="{version}"', "-o", str(output), str(SOURCE)]
    prefix = os.environ.get("CONDA_PREFIX")
    if prefix:
        command += [f"-I{prefix}/include", f"-L{prefix}/lib", f"-Wl,-rpath,{prefix}/lib"]
    return [*command, "-lhts"]


def plugin() -> Path:
    """Path of the compiled plugin, building it if this bcftools has none yet."""
    version = _bcftools_version()
    probe = _compile_command(Path("x"), version)
    key = hashlib.sha256(SOURCE.read_bytes() + " ".join(probe).encode()).hexdigest()[:16]
    target = _writable(_cache_dir()) / f"varnode-filter-{version}-{key}.so"
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".build.") as build:
        built = Path(build) / target.name
        try:
            result = subprocess.run(
                _compile_command(built, version), capture_output=True, text=True
            )
        except FileNotFoundError as error:
            result = subprocess.CompletedProcess([], 127, "", str(error))
        if result.returncode != 0:
            detail = result.stderr.strip().splitlines()[-3:]
            raise VarnodeError(
                "building varnode's bcftools plugin failed (it needs a C compiler, cc or $CC,"
                " and the htslib headers: Debian libhts-dev, or the conda env"
                f" envs/varnode.yaml): {' / '.join(detail)}"
            )
        os.replace(built, target)
    return target
