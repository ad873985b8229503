"""Input files at the file-system level (issue 9, items 2, 4, 7 and the size part of 8), through the CLI.

A folder entry that is not a readable inventory file, a FIFO, socket or device where a file is
expected, a file cut short and a file over the size limit are each refused: exit 1, one line
naming the input, no traceback, nothing written, within seconds. A stop signal stops `watch`.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ONE = "resources:\n  - {kind: A, name: a, spec: {ttl: 1}}\n"
TWO = "resources:\n  - {kind: A, name: a, spec: {ttl: 1}}\n  - {kind: A, name: b, spec: {ttl: 1}}\n"


def recon(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    # The subprocess timeout turns a hang (the defect) into a failure well inside the test's limit.
    return subprocess.run([sys.executable, "-m", "recon", *map(str, args)], capture_output=True, text=True,
                          timeout=20, env={**ENV, **(env or {})})


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def refused(r: subprocess.CompletedProcess[str], name: str | Path, *needles: str) -> None:
    """Exit 1 and exactly one error line, naming *name* and every needle; no traceback."""
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for n in (str(name), *needles):
        assert n in lines[0], (n, lines[0])


@pytest.fixture
def observed(tmp_path: Path) -> Path:
    """An observed snapshot holding a and b: a desired state that loses b plans b's delete."""
    p = tmp_path / "observed" / "o.yaml"
    p.parent.mkdir()
    p.write_text(TWO)
    return p


