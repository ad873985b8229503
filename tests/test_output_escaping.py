"""User text is shown, never interpreted: rich markup, ANSI escapes, newlines, HTML and mathtext in
names, values, paths and error messages reach every output as plain, visible, one-line text.

Inputs are written as JSON so no YAML rule can change the hostile strings on the way in.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import yaml

from recon.core.text import for_html, for_plot, for_terminal, rich_escape, visible
from tests.providers.helpers import Run, recon

# Strings whose interpretation would be visible: markup rendered or crashing, escapes reaching the
# terminal, a fake line, a tag, math.
MARKUP = ["[link=http://x]a[/link]", "[/]", "[bold red]", ":thumbs_up:"]
CONTROL = ["\x1b[31m", "\x1b]8;;file:///etc/passwd\x07", "n\n result: in sync (exit 0)", "\r\u202eevil"]
HTML = ["<script>alert(1)</script>"]
MATH = ["$\\frac{1}{2}$", "$\\nosuchmacro$"]
NAMES = MARKUP + HTML + MATH  # safe to use as resource names whatever the loader accepts
VALUES = MARKUP + CONTROL + HTML + MATH
FAKE_RESULT = re.compile(r"^\s*result: in sync", re.M)
ROOT = Path(__file__).resolve().parent.parent


def assert_plain(text: str) -> None:
    """Terminal output: no traceback, no raw control character but newlines, no spoofed line."""
    assert "Traceback" not in text and "MarkupError" not in text, text
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", text), repr(text)
    assert not FAKE_RESULT.search(text), text


def inventory(path: Path, resources: list[dict]) -> Path:
    path.write_text(json.dumps({"resources": resources}), encoding="utf-8")
    return path


def hostile_inventories(d: Path) -> tuple[Path, Path]:
    """Desired and observed inventories that create, update and delete resources named and valued hostile."""
    desired = [{"kind": "A", "name": f"n{i}{s}", "spec": {"v": v}} for i, (s, v) in enumerate(zip(NAMES, VALUES))]
    observed = [{"kind": "A", "name": r["name"], "spec": {"v": f"old{r['spec']['v']}"}} for r in desired[:3]]
    observed += [{"kind": "TXT", "name": f"gone{s}", "spec": {}} for s in NAMES[:2]]
    return inventory(d / "desired.json", desired), inventory(d / "observed.json", observed)


# the helpers ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("s", MARKUP + CONTROL + HTML + MATH + ["a\\", "x\\[b]y", "\\[/]"])
def test_the_helpers_escape_and_keep_one_line(s: str) -> None:
    from rich.console import Console
    from rich.markup import escape, render

    assert rich_escape(s) == escape(s)  # the core's copy of rich's rule
    # What our consoles (emoji off) print for the escaped text followed by markup of our own.
    shown = render(f"{for_terminal(s)}[bold]|[/bold]", emoji=False).plain
    assert shown == visible(s) + "|" and "\n" not in shown and "\x1b" not in shown
    Console(file=io.StringIO()).print(f"[red]{for_terminal(s)}[/]")  # embeds without MarkupError
    assert "<" not in for_html(s) and "\x1b" not in for_html(s)
    assert for_plot(s).count("$") == for_plot(s).count("\\$")


def test_visible_shows_controls_as_escapes() -> None:
    assert visible("a\x1b[31mb\nc\td\x07\u2028\u202e") == "a\\x1b[31mb\\nc\\td\\x07\\u2028\\u202e"
    assert visible("plain names stay: www, ümlaut, 名前") == "plain names stay: www, ümlaut, 名前"


# the terminal --------------------------------------------------------------------------------------

def test_plan_shows_hostile_names_and_values_as_written_and_json_stays_exact(tmp_path: Path) -> None:
    desired, observed = hostile_inventories(tmp_path)
    r = recon("plan", "--desired", desired, "--observed", observed, cwd=tmp_path)
    assert r.code == 2, r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    for i, s in enumerate(NAMES):
        assert f"n{i}{s}" in r.stdout  # markup shown literally, not rendered
    for v in VALUES[:3]:
        assert f"'old{visible(v)}'" in r.stdout
    # One line per change: every planned resource's row starts with its operation.
    rows = [line for line in r.stdout.splitlines() if line.split(" ", 1)[0] in ("create", "update", "delete")]
    assert len(rows) == len(NAMES) + 2
    assert r.stdout.splitlines()[-1].startswith("result: ") and r.stdout.count("result: ") == 1

    j = recon("plan", "--desired", desired, "--observed", observed, "--json", cwd=tmp_path)
    assert j.code == 2, j.stderr
    data = j.json()
    want = json.loads(desired.read_text())["resources"]
    assert {c["name"] for c in data["changes"]} == {w["name"] for w in want} | {f"gone{s}" for s in NAMES[:2]}
    updates = {c["name"]: c["fields"][0] for c in data["changes"] if c["op"] == "update"}
    assert updates[want[0]["name"]] == {"path": "v", "old": f"old{VALUES[0]}", "new": VALUES[0]}


def test_control_characters_in_names_never_reach_the_terminal(tmp_path: Path) -> None:
    """Whether the loader accepts such names or refuses them, the output shows them escaped on one line."""
    names = [f"c{i}{s}" for i, s in enumerate(CONTROL)]
    desired = inventory(tmp_path / "d.json", [{"kind": "A", "name": n, "spec": {}} for n in names])
    observed = inventory(tmp_path / "o.json", [])
    r = recon("plan", "--desired", desired, "--observed", observed, cwd=tmp_path)
    assert r.code in (1, 2), r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    if r.code == 2:
        assert "c1\\x1b]8;;file:///etc/passwd\\x07" in r.stdout and "c2n\\n result: in sync (exit 0)" in r.stdout


@pytest.mark.parametrize("name", ["[/]x[bold red].json", "e\x1b[31mx\n result: in sync (exit 0).json"])
def test_the_error_path_shows_a_hostile_file_name_on_one_line(tmp_path: Path, name: str) -> None:
    observed = inventory(tmp_path / "o.json", [])
    for args in (["plan", "--desired", tmp_path / name, "--observed", observed],
                 ["plan", "--desired", tmp_path / name, "--observed", observed, "--json"]):
        r = recon(*args, cwd=tmp_path)
        assert r.code == 1
        assert_plain(r.stdout + r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and visible(name) in r.stderr, r.stderr
    assert json.loads(r.stdout)["error"].startswith(str(tmp_path / name))  # JSON keeps the exact text


def test_watch_prints_hostile_paths_and_errors_as_text(tmp_path: Path) -> None:
    d = tmp_path / "[" / "]loop[bold red]"  # the path reads "[/]loop[bold red]"
    d.mkdir(parents=True)
    hostile_inventories(d)
    cfg = d / "LOOP.yaml"
    cfg.write_text(yaml.safe_dump({"name": "esc", "provider": {"type": "snapshot", "path": "observed.json"},
                                   "desired": {"path": "desired.json"}}))
    ok = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path)
    assert ok.code == 0, ok.stdout + ok.stderr
    assert_plain(ok.stdout + ok.stderr)
    assert f"event log {d}/.recon/esc.events.jsonl" in ok.stdout and "cycle 1: desired" in ok.stdout

    (d / "observed.json").unlink()
    bad = recon("watch", cfg, "--max-cycles", "1", "--interval", "0.01", cwd=tmp_path)
    assert_plain(bad.stdout + bad.stderr)
    assert f"{d}/observed.json" in bad.stdout  # the cycle's error names the file, markup and all


def test_simulate_prints_and_plots_a_hostile_scenario_name(tmp_path: Path) -> None:
    sc = yaml.safe_load((ROOT / "scenarios" / "empty-config.yaml").read_text())
    sc["name"] = "[/]sim[link=http://x]a[/link] $\\frac{1}{2}$ $\\nosuchmacro$ <script>"
    sc["duration"] = 1200
    path = tmp_path / "scenario.yaml"
    path.write_text(json.dumps(sc))  # JSON is YAML: the name arrives exactly as written
    r = recon("simulate", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert r.code == 0, r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    assert r.stdout.startswith(sc["name"] + " (seed 0)")
    assert (tmp_path / "out" / "diff_sets.png").stat().st_size > 0  # mathtext was not parsed, so no error


def test_approve_and_pause_show_hostile_ids_and_names_as_text(tmp_path: Path) -> None:
    state = tmp_path / "state.db"
    p = recon("pause", "[/]lp[bold red]", "--state", state, cwd=tmp_path)  # refused: not a loop identifier
    assert p.code == 1
    assert recon("pause", "*", "--state", state, cwd=tmp_path).code == 0  # the store approve reads
    assert_plain(p.stdout + p.stderr)
    assert "[/]lp[bold red]" in p.stdout + p.stderr
    a = recon("approve", "[/]req\x1b[31m", "--state", state, cwd=tmp_path)
    assert a.code == 1
    assert_plain(a.stdout + a.stderr)
    assert "[/]req\\x1b[31m" in a.stderr


def test_prometheus_labels_are_escaped_by_the_client() -> None:
    """A check, not a fix: prometheus-client escapes label values itself, so a loop name cannot forge a line."""
    from prometheus_client import generate_latest

    from recon.metrics import LoopMetrics

    m = LoopMetrics()
    m.paused.labels('x"} 1\nfake_metric 9\n#').set(1)
    text = generate_latest(m.registry).decode()
    assert "\nfake_metric" not in text and 'loop="x\\"} 1\\nfake_metric 9\\n#"' in text


# HTML: widgets and the audit ---------------------------------------------------------------------

def assert_html_text(html: str) -> None:
    """HTML output: hostile text is escaped, with no raw control character in it."""
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]", html), repr(html)


def hostile_decision(tmp_path: Path):
    from recon.core.decision import GuardContext, decide
    from recon.core.plan import diff
    from recon.core.policy import Policy
    from recon.sources.inventory import load_inventory

    from recon.core.model import Resource

    desired, observed = hostile_inventories(tmp_path)
    d, o = load_inventory(desired), load_inventory(observed)
    # A provider reports values as they are on the server, control characters included (keys with
    # control characters are refused by the model itself: tests/core/test_approval_digest.py).
    seen = {**o.resources, **{("A", f"c{i}"): Resource("A", f"c{i}", {"v": s}) for i, s in enumerate(CONTROL)}}
    ctx = GuardContext(loop="esc", desired_count=len(d), observed_count=len(seen), desired_source=str(desired),
                       now=0.0)
    return decide(diff(d.resources, seen), ctx, Policy.model_validate({"guards": {"max_deletes": {"max": 1}}}))


def test_the_diff_inspector_shows_hostile_names_and_values_escaped(tmp_path: Path) -> None:
    from recon.ui import DiffInspector

    w = DiffInspector(hostile_decision(tmp_path), title="<script>alert(1)</script>\x1b[31m")
    w.op_filter["delete"].value = True
    assert_html_text(w.banner.value)
    assert_html_text(w.table.value)
    for label, row in w.picker.options:
        assert "\n" not in label and "\x1b" not in label
        w.picker.value = row
        if row.name.endswith("<script>alert(1)</script>"):
            assert_html_text(w.detail.value)
    w.select(("A", "c1"))
    assert "\\x1b]8;;file:///etc/passwd\\x07" in w.detail.value and "\x1b" not in w.detail.value


def test_the_approval_panel_and_the_tuner_show_hostile_text_escaped(tmp_path: Path) -> None:
    from recon.core.approval import ApprovalRequest
    from recon.store.sqlite import StateStore
    from recon.ui import ApprovalPanel, ThresholdTuner

    store = StateStore(tmp_path / "state.db")
    keys = [("A", "<script>alert(1)</script>"), ("A", "[/]")]
    store.file_request(ApprovalRequest.make("esc", keys, "max_deletes", "held: <script>alert(1)</script>\x1b[31m", 1.0))
    panel = ApprovalPanel(store, loop="esc", by="bob\x1b[31m")
    assert_html_text(panel.details.value)
    panel.approve_button.click()
    assert "\x1b" not in panel.message.value and "bob\\x1b[31m" in panel.message.value

    t = ThresholdTuner({"lab\x1b[31m\n<script>alert(1)</script>": ROOT / "notebooks" / "tuner-lab.yaml"}, plots=False)
    (label, value), = t.scenario_picker.options
    assert label == "lab\\x1b[31m\\n<script>alert(1)</script>" and value == "lab\x1b[31m\n<script>alert(1)</script>"


@pytest.mark.slow
def test_the_audit_notebook_and_html_show_hostile_text_as_written(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.mkdir()
    hostile_inventories(loop)
    cfg = loop / "LOOP.yaml"
    cfg.write_text(yaml.safe_dump({"name": "esc", "provider": {"type": "snapshot", "path": "observed.json"},
                                   "desired": {"path": "desired.json"}}))
    r = recon("audit", cfg, "--out", tmp_path / "run", cwd=tmp_path, timeout=300)
    assert r.code in (2, 3), r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    html = (tmp_path / "run" / "audit.html").read_text(encoding="utf-8")
    assert_html_text(html)
    import nbformat

    nb = nbformat.read(tmp_path / "run" / "audit.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", ())]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o.data.get("text/html", "") for o in outputs if "data" in o]
    assert any("n1[/]" in h for h in shown)
    for h in shown:
        if "alert(1)" in h:
            assert_html_text(h)
        if "\\frac" in h:  # MathJax must leave names with $...$ alone
            assert "tex2jax_ignore" in h
    assert not [o for o in outputs if "text/markdown" in o.get("data", {})]

    # A failed audit: the error names a file whose name is markup, HTML and an escape sequence.
    (loop / "desired.json").unlink()
    bad_name = "[/]d\x1b[31m<script>alert(1)</script>.json"
    cfg.write_text(yaml.safe_dump({"name": "esc", "provider": {"type": "snapshot", "path": "observed.json"},
                                   "desired": {"path": bad_name}}))
    bad = recon("audit", cfg, "--out", tmp_path / "bad", cwd=tmp_path, timeout=300)
    assert bad.code == 1, bad.stdout + bad.stderr
    assert_plain(bad.stdout + bad.stderr)
    assert visible(bad_name) in bad.stdout
    assert_html_text((tmp_path / "bad" / "audit.html").read_text(encoding="utf-8"))


def test_the_demo_prints_a_hostile_scenario_name_and_description_as_text(tmp_path: Path) -> None:
    import subprocess
    import sys

    sc = yaml.safe_load((ROOT / "scenarios" / "empty-config.yaml").read_text())
    sc["name"] = "[/]demo $\\nosuchmacro$ \x1b[31m"
    sc["description"] = "[link=http://x]a[/link]\nresult: in sync (exit 0)"
    path = tmp_path / "scenario.yaml"
    path.write_text(json.dumps(sc))
    r = subprocess.run([sys.executable, "-m", "recon.demo", "--scenario", str(path), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    first = r.stdout.splitlines()[0]
    assert first == "[/]demo $\\nosuchmacro$ \\x1b[31m: [link=http://x]a[/link]\\nresult: in sync (exit 0)"


def test_the_printed_approve_command_survives_braces_and_shell_characters_in_the_path(tmp_path: Path) -> None:
    import shlex

    d = tmp_path / "a {x} b; touch pwned"
    d.mkdir()
    inventory(d / "desired.json", [])
    inventory(d / "observed.json", [{"kind": "A", "name": f"r{i}", "spec": {}} for i in range(8)])
    cfg = d / "LOOP.yaml"
    cfg.write_text(yaml.safe_dump({"name": "esc", "provider": {"type": "snapshot", "path": "observed.json"},
                                   "desired": {"path": "desired.json"},
                                   "guards": {"empty_desired": False, "desired_shrink": False,
                                              "max_deletes": {"max": 2}}}))
    r = recon("plan", cfg, cwd=tmp_path)
    assert r.code == 3, r.stdout + r.stderr
    assert_plain(r.stdout + r.stderr)
    command = r.stdout.split("approve with `", 1)[1].split("`", 1)[0]
    argv = shlex.split(command)
    assert argv[:2] == ["recon", "approve"] and argv[3:] == ["--config", str(cfg)]
