"""DiffInspector over decisions the engine makes: filters, field-level diffs, verdict banner."""

from __future__ import annotations

from pathlib import Path

import pytest

from recon.core.decision import decide
from recon.core.guards import GUARD_ORDER, GuardContext
from recon.core.plan import diff
from recon.core.policy import Policy
from recon.sources.inventory import load_inventory
from recon.ui import DiffInspector


def example_decision(examples: Path, max_deletes: int = 5):
    d = load_inventory(examples / "desired.yaml")
    o = load_inventory(examples / "observed.yaml")
    plan = diff(d.resources, o.resources)
    ctx = GuardContext(now=0.0, loop="example-dns", desired_count=len(d), observed_count=len(o), desired_source="desired.yaml")
    policy = Policy.model_validate({"guards": {"max_deletes": {"max": max_deletes}}})
    return decide(plan, ctx, policy)


def test_rows_follow_the_operation_kind_and_name_filters(examples: Path) -> None:
    w = DiffInspector(example_decision(examples))
    assert {(r.op, r.kind, r.name) for r in w.rows} == {
        ("create", "CNAME", "docs"), ("update", "A", "www"), ("delete", "A", "legacy"), ("delete", "TXT", "hand-made")}
    w.op_filter["unchanged"].value = True
    assert len(w.rows) == 7 and "7 of 7 resources" in w.table.value
    w.op_filter["delete"].value = False
    w.op_filter["create"].value = False
    assert {r.op for r in w.rows} == {"update", "unchanged"}
    w.kind_filter.value = "MX"
    assert [(r.op, r.name) for r in w.rows] == [("unchanged", "@")]
    w.kind_filter.value = "(all kinds)"
    w.name_filter.value = "ma*"
    assert [r.name for r in w.rows] == ["mail"]
    w.name_filter.value = "pi"  # substring match as well as globs
    assert [r.name for r in w.rows] == ["api"]
    assert [row for _, row in w.picker.options] == w.rows


def test_selecting_an_update_shows_observed_and_desired_values(examples: Path) -> None:
    w = DiffInspector(example_decision(examples))
    w.select(("A", "www"))
    html = w.detail.value
    assert "update A/www" in html and "values" in html
    assert "10.0.0.99" in html and "10.0.0.10" in html  # observed drift and desired value side by side
    w.select(("CNAME", "docs"))
    assert "www.example.test." in w.detail.value and "in this cycle&#x27;s batch" in w.detail.value
    w.op_filter["create"].value = False
    with pytest.raises(KeyError, match="CNAME/docs"):
        w.select(("CNAME", "docs"))


def test_banner_lists_every_guard_and_held_deletes_show_their_guard(examples: Path) -> None:
    w = DiffInspector(example_decision(examples, max_deletes=1), title="example-dns")
    for guard in GUARD_ORDER[1:]:  # the kill switch is checked first and reports too
        assert guard in w.banner.value
    assert "kill_switch" in w.banner.value
    assert "max_deletes (hold)" in w.banner.value and "2 deletes &gt; cap 1" in w.banner.value
    legacy = next(r for r in w.rows if r.name == "legacy")
    assert legacy.fate.startswith("blocked by max_deletes: awaiting approval")
    w.select(("A", "legacy"))
    assert "blocked by max_deletes" in w.detail.value and "10.0.0.40" in w.detail.value


def test_filters_that_hide_everything_leave_nothing_selected(examples: Path) -> None:
    w = DiffInspector(example_decision(examples))
    w.name_filter.value = "no-such-record"
    assert w.rows == [] and w.picker.value is None
    assert "no resource selected" in w.detail.value


def test_text_from_resources_is_escaped(examples: Path) -> None:
    from recon.core.model import Resource

    plan = diff({("TXT", "<b>x</b>"): Resource("TXT", "<b>x</b>", {"values": ["<script>"]})}, {})
    w = DiffInspector(decide(plan, GuardContext(now=0.0, desired_count=1), Policy()))
    w.select(("TXT", "<b>x</b>"))
    assert "<script>" not in w.detail.value and "&lt;script&gt;" in w.detail.value
    assert "<b>x</b>" not in w.table.value
