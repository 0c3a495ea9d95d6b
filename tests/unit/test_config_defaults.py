"""The config schema is the only home of defaults: commands run by hand take theirs from
it, and a section given as JSON is completed from it."""

from __future__ import annotations

import argparse

import pytest

from varnode.cli import COMMANDS
from varnode.common.config import SCHEMA_DIR, config_default, section_settings
from varnode.errors import VarnodeError


def parsed(command: str, *args: str) -> argparse.Namespace:
    import importlib

    parser = argparse.ArgumentParser()
    importlib.import_module(COMMANDS[command][0]).configure(parser)
    return parser.parse_args(list(args))


def test_schemas_ship_inside_the_package():
    assert {path.name for path in SCHEMA_DIR.glob("*.schema.yaml")} >= {
        "config.schema.yaml",
        "samples.schema.yaml",
        "filters.schema.yaml",
        "node.schema.yaml",
    }
    assert SCHEMA_DIR.parent.name == "varnode"


def test_cohort_commands_default_to_the_schema():
    sex = config_default("cohort", "sex")
    qc = parsed("sample-qc", "calls.bcf", "--sexes", "m.tsv", "--tsv", "o.tsv", "--json", "o")
    assert qc.x_contigs == sex["x_contigs"] and qc.par == sex["par_regions"]
    assert qc.min_call_rate == config_default("cohort", "qc", "min_call_rate")
    assert qc.chunk_size == config_default("cohort", "chunk_size")
    related = parsed("relatedness", "calls.bcf", "-o", "out.tsv")
    assert related.min_sites == config_default("cohort", "relatedness", "min_sites")
    assert related.exclude_contigs == sex["x_contigs"] + sex["y_contigs"] + sex["mito_contigs"]


def test_a_section_is_completed_from_the_schema():
    settings = section_settings("--settings", '{"outlier_mad": 3, "qc_thresholds": {}}', "report")
    assert settings["outlier_mad"] == 3
    assert settings["qc_thresholds"] == {}  # given values win, nested ones too
    assert settings["af_bins"] == config_default("report", "af_bins")
    with pytest.raises(VarnodeError, match="--settings: not valid JSON"):
        section_settings("--settings", "{", "report")
    with pytest.raises(VarnodeError, match="expected a JSON object"):
        section_settings("--settings", "[1]", "report")
