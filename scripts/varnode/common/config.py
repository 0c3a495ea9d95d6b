"""The JSON Schemas of the config, sample sheet, filters and node files, shipped with the
package: the only home of the config's defaults.

Snakemake validates the run's config against them (filling the defaults in place) and
rules pass the validated values on; a command run by hand without a setting gets the
same default from here.
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from varnode.errors import VarnodeError

SCHEMA_DIR = Path(str(files("varnode") / "schemas"))
CONFIG_SCHEMA = SCHEMA_DIR / "config.schema.yaml"


def schema_defaults(node: dict[str, Any]) -> Any:
    """What validation fills in for an absent value of `node`: its default, with the
    defaults of its properties laid over an object's."""
    if "properties" not in node:
        return node.get("default")
    value = dict(node.get("default", {}))
    for name, child in node["properties"].items():
        default = schema_defaults(child)
        if name not in value and default is not None:
            value[name] = default
    return value


def schema_node(*keys: str) -> dict[str, Any]:
    node = yaml.safe_load(CONFIG_SCHEMA.read_text())
    for key in keys:
        node = node["properties"][key]
    return node


def config_default(*keys: str) -> Any:
    """The default of config key `keys` (e.g. "cohort", "sex", "x_contigs"): a command's
    option takes it, so a command run by hand behaves as the pipeline's default run."""
    return schema_defaults(schema_node(*keys))


def filled(node: dict[str, Any], value: Any) -> Any:
    """`value` with the defaults validation fills in: absent keys of objects with
    properties get theirs; given values stay as they are."""
    if "properties" not in node or not isinstance(value, dict):
        return value
    result = dict(value)
    for name, child in node["properties"].items():
        if name in result:
            result[name] = filled(child, result[name])
        elif (default := schema_defaults(child)) is not None:
            result[name] = default
    return result


def section_settings(option: str, text: str | None, *keys: str) -> dict[str, Any]:
    """Config section `keys` as a command's `option` gives it (JSON; the pipeline passes
    the validated section), absent keys filled from the schema's defaults."""
    given: Any = {}
    if text:
        try:
            given = json.loads(text)
        except json.JSONDecodeError as error:
            raise VarnodeError(f"{option}: not valid JSON ({error.msg})") from None
    if not isinstance(given, dict):
        raise VarnodeError(f"{option}: expected a JSON object, found {text!r:.40}")
    return filled(schema_node(*keys), given)
