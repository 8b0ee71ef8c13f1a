"""One node's throughput against its cores: the exponent, its interval, the factor it gives a design, and the
points it may not use."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from harness.models.sizing import load_sizing
from harness.sizing.per_core import fit_per_core
from harness.sizing.points import CapacityPoint


def one_node(exponent: float, quotas=(0.1, 0.15, 0.25, 0.4), noise: float = 0.0, seed: int = 0, **extra):
    rng = np.random.default_rng(seed)
    return [CapacityPoint("middleware", 1, q, 200 * q ** exponent * (1 + rng.normal(0, noise)), f"1n-{q}-{i}", **extra)
            for i in range(2) for q in quotas]


@pytest.mark.parametrize("exponent", [1.0, 0.8])
def test_the_exponent_is_recovered_with_an_interval_around_it(exponent):
    fits = [fit_per_core(one_node(exponent, noise=0.03, seed=seed), resamples=200) for seed in range(20)]
    assert all(found.exponent == pytest.approx(exponent, abs=0.08) for found in fits)
    assert all(found.interval.high - found.interval.low < 0.3 for found in fits)
    # a 90 % bootstrap interval over eight points: around the truth in most runs, not in every one
    assert sum(found.interval.contains(exponent) for found in fits) >= 14
    assert fits[0].cores == [0.1, 0.15, 0.25, 0.4]


def test_the_factor_scales_linear_growth_from_the_largest_quota_to_the_design():
    found = fit_per_core(one_node(0.8), resamples=0)
    assert found.scaling(8) == pytest.approx((8 / 0.4) ** -0.2)  # about 0.55: a fifth less per doubling of cores
    source = found.source(8)
    assert "measured to 0.4 cores, design 8: ×20 beyond the data" in source and "b = 0.80" in source
    assert "assumption" not in source.lower()


def test_more_than_linear_growth_is_not_extrapolated():
    found = fit_per_core(one_node(1.15), resamples=0)
    assert found.exponent > 1 and found.scaling(8) == 1.0 and "taken as 1" in found.source(8)


def test_too_few_quotas_or_bound_points_give_the_reason_instead():
    assert "2 CPU quota(s)" in fit_per_core(one_node(1.0, quotas=(0.1, 0.2)))
    bound = [replace(p, host_share=0.9) if p.cpu_per_node == 0.4 else p for p in one_node(1.0, quotas=(0.1, 0.2, 0.4))]
    assert "needs 3" in fit_per_core(bound)
    generator = [replace(p, generator_bound=True) if p.cpu_per_node == 0.4 else p
                 for p in one_node(1.0, quotas=(0.1, 0.2, 0.4))]
    assert isinstance(fit_per_core(generator), str)
    elsewhere = [replace(p, swept_share=0.5) if p.cpu_per_node == 0.4 else p for p in one_node(1.0, quotas=(0.1, 0.2, 0.4))]
    assert "nor another tier bound" in fit_per_core(elsewhere)
    pools = [replace(p, nodes=2) for p in one_node(1.0)]  # pools of two are not one node's cores
    assert isinstance(fit_per_core(pools), str)


def test_a_measured_scaling_replaces_the_designs_assumption():
    from harness.sizing.demand import design_factors
    from harness.sizing.sizing_run import measured_scaling

    design = load_sizing("reference-1m")
    assert design.demand.per_core_scaling.is_assumption
    scaled, found = measured_scaling(design, one_node(0.9))
    factor = scaled.per_core_scaling("middleware_groupware")
    groupware_cores = design.tiers["middleware_groupware"].cores
    assert not factor.is_assumption and factor.value == pytest.approx(found.scaling(groupware_cores))
    # measured on the middleware, so it extrapolates the middleware tiers only: IMAP keeps the design's factor
    assert scaled.per_core_scaling("imap") == design.demand.per_core_scaling
    assert scaled.demand.per_core_scaling == design.demand.per_core_scaling
    factors = {factor.name: factor for factor in design_factors(scaled)}
    assert not factors["per_core_scaling (middleware_groupware, middleware_docs, middleware_sync)"].is_assumption
    assert "for every tier without its own" in factors["per_core_scaling"].source
    unchanged, why = measured_scaling(design, one_node(0.9, quotas=(0.1,)))
    assert unchanged is design and "needs 3" in why


def test_worker_processes_take_the_exponent_only_to_their_own_core():
    from harness.sizing.per_core import process_cores

    assert process_cores(8) == 8 and process_cores(8, "auto") == 1 and process_cores(2.5, "auto") == 2.5 / 3
    assert process_cores(8, 4) == 2 and process_cores(0.5, "auto") == 0.5
    found = fit_per_core(one_node(0.8), resamples=0)
    # one JVM on 8 cores: the exponent runs ×20 past 0.4 cores; 8 workers of a core: ×2.5, and they add linearly
    assert found.scaling(8, workers="auto") == pytest.approx((1 / 0.4) ** -0.2)
    assert found.scaling(8, workers=4) == pytest.approx((2 / 0.4) ** -0.2)
    assert found.scaling(8, workers="auto") > found.scaling(8)
    source = found.source(8, "auto")
    assert "design 8 as 8 worker processes of 1 core, adding linearly: ×2.5 beyond the data per worker" in source
    assert "×20" not in source


def test_the_sweeps_workers_reach_the_designs_factor():
    from harness.sizing.sizing_run import measured_scaling

    design = load_sizing("reference-1m")
    cores = design.tiers["middleware_groupware"].cores
    one_jvm, found = measured_scaling(design, one_node(0.8))
    workers, _ = measured_scaling(design, one_node(0.8), "auto")
    assert one_jvm.per_core_scaling("middleware_groupware").value == pytest.approx(found.scaling(cores))
    assert workers.per_core_scaling("middleware_groupware").value == pytest.approx(
        found.scaling(cores, workers="auto"))
    assert "worker processes" in workers.per_core_scaling("middleware_groupware").source
