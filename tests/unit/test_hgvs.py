"""HGVS protein notation from bcftools csq amino-acid changes (varnode.annotate.hgvs)."""

import pytest

from varnode.annotate.hgvs import NotationError, hgvs_or_raw, to_hgvs_protein


@pytest.mark.parametrize(
    ("change", "consequence", "expected"),
    [
        ("320W>320R", "missense", "p.Trp320Arg"),
        ("320W", "synonymous", "p.Trp320="),
        ("320W>320*", "stop_gained", "p.Trp320Ter"),
        ("110*>110QK*", "stop_lost", "p.Ter110GlnextTer3"),
        ("110*>110QK", "stop_lost", "p.Ter110GlnextTer?"),
        ("110*", "stop_retained", "p.Ter110="),
        ("63QRS*>63QAL*", "frameshift", "p.Arg64AlafsTer3"),
        ("63QRS*>63RAKT*", "frameshift", "p.Gln63ArgfsTer5"),
        ("63QRS*>63Q*", "frameshift&stop_gained", "p.Arg64Ter"),
        ("63QR..80>63PA..70", "frameshift", "p.Gln63ProfsTer8"),
        ("100KLM>100K", "inframe_deletion", "p.Leu101_Met102del"),
        ("100KL>100K", "inframe_deletion", "p.Leu101del"),
        ("100KL>100KWL", "inframe_insertion", "p.Lys100_Leu101insTrp"),
        ("100KL>100KLL", "inframe_insertion", "p.Leu101dup"),
        ("100KLM>100KLMLM", "inframe_insertion", "p.Leu101_Met102dup"),
        ("100KLM>100KW", "inframe_altering", "p.Leu101_Met102delinsTrp"),
        ("100KLM>100KWM", "missense", "p.Leu101Trp"),
        ("1M>1?", "start_lost", "p.Met1?"),
        ("1M>1V", "start_lost", "p.Met1?"),
        ("", "intron", ""),
    ],
)
def test_csq_changes_become_hgvs(change, consequence, expected):
    assert to_hgvs_protein(change, consequence) == expected


@pytest.mark.parametrize("change", ["W320R", "320W>R", "abc", "320w>320r"])
def test_unreadable_changes_raise_and_are_kept_raw(change):
    with pytest.raises(NotationError):
        to_hgvs_protein(change, "missense")
    assert hgvs_or_raw(change, "missense") == change
