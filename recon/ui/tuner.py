"""ThresholdTuner: guard thresholds as sliders over a simulated scenario; each change reruns it.

The sliders set the scenario's loop template (``loop.guards.max_deletes`` and friends, and
``loop.period``) through the same dotted overrides ``recon simulate --set`` takes; the tuner then
runs :func:`recon.sim.simulate` with a fixed seed and shows the summary (wrongful deletes, time to
converge, outage, approvals) and the convergence and diff-set plots. Reruns are debounced, so a
burst of key presses or a drag runs the simulation once. With a sweep result loaded, the tuner
also marks the nearest grid point on the sweep's frontier and says whether another point dominates
it; with *worst* (worst-case settings) it also shows the adversary's worst case for the setting. The
``recon simulate`` command line (and the loop-config ``guards:``) for the sliders' setting
follows every change at once, before the debounced rerun. The tuner computes nothing itself.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from recon.analysis.plots import plot_convergence, plot_diff_sets
from recon.analysis.sources import ScenarioSource, resolve_sources
from recon.core.errors import ReconError
from recon.core.text import for_html, visible
from recon.sim import Scenario, SimResult, load_scenario, simulate
from recon.ui.debounce import Debouncer
from recon.ui.render import figure_png
from recon.ui.tuner_notes import GUARDS, PATHS, WINDOWS, command_html, frontier_html, grid_point

ScenarioLike = str | Path | Mapping[str, Any] | Scenario


@dataclass(frozen=True, slots=True)
class Choice:
    """A scenario in the picker and where it came from (what the command line names)."""

    scenario: Scenario
    source: ScenarioSource


def load_choices(scenarios: Mapping[str, ScenarioLike] | Sequence[ScenarioLike]) -> dict[str, Choice]:
    """Scenarios by name, from files, mappings or loaded scenarios; a bad one is an error naming it."""
    items = scenarios.items() if isinstance(scenarios, Mapping) else ((None, s) for s in scenarios)
    out: dict[str, Choice] = {}
    for name, s in items:
        sc = load_scenario(s)
        (source,) = resolve_sources(s if isinstance(s, (str, os.PathLike)) else sc)
        out[name or sc.name] = Choice(sc, source)
    if not out:
        raise ValueError("ThresholdTuner needs at least one scenario")
    return out


def converge_text(summary: Mapping[str, Any]) -> str:
    """Time to converge as the tuner shows it."""
    t = summary.get("time_to_converge")
    return f"{t:g} s" if summary.get("converged") and t is not None else "never"


def summary_html(summary: Mapping[str, Any], setting: str) -> str:
    trips = ", ".join(f"{g} {n}" for g, n in (summary.get("guard_trips") or {}).items() if n) or "none"
    wrongful = int(summary["wrongful_deletes"])
    colour = "#cf222e" if wrongful else "#1a7f37"
    return (f"<div class='recon-tuner-summary' style='font-family:monospace'>"
            f"<div class='recon-setting'>{for_html(setting)}</div>"
            f"<b>wrongful deletes</b> <span class='recon-wrongful' style='color:{colour}'>{wrongful}</span>"
            f" · <b>time to converge</b> <span class='recon-converge'>{for_html(converge_text(summary))}</span>"
            f" · outage <span class='recon-outage'>{summary.get('outage_resource_seconds', 0):g}</span> resource-s"
            f" · approvals requested <span class='recon-approvals'>{summary.get('approvals_requested', 0)}</span>"
            f"<br>guard trips: {for_html(trips)}</div>")


def _value_at(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def nearest_point(sweep: Any, scenario: Scenario) -> dict[str, Any]:
    """The grid point of *sweep* closest to *scenario*'s values on each grid path."""
    data = scenario.model_dump(mode="json")
    out: dict[str, Any] = {}
    for axis in sweep.grid.axes:
        v = _value_at(data, axis.path)
        numeric = [x for x in axis.values if isinstance(x, (int, float)) and not isinstance(x, bool)]
        if isinstance(v, (int, float)) and not isinstance(v, bool) and numeric:
            out[axis.path] = min(numeric, key=lambda x: (abs(x - v), x))
        else:
            out[axis.path] = v if v in axis.values else axis.values[0]
    return out


