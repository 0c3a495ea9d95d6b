"""`varnode --help` groups the commands; every example parses; one output option."""

import shlex

import pytest

from varnode.cli import COMMANDS, EXAMPLES, GROUPS, build_parser, main

# Commands that write no file of their own: stdout, a check, in place, a service.
NO_OUTPUT_OPTION = {
    "check-inputs", "verify", "query", "egress-check", "beacon", "node", "hub",
    "check-fastp", "publish", "set-assembly",
}  # fmt: skip


def subparser(name):
    parser = build_parser(name)
    return parser, parser._subparsers._group_actions[0].choices[name]


def test_help_lists_every_command_under_its_group(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    positions = [out.index(f"\n{group}:\n") for group in GROUPS]
    assert positions == sorted(positions)
    for name in COMMANDS:
        assert f"\n  {name} " in out


@pytest.mark.parametrize("name", [n for group in ("run", "inspect", "federation")
                                  for n in GROUPS[group]])  # fmt: skip
def test_user_facing_commands_show_examples(name, capsys):
    assert EXAMPLES.get(name), f"{name}: no example"
    with pytest.raises(SystemExit):
        main([name, "--help"])
    assert "examples:" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_examples_use_real_options(name):
    for example in EXAMPLES[name]:
        words = shlex.split(example.split("#")[0])
        assert words[:2] == ["varnode", name]
        if "--help" in words or name in ("hub", "beacon"):
            continue
        parser, _ = subparser(name)
        parser.parse_args(words[1:])


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - NO_OUTPUT_OPTION))
def test_outputs_are_named_with_dash_o_or_dash_dash_output(name):
    _, sub = subparser(name)
    options = [action.option_strings for action in sub._actions]
    assert any("-o" in each and "--output" in each for each in options), options


def test_an_argument_file_stands_for_its_lines_in_any_command(tmp_path):
    """Rules hand per-sample path lists over as `@FILE` (one path a line, spaces kept),
    so no command line grows with the cohort."""
    paths = ["results/a b.tsv", "results/c.tsv", "results/d'e.tsv"]
    listed = tmp_path / "paths"
    listed.write_text("".join(f"{path}\n" for path in paths))
    parser, _ = subparser("combine-variants")
    args = parser.parse_args(["combine-variants", f"@{listed}", "-o", "out.parquet"])
    assert args.tables == paths
    parser, _ = subparser("beacon")
    args = parser.parse_args(
        ["beacon", "index", "--sheet", "s.tsv", "--annotated", f"@{listed}", "-o", "out"]
    )
    assert [str(path) for path in args.annotated] == paths
