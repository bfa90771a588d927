"""The search space: grids expand right, random search is seeded, distinct and within bounds."""

from __future__ import annotations

import math
from typing import Any

import pytest

from lake.ml.errors import TuneSetupError, TuneSpaceError
from lake.ml.spec import TuneSpec
from lake.ml.tune import candidate_points, grid_points, parse_space, random_points


def Spec(**fields: Any) -> TuneSpec:
    """The project's TuneSpec with test defaults (grid, cv, 3 folds, no trial limit, seed 7)."""
    return TuneSpec(**{"strategy": "grid", "method": "cv", "folds": 3, "max_trials": 0, "seed": 7, **fields})


def test_grid_is_the_cartesian_product_in_declaration_order() -> None:
    points = grid_points({"reg_param": [0.0, 0.1], "max_iter": {"low": 10, "high": 30, "step": 10}})
    assert points == [
        {"reg_param": 0.0, "max_iter": 10}, {"reg_param": 0.0, "max_iter": 20}, {"reg_param": 0.0, "max_iter": 30},
        {"reg_param": 0.1, "max_iter": 10}, {"reg_param": 0.1, "max_iter": 20}, {"reg_param": 0.1, "max_iter": 30},
    ]
    assert all(isinstance(p["max_iter"], int) for p in points)


def test_float_step_ranges_include_the_high_end_without_float_noise() -> None:
    assert grid_points({"x": {"low": 0.1, "high": 0.5, "step": 0.1}}) == [{"x": v} for v in (0.1, 0.2, 0.3, 0.4, 0.5)]
    assert grid_points({"x": {"low": 0, "high": 1, "step": 0.25}}) == [{"x": v} for v in (0, 0.25, 0.5, 0.75, 1.0)]


def test_list_values_may_be_lists_themselves() -> None:
    points = grid_points({"layers": [[4, 2], [4, 8, 2]]})
    assert points == [{"layers": [4, 2]}, {"layers": [4, 8, 2]}]


def test_grid_over_max_trials_is_refused_and_zero_means_no_limit() -> None:
    space = {"a": [1, 2, 3], "b": [1, 2, 3]}
    with pytest.raises(TuneSetupError, match="the grid has 9 points, more than tune.max_trials = 8"):
        grid_points(space, max_trials=8)
    assert len(grid_points(space, max_trials=0)) == 9
    assert len(grid_points(space, max_trials=9)) == 9


def test_grid_refuses_a_continuous_range() -> None:
    with pytest.raises(TuneSpaceError, match=r"tune.space.reg_param: a grid needs a list or a range with a step"):
        grid_points({"reg_param": {"low": 0.0, "high": 1.0}})


def test_random_search_is_reproducible_and_seed_dependent() -> None:
    space = {"reg_param": {"low": 1e-4, "high": 1.0, "log": True}, "depth": {"low": 2, "high": 9}, "m": ["a", "b"]}
    first = random_points(space, 20, seed=3)
    assert first == random_points(space, 20, seed=3)
    assert first != random_points(space, 20, seed=4)
    assert len(first) == 20


def test_random_points_are_distinct_even_in_a_small_discrete_space() -> None:
    space = {"a": [1, 2, 3], "b": {"low": 0, "high": 3}}  # 12 points
    points = random_points(space, 10, seed=1)
    assert len(points) == 10
    assert len({(p["a"], p["b"]) for p in points}) == 10
    every = random_points(space, 50, seed=1)  # more trials than points: each point once
    assert sorted((p["a"], p["b"]) for p in every) == [(a, b) for a in (1, 2, 3) for b in range(4)]


def test_random_ranges_stay_in_bounds_with_the_right_types() -> None:
    space = {
        "lr": {"low": 1e-5, "high": 1e-1, "log": True},
        "trees": {"low": 10, "high": 500, "log": True},
        "frac": {"low": 0.5, "high": 1.0},
        "depth": {"low": 2, "high": 8},
        "step": {"low": 0.1, "high": 0.3, "step": 0.1},
    }
    points = random_points(space, 300, seed=0)
    for p in points:
        assert 1e-5 <= p["lr"] <= 1e-1 and isinstance(p["lr"], float)
        assert 10 <= p["trees"] <= 500 and isinstance(p["trees"], int)
        assert 0.5 <= p["frac"] <= 1.0
        assert 2 <= p["depth"] <= 8 and isinstance(p["depth"], int)
        assert p["step"] in (0.1, 0.2, 0.3)


def test_log_uniform_spreads_evenly_over_decades() -> None:
    points = random_points({"lr": {"low": 1e-4, "high": 1.0, "log": True}}, 2000, seed=5)
    decades = [math.floor(math.log10(p["lr"])) for p in points]
    counts = [decades.count(d) for d in (-4, -3, -2, -1)]
    assert all(400 <= c <= 600 for c in counts), counts  # ~500 each; uniform would put ~90% in the top decade


def test_strategy_none_is_one_trial_of_default_parameters() -> None:
    assert candidate_points(Spec(strategy="none")) == [{}]


def test_random_strategy_uses_the_spec_seed_unless_overridden() -> None:
    spec = Spec(strategy="random", space={"x": {"low": 0.0, "high": 1.0}}, max_trials=5, seed=11)
    assert candidate_points(spec) == random_points(spec.space, 5, seed=11)
    assert candidate_points(spec, seed=12) == random_points(spec.space, 5, seed=12)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "the list of values is empty"),
        ([1, 1, 2], "duplicate values 1"),
        ({"low": 1}, "a range needs 'high'"),
        ({"low": 2, "high": 1}, "low must be below high, got low=2, high=1"),
        ({"low": 0, "high": 1, "log": True}, "a log range needs low > 0, got 0"),
        ({"low": 1, "high": 9, "log": True, "step": 2}, "a range takes log or step, not both"),
        ({"low": 1, "high": 9, "step": 0}, "step must be a positive number, got 0"),
        ({"low": 1, "high": 9, "scale": "log"}, r"unknown keys \['scale'\]"),
        ({"low": "a", "high": 9}, "low must be a number, got 'a'"),
        ("0.1", "expected a list of values or a table"),
    ],
)
def test_malformed_dimensions_name_the_key(raw: Any, message: str) -> None:
    with pytest.raises(TuneSpaceError, match=rf"^tune.space.p: .*{message}"):
        parse_space({"p": raw})


def test_random_search_needs_a_trial_budget() -> None:
    with pytest.raises(TuneSetupError, match="random search needs tune.max_trials > 0, got 0"):
        random_points({"x": [1, 2]}, 0, seed=1)