def plan_folder(folder: Path, observed: Path) -> subprocess.CompletedProcess[str]:
    before = tree(folder.parent)
    r = recon("plan", "--desired", folder, "--observed", observed)
    assert tree(folder.parent) == before, "a refused plan wrote nothing"
    return r


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An inventory folder holding resource a; the tests add the entry that should have held b."""
    d = tmp_path / "desired"
    d.mkdir()
    (d / "a.yaml").write_text(ONE)
    return d


B = "resources:\n  - {kind: A, name: b, spec: {ttl: 1}}\n"


# item 2: folder loading -----------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_an_upper_case_suffix_in_a_folder_is_an_error_not_a_skip(folder: Path, observed: Path) -> None:
    (folder / "b.YAML").write_text(B)
    refused(plan_folder(folder, observed), folder / "b.YAML", "lower case", "b.yaml")


@pytest.mark.timeout(60)
def test_a_dangling_symlink_in_a_folder_is_an_error_naming_its_target(folder: Path, observed: Path) -> None:
    (folder / "b.yaml").symlink_to(folder / "gone.yaml")
    refused(plan_folder(folder, observed), folder / "b.yaml", "dangling symlink", "gone.yaml")


@pytest.mark.timeout(60)
def test_a_fifo_in_a_folder_is_an_error_and_does_not_hang(folder: Path, observed: Path) -> None:
    os.mkfifo(folder / "b.yaml")
    refused(plan_folder(folder, observed), folder / "b.yaml", "FIFO", "not a regular file")


@pytest.mark.timeout(60)
def test_a_socket_in_a_folder_is_an_error(folder: Path, observed: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(folder / "b.yaml"))
        refused(plan_folder(folder, observed), folder / "b.yaml", "socket")
    finally:
        s.close()


@pytest.mark.timeout(60)
def test_unknown_files_are_errors_and_only_hidden_files_and_docs_are_ignored(folder: Path, observed: Path) -> None:
    for ignored in ("README.md", "NOTES.TXT", "index.rst", ".gitkeep", ".b.yaml.123.ab12cd34.tmp"):
        (folder / ignored).write_text(B)  # an atomic writer's temporary file is hidden
    (folder / ".git").mkdir()
    (folder / ".git" / "b.yaml").write_text(B)
    (folder / "sub").mkdir()
    (folder / "sub" / "b.yml").symlink_to(observed.parent / "elsewhere.yaml")
    (observed.parent / "elsewhere.yaml").write_text(B)
    r = plan_folder(folder, observed)
    assert r.returncode == 0, r.stdout + r.stderr  # a and b, through the symlink; nothing else read
    (folder / "b.yaml.bak").write_text(B)
    refused(plan_folder(folder, observed), folder / "b.yaml.bak", "not an inventory file", "hide it")


@pytest.mark.timeout(60)
def test_symlink_loops_say_so(tmp_path: Path, folder: Path, observed: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    refused(recon("plan", "--desired", loop, "--observed", observed), loop, "symlink loop")
    (folder / "up").symlink_to(folder)
    refused(plan_folder(folder, observed), folder / "up", "symlink loop", "leads back to")


# item 4: a file cut short ---------------------------------------------------------------------------

@pytest.mark.timeout(60)
def test_a_resource_cut_after_its_name_is_an_error_not_an_update_that_empties_it(tmp_path: Path,
                                                                                  observed: Path) -> None:
    d = tmp_path / "d.yaml"
    d.write_text("resources:\n  - kind: A\n    name: a\n    spec: {ttl: 1}\n  - kind: A\n    name: b\n")
    refused(recon("plan", "--desired", d, "--observed", observed), f"{d}:5", "field resources.1.spec",
            "missing (write spec: {} for none)")
    d.write_text('{"resources": [{"kind": "A", "name": "a", "spec": {"ttl": 1}}, {"kind": "A", "name": "b"}]}')
    d = d.rename(tmp_path / "d.json")
    refused(recon("plan", "--desired", d, "--observed", observed), d, "field resources.1.spec")
    # An empty spec is written `spec: {}`, and that is what a snapshot writes.
    (tmp_path / "e.yaml").write_text("resources:\n  - {kind: A, name: e, spec: {}}\n")
    loop = tmp_path / "LOOP.yaml"
    loop.write_text("name: snap\nprovider: {type: snapshot, path: e.yaml}\ndesired: {path: e.yaml}\n")
    r = recon("snapshot", loop, "--out", tmp_path / "out.yaml")
    assert r.returncode == 0, r.stderr
    written = yaml.safe_load((tmp_path / "out.yaml").read_text())
    assert written.pop("observed_at").endswith("+00:00")  # when it was observed (issue 15)
    assert written == {"resources": [{"kind": "A", "name": "e", "spec": {}}]}
    assert "spec: {}" in (tmp_path / "out.yaml").read_text()


@pytest.mark.timeout(60)
def test_a_declared_count_catches_a_file_cut_at_a_resource_boundary(tmp_path: Path, observed: Path) -> None:
    d = tmp_path / "d.yaml"
    d.write_text("count: 2\n" + TWO)
    r = recon("plan", "--desired", d, "--observed", observed)
    assert r.returncode == 0, r.stdout + r.stderr
    d.write_text("count: 2\n" + ONE)  # the same file, cut after its first resource
    refused(recon("plan", "--desired", d, "--observed", observed), d, "declares count: 2", "holds 1 resource ")
    j = tmp_path / "d.json"
    j.write_text(json.dumps({"count": 3, "resources": yaml.safe_load(TWO)["resources"]}))
    refused(recon("plan", "--desired", j, "--observed", observed), j, "count: 3", "holds 2")
    d.write_text("count: '2'\n" + TWO)
    refused(recon("plan", "--desired", d, "--observed", observed), f"{d}:1", "field count")


@pytest.mark.timeout(60)
def test_the_inventory_schema_shows_count_and_requires_spec() -> None:
    r = recon("schema", "inventory")
    s = json.loads(r.stdout)
    assert "count" in s["properties"] and "count" not in s.get("required", [])
    assert "spec" in s["$defs"]["ResourceModel"]["required"]


# item 7: non-regular files where a file is expected, and stop signals -------------------------------

def loop_config(tmp_path: Path, desired: str = "d.yaml", observed: str = "o.yaml") -> Path:
    for name in ("d.yaml", "o.yaml"):
        if not (tmp_path / name).exists():
            (tmp_path / name).write_text(ONE)
    cfg = tmp_path / "LOOP.yaml"
    cfg.write_text(f"name: t\nprovider: {{type: snapshot, path: {observed}}}\ndesired: {{path: {desired}}}\n"
                   f"state: {tmp_path / 'state' / 't.db'}\n")
    return cfg


@pytest.mark.timeout(60)
@pytest.mark.parametrize("role", ["desired", "observed", "loop config", "scenario"])
@pytest.mark.parametrize("kind", ["FIFO", "socket", "character device"])
def test_a_non_regular_input_file_is_refused_at_once(tmp_path: Path, role: str, kind: str) -> None:
    special = tmp_path / "special.yaml"
    sock = socket.socket(socket.AF_UNIX)
    if kind == "FIFO":
        os.mkfifo(special)  # no writer: a blocking open or read would wait for ever
    elif kind == "socket":
        sock.bind(str(special))
    else:
        special = Path("/dev/zero")  # endless bytes: a plain read would never end
    loop_config(tmp_path)
    args = {"desired": ["plan", "--desired", special, "--observed", tmp_path / "o.yaml"],
            "observed": ["plan", "--desired", tmp_path / "d.yaml", "--observed", special],
            "loop config": ["plan", special],  # a LOOP.yaml that is a FIFO
            "scenario": ["simulate", special, "--out", tmp_path / "out"]}[role]
    before = tree(tmp_path)
    start = time.monotonic()
    try:
        r = recon(*args)
    finally:
        sock.close()
    refused(r, special, kind, "not a regular file")
    assert time.monotonic() - start < 15 and tree(tmp_path) == before


@pytest.mark.timeout(60)
def test_a_folder_given_as_the_scenario_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "sc.yaml"
    d.mkdir()
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(f"""
        from recon.sim.scenario import load_scenario
        from recon.core.errors import ReconError
        try:
            load_scenario({str(d)!r})
        except ReconError as e:
            print(e)
        """)], capture_output=True, text=True, timeout=20, env=ENV)
    assert f"{d}: cannot read scenario: is a folder, not a regular file" in r.stdout, r.stdout + r.stderr


@contextmanager
def start_watch(cfg: Path) -> Iterator[subprocess.Popen[str]]:
    p = subprocess.Popen([sys.executable, "-m", "recon", "watch", str(cfg), "--interval", "0.2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        yield p
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


@pytest.mark.timeout(60)
def test_watch_with_a_fifo_as_the_desired_file_reports_it_and_stops_on_sigterm(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "d.yaml")
    with start_watch(loop_config(tmp_path)) as p:
        time.sleep(4)  # several cycles, each refusing the FIFO
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=8)
        assert "d.yaml: cannot read inventory: is a FIFO" in out, out + err
        assert "Traceback" not in out + err


HUNG = """
import os, sys, time
from recon.drivers.loop import Loop
from recon.drivers.realtime import RealtimeDriver
from recon.drivers.schedule import Schedule
from recon.drivers.spec import RealtimeSpec
from recon.providers.memory import MemoryProvider
from recon.sources.callable import CallableSource

