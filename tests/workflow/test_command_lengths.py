"""No program a rule runs gets a per-sample list on its command line.

The kernel limits a program's arguments and environment together (ARG_MAX, ~2 MB on
Linux). A node's cohort of tens of thousands of samples would pass that with a few dozen
bytes per sample, so rules that read every sample's files pass them as a file that
bash's `printf` (a builtin: no exec, no limit) writes them into, `<(printf ...)`. The
shipped config is planned (`snakemake -n -p`, no job runs) on a GRCh38-shaped index at
two cohort sizes; each job's shell command is split into the simple commands bash would
exec, and `printf`'s arguments are left out. A program whose command line still grows
with the cohort fails the test, named with its rule and its growth per sample.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, snakemake
from tests.grch38_shape import write_grch38_run

pytestmark = pytest.mark.workflow

SIZES = (10, 20)
NODE_SCALE = 50_000
# Far below ARG_MAX (2 MB on Linux, environment included) at NODE_SCALE samples.
MAX_BYTES = 32 * 1024
JOB = re.compile(r"^\s*(?:local)?rule (\w+):$")
SHELL = "Shell command: "
# Words that end a simple command (bash's control operators), and that open a group or a
# process substitution (whose command runs apart from the one it is an argument of).
OPERATORS = {"&&", "||", "|", ";", "&"}
OPENERS = {"(": None, "<(": "/dev/fd/63", ">(": "/dev/fd/63"}
BUILTINS_WITHOUT_EXEC = {"printf"}


def words(command: str) -> list[str]:
    """The command's words and operators as bash reads them (ValueError: a quote is open)."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def program(simple: list[str]) -> str:
    """How a simple command is named in a failure: its program (varnode's command)."""
    return " ".join(simple[:4] if simple[:3] == ["python", "-m", "varnode"] else simple[:1])


def exec_lengths(command: str) -> list[tuple[str, int]]:
    """(program, bytes of its argv: words + their NULs) of each simple command bash would
    exec, in order; builtins' arguments aside."""
    lengths: list[tuple[str, int]] = []
    current: list[str] = []
    outer: list[tuple[list[str], str | None]] = []

    def finish(simple: list[str]) -> None:
        if simple and simple[0] not in BUILTINS_WITHOUT_EXEC:
            lengths.append((program(simple), sum(len(word.encode()) + 1 for word in simple)))

    for word in [*words(command), ";"]:
        if word in OPERATORS:
            finish(current)
            current = []
        elif word in OPENERS:
            outer.append((current, OPENERS[word]))
            current = []
        elif word == ")":
            finish(current)
            current, stands_for = outer.pop()
            current += [stands_for] if stands_for else []
        else:
            current.append(word)
    return lengths


def shell_commands(log: str):
    """(rule, shell command) of each job a `snakemake -n -p` log plans; a command whose
    quoted word holds a newline runs on over the next lines until its quote closes."""
    rule, command = None, None
    for line in log.splitlines():
        if command is not None:
            command += f"\n{line}"
        elif job := JOB.match(line):
            rule = job.group(1)
            continue
        elif line.startswith(SHELL) and rule:
            command = line.removeprefix(SHELL)
        else:
            continue
        try:
            words(command)
        except ValueError:  # "No closing quotation"
            continue
        yield rule, command
        command = None


def longest_commands(run: Path, config_file: Path) -> dict[tuple[str, int, str], int]:
    """The longest argv over a rule's planned jobs, per program it runs: by (rule, place
    in its shell command, program). Each is compared on its own: a short list that grows
    may sit beside a long fixed command."""
    result = snakemake(run, "-n", "-p", "--cores", "2", "--configfile", str(config_file))
    longest: dict[tuple[str, int, str], int] = {}
    for rule, command in shell_commands(result.stdout + result.stderr):
        for place, (name, length) in enumerate(exec_lengths(command)):
            key = (rule, place, name)
            longest[key] = max(longest.get(key, 0), length)
    return longest


def test_no_command_line_grows_with_the_cohort(tmp_path: Path) -> None:
    longest = {}
    for samples in SIZES:
        folder = tmp_path / f"{samples}-samples"
        config_file = write_grch38_run(folder, samples, callers=["bcftools", "freebayes"])
        shutil.copytree(REPO / "config", folder / "run" / "config")
        longest[samples] = longest_commands(folder / "run", config_file)
    small, large = (longest[size] for size in SIZES)
    rules = {rule for rule, _, _ in small}
    assert {"merge_cohort_shard", "report_multiqc", "report_html"} <= rules, sorted(rules)
    assert set(small) == set(large), set(small) ^ set(large)

    too_long = []
    for key in sorted(small):
        rule, _, name = key
        per_sample = (large[key] - small[key]) / (SIZES[1] - SIZES[0])
        at_node_scale = large[key] + per_sample * (NODE_SCALE - SIZES[1])
        if at_node_scale > MAX_BYTES:
            too_long.append(
                f"rule {rule} ({name}): {small[key]} bytes at {SIZES[0]} samples,"
                f" {large[key]} at {SIZES[1]} ({per_sample:g} per sample):"
                f" {at_node_scale:,.0f} at {NODE_SCALE:,}"
            )
    assert not too_long, "command lines that grow with the cohort:\n" + "\n".join(too_long)
