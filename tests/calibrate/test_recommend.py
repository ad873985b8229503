"""Settings to paste (issue 15 item 3): the guards block of recommendation.json and `recon recommend --apply`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from recon.analysis.outputs import with_guards
from recon.calibrate.settings import merge, octodns_equivalents, rewrite
from recon.cli import main
from recon.config import load_loop_config

LOOP = """\
name: web
# the loop over snapshots
provider: {type: snapshot, path: observed.yaml}
desired: {path: desired.yaml}
guards:
  max_deletes:   # deletes per cycle
    max: 7
    action: hold
  protected: {selectors: [{kind: NS, name: "@"}]}  # never the apex NS

# timing
interval: 30
"""
SETTING = {"loop.guards.max_deletes.max": 3, "loop.guards.desired_shrink.max_fraction": 0.2}


def recommendation(tmp: Path, setting: dict = SETTING) -> Path:
    path = tmp / "recommendation.json"
    path.write_text(json.dumps(with_guards({"satisfied": True, "setting": setting, "statement": "s"})))
    return path


def test_the_recommendation_carries_the_guards_block_of_its_setting() -> None:
    rec = with_guards({"satisfied": True, "setting": {**SETTING, "loop.period": 30}})
    assert rec["guards"] == {"desired_shrink": {"max_fraction": 0.2}, "max_deletes": {"max": 3}}
    assert "loop.period: not guard settings" in rec["guards_note"]
    assert with_guards({"satisfied": False, "setting": None})["guards"] is None


def test_apply_shows_the_diff_and_writes_nothing_without_yes(tmp_path: Path) -> None:
    loop = tmp_path / "LOOP.yaml"
    loop.write_text(LOOP)
    r = CliRunner().invoke(main, ["recommend", "--apply", str(loop), "--recommendation", str(recommendation(tmp_path))])
    assert r.exit_code == 0, r.output
    assert "-    max: 7" in r.output and "+  max_deletes: {max: 3, action: hold}  # deletes per cycle" in r.output
    assert "+  desired_shrink: {max_fraction: 0.2}" in r.output and "nothing written" in r.output
    assert loop.read_text() == LOOP and sorted(p.name for p in tmp_path.iterdir()) == ["LOOP.yaml", "recommendation.json"]


def test_apply_with_yes_keeps_a_backup_and_comments_and_the_config_validates(tmp_path: Path) -> None:
    loop = tmp_path / "LOOP.yaml"
    loop.write_text(LOOP)
    rec = recommendation(tmp_path)
    r = CliRunner().invoke(main, ["recommend", "--apply", str(loop), "--recommendation", str(rec), "--yes"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "LOOP.yaml.bak").read_text() == LOOP
    text = loop.read_text()
    for kept in ("# the loop over snapshots", "# never the apex NS", "# timing", "interval: 30", "# deletes per cycle"):
        assert kept in text
    cfg, _ = load_loop_config(loop)
    assert (cfg.guards.max_deletes.max, cfg.guards.max_deletes.action, cfg.guards.desired_shrink.max_fraction) == (3, "hold", 0.2)
    assert cfg.guards.protected.selectors[0].kind == "NS" and cfg.interval == 30
    again = CliRunner().invoke(main, ["recommend", "--apply", str(loop), "--recommendation", str(rec), "--yes"])
    assert "already has the recommended guards" in again.output
    assert not (tmp_path / "LOOP.yaml.bak.1").exists()


def test_a_config_without_guards_or_with_flow_guards_gets_a_block(tmp_path: Path) -> None:
    block = {"max_deletes": {"max": 3}}
    plain = "name: a\nprovider: {type: snapshot, path: o.yaml}\ndesired: {path: d.yaml}"
    assert rewrite(plain, block, {"max_deletes"}).endswith("d.yaml}\nguards:\n  max_deletes: {max: 3}\n")
    flow = "name: a\nguards: {max_deletes: false, ownership: false}\ndesired: {path: d.yaml}\n"
    merged = merge({"max_deletes": False, "ownership": False}, block)
    assert merged["max_deletes"] == {"enabled": False, "max": 3}
    assert rewrite(flow, merged, {"max_deletes"}) == ("name: a\nguards:\n  max_deletes: {enabled: false, max: 3}\n"
                                                       "  ownership: false\ndesired: {path: d.yaml}\n")


def test_octodns_equivalents_and_what_octodns_cannot_express() -> None:
    eq = octodns_equivalents({"max_deletes": {"max": 5, "max_fraction": 0.1}, "max_changes": {"max": 40}}, 400)
    assert eq["delete_pcent_threshold"] == 0.1 and eq["update_pcent_threshold"] == 0.1
    text = " ".join(eq["cannot_express"])
    assert "max_deletes.max=5" in text and "hold" in text and "desired_shrink" in text and "defers" in text
    only_cap = octodns_equivalents({"max_deletes": {"max": 20, "max_fraction": None}}, 400)
    assert only_cap["delete_pcent_threshold"] == 0.05


def test_a_flow_entry_keeps_its_trailing_comment() -> None:
    # examples/calibrate/LOOP.yaml writes `max_deletes: {max: 5, max_fraction: 0.1}  # per cycle`:
    # the documented promise is that a comment on an entry's first line stays.
    text = 'guards:\n  max_deletes: {max: 5, note: "a #b"}  # per cycle\n  protected: {selectors: []}\n'
    new = rewrite(text, {"max_deletes": {"max": 2}, "protected": {"selectors": []}}, {"max_deletes"})
    assert new == "guards:\n  max_deletes: {max: 2}  # per cycle\n  protected: {selectors: []}\n"


def test_a_reader_gone_before_the_diff_gets_no_traceback(tmp_path: Path) -> None:
    """`recon recommend --apply ... | head -3` (a new user's habit): a closed pipe is the reader's choice, so
    the command ends quietly with its own exit code (as every command does, tests/test_closed_pipe.py)."""
    import os
    import subprocess
    import sys

    loop = tmp_path / "LOOP.yaml"
    loop.write_text(LOOP)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader went away before the first line
    try:
        r = subprocess.run([sys.executable, "-m", "recon", "recommend", "--apply", str(loop), "--recommendation",
                            str(recommendation(tmp_path))], stdout=write_end, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(write_end)
    shown = subprocess.run([sys.executable, "-m", "recon", "recommend", "--apply", str(loop), "--recommendation",
                            str(recommendation(tmp_path))], capture_output=True, timeout=60)
    assert r.stderr.decode() == "" and r.returncode == shown.returncode, (r.stderr.decode(), shown.returncode)
    assert loop.read_text() == LOOP  # without --yes nothing is written, reader or not
