"""varnode filter: outputs, stats, formats, indexes and failure handling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from cyvcf2 import VCF

from tests.unit.filtering_cases import (
    RECORDS,
    flatten,
    fts,
    records,
    run_varnode,
    write_filters,
    write_vcf,
)
from varnode.errors import VarnodeError
from varnode.filters.spec import load

pytestmark = pytest.mark.tools  # runs bcftools/bgzip/tabix

REPO = Path(__file__).resolve().parents[2]
SITE = [
    {"name": "LowQual", "description": "QUAL < 30", "field": "QUAL", "fail_if": "<", "value": 30},
    {"name": "LowDepth", "description": "DP < 10", "field": "INFO/DP", "fail_if": "<", "value": 10},
]
GENOTYPE = [
    {"name": "LowGQ", "description": "GQ < 20", "field": "FORMAT/GQ", "fail_if": "<", "value": 20},
    {"name": "LowDP", "description": "DP < 8", "field": "FORMAT/DP", "fail_if": "<", "value": 8},
]


@pytest.fixture
def edge(tmp_path: Path) -> Path:
    return write_vcf(tmp_path / "edge.vcf.gz")


@pytest.fixture
def filters(tmp_path: Path) -> Path:
    return write_filters(tmp_path / "filters.yaml", SITE, GENOTYPE)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "varnode", "filter", *args], capture_output=True, text=True
    )


def test_soft_filter_names_failures_describes_them_and_counts_them(edge, filters, tmp_path):
    out = tmp_path / "out.vcf.gz"
    stats = tmp_path / "stats.tsv"
    result = _cli(str(edge), "-o", str(out), "--filters", str(filters), "--stats", str(stats))
    assert result.returncode == 0, result.stderr
    header = VCF(str(out)).raw_header
    assert '##FILTER=<ID=LowQual,Description="QUAL < 30">' in header
    assert '##FILTER=<ID=LowGQ,Description="GQ < 20">' in header
    assert "##FORMAT=<ID=FT," in header and "SCREEN" not in header
    rows = records(out)
    filter_names = [row[2] for row in rows]
    # QUAL 29.9 and DP 8 fail; QUAL "." and missing DP do not; the caller's LowCov stays.
    assert filter_names == [
        {"PASS"},
        {"LowDepth"},
        {"LowQual"},
        {"PASS"},
        {"PASS"},
        {"PASS"},
        {"PASS"},
        {"LowCov", "LowDepth"},
    ]
    genotype_ft = flatten(fts(out))
    assert genotype_ft[:3] == ["PASS", "LowGQ;LowDP", "PASS"]  # missing GQ/DP pass
    assert genotype_ft[5] == "LowGQ;LowDP"  # haploid 1 with GQ 5, DP 7
    assert genotype_ft[8] == "LowGQ;LowDP"  # GQ 0, DP 0
    table = json.loads(stats.with_suffix(".json").read_text())
    by_name = {item["name"]: item for item in table["filters"]}
    assert table["sites"] == {"evaluated": 8, "failed_any": 3}
    assert by_name["LowDepth"] == {**by_name["LowDepth"], "failed": 2, "failed_alone": 2}
    assert by_name["LowQual"]["failed_alone"] == 1
    failing = [v for v in genotype_ft if v != "PASS"]
    assert table["genotypes"] == {"evaluated": 24, "failed_any": len(failing)}
    assert by_name["LowGQ"]["failed"] == sum("LowGQ" in v for v in failing)
    assert by_name["LowDP"]["failed_alone"] == failing.count("LowDP")
    tsv = stats.read_text().splitlines()
    assert tsv[0].split("\t")[:4] == ["level", "filter", "failed", "failed_alone"]
    assert "site\tLowDepth\t2\t2\t8\tDP < 10" in tsv
    # Genotypes keep their calls unless --set-missing.
    assert records(out)[0][3] == records(edge)[0][3]


def test_hard_drops_failing_sites_and_set_missing_clears_failing_genotypes(edge, filters, tmp_path):
    out = tmp_path / "hard.vcf.gz"
    table = run_varnode(edge, out, filters, hard=True, set_missing=True)
    rows = records(out)
    assert [row[0] for row in rows] == [("chr1", 100), ("chr1", 400), ("chr1", 500),
                                        ("chr2", 10), ("chr2", 20)]  # fmt: skip
    assert all(row[2] == {"PASS"} for row in rows)
    assert rows[0][3][1] == (-1, -1)  # 1/1 with GQ 10 -> ./.
    assert rows[0][3][0] == (0, 1)
    assert table["sites"]["evaluated"] == 8 and table["sites"]["failed_any"] == 3
    assert table["genotypes"]["evaluated"] == 15  # genotypes of the 5 kept sites


def test_no_sample_vcf_gets_site_filters_only(tmp_path, filters):
    source = write_vcf(tmp_path / "sites.vcf.gz", samples=())
    out = tmp_path / "out.vcf.gz"
    table = run_varnode(source, out, filters)
    assert [row[2] for row in records(out)][1] == {"LowDepth"}
    assert "ID=FT" not in VCF(str(out)).raw_header
    assert table["genotypes"] == {"evaluated": 0, "failed_any": 0}


def test_empty_vcf_gives_empty_indexed_output_and_zero_counts(tmp_path, filters):
    source = write_vcf(tmp_path / "empty.vcf.gz", records=[])
    out = tmp_path / "out.vcf.gz"
    table = run_varnode(source, out, filters, threads=2)
    assert records(out) == []
    assert (tmp_path / "out.vcf.gz.tbi").is_file()
    assert table["sites"] == {"evaluated": 0, "failed_any": 0}


@pytest.mark.parametrize(
    ("name", "index", "index_file"),
    [("out.bcf", "auto", "out.bcf.csi"), ("out.vcf.gz", "csi", "out.vcf.gz.csi"),
     ("out.vcf.gz", "auto", "out.vcf.gz.tbi"), ("out.vcf", "auto", None)],
)  # fmt: skip
def test_bcf_input_and_output_formats_and_indexes(edge, filters, tmp_path, name, index, index_file):
    bcf = tmp_path / "edge.bcf"
    subprocess.run(["bcftools", "view", "-Ob", "-o", bcf, edge], check=True)
    out = tmp_path / name
    run_varnode(bcf, out, filters, index=index)
    assert records(out) == records(run_reference(edge, filters, tmp_path))
    if index_file:
        listing = subprocess.run(["bcftools", "index", "-n", out], capture_output=True, text=True)
        assert (tmp_path / index_file).is_file() and listing.stdout.strip() == "8"
    assert sorted(p.name for p in tmp_path.glob("out*")) == sorted(
        [name] + ([index_file] if index_file else [])
    )


def run_reference(edge: Path, filters: Path, tmp_path: Path) -> Path:
    out = tmp_path / "reference.vcf.gz"
    run_varnode(edge, out, filters)
    return out


def test_threads_shard_the_input_and_give_the_same_output(tmp_path, filters):
    many = [
        f"chr{c}\t{pos}\t.\tA\tC\t{20 + pos % 30}\t.\tDP={pos % 15}\tGT:GQ:DP:AD"
        f"\t0/1:{pos % 40}:{pos % 12}:5,5\t0/0:30:20:20,0\t1/1:50:30:0,30"
        for c in (1, 2)
        for pos in range(10, 5000, 7)
    ]
    source = write_vcf(tmp_path / "many.vcf.gz", records=many)
    one = run_varnode(source, tmp_path / "one.vcf.gz", filters, threads=1, shard_records=300)
    two = run_varnode(source, tmp_path / "two.vcf.gz", filters, threads=2, shard_records=300)
    assert one == two
    # Same shards whatever the thread count: the very same bytes, index included.
    for name in ("vcf.gz", "vcf.gz.tbi"):
        assert (tmp_path / f"one.{name}").read_bytes() == (tmp_path / f"two.{name}").read_bytes()
    assert records(tmp_path / "one.vcf.gz") == records(tmp_path / "two.vcf.gz")
    assert fts(tmp_path / "one.vcf.gz") == fts(tmp_path / "two.vcf.gz")
    assert not list(tmp_path.glob(".varnode-filter*"))


def test_missing_header_line_is_an_error_naming_field_and_position(edge, tmp_path):
    filters = write_filters(
        tmp_path / "f.yaml",
        site=[{"name": "LowMQM", "description": "d", "field": "INFO/MQM", "fail_if": "<",
               "value": 30}],
    )  # fmt: skip
    out, stats = tmp_path / "out.vcf.gz", tmp_path / "stats.tsv"
    result = _cli(str(edge), "-o", str(out), "--filters", str(filters), "--stats", str(stats))
    assert result.returncode == 2
    assert "LowMQM needs INFO/MQM" in result.stderr and "chr1:100" in result.stderr
    assert list(tmp_path.glob("out*")) == [] and not stats.exists()


def test_optional_filter_is_skipped_when_its_field_is_absent(edge, tmp_path):
    filters = write_filters(
        tmp_path / "f.yaml",
        site=[{"name": "LowMQM", "description": "d", "field": "INFO/MQM", "fail_if": "<",
               "value": 30, "optional": True}],
    )  # fmt: skip
    table = run_varnode(edge, tmp_path / "out.vcf.gz", filters)
    assert table["skipped_filters"] == ["LowMQM"] and table["filters"] == []


def test_truncated_bgzip_fails_cleanly_with_position(edge, filters, tmp_path):
    big = [
        f"chr1\t{pos}\t.\tA\tC\t50\t.\tDP=20\tGT:GQ:DP:AD\t0/1:30:20:10,10\t0/0:30:20:20,0"
        f"\t1/1:50:30:0,30"
        for pos in range(1, 60000)
    ]
    source = write_vcf(tmp_path / "big.vcf.gz", records=big)
    data = source.read_bytes()
    truncated = tmp_path / "truncated.vcf.gz"
    truncated.write_bytes(data[: len(data) // 2])
    out, stats = tmp_path / "out.vcf.gz", tmp_path / "stats.tsv"
    result = _cli(str(truncated), "-o", str(out), "--filters", str(filters), "--stats", str(stats))
    assert result.returncode == 2
    assert "reading failed after record chr1:" in result.stderr
    assert list(tmp_path.glob("out*")) == [] and not stats.exists()
    assert not list(tmp_path.glob(".out*"))


def test_genotype_filter_on_multi_valued_field_is_rejected(edge, tmp_path):
    filters = write_filters(
        tmp_path / "f.yaml",
        genotype=[{"name": "G", "description": "d", "field": "FORMAT/AD", "fail_if": "<",
                   "value": 3}],
    )  # fmt: skip
    with pytest.raises(VarnodeError, match="FORMAT/AD as Number=R"):
        run_varnode(edge, tmp_path / "out.vcf.gz", filters)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "X", "description": "d", "field": "QUAL", "fail_if": "<<", "value": 1},
         "site/0"),
        ({"name": "PASS", "description": "d", "field": "QUAL", "fail_if": "<", "value": 1},
         "site/0/name"),
        ({"name": "X", "description": "d", "field": "QUAL", "fail_if": "outside", "value": 3},
         "site/0"),
        ({"name": "X", "description": "d", "types": ["snp"], "expression": "QUAL<3"}, "site/0"),
    ],
)  # fmt: skip
def test_schema_rejects_malformed_filters(tmp_path, entry, message):
    with pytest.raises(VarnodeError, match=message):
        load(write_filters(tmp_path / "f.yaml", site=[entry]))


def test_duplicate_filter_names_are_rejected(tmp_path):
    with pytest.raises(VarnodeError, match="repeated: \\['LowQual'\\]"):
        load(write_filters(tmp_path / "f.yaml", site=SITE + SITE[:1]))


def test_shipped_filters_validate_and_compile():
    spec = load(REPO / "config" / "filters.yaml")
    assert {"LowQual", "LowDepth", "LowGQ", "AlleleImbalance", "LowVAF"} <= set(spec.names)
    expressions = [f.expression for f in spec.site]
    assert 'QUAL<1 && TYPE="snp"' in expressions
    # Measured: no default filter fails a variant for its type alone (MNPs are real).
    assert not any(e.startswith("TYPE=") for e in expressions)
    depth = next(f for f in spec.site if f.name == "LowDepth")
    assert depth.optional and set(depth.tags) == {"FORMAT/RO", "FORMAT/AO"}
    assert 'GT="RA"' in spec.genotype[2].bcftools_expression()


def test_every_genotype_gets_ft_and_stats_match_the_output(edge, filters, tmp_path):
    out = tmp_path / "out.vcf.gz"
    table = run_varnode(edge, out, filters)
    per_record = fts(out)
    assert all(row is not None and len(row) == 3 for row in per_record)
    assert table["genotypes"]["failed_any"] == sum(v != "PASS" for row in per_record for v in row)


def test_record_on_a_contig_the_header_lacks_is_an_error_naming_it(filters, tmp_path):
    elsewhere = RECORDS[5].replace("chr2\t10", "chr3\t10")
    source = write_vcf(tmp_path / "undeclared.vcf.gz", records=[*RECORDS[:2], elsewhere])
    Path(f"{source}.tbi").unlink()  # else htslib lists the index's contigs in the header
    out, stats = tmp_path / "out.vcf.gz", tmp_path / "stats.tsv"
    result = _cli(str(source), "-o", str(out), "--filters", str(filters), "--stats", str(stats))
    assert result.returncode == 2
    assert "Contig 'chr3' is not defined in the header" in result.stderr
    assert list(tmp_path.glob("out*")) == [] and not stats.exists()