r, w = os.pipe()  # this process keeps the write end: the read below never returns

def blocked():
    print("blocked", flush=True)
    os.read(r, 1)
    return []

driver = RealtimeDriver(Loop(name="hung", source=CallableSource(blocked), observer=MemoryProvider()),
                        RealtimeSpec(Schedule(0.1, 0.0)))
driver.run()
print(f"returned cycles={driver.cycles} interrupted={driver.interrupted}", flush=True)
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_cycle_blocked_on_a_read_is_cut_short_by_a_stop_signal(sig: signal.Signals) -> None:
    p = subprocess.Popen([sys.executable, "-c", HUNG], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=ENV)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "blocked"
        time.sleep(0.3)
        start = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=10)
        assert time.monotonic() - start < 8
        assert "returned cycles=0 interrupted=True" in out, out + err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


# item 8, size: a configurable limit, checked before reading -----------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("role", ["desired", "observed", "loop config", "scenario"])
def test_an_input_over_the_size_limit_is_refused_naming_size_and_limit(tmp_path: Path, role: str) -> None:
    cfg = loop_config(tmp_path)
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 300 + ONE)
    size = big.stat().st_size
    args = {"desired": ["plan", "--desired", big, "--observed", tmp_path / "o.yaml"],
            "observed": ["plan", "--desired", tmp_path / "d.yaml", "--observed", big],
            "loop config": ["plan", cfg],
            "scenario": ["simulate", big, "--out", tmp_path / "out"]}[role]
    if role == "loop config":
        cfg.write_text(cfg.read_text() + "# padding\n" * 300)
        big, size = cfg, cfg.stat().st_size
    before = tree(tmp_path)
    r = recon(*args, env={"RECON_MAX_INPUT_BYTES": "1000"})
    refused(r, big, f"{size} bytes", "over the input limit of 1000 bytes", "RECON_MAX_INPUT_BYTES")
    assert tree(tmp_path) == before


@pytest.mark.timeout(60)
def test_the_default_limit_is_64_mib_and_a_bad_setting_is_an_error(tmp_path: Path, observed: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk used, and refused before a byte is read
    start = time.monotonic()
    refused(recon("plan", "--desired", big, "--observed", observed), big, "67108865 bytes",
            "limit of 67108864 bytes")
    assert time.monotonic() - start < 15
    refused(recon("plan", "--desired", observed, "--observed", observed, env={"RECON_MAX_INPUT_BYTES": "64M"}),
            "$RECON_MAX_INPUT_BYTES='64M'", "positive number of bytes")
