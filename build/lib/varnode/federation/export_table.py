"""Read a node export (`varnode export`, results/export/) for discovery.

The one place that knows the export's layout, so the Beacon and the BFF writer follow
it if it changes:
- `{dataset}.parquet`: a row per site and population stratum, columns
  CHROM POS REF ALT POPULATION AF AC AC_HET AC_HOM AC_HEMI AN (+ gene); the stratum of
  all samples is POPULATION `ALL`, others are the sex / country strata;
- `manifest.json`: dataset and node ids, assembly, floor, descriptive fields, and the
  sha256 of every payload file, checked here before the file is served.

The privacy floor is applied again when the table is opened (a defence in depth: an
export that passed its egress check is unchanged by it): a stratum is dropped when
`0 < AC < floor` or `0 < AN - AC < floor`, and when any stratum of a site is dropped
only its total remains (when the total fails, the site goes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from varnode.errors import VarnodeError

TOTAL_POPULATION = "ALL"
COLUMNS = ("CHROM", "POS", "REF", "ALT", "POPULATION", "AF", "AC", "AC_HET", "AC_HOM")
COLUMNS += ("AC_HEMI", "AN")
GENE_COLUMN = "GENE"
DEFAULT_FLOOR = 10


@dataclass(frozen=True)
class NodeExport:
    dataset_id: str
    parquet: Path
    manifest: dict

    @property
    def assembly(self) -> str:
        return str(self.manifest.get("assembly", ""))

    @property
    def floor(self) -> int:
        return int(self.manifest.get("floor", DEFAULT_FLOOR))

    def describe(self, key: str, default: str = "") -> str:
        """A descriptive field of the manifest (title, description, publisher, ...)."""
        return str(self.manifest.get(key) or default)

    def frequency_source(self) -> dict:
        """Where served frequencies come from, as Beacon's frequencyInPopulations names it."""
        return {
            "source": self.describe("title", self.dataset_id),
            "sourceReference": self.describe("publisher", self.dataset_id),
            "version": self.describe("created", "unknown"),
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded_checksum(manifest: dict, name: str) -> str | None:
    files = manifest.get("files", {})
    if isinstance(files, dict):
        entry = files.get(name, {})
    else:
        entry = next((f for f in files if Path(str(f.get("path", ""))).name == name), {})
    return entry.get("sha256") if isinstance(entry, dict) else None


def open_export(directory: str | Path, dataset: str | None = None) -> NodeExport:
    """The export of `dataset` (or the only one) in `directory`, its checksum verified."""
    directory = Path(directory)
    manifest_path = directory / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except FileNotFoundError:
        raise VarnodeError(
            f"{manifest_path}: not found (is {directory} a node export from `varnode export`?)"
        ) from None
    except (OSError, ValueError) as error:
        raise VarnodeError(f"{manifest_path}: unreadable ({error})") from None
    dataset = dataset or manifest.get("dataset_id") or manifest.get("dataset")
    if not dataset:
        tables = sorted(directory.glob("*.parquet"))
        if len(tables) != 1:
            raise VarnodeError(f"{directory}: name the dataset (found {len(tables)} tables)")
        dataset = tables[0].stem
    parquet = directory / f"{dataset}.parquet"
    if not parquet.is_file():
        raise VarnodeError(f"{parquet}: not found (dataset {dataset!r} of {manifest_path})")
    recorded = _recorded_checksum(manifest, parquet.name)
    if recorded is None:
        raise VarnodeError(f"{manifest_path}: no sha256 recorded for {parquet.name}")
    if recorded != _sha256(parquet):
        raise VarnodeError(f"{parquet}: sha256 differs from {manifest_path}; not served")
    return NodeExport(str(dataset), parquet, manifest)


def sql_literal(path: Path) -> str:
    """A path as a DuckDB string literal (DuckDB binds no parameters in CREATE VIEW)."""
    return "'" + str(path).replace("'", "''") + "'"


def register(connection, export: NodeExport, floor: int | None = None) -> None:
    """Create DuckDB view `frequencies` over the export, floor applied, names lower-case.

    Columns: chrom pos ref alt population af ac ac_het ac_hom ac_hemi an gene.
    """
    source = f"read_parquet({sql_literal(export.parquet)})"
    described = connection.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    present = {row[0].upper() for row in described}  # DuckDB names are case-insensitive
    missing = [column for column in COLUMNS if column not in present]
    if missing:
        raise VarnodeError(f"{export.parquet}: lacks column(s) {', '.join(missing)}")
    gene = GENE_COLUMN if GENE_COLUMN in present else "NULL"
    floor = export.floor if floor is None else max(floor, export.floor)
    connection.execute(
        f"""
        CREATE OR REPLACE VIEW frequencies AS
        WITH flagged AS (
            SELECT CHROM AS chrom, POS AS pos, REF AS ref, ALT AS alt,
                   POPULATION AS population, AF AS af, AC AS ac, AC_HET AS ac_het,
                   AC_HOM AS ac_hom, AC_HEMI AS ac_hemi, AN AS an,
                   CAST({gene} AS VARCHAR) AS gene,
                   (AC > 0 AND AC < {int(floor)}) OR (AN - AC > 0 AND AN - AC < {int(floor)})
                       AS sub_floor
            FROM {source}
        ),
        sites AS (
            SELECT chrom, pos, ref, alt, bool_or(sub_floor) AS any_sub_floor,
                   bool_or(sub_floor AND population = '{TOTAL_POPULATION}') AS total_sub_floor
            FROM flagged GROUP BY chrom, pos, ref, alt
        )
        SELECT f.* EXCLUDE (sub_floor)
        FROM flagged f JOIN sites s USING (chrom, pos, ref, alt)
        WHERE NOT s.total_sub_floor
          AND (NOT s.any_sub_floor OR f.population = '{TOTAL_POPULATION}')
        """
    )
