"""Node export: privacy rules, tag naming, AF = AC/AN, callable regions, manifest, egress check.

Hand-made cohorts whose every count is known: 30 samples, 12 female, 12 male, 6 of unknown
sex, floor 5. No external tools are needed (the ploidy rules are given, not asked of
bcftools).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pysam
import pytest
from cyvcf2 import VCF

from tests.unit.cohort_vcfs import write_vcf
from varnode.errors import VarnodeError
from varnode.federation.callable import PloidyRule, callable_regions, read_callable
from varnode.federation.egress import check_directory
from varnode.federation.export import ExportSettings, export_node
from varnode.federation.manifest import load_manifest, verify_files
from varnode.federation.strata import (
    TAG_PATTERN,
    TOTAL,
    Stratum,
    below_floor,
    node_strata,
    parse_tag,
)
from varnode.provenance.metadata import sha256_of

FLOOR = 5
CONTIGS = [("chr1", 1_000_000), ("chrX", 5_000_000)]
FEMALES = [f"fem{i:02d}" for i in range(12)]
MALES = [f"mal{i:02d}" for i in range(12)]
UNKNOWN = [f"unk{i:02d}" for i in range(6)]
SAMPLES = FEMALES + MALES + UNKNOWN
SEXES = {**dict.fromkeys(FEMALES, "F"), **dict.fromkeys(MALES, "M"), **dict.fromkeys(UNKNOWN, "U")}


def genotypes(female: list[str], male: list[str], unknown: list[str]) -> list[str]:
    return female + male + unknown


def repeat(*pairs: tuple[str, int]) -> list[str]:
    return [gt for gt, n in pairs for _ in range(n)]


HOM_REF = ("0/0", 12)
# (pos, calls, expectation): expectation is "withheld", "totals" (strata dropped) or "all".
SITES = [
    # Lower tail: AC = 3 < floor.
    (
        100,
        genotypes(repeat(("0/1", 3), ("0/0", 9)), repeat(HOM_REF), repeat(("0/0", 6))),
        "withheld",
    ),
    # Upper tail: AN - AC = 2 < floor (one heterozygote, everyone else hom-alt).
    (
        200,
        genotypes(repeat(("0/1", 2), ("1/1", 10)), repeat(("1/1", 12)), repeat(("1/1", 6))),
        "withheld",
    ),
    # AC = 0 stays (AN = 60, AN - AC = 60).
    (300, genotypes(repeat(HOM_REF), repeat(HOM_REF), repeat(("0/0", 6))), "all"),
    # Total passes (AC = 10) but the female stratum holds 2 alleles: strata go.
    (
        400,
        genotypes(
            repeat(("0/1", 2), ("0/0", 10)), repeat(("1/1", 4), ("0/0", 8)), repeat(("0/0", 6))
        ),
        "totals",
    ),
    # Females 6, males 6 pass, but unknown sex (total - F - M) holds 2 alleles: strata go.
    (
        500,
        genotypes(
            repeat(("1/1", 3), ("0/0", 9)),
            repeat(("0/1", 6), ("0/0", 6)),
            repeat(("0/1", 2), ("0/0", 4)),
        ),
        "totals",
    ),
    # Everything clears the floor, with homozygous, heterozygous and missing calls.
    (
        600,
        genotypes(
            repeat(("1/1", 3), ("0/1", 2), ("./.", 1), ("0/0", 6)),
            repeat(("0/1", 6), ("0/0", 6)),
            repeat(("1/1", 3), ("0/0", 3)),
        ),
        "all",
    ),
]
# A haploid (hemizygous) call set on chrX: males one allele, females two.
X_SITE = (
    3_000_000,
    genotypes(
        repeat(("0/1", 6), ("0/0", 6)), repeat(("1", 7), ("0", 5)), repeat(("1/1", 3), ("0/0", 3))
    ),
)


def plain(calls: list[str]) -> dict[str, int]:
    """Counts by the bcftools +fill-tags definitions, one genotype at a time."""
    counts = dict.fromkeys(("AC", "AN", "AC_Hom", "AC_Het", "AC_Hemi"), 0)
    for call in calls:
        alleles = [int(a) for a in call.replace("|", "/").split("/") if a != "."]
        counts["AN"] += len(alleles)
        counts["AC"] += sum(alleles)
        if len(alleles) == 1:
            counts["AC_Hemi"] += alleles[0]
        elif alleles == [1, 1]:
            counts["AC_Hom"] += 2
        elif len(alleles) == 2:
            counts["AC_Het"] += sum(alleles)
    return counts


def by_sex(calls: list[str], sex: str) -> list[str]:
    return [call for call, sample in zip(calls, SAMPLES, strict=True) if SEXES[sample] == sex]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cohort")
    records = [("chr1", pos, "A", "G", calls) for pos, calls, _ in SITES]
    records.append(("chrX", X_SITE[0], "C", "T", X_SITE[1]))
    write_vcf(folder / "cohort.vcf", SAMPLES, records, dict(CONTIGS))
    for sample in SAMPLES:
        # Everyone callable on chr1:0-2000; females only also on 2000-4000.
        rows = ["chr1\t0\t2000\tCALLABLE", "chr1\t2000\t4000\tLOW", "chrX\t0\t4000000\tCALLABLE"]
        if SEXES[sample] == "F":
            rows[1] = "chr1\t2000\t4000\tCALLABLE"
        (folder / f"{sample}.bed").write_text("\n".join(rows) + "\n")
    return folder


def beds(folder: Path) -> dict[str, Path]:
    return {sample: folder / f"{sample}.bed" for sample in SAMPLES}


@pytest.fixture(scope="module")
def export(cohort: Path) -> Path:
    settings = ExportSettings(
        "cohort1",
        "node-a",
        "GRCh38",
        FLOOR,
        descriptive={"title": "Test cohort", "licence": "CC0-1.0"},
    )
    export_node(str(cohort / "cohort.vcf"), SEXES, beds(cohort), cohort / "export", settings)
    return cohort / "export"


def exported_records(export: Path) -> dict[int, tuple[str | None, dict]]:
    """POS -> (FILTER, INFO as a dict); cyvcf2 records do not outlive their reader."""
    reader = VCF(str(export / "cohort1.sites.vcf.gz"))
    records = {record.POS: (record.FILTER, dict(record.INFO)) for record in reader}
    reader.close()
    return records


# --- naming ---


@pytest.mark.parametrize(
    ("stratum", "token", "zygosity", "tag"),
    [
        (TOTAL, "AC", "", "AC"),
        (TOTAL, "AC", "Hom", "AC_Hom"),
        (Stratum("", "F"), "AN", "", "AN_F"),
        (Stratum("", "M"), "AC", "Hemi", "AC_M_Hemi"),
        (Stratum("FI"), "AF", "", "AF_FI"),
        (Stratum("FI", "F"), "AC", "Het", "AC_FI_F_Het"),
    ],
)
def test_tags_follow_the_infrastructure_naming(stratum, token, zygosity, tag):
    assert stratum.tag(token, zygosity) == tag
    assert parse_tag(tag) == (token, stratum, zygosity)


@pytest.mark.parametrize("tag", ["AN_Hom", "AF_F_Het", "AC_fi", "AC_FIN", "AC_X", "DP", "AC_F_M"])
def test_names_outside_the_convention_are_not_count_tags(tag):
    assert parse_tag(tag) is None


def test_country_must_be_two_upper_case_letters():
    assert node_strata("FI", True) == [TOTAL, Stratum("FI"), Stratum("FI", "F"), Stratum("FI", "M")]
    with pytest.raises(ValueError, match="two-letter"):
        node_strata("fin", True)


def test_every_info_tag_of_an_export_follows_the_naming(export):
    tags = [
        entry["ID"]
        for entry in VCF(str(export / "cohort1.sites.vcf.gz")).header_iter()
        if entry["HeaderType"] == "INFO"
    ]
    assert {"AC", "AN", "AF", "AC_Hom", "AC_Het", "AC_Hemi", "AC_F_Hom", "AF_M"} <= set(tags)
    assert all(TAG_PATTERN.match(tag) for tag in tags)


# --- privacy rules ---


@pytest.mark.parametrize(
    ("ac", "an", "withheld"),
    [
        (0, 60, False),
        (1, 60, True),
        (4, 60, True),
        (5, 60, False),
        (56, 60, True),
        (55, 60, False),
        (0, 4, True),
        (0, 0, False),
        (60, 60, False),
    ],
)
def test_floor_applies_to_both_tails(ac, an, withheld):
    assert below_floor(ac, an, FLOOR) is withheld


def test_sites_under_the_floor_are_listed_without_counts(export):
    records = exported_records(export)
    for pos, _, expected in SITES:
        status, info = records[pos]
        if expected == "withheld":
            assert (status, info) == ("WITHHELD", {})
        else:
            assert status is None  # PASS


def test_a_withheld_stratum_takes_all_strata_with_it(export):
    records = exported_records(export)
    for pos, calls, expected in SITES:
        if expected == "totals":
            info = records[pos][1]
            assert info["AC"] == plain(calls)["AC"]
            assert not any(
                tag.endswith(("_F", "_M")) or "_F_" in tag or "_M_" in tag for tag in info
            )


def test_published_counts_equal_the_fill_tags_definitions(export):
    records = exported_records(export)
    for pos, calls, expected in SITES:
        if expected != "all":
            continue
        info = records[pos][1]
        for suffix, subset in (("", calls), ("_F", by_sex(calls, "F")), ("_M", by_sex(calls, "M"))):
            counts = plain(subset)
            assert info.get(f"AN{suffix}") == counts["AN"], (pos, suffix)
            assert info.get(f"AC{suffix}") == counts["AC"], (pos, suffix)
            for zygosity in ("Hom", "Het", "Hemi"):
                assert info.get(f"AC{suffix}_{zygosity}") == counts[f"AC_{zygosity}"], pos


def test_hemizygous_calls_count_as_hemi(export):
    info = exported_records(export)[X_SITE[0]][1]
    assert info.get("AC_Hemi") == 7
    assert info.get("AC_M_Hemi") == 7 and info.get("AN_M") == 12
    assert info.get("AN") == plain(X_SITE[1])["AN"] == 24 + 12 + 12


def test_af_is_ac_over_an_exactly(export):
    with gzip.open(export / "cohort1.sites.vcf.gz", "rt") as handle:
        rows = [line for line in handle if not line.startswith("#") and "PASS" in line]
    checked = 0
    for row in rows:
        info = dict(item.split("=") for item in row.split("\t")[7].split(";"))
        for tag, value in info.items():
            if tag.startswith("AF"):
                ac, an = int(info["AC" + tag[2:]]), int(info["AN" + tag[2:]])
                assert float(value) == ac / an
                checked += 1
    assert checked >= 10
    table = pq.read_table(export / "cohort1.parquet").to_pylist()
    assert all(row["AF"] == row["AC"] / row["AN"] for row in table if row["AN"])


def test_parquet_has_a_row_per_published_site_and_stratum(export):
    table = pq.read_table(export / "cohort1.parquet")
    assert table.column_names == [
        "CHROM",
        "POS",
        "REF",
        "ALT",
        "POPULATION",
        "AF",
        "AC",
        "AC_HET",
        "AC_HOM",
        "AC_HEMI",
        "AN",
        "GENE",
        "CONSEQUENCE",
    ]
    rows = {(row["POS"], row["POPULATION"]) for row in table.to_pylist()}
    assert (600, "ALL") in rows and (600, "F") in rows and (600, "M") in rows
    assert (400, "ALL") in rows and (400, "F") not in rows
    assert not any(pos in (100, 200) for pos, _ in rows)


# --- callable regions ---


def flat(batches, strata) -> list:
    return [region for batch in batches for region in batch.regions(strata)]


def test_callable_an_counts_ploidy_and_applies_the_floor(export):
    index = read_callable(export / "cohort1.callable.bed.gz")
    # chr1:1-2000 everyone callable: 60 alleles, females 24, males 24, unknown 12.
    assert index.an_at("chr1", 1000) == {TOTAL: 60, Stratum("", "F"): 24, Stratum("", "M"): 24}
    # chr1:2001-4000 only the 12 females: total 24 = F 24, M 0, remainder 0.
    assert index.an_at("chr1", 3000) == {TOTAL: 24, Stratum("", "F"): 24, Stratum("", "M"): 0}
    assert index.an_at("chr1", 5000) is None


def test_callable_an_follows_the_ploidy_rules(cohort):
    rules = [PloidyRule("chrX", 2_781_480, 155_701_381, "M", 1)]
    strata = node_strata("", True)
    regions = flat(callable_regions(beds(cohort), SEXES, CONTIGS, rules, strata, FLOOR), strata)
    on_x = [r for r in regions if r.chrom == "chrX"]
    # PAR1 (to 2,781,479): males diploid; beyond it haploid.
    assert [(r.start, r.end, r.an[TOTAL]) for r in on_x] == [
        (0, 2_781_479, 60),
        (2_781_479, 4_000_000, 48),
    ]
    # Floor: six unknown-sex samples alone (12 alleles) clear 5 but not 13.
    regions = flat(callable_regions(beds(cohort), SEXES, CONTIGS, [], strata, 13), strata)
    everyone = [region for region in regions if region.an[TOTAL] == 60]
    assert everyone and all(set(region.an) == {TOTAL} for region in everyone)


# --- manifest ---


def test_manifest_lists_every_file_with_its_checksum(export):
    manifest = load_manifest(export)
    names = {entry["path"] for entry in manifest["files"]}
    assert names == {p.name for p in export.iterdir()} - {"manifest.json"}
    for entry in manifest["files"]:
        assert entry["sha256"] == sha256_of(export / entry["path"])
        assert entry["size"] == (export / entry["path"]).stat().st_size
    assert manifest["samples_rounded_to_tens"] == 30
    assert (manifest["sites_exported"], manifest["sites_withheld"]) == (5, 2)
    assert manifest["floor"] == FLOOR and manifest["title"] == "Test cohort"
    assert manifest["node_id"] == "node-a" and manifest["assembly"] == "GRCh38"
    verify_files(export, manifest)


def test_a_changed_file_fails_verification_naming_node_and_file(export, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in export.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    parquet = copy / "cohort1.parquet"
    parquet.write_bytes(parquet.read_bytes() + b"\0")
    with pytest.raises(VarnodeError, match=r"node node-a: .*cohort1.parquet does not match"):
        verify_files(copy, load_manifest(copy))


# --- egress check ---


def test_the_export_passes_the_egress_check(export):
    assert check_directory(export, SAMPLES, FLOOR) == []


def planted_copy(export: Path, target: Path) -> Path:
    target.mkdir()
    for path in export.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


def egress_cli(directory: Path, samples: Path, report: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *(sys.executable, "-m", "varnode", "egress-check", str(directory)),
            *("--samples", str(samples), "--report", str(report)),
        ],
        capture_output=True,
        text=True,
    )


def rewrite_vcf(path: Path, edit) -> None:
    with gzip.open(path, "rt") as handle:
        lines = handle.read().splitlines()
    path.unlink()
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(edit(lines)) + "\n")


def test_egress_check_catches_a_planted_sample_name(export, tmp_path):
    folder = planted_copy(export, tmp_path / "planted")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["description"] = f"cohort including {FEMALES[3]}"
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))
    sheet = tmp_path / "samples.tsv"
    sheet.write_text("sample\tunit\n" + "".join(f"{s}\tL1\n" for s in SAMPLES))
    result = egress_cli(folder, sheet, tmp_path / "verdict.txt")
    assert result.returncode == 1
    assert not (tmp_path / "verdict.txt").exists()
    assert egress_cli(export, sheet, tmp_path / "verdict.txt").returncode == 0
    assert "passes (floor 5)" in (tmp_path / "verdict.txt").read_text()
    line = next(
        n
        for n, text in enumerate((folder / "manifest.json").read_text().splitlines(), 1)
        if FEMALES[3] in text
    )
    assert f"manifest.json line {line}: sample name '{FEMALES[3]}'" in result.stdout


def test_egress_check_catches_a_format_column(export, tmp_path):
    folder = planted_copy(export, tmp_path / "format")

    def add_genotypes(lines):
        out = []
        for line in lines:
            if line.startswith("#CHROM"):
                out += [
                    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
                    line + "\tFORMAT\tS_001",
                ]
            elif not line.startswith("#"):
                out.append(line + "\tGT\t0/1")
            else:
                out.append(line)
        return out

    rewrite_vcf(folder / "cohort1.sites.vcf.gz", add_genotypes)
    problems = [str(v) for v in check_directory(folder, SAMPLES, FLOOR)]
    assert any(
        "per-sample FORMAT field" in p and "cohort1.sites.vcf.gz line" in p for p in problems
    )
    assert any("per-sample columns: ['FORMAT', 'S_001']" in p for p in problems)


def test_egress_check_catches_a_sub_floor_count(export, tmp_path):
    folder = planted_copy(export, tmp_path / "floor")
    target_line = {}

    def lower_ac(lines):
        for number, line in enumerate(lines, start=1):
            if "\t300\t" in line:
                lines[number - 1] = line.replace("AC=0;", "AC=2;", 1)
                target_line["n"] = number
        return lines

    rewrite_vcf(folder / "cohort1.sites.vcf.gz", lower_ac)
    problems = [str(v) for v in check_directory(folder, SAMPLES, FLOOR)]
    assert (
        f"cohort1.sites.vcf.gz line {target_line['n']}: ALL: AC=2 AN=60 is below the floor of 5"
        in problems
    )


def test_egress_check_catches_sub_floor_parquet_rows_and_sample_columns(export, tmp_path):
    folder = planted_copy(export, tmp_path / "parquet")
    table = pq.read_table(folder / "cohort1.parquet")
    ac = table.column("AC").to_pylist()
    ac[0] = 1
    table = table.set_column(table.column_names.index("AC"), "AC", pa.array(ac, pa.int64()))
    table = table.append_column(MALES[0], pa.array(["0/1"] * table.num_rows))
    pq.write_table(table, folder / "cohort1.parquet")
    problems = [str(v) for v in check_directory(folder, SAMPLES, FLOOR)]
    assert any(p.startswith("cohort1.parquet line 1:") and "below the floor" in p for p in problems)
    assert f"cohort1.parquet: columns that are not aggregates: ['{MALES[0]}']" in problems


def test_egress_check_rejects_files_that_are_not_payloads(export, tmp_path):
    folder = planted_copy(export, tmp_path / "extra")
    (folder / "notes.txt").write_text("nothing personal\n")
    assert [str(v) for v in check_directory(folder, SAMPLES, FLOOR)] == [
        "notes.txt: not an export payload"
    ]


def test_export_refuses_to_publish_what_fails_the_egress_check(cohort, tmp_path):
    settings = ExportSettings(
        "cohort1", "node-a", "GRCh38", FLOOR, descriptive={"description": f"see {MALES[1]}"}
    )
    with pytest.raises(VarnodeError, match="failed its egress check, nothing was published"):
        export_node(str(cohort / "cohort.vcf"), SEXES, beds(cohort), tmp_path / "out", settings)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    assert not list(tmp_path.glob(".out.partial*"))


def test_gene_and_consequence_come_from_the_most_severe_csq_entry(tmp_path):
    samples = FEMALES[:5] + MALES[:5]
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=10000>\n"
        '##INFO=<ID=BCSQ,Number=.,Type=String,Description="bcftools csq">\n'
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples) + "\n"
    )
    bcsq = "intron|GENE1|T1|protein_coding|+||,missense|GENE2|T2|protein_coding|+|5A>V|100C>T"
    calls = "\t".join(["0/1"] * 10)
    (tmp_path / "calls.vcf").write_text(
        header + f"chr1\t100\t.\tC\tT\t.\tPASS\tBCSQ={bcsq}\tGT\t{calls}\n"
    )
    bed = tmp_path / "all.bed"
    bed.write_text("chr1\t0\t10000\n")
    export_node(
        str(tmp_path / "calls.vcf"),
        {s: SEXES[s] for s in samples},
        dict.fromkeys(samples, bed),
        tmp_path / "out",
        ExportSettings("genes", "node-a", "GRCh38", FLOOR),
    )
    reader = VCF(str(tmp_path / "out" / "genes.sites.vcf.gz"))
    record = next(reader)
    info = dict(record.INFO)
    reader.close()
    assert (info["GENE"], info["CONSEQUENCE"]) == ("GENE2", "missense")
    rows = pq.read_table(tmp_path / "out" / "genes.parquet").to_pylist()
    assert {(row["GENE"], row["CONSEQUENCE"]) for row in rows} == {("GENE2", "missense")}


def test_egress_check_lets_only_known_payload_names_through(export, tmp_path):
    folder = planted_copy(export, tmp_path / "names")
    (folder / "genotypes.json").write_text("{}\n")
    (folder / "cohort.vcf.gz").write_bytes(b"")
    (folder / "sub").mkdir()
    assert [str(v) for v in check_directory(folder, SAMPLES, FLOOR)] == [
        "cohort.vcf.gz: not an export payload",
        "genotypes.json: not an export payload",
        "sub: not a file (only payload files leave)",
    ]


def test_callable_regions_read_through_an_index_in_windows_are_the_same(
    cohort, tmp_path, monkeypatch
):
    from varnode.federation import callable as callable_module

    rules = [PloidyRule("chrX", 2_781_480, 155_701_381, "M", 1)]
    strata = node_strata("", True)
    whole = flat(callable_regions(beds(cohort), SEXES, CONTIGS, rules, strata, FLOOR), strata)
    indexed = {}
    for sample, bed in beds(cohort).items():
        target = tmp_path / f"{sample}.bed"
        target.write_text(bed.read_text())
        indexed[sample] = Path(
            pysam.tabix_index(str(target), preset="bed", zerobased=True, csi=True, force=True)
        )
    monkeypatch.setattr(callable_module, "WINDOW", 333_333)  # windows cut the chrX regions
    windowed = flat(callable_regions(indexed, SEXES, CONTIGS, rules, strata, FLOOR), strata)
    assert all(source.endswith(".gz") for source in map(str, indexed.values()))
    assert [(r.chrom, r.start, r.end, r.an) for r in windowed] == [
        (r.chrom, r.start, r.end, r.an) for r in whole
    ]
    assert len(whole) == 4
