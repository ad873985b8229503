"""Grid parsing and seeding: what a sweep's command line means, and that seeds replay."""

from __future__ import annotations

import numpy as np
import pytest

from recon.analysis.grid import GridError, parse_axis, parse_grid, root_entropy, spawn_seeds
from recon.sim import load_scenario


def test_values_are_yaml_typed() -> None:
    axis = parse_axis('loop.guards.max_deletes=5,0.3,false,null,"hold",{max: 5, action: abort}')
    assert axis.path == "loop.guards.max_deletes"
    assert axis.values == (5, 0.3, False, None, "hold", {"max": 5, "action": "abort"})
    assert [type(v) for v in axis.values[:3]] == [int, float, bool]


@pytest.mark.parametrize(("spec", "says"), [
    ("loop.guards.max_deletes.max", "expected dotted.path=v1,v2"),
    ("loop..max=1", "expected dotted.path=v1,v2"),
    ("loop.guards.max_deletes.max=", "no values"),
    ("loop.guards.max_deletes.max=5,5", "value 5 appears twice"),
    ("loop.guards.max_deletes.max=[5,", "not YAML"),
])
def test_bad_axis_is_refused_quoting_it(spec: str, says: str) -> None:
    with pytest.raises(GridError) as e:
        parse_axis(spec)
    assert says in str(e.value) and repr(spec) in str(e.value)


def test_axes_that_overwrite_each_other_are_refused() -> None:
    with pytest.raises(GridError, match="given twice"):
        parse_grid(["a.b=1,2", "a.b=3"])
    with pytest.raises(GridError, match="one path contains the other"):
        parse_grid(["loop.guards.max_deletes=false,true", "loop.guards.max_deletes.max=5,10"])


def test_points_enumerate_the_product_last_axis_fastest() -> None:
    grid = parse_grid({"loop.guards.max_deletes.max": [5, 20], "loop.guards.desired_shrink.max_fraction": [0.2, 0.5]})
    pts = grid.points()
    assert [p.index for p in pts] == [0, 1, 2, 3]
    assert [p.as_dict() for p in pts][:2] == [
        {"loop.guards.max_deletes.max": 5, "loop.guards.desired_shrink.max_fraction": 0.2},
        {"loop.guards.max_deletes.max": 5, "loop.guards.desired_shrink.max_fraction": 0.5}]
    assert parse_grid([]).points()[0].params == ()  # no axis: the scenario as given, once


def test_overrides_load_to_the_grid_values(tiny) -> None:
    """The --set text a point produces is read back by the scenario loader as the same values."""
    grid = parse_grid(['loop.guards.max_deletes={max: 7, action: abort}', "loop.guards.desired_shrink.max_fraction=0.25"])
    sc = load_scenario(tiny[0], grid.points()[0].overrides)
    assert sc.loop.guards.max_deletes.max == 7 and sc.loop.guards.max_deletes.action == "abort"
    assert sc.loop.guards.desired_shrink.max_fraction == 0.25


def test_seeds_come_from_spawned_children_and_do_not_depend_on_k() -> None:
    few, many = spawn_seeds(42, 3), spawn_seeds(42, 10)
    assert few == many[:3]
    assert len({s.seed for s in many}) == 10
    child = np.random.SeedSequence(42, spawn_key=(2,))
    assert many[2].spawn_key == (2,) and many[2].root_entropy == 42
    assert many[2].seed == int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))
    assert spawn_seeds(43, 3)[0].seed != few[0].seed


def test_root_is_drawn_fresh_when_absent_and_checked_when_given() -> None:
    a, b = root_entropy(None), root_entropy(None)
    assert a != b and a > 2**64  # OS entropy, 128 bits
    assert root_entropy(7) == 7
    with pytest.raises(GridError):
        root_entropy(-1)
    with pytest.raises(GridError):
        spawn_seeds(1, 0)