class ThresholdTuner(widgets.VBox):
    """Sliders for the delete cap, change cap, shrink threshold and loop period over a scenario."""

    def __init__(self, scenarios: Mapping[str, ScenarioLike] | Sequence[ScenarioLike], seed: int = 0,
                 sweep: Any = None, debounce: float = 0.4, plots: bool = True, worst: Any = None) -> None:
        self.worst = worst  # a recon.analysis.worstcase.Settings: show the adversary's worst case too
        self.worst_note = widgets.HTML()
        self.choices = load_choices(scenarios)
        self.seed = seed
        self.sweep = sweep
        self.plots = plots
        self.result: SimResult | None = None
        wide = {"style": {"description_width": "150px"}, "layout": widgets.Layout(width="420px")}
        self.scenario_picker = widgets.Dropdown(options=[(visible(k), k) for k in self.choices], description="scenario",
                                                **wide)
        self.max_deletes = widgets.IntSlider(min=0, max=200, description="max_deletes", **wide)
        self.max_delete_fraction = widgets.FloatSlider(min=0, max=1, step=0.05, description="max_delete_fraction",
                                                       readout_format=".2f", **wide)
        self.max_changes = widgets.IntSlider(min=1, max=500, description="max_changes", **wide)
        self.desired_shrink = widgets.FloatSlider(min=0, max=1, step=0.05, description="desired_shrink",
                                                  readout_format=".2f", **wide)
        self.period = widgets.IntSlider(min=10, max=900, step=10, description="loop period (s)", **wide)
        # The budgets across cycles (0: no window): max_deletes' window and its cap, desired_shrink's window.
        self.delete_window = widgets.IntSlider(min=0, max=7200, step=60, description="delete window (s)", **wide)
        self.window_max = widgets.IntSlider(min=0, max=200, description="deletes per window", **wide)
        self.shrink_window = widgets.IntSlider(min=0, max=7200, step=60, description="shrink window (s)", **wide)
        self.enabled = {g: widgets.Checkbox(value=True, description=f"{g} on", indent=False) for g in GUARDS}
        self.status = widgets.HTML()
        self.summary = widgets.HTML()
        self.convergence = widgets.Image(format="png")
        self.diff_sets = widgets.Image(format="png")
        self.frontier = widgets.Image(format="png", layout=widgets.Layout(
            width="70%", display="" if sweep is not None else "none"))
        self.frontier_note = widgets.HTML()
        self.command = widgets.HTML(layout=widgets.Layout(width="100%"))
        self._debounced = Debouncer(self.rerun, debounce)
        self._quiet = False
        controls = widgets.VBox([
            self.scenario_picker,
            widgets.HBox([self.max_deletes, self.enabled["max_deletes"]]), self.max_delete_fraction,
            widgets.HBox([self.max_changes, self.enabled["max_changes"]]),
            widgets.HBox([self.desired_shrink, self.enabled["desired_shrink"]]), self.period,
            self.delete_window, self.window_max, self.shrink_window,
        ])
        half = widgets.Layout(width="49%")
        self.convergence.layout, self.diff_sets.layout = half, widgets.Layout(width="49%")
        super().__init__([
            widgets.HBox([controls, widgets.VBox([self.status, self.summary, self.worst_note, self.frontier_note],
                                                 layout=widgets.Layout(width="50%"))]),
            self.command,
            widgets.HBox([self.convergence, self.diff_sets]),
            self.frontier,
        ])
        self.add_class("recon-threshold-tuner")
        for w in self._inputs():
            w.observe(self._changed, names="value")
        self.scenario_picker.observe(self._picked, names="value")
        self._load_settings()
        self._show_command()
        self.rerun()

    def _inputs(self) -> list[widgets.ValueWidget]:
        return [self.max_deletes, self.max_delete_fraction, self.max_changes, self.desired_shrink, self.period,
                self.delete_window, self.window_max, self.shrink_window, *self.enabled.values()]

    @property
    def base(self) -> Scenario:
        return self.choices[self.scenario_picker.value].scenario

    def _load_settings(self) -> None:
        """Set every control from the picked scenario's loop template, without rerunning per control."""
        g = self.base.loop.guards
        self._quiet = True
        try:
            self.max_deletes.max = max(200, self.base.world.resources)
            self.max_changes.max = max(500, self.base.world.resources)
            self.max_deletes.value = g.max_deletes.max if g.max_deletes.max is not None else self.max_deletes.max
            self.max_delete_fraction.value = 1.0 if g.max_deletes.max_fraction is None else g.max_deletes.max_fraction
            self.max_changes.value = min(g.max_changes.max, self.max_changes.max)
            self.desired_shrink.value = g.desired_shrink.max_fraction
            self.period.value = int(min(max(self.base.loop.period, self.period.min), self.period.max))
            for slider, value in ((self.delete_window, g.max_deletes.window), (self.window_max, g.max_deletes.window_max),
                                  (self.shrink_window, g.desired_shrink.window)):
                slider.max = max(slider.max, int(value or 0))
                slider.value = int(value or 0)
            for name in GUARDS:
                self.enabled[name].value = getattr(g, name).enabled
            self._sync_disabled()
        finally:
            self._quiet = False

    def _sync_disabled(self) -> None:
        self.max_deletes.disabled = self.max_delete_fraction.disabled = not self.enabled["max_deletes"].value
        self.max_changes.disabled = not self.enabled["max_changes"].value
        self.desired_shrink.disabled = not self.enabled["desired_shrink"].value
        self.delete_window.disabled = self.max_deletes.disabled
        self.window_max.disabled = self.max_deletes.disabled or not self.delete_window.value
        self.shrink_window.disabled = self.desired_shrink.disabled

    def overrides(self) -> list[str]:
        """The settings as `--set` overrides, e.g. ``loop.guards.max_deletes.max=20``; a delete fraction
        of 1.00 is no fraction cap (``null``), as the scenario files spell it."""
        out = [f"loop.guards.{g}.enabled={'true' if self.enabled[g].value else 'false'}" for g in GUARDS]
        values = {name: _number(getattr(self, name).value) for name in PATHS}
        if self.max_delete_fraction.value >= 1:
            values["max_delete_fraction"] = "null"
        for name in WINDOWS:  # a window slider at 0 is no window; without a delete window, no budget either
            if not (self.shrink_window if name == "shrink_window" else self.delete_window).value:
                values[name] = "null"
        return out + [f"{PATHS[name]}={v}" for name, v in values.items()]

    def setting_text(self) -> str:
        parts = []
        for g in GUARDS:
            if not self.enabled[g].value:
                parts.append(f"{g} off")
            elif g == "max_deletes":
                frac = self.max_delete_fraction.value
                parts.append(f"max_deletes {self.max_deletes.value}" + (f" or {frac:.0%}" if frac < 1 else "")
                             + (f", {self.window_max.value} per {self.delete_window.value} s"
                                if self.delete_window.value else ""))
            else:
                window = self.shrink_window.value if g == "desired_shrink" else 0
                parts.append(f"{g} {getattr(self, g).value:g}" + (f" of the last {window} s's largest" if window else ""))
        return f"{self.scenario_picker.value}: " + ", ".join(parts) + f", period {self.period.value} s, seed {self.seed}"

    def configured(self) -> Scenario:
        """The picked scenario with the sliders' settings applied."""
        return load_scenario(self.base.model_dump(mode="json"), self.overrides())

    def changes(self) -> list[str]:
        """The overrides that change the picked scenario (its file gives the rest): what the command
        line and the plot titles name. Every override when the setting does not validate."""
        sets = self.overrides()
        try:
            now = self.configured().model_dump(mode="json")
        except (ReconError, ValueError):
            return sets
        base = self.base.model_dump(mode="json")
        return [o for o in sets if _value_at(base, o.split("=", 1)[0]) != _value_at(now, o.split("=", 1)[0])]

    def _changed(self, _change: object = None) -> None:
        if self._quiet:
            return
        self._sync_disabled()
        self._show_command()
        self.status.value = "<i>rerunning…</i>"
        self._debounced()

    def _picked(self, _change: object = None) -> None:
        self._load_settings()
        self._changed()

    def _show_command(self) -> None:
        """The command line for the sliders as they are now, even before the debounced rerun."""
        try:
            scenario: Scenario | None = self.configured()
        except (ReconError, ValueError):
            scenario = None  # rerun reports why; the command line still shows every override asked for
        source = self.choices[self.scenario_picker.value].source
        self.command.value = command_html(source, self.seed, self.changes(), scenario)

    def flush(self) -> None:
        """Run a pending debounced rerun now."""
        self._debounced.flush()

    def rerun(self) -> None:
        """Simulate the configured scenario and refresh the summary and plots."""
        try:
            result = simulate(self.base, seed=self.seed, overrides=self.changes())
        except (ReconError, ValueError) as e:
            self.status.value = f"<span style='color:#cf222e'>cannot simulate: {for_html(str(e))}</span>"
            return
        self.result = result
        if self.plots:
            self.convergence.value = figure_png(plot_convergence(result))
            self.diff_sets.value = figure_png(plot_diff_sets(result))
        if self.sweep is not None:
            self._show_frontier()
        if self.worst is not None:
            from recon.analysis.worstcase import worst_case
            from recon.ui.worst_note import worst_html

            try:
                self.worst_note.value = worst_html(worst_case(self.configured(), self.worst))
            except ReconError as e:
                self.worst_note.value = f"<span style='color:#cf222e'>no worst case: {for_html(str(e))}</span>"
        # The summary last: once it shows a setting, every plot already shows that setting too.
        self.summary.value = summary_html(result.summary, self.setting_text())
        self.status.value = ""

    def _show_frontier(self) -> None:
        from recon.analysis.plots import plot_frontier

        configured = self.configured()
        setting = nearest_point(self.sweep, configured)
        data = configured.model_dump(mode="json")
        exact = all(_close(_value_at(data, p), v) for p, v in setting.items())
        point = grid_point(self.sweep, setting)
        self.frontier_note.value = frontier_html(self.sweep, point, exact)
        self.frontier.value = figure_png(plot_frontier(self.sweep, highlight={"point": point}))


def _number(v: Any) -> str:
    """A slider value as an override: floats rounded past the front end's binary noise (0.35000000000000003)."""
    return repr(round(v, 6)) if isinstance(v, float) else repr(v)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b)
    return bool(a == b)
