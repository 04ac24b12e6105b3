"""Catchment metrics: hand-worked cases, invariants, and agreement with PySAL access."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gapmap.access import floating_catchment, gaussian, point_metrics
from gapmap.config import BNG
from gapmap.costs import cost_order, euclidean_costs, nearest_cost, within
from gapmap.errors import CrsError


def points(xy, **cols):
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=BNG)


@pytest.fixture
def line():
    """Three demand points and two providers on a line (metres)."""
    demand = points([(0, 0), (4000, 0), (10000, 0)], people=[10.0, 30.0, 20.0])
    providers = points([(1000, 0), (9000, 0)], capacity=[8.0, 6.0])
    providers.index = ["P", "Q"]
    return demand, providers


def test_cost_table_is_long_form_and_bounded(line):
    demand, providers = line
    costs = euclidean_costs(demand, providers, max_km=5)
    assert list(costs.columns) == ["origin", "dest", "cost"]
    assert costs.values.tolist() == [[0, "P", 1.0], [1, "P", 3.0], [1, "Q", 5.0], [2, "Q", 1.0]]
    road = euclidean_costs(demand, providers, max_km=5, circuity=1.25)
    # 5 km straight line is 6.25 km by road: beyond the 5 km limit now.
    assert road.values.tolist() == [[0, "P", 1.25], [1, "P", 3.75], [2, "Q", 1.25]]


def test_hand_worked_two_step(line):
    demand, providers = line
    costs = euclidean_costs(demand, providers, max_km=5)
    m = point_metrics(costs, demand.people, providers.capacity, radius=5)
    # R_P = 8 / (10 + 30) = 0.2, R_Q = 6 / (30 + 20) = 0.12
    assert m.access_2sfca.tolist() == pytest.approx([200.0, 320.0, 120.0])
    assert m.providers_within.tolist() == [1, 2, 1]
    assert m.capacity_within.tolist() == [8, 14, 6]
    assert not m.beyond_radius.any()
    assert m.allocated.sum() == pytest.approx(14.0)  # every place shared out once
    assert nearest_cost(costs, demand.index).tolist() == pytest.approx([1.0, 3.0, 1.0])


def test_hand_worked_radius_leaves_people_beyond(line):
    demand, providers = line
    costs = euclidean_costs(demand, providers, max_km=2)
    m = point_metrics(costs, demand.people, providers.capacity, radius=2)
    assert m.beyond_radius.tolist() == [False, True, False]
    assert m.access_2sfca.tolist() == pytest.approx([800.0, 0.0, 300.0])  # 8/10, 6/20


def test_hand_worked_enhanced_gaussian(line):
    demand, providers = line
    costs = euclidean_costs(demand, providers, max_km=5)
    sigma = 2.5
    w = lambda c: np.exp(-c * c / (2 * sigma * sigma))  # noqa: E731
    r_p = 8 / (10 * w(1) + 30 * w(3))
    r_q = 6 / (30 * w(5) + 20 * w(1))
    expected = [r_p * w(1), r_p * w(3) + r_q * w(5), r_q * w(1)]
    m = point_metrics(costs, demand.people, providers.capacity, radius=5)  # sigma defaults to r/2
    assert m.access_e2sfca.to_numpy() / 1000 == pytest.approx(expected, rel=1e-12)


def test_provider_on_the_point_is_zero_km():
    demand = points([(350_000, 120_000), (351_000, 120_000)])
    providers = points([(350_000, 120_000)])
    costs = euclidean_costs(demand, providers, max_km=5)
    assert nearest_cost(costs, demand.index).tolist() == [0.0, 1.0]


def test_nearest_beyond_the_radius_comes_from_the_cost_table(line):
    demand, providers = line
    # At 0.5 km nobody is in reach, yet each point's nearest provider is in the table.
    costs = euclidean_costs(demand, providers, max_km=0.5)
    assert sorted(costs.values.tolist()) == [[0, "P", 1.0], [1, "P", 3.0], [2, "Q", 1.0]]
    assert nearest_cost(costs, demand.index).tolist() == pytest.approx([1.0, 3.0, 1.0])
    # The radius metrics ignore those rows: everyone is beyond 0.5 km.
    assert point_metrics(costs, demand.people, providers.capacity, radius=0.5).beyond_radius.all()
    # Road factor applies to the nearest too.
    road = euclidean_costs(demand, providers, max_km=0.5, circuity=1.5)
    assert nearest_cost(road, demand.index).tolist() == pytest.approx([1.5, 4.5, 1.5])
    # Without the nearest rows, nothing beyond the radius is kept.
    assert euclidean_costs(demand, providers, max_km=0.5, nearest=False).empty


def test_no_providers():
    demand = points([(0, 0)], people=[5.0])
    none = points(np.empty((0, 2)), capacity=[])
    costs = euclidean_costs(demand, none, max_km=5)
    m = point_metrics(costs, demand.people, none.capacity, radius=5)
    assert m.beyond_radius.all() and m.access_2sfca.tolist() == [0.0]
    assert np.isinf(nearest_cost(costs, demand.index)).all()


def test_costs_need_british_national_grid():
    wgs = gpd.GeoDataFrame(geometry=gpd.points_from_xy([-3.1], [51.0]), crs=4326)
    with pytest.raises(CrsError, match="27700"):
        euclidean_costs(wgs, wgs, max_km=1)


def test_unknown_labels_in_cost_table_raise(line):
    demand, providers = line
    bad = pd.DataFrame({"origin": [0], "dest": ["Z"], "cost": [1.0]})
    with pytest.raises(ValueError, match="destinations"):
        floating_catchment(bad, demand.people, providers.capacity, radius=5)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), m=st.integers(1, 12))
def test_catchment_covering_everyone_is_total_supply_over_total_demand(seed, n, m):
    rng = np.random.default_rng(seed)
    demand = points(rng.uniform(0, 10_000, (n, 2)), people=rng.uniform(0.1, 50, n))
    providers = points(rng.uniform(0, 10_000, (m, 2)), capacity=rng.uniform(1, 20, m))
    costs = euclidean_costs(demand, providers, max_km=20)  # 20 km covers the 10 km square
    a = floating_catchment(costs, demand.people, providers.capacity, radius=20)
    np.testing.assert_allclose(a, providers.capacity.sum() / demand.people.sum(), rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(0.5, 8))
def test_supply_is_conserved(seed, radius):
    rng = np.random.default_rng(seed)
    demand = points(rng.uniform(0, 10_000, (80, 2)), people=rng.uniform(0.1, 50, 80))
    providers = points(rng.uniform(0, 10_000, (10, 2)), capacity=rng.uniform(1, 20, 10))
    costs = euclidean_costs(demand, providers, max_km=radius)
    reached = providers.capacity[providers.index.isin(costs.dest[costs.cost <= radius])].sum()
    for weight in (None, gaussian(radius / 2)):
        a = floating_catchment(costs, demand.people, providers.capacity, radius=radius, weight=weight)
        assert (a * demand.people).sum() == pytest.approx(reached, rel=1e-9)


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_pysal_access(seed):
    fca = pytest.importorskip("access.fca")
    weights = pytest.importorskip("access.weights")
    rng = np.random.default_rng(seed)
    demand = points(rng.uniform(0, 20_000, (300, 2)), people=rng.uniform(1, 100, 300))
    providers = points(rng.uniform(0, 20_000, (25, 2)), capacity=rng.uniform(1, 30, 25))
    providers.index = [f"p{i}" for i in range(25)]
    radius = 4.0
    costs = euclidean_costs(demand, providers, max_km=radius)
    demand_df = pd.DataFrame({"pop": demand.people})
    supply_df = pd.DataFrame({"cap": providers.capacity})
    for ours_weight, theirs_weight in ((None, None), (gaussian(2.0), weights.gaussian(2.0))):
        theirs = fca.two_stage_fca(
            demand_df,
            supply_df,
            costs,
            max_cost=radius,
            demand_index=True,
            demand_name="pop",
            supply_name="cap",
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
            weight_fn=theirs_weight,
        )
        ours = floating_catchment(costs, demand.people, providers.capacity, radius=radius, weight=ours_weight)
        theirs = theirs.reindex(ours.index).fillna(0.0)
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-9, atol=1e-12)
        assert (ours > 0).sum() > 100  # a real comparison, not of zeros


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(0.2, 6), circuity=st.floats(1.0, 1.5))
def test_cutting_a_wide_table_equals_building_at_the_radius(seed, radius, circuity):
    rng = np.random.default_rng(seed)
    demand = points(rng.uniform(0, 20_000, (120, 2)), people=rng.uniform(0.1, 50, 120))
    providers = points(rng.uniform(0, 20_000, (8, 2)), capacity=rng.uniform(1, 20, 8))
    wide = euclidean_costs(demand, providers, max_km=20, circuity=circuity)
    direct = euclidean_costs(demand, providers, max_km=radius, circuity=circuity)
    pd.testing.assert_frame_equal(within(wide, radius), direct, check_dtype=False)


def test_metrics_are_the_same_for_a_table_in_any_row_order():
    """A table sorted by cost is cut by binary search; any other order is filtered, same result."""
    rng = np.random.default_rng(3)
    n_pts, n_prov = 60, 8
    pairs = pd.DataFrame(
        {
            "origin": np.repeat(np.arange(n_pts), n_prov),
            "dest": np.tile(np.arange(n_prov), n_pts),
            "cost": rng.uniform(0, 10, n_pts * n_prov),
        }
    )
    demand = pd.Series(rng.uniform(1, 20, n_pts))
    capacity = pd.Series(rng.uniform(1, 5, n_prov))
    by_cost = pairs.sort_values("cost", kind="stable").reset_index(drop=True)
    shuffled = pairs.sample(frac=1.0, random_state=1).reset_index(drop=True)
    # Sorted except one row beyond the radius placed early: a binary search alone would be wrong.
    nearly = pd.concat([by_cost.iloc[[-1]], by_cost.iloc[:-1]], ignore_index=True)
    for radius in (2.5, 6.0):
        expected = point_metrics(pairs, demand, capacity, radius=radius)
        for table in (by_cost, shuffled, nearly):
            got = point_metrics(table, demand, capacity, radius=radius)
            pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
        assert expected.providers_within.sum() == (pairs.cost <= radius).sum()


def dense_fca(pairs: pd.DataFrame, d: np.ndarray, s: np.ndarray, radius: float, weight=None) -> np.ndarray:
    """The module formulas on a dense matrix, written out with no sparse shortcuts."""
    w = np.zeros((len(d), len(s)))
    for o, j, c in pairs.itertuples(index=False):
        if c <= radius:
            w[o, j] += 1.0 if weight is None else float(weight(np.array([c]))[0])
    reach = w.T @ d
    ratio = np.where(reach > 0, s / np.where(reach > 0, reach, 1.0), 0.0)
    return w @ ratio


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 40),
    m=st.integers(1, 6),
    share=st.floats(0.0, 1.0),
    radius=st.floats(0.5, 9.5),
    order=st.sampled_from(["origin", "cost", "shuffled"]),
)
def test_sparse_steps_equal_the_dense_formulas(seed, n, m, share, radius, order):
    """Points with no pairs (first, last, between), repeated pairs, NaN costs, any row order."""
    rng = np.random.default_rng(seed)
    k = int(share * n * m) + 1
    pairs = pd.DataFrame(
        {
            "origin": rng.integers(0, n, k).astype(np.int32),
            "dest": rng.integers(0, m, k).astype(np.int32),
            "cost": np.where(rng.random(k) < 0.05, np.nan, rng.uniform(0, 10, k)),
        }
    )
    if order == "origin":
        pairs = pairs.sort_values("origin", kind="stable")
    elif order == "cost":
        pairs = pairs.sort_values("cost", kind="stable")
    pairs = pairs.reset_index(drop=True)
    d = rng.uniform(1, 20, n)
    s = rng.uniform(1, 5, m)
    for weight in (None, gaussian(radius / 2)):
        got = floating_catchment(pairs, pd.Series(d), pd.Series(s), radius=radius, weight=weight)
        np.testing.assert_allclose(got.to_numpy(), dense_fca(pairs, d, s, radius, weight), rtol=1e-12, atol=1e-15)
    metrics = point_metrics(pairs, pd.Series(d), pd.Series(s), radius=radius)
    inside = pairs[pairs.cost <= radius]
    np.testing.assert_array_equal(metrics.providers_within, np.bincount(inside.origin, minlength=n))
    np.testing.assert_allclose(metrics.capacity_within, np.bincount(inside.origin, s[inside.dest], minlength=n))


def test_unknown_labels_only_matter_within_the_radius():
    """A row beyond the radius may name a point or provider the caller left out; one within may not."""
    demand = pd.Series([10.0, 20.0])
    supply = pd.Series([4.0])
    table = pd.DataFrame({"origin": [0, 0, 1, 7], "dest": [0, 9, 0, 0], "cost": [1.0, 8.0, 2.0, 9.0]})
    got = floating_catchment(table, demand, supply, radius=5)
    np.testing.assert_allclose(got, [4.0 / 30.0, 4.0 / 30.0])
    table.loc[3, "cost"] = 3.0
    with pytest.raises(ValueError, match="origins"):
        floating_catchment(table, demand, supply, radius=5)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.25, 2.0, 7.5]) | st.floats(0, 30), min_size=0, max_size=300))
def test_cost_order_is_the_stable_sort(values):
    """The table's cost order equals numpy's stable sort, ties (many here) kept in their first order."""
    cost = np.array(values, dtype=float)
    assert cost_order(cost).tolist() == np.argsort(cost, kind="stable").tolist()
