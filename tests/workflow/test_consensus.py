"""Rule combine_calls in the session's real run: a consensus per sample, decided per record."""

from __future__ import annotations

from pathlib import Path

import pytest
from cyvcf2 import VCF

from varnode.accuracy.variants import load

pytestmark = pytest.mark.workflow

DECISIONS = {"both", "bcftools_only", "freebayes_only", "conflict"}


@pytest.mark.parametrize("sample", ["NA12878", "testN", "testT"])
def test_consensus_records_carry_their_decision_and_follow_the_shipped_rule(
    pipeline_run: Path, sample: str
) -> None:
    calls = pipeline_run / "results" / "calls"
    consensus = calls / f"{sample}.consensus.vcf.gz"
    assert Path(f"{consensus}.tbi").is_file()
    records = [
        (r.INFO["CONSENSUS"], r.INFO["CALLERS"], r.FILTER or "PASS") for r in VCF(str(consensus))
    ]
    assert records, "no consensus records"
    assert {decision for decision, _, _ in records} <= DECISIONS
    for decision, callers, status in records:
        # Shipped rule: bcftools-only calls are filtered, everything else passes.
        expected = "SingleCaller" if decision == "bcftools_only" else "PASS"
        assert status == expected, (decision, callers, status)
    # ... so, with freebayes as the represent caller, the PASS consensus is freebayes'
    # PASS calls, each labelled by whether bcftools agrees.
    reference = str(pipeline_run / "resources" / "reference" / "genome.fa")
    freebayes = load(
        str(calls / f"{sample}.freebayes.filtered.vcf.gz"), reference, None, None, True
    )
    passed = load(str(consensus), reference, None, None, pass_only=True)
    assert {v.key for v in passed} == {v.key for v in freebayes}
    assert any(decision == "both" for decision, _, _ in records)
