"""Tier planning of the cohort's gVCF merge (varnode/cohort/gvcf_merge.py)."""

from __future__ import annotations

import pytest

from varnode.cohort.gvcf_merge import RESERVED_DESCRIPTORS, descriptor_fan_in, plan_tiers
from varnode.errors import VarnodeError


def test_inputs_within_the_fan_in_are_one_merge() -> None:
    assert plan_tiers(1, 10) == [[[0]]]
    assert plan_tiers(10, 10) == [[list(range(10))]]


def test_more_inputs_than_the_fan_in_merge_in_balanced_tiers() -> None:
    tiers = plan_tiers(11, 10)
    assert tiers == [[list(range(6)), list(range(6, 11))], [[0, 1]]]


@pytest.mark.parametrize("n_inputs", [2, 3, 17, 100, 1001, 5000])
@pytest.mark.parametrize("fan_in", [2, 3, 16, 1000])
def test_every_input_is_merged_once_and_no_merge_exceeds_the_fan_in(n_inputs, fan_in) -> None:
    tiers = plan_tiers(n_inputs, fan_in)
    count = n_inputs
    for groups in tiers:
        flat = [index for group in groups for index in group]
        assert flat == list(range(count))  # each file of the tier below once, in order
        assert all(1 <= len(group) <= fan_in for group in groups)
        sizes = {len(group) for group in groups}
        assert max(sizes) - min(sizes) <= 1  # balanced
        count = len(groups)
    assert len(tiers[-1]) == 1
    levels = 1
    while fan_in**levels < n_inputs:
        levels += 1
    assert len(tiers) == levels  # as few tiers as the fan-in allows


def test_fan_in_comes_from_the_descriptor_limit() -> None:
    assert descriptor_fan_in(1024) == 1024 - RESERVED_DESCRIPTORS
    with pytest.raises(VarnodeError, match="ulimit -n"):
        descriptor_fan_in(RESERVED_DESCRIPTORS + 1)


@pytest.mark.parametrize(("n_inputs", "fan_in"), [(0, 4), (3, 1)])
def test_impossible_plans_are_refused(n_inputs, fan_in) -> None:
    with pytest.raises(VarnodeError):
        plan_tiers(n_inputs, fan_in)
