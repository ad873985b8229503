"""Every bad inventory, loop config, scenario and state store of issue 9 through the command line.

One table, one runner. A case names the files to create in an empty folder (text, bytes, or a
special file: FIFO, socket, symlink), the ``recon`` arguments (paths relative to that folder), and
the substrings the error line must contain. The runner starts ``python -m recon`` there and checks:

- exit code 1, and exactly one non-empty line on stdout and stderr together, which names the input;
- no ``Traceback``, and no secret the case names anywhere in the output;
- under 5 s of the child's CPU time, and under 20 s of wall time (then the child is killed, so a
  hang fails the case instead of stalling the suite; wall time on a loaded CI machine is not a
  measure of work, CPU time is);
- every entry of the folder exactly as before, byte for byte (no --out folder, no state store
  created or recreated, nothing written beside or above the config).

To add a case, append a ``Case`` to ``CASES``. Cases written ``in_sync_ok`` may instead load the
input verbatim: a YAML 1.2 loader reads unquoted ``12:30`` as the string it is, so the plan is in sync
(exit 0, nothing written); what no loader may do is rewrite the name and plan a create and a delete.
"""

from __future__ import annotations

import os
import resource
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.sim.test_scenario_limits import FILE_CASES as SCENARIO_CASES

CPU_LIMIT = 5.0
WALL_LIMIT = 20.0
MEMORY_LIMIT = 3 << 30  # address space of the child: an input that still explodes fails, it cannot swap the machine


@dataclass(frozen=True)
class Fifo:
    """A named pipe: opening it for reading blocks until a writer comes."""


@dataclass(frozen=True)
class Sock:
    """A Unix socket file."""


@dataclass(frozen=True)
class Link:
    target: str


@dataclass(frozen=True)
class Built:
    """A file made by calling *build(path)*: a state store with a corrupt row, say."""

    build: Callable[[Path], None]


Content = str | bytes | Fifo | Sock | Link | Built


@dataclass(frozen=True)
class Case:
    id: str
    files: Mapping[str, Content]
    argv: tuple[str, ...]
    expect: tuple[str, ...]             # substrings of the one error line
    env: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = None           # must appear nowhere in the output
    in_sync_ok: bool = False            # a verbatim load (exit 0, one or more lines) also passes

    def _with(self, files: Mapping[str, Content] | None = None, **changes: object) -> Case:
        """This case with more files, or other fields (argv, env, secret)."""
        return replace(self, files={**self.files, **(files or {})}, **changes)  # type: ignore[arg-type]


# --- inputs the cases share -------------------------------------------------------------------

OBSERVED = "resources:\n  - {kind: A, name: www, spec: {ttl: 300}}\n"
DESIRED = "resources:\n  - {kind: A, name: www, spec: {ttl: 300}}\n  - {kind: A, name: api, spec: {ttl: 60}}\n"
TREE = {"tree/app.conf": "port = 1\n"}
PLAN = ("plan", "--desired", "d.yaml", "--observed", "obs.yaml")
SMALL_LIMIT = {"RECON_MAX_INPUT_BYTES": "1000"}  # the size limit's variable, lowered so the case stays small


def loop_config(name: str = "bad-inputs", extra: str = "", provider: str = "{type: files, path: tree}") -> str:
    return f"name: {name}\nprovider: {provider}\ndesired: {{path: d.yaml}}\n{extra}"


def source_config(desired: str) -> str:
    """A loop config whose ``desired:`` (line 3) is *desired*, a YAML flow mapping."""
    return f"name: bad-inputs\nprovider: {{type: files, path: tree}}\ndesired: {desired}\n"


def bomb(anchor_body: str = '"lol"', levels: int = 9) -> str:
    """A billion-laughs document prefix: 9 aliases of 9 aliases ... (9^9 strings once expanded)."""
    lines = [f"l0: &l0 [{', '.join([anchor_body] * 9)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def padded(text: str, size: int) -> str:
    """*text* with a comment appended until it has at least *size* bytes (still valid YAML)."""
    return text + "#" + "x" * max(0, size - len(text)) + "\n"


def store_with_corrupt_row(path: Path) -> None:
    """A state store whose loop "plan" has a backoff, and whose one approval request has keys, that are
    not JSON (a torn write, a hand edit)."""
    import sqlite3

    from recon.core.cycle import LoopState
    from recon.store.sqlite import StateStore

    StateStore(path).save_state("plan", LoopState())
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE loop_state SET backoff = '{not json'")
        db.execute("INSERT INTO approval_requests (id, loop, digest, keys, guard, reason, requested_at, last_seen_at) "
                   "VALUES ('r1', 'plan', 'd', '{not json', 'max_deletes', 'test', 0, 0)")
    db.close()


def history_with_one_run(path: Path) -> None:
    """A history store holding a single audit of loop "bad-inputs": too short to fit."""
    from recon.audit.drift_keys import DriftKeys
    from recon.audit.history import HistoryStore

    store = HistoryStore(f"sqlite:///{path}")
    store.append({"loop": "bad-inputs", "started_at": 0.0, "finished_at": 0.0, "exit_code": 0, "status": "in sync",
                  "creates": 0, "updates": 0, "deletes": 0, "unchanged": 2}, DriftKeys(0.0, desired_count=2))
    store.close()


SNAPSHOT = "observed_at: '2026-01-01T00:00:00Z'\n" + OBSERVED


def calibrate_case(id: str, files: Mapping[str, Content], args: tuple[str, ...], expect: tuple[str, ...]) -> Case:
    """``recon calibrate`` of a valid loop config, with the inputs the case gives."""
    return Case(id, {"LOOP.yaml": loop_config(), "d.yaml": DESIRED, **TREE, **files},
                ("calibrate", "LOOP.yaml", *args, "--out", "out/s.yaml"), expect)


def recommend_case(id: str, recommendation: Content, expect: tuple[str, ...]) -> Case:
    return Case(id, {"LOOP.yaml": loop_config(), "d.yaml": DESIRED, **TREE, "rec.json": recommendation},
                ("recommend", "--apply", "LOOP.yaml", "--recommendation", "rec.json", "--yes"), expect)


def plan_case(id: str, desired: Content, expect: tuple[str, ...], name: str = "d.yaml") -> Case:
    argv = ("plan", "--desired", name, "--observed", "obs.yaml")
    return Case(id, {name: desired, "obs.yaml": OBSERVED}, argv, expect)


def plan_argv_case(id: str, options: tuple[str, ...], expect: tuple[str, ...]) -> Case:
    """``recon plan --desired/--observed`` of two valid inventories with the guard *options*."""
    return Case(f"plan-{id}", {"d.yaml": DESIRED, "obs.yaml": OBSERVED}, (*PLAN, *options), expect)


def loop_case(id: str, config: Content, expect: tuple[str, ...], folder: str = "") -> Case:
    """``recon plan`` of a loop config beside a valid desired file and a files-provider tree."""
    files = {"LOOP.yaml": config, "d.yaml": DESIRED, **TREE}
    return Case(id, {folder + rel: content for rel, content in files.items()}, ("plan", folder + "LOOP.yaml"), expect)


def scenario_case(id: str, text: Content, expect: tuple[str, ...]) -> Case:
    return Case(id, {"s.yaml": text}, ("simulate", "s.yaml", "--no-plots", "--out", "out"), expect)


def worst_case_id(option: str, value: str, expect: str) -> Case:
    """``recon worst-case`` of a valid scenario with one bad setting."""
    return Case(f"worst-case{option[1:]}-{value}", {"s.yaml": "name: t\nduration: 3600\n"},
                ("worst-case", "s.yaml", option, value, "--out", "out"), (expect,))


def folder_case(id: str, extra: Mapping[str, Content], expect: tuple[str, ...]) -> Case:
    files: dict[str, Content] = {"inv/a.yaml": DESIRED, "obs.yaml": OBSERVED, **extra}
    return Case(id, files, ("plan", "--desired", "inv", "--observed", "obs.yaml"), expect)


def yaml11_case(scalar: str, in_sync_ok: bool) -> Case:
    # The observed side is JSON, where the name is the string as written; only the desired side is YAML.
    desired = f"resources:\n  - kind: A\n    name: {scalar}\n    spec: {{ttl: 300}}\n"
    observed = f'{{"resources": [{{"kind": "A", "name": "{scalar}", "spec": {{"ttl": 300}}}}]}}\n'
    return Case(f"yaml11-name-{scalar}", {"d.yaml": desired, "obs.json": observed},
                ("plan", "--desired", "d.yaml", "--observed", "obs.json"), ("d.yaml:3",), in_sync_ok=in_sync_ok)


# Item 10's scenario cases, as tests/sim/test_scenario_limits.py writes them.
ITEM_10 = ("resources-1e12", "foreign-1e12", "burst-creates-1e12", "create-rate-1e12", "duration-inf", "cycles-1e15",
           "period-1e-9", "missing-above-resources", "resources-true")

CASES: list[Case] = [
    # 2. folder loading skips nothing
    folder_case("folder-upper-case-suffix", {"inv/b.YAML": DESIRED}, ("b.YAML",)),
    folder_case("folder-dangling-symlink", {"inv/b.yaml": Link("missing.yaml")}, ("b.yaml",)),
    folder_case("folder-fifo", {"inv/b.yaml": Fifo()}, ("b.yaml",)),
    folder_case("folder-socket", {"inv/b.yaml": Sock()}, ("b.yaml",)),
    folder_case("folder-symlink-loop", {"inv/b.yaml": Link("c.yaml"), "inv/c.yaml": Link("b.yaml")}, ("b.yaml", "loop")),
    # 3. YAML 1.1 scalars never rewrite a name
    yaml11_case("0127", False), yaml11_case("0x1F", False), yaml11_case("1.10", False),
    yaml11_case("12:30", True), yaml11_case("1_000", True),
    # 4. truncation is detectable; spec is required
    plan_case("count-mismatch", "count: 3\n" + DESIRED, ("d.yaml", "count", "3")),  # declares 3, holds 2
    plan_case("missing-spec", DESIRED + "  - {kind: A, name: cut}\n", ("d.yaml:4", "spec")),
    # 5. JSON NaN, Infinity, 1e400
    plan_case("json-nan-name", '{"resources": [\n  {"kind": "A",\n   "name": NaN, "spec": {}}]}\n', ("d.json:3",),
              name="d.json"),
    plan_case("json-infinity-value", '{"resources": [\n  {"kind": "A", "name": "x",\n   "spec": {"ttl": Infinity}}]}\n',
              ("d.json:3",), name="d.json"),
    plan_case("json-1e400-value", '{"resources": [\n  {"kind": "A", "name": "x",\n   "spec": {"ttl": 1e400}}]}\n',
              ("d.json:3",), name="d.json"),
    # 6. alias bombs
    plan_case("alias-bomb-inventory", bomb() + "resources:\n  - {kind: A, name: x, spec: {v: *l8}}\n", ("d.yaml",)),
    loop_case("alias-bomb-loop-config", bomb() + loop_config(provider="{type: files, path: tree, exclude: *l8}"),
              ("LOOP.yaml",)),
    scenario_case("alias-bomb-scenario", bomb() + "world: {kinds: *l8}\n", ("s.yaml",)),
    # 3, 5, 6 after review: bytes multiplied by aliases, -0, YAML 1.1 line breaks, NUL, lone surrogates
    plan_case("alias-long-string-inventory", 'resources:\n  - {kind: A, name: x, spec: {v: &s "' + "x" * 100_000
              + '", w: [' + ", ".join(["*s"] * 9000) + "]}}\n", ("d.yaml:2", "characters")),
    yaml11_case("-0", False),
    plan_case("yaml11-nel-in-name", DESIRED + "  - {kind: A, name: a\x85b, spec: {}}\n", ("d.yaml:4", "U+0085")),
    plan_case("yaml-nul-in-name", DESIRED + "  - {kind: A, name: a\x00b, spec: {}}\n", ("d.yaml:4", "U+0000")),
    plan_case("json-lone-surrogate-name", '{"resources": [\n  {"kind": "A",\n   "name": "\\ud800", "spec": {}}]}\n',
              ("d.json:3", "surrogate"), name="d.json"),
    # 7. FIFOs
    plan_case("fifo-desired", Fifo(), ("d.yaml",)),
    loop_case("fifo-loop-config", Fifo(), ("LOOP.yaml",)),
    scenario_case("fifo-scenario", Fifo(), ("s.yaml",)),
    # 8. files over the size limit (configurable; here 1000 bytes)
    plan_case("too-large-inventory", padded(DESIRED, 2000), ("d.yaml",))._with(env=SMALL_LIMIT),
    loop_case("too-large-loop-config", padded(loop_config(), 2000), ("LOOP.yaml",))._with(env=SMALL_LIMIT),
    scenario_case("too-large-scenario", padded("name: t\n", 2000), ("s.yaml",))._with(env=SMALL_LIMIT),
    # 9. deep nesting
    plan_case("deep-json-100k", '{"resources": [{"kind": "A", "name": "x", "spec": {"v": ' + nested(100_000) + "}}]}\n",
              ("d.json",), name="d.json"),
    plan_case("deep-yaml-10k", "resources:\n  - {kind: A, name: x, spec: {v: " + nested(10_000) + "}}\n", ("d.yaml",)),
    loop_case("deep-loop-config-2k", loop_config(extra="guards: {max_deletes: " + nested(2_000) + "}\n"), ("LOOP.yaml",)),
    scenario_case("deep-scenario-10k", "name: t\nworld: {kinds: " + nested(10_000) + "}\n", ("s.yaml",)),
    # 10. scenario sizes
    *(scenario_case(f"scenario-{id}", ("name: t\n" if text.startswith("duration:") else "name: t\nduration: 3600\n") + text,
                    (message,)) for id, text, message in SCENARIO_CASES if id in ITEM_10),
    scenario_case("scenario-kind-control-char", 'name: t\nduration: 3600\nworld: {kinds: ["a\\x1bb"]}\n',
                  ("s.yaml:3", "world.kinds", "U+001B")),
    scenario_case("scenario-typo-control-char",
                  'name: t\nduration: 3600\ndesired: [{at: 10, kind: rename, typo: "\\n"}]\n',
                  ("s.yaml:3", "typo", "U+000A")),
    Case("sweep-grid-period-1e-9", {"s.yaml": "name: t\nduration: 3600\n"},
         ("sweep", "s.yaml", "--grid", "loop.period=1.0e-9,60", "--seeds", "2", "--seed", "1", "--workers", "1",
          "--no-progress", "--out", "out"), ("--grid loop.period=1e-09", "field loop.period")),
    # issue 12: the dns provider's watch settings
    loop_case("dns-resync-zero", loop_config(provider="{type: dns, zone: x.test, resync: 0}"),
              ("LOOP.yaml", "provider dns: field resync", "more than 0")),
    loop_case("dns-ixfr-not-a-boolean", loop_config(provider="{type: dns, zone: x.test, ixfr: maybe}"),
              ("LOOP.yaml", "provider dns: field ixfr", "true or false")),
    # 11. credentials in a setting are refused, never echoed
    loop_case("dbname-url-password",
              loop_config(provider="{type: postgres, host: 127.0.0.1, port: 1, user: u, "
                                   "dbname: 'postgresql://u:SECRET@127.0.0.1:1/db'}"),
              ("LOOP.yaml", "dbname"))._with(secret="SECRET"),
    loop_case("dbname-keyword-password",
              loop_config(provider="{type: postgres, host: 127.0.0.1, port: 1, user: u, "
                                   "dbname: 'dbname=x password=SECRET'}"),
              ("LOOP.yaml", "dbname"))._with(secret="SECRET"),
    # 7, for credentials: a FIFO named as a password file is refused, not read (it would hang the loop)
    loop_case("fifo-password-file",
              loop_config(provider="{type: postgres, host: 127.0.0.1, port: 1, user: u, dbname: db, "
                                   "password_file: pw}"), ("pw", "FIFO"))._with({"pw": Fifo()}),
    # 13. a 0-byte state store fails closed and is not recreated
    Case("empty-store-plan", {"d.yaml": DESIRED, "obs.yaml": OBSERVED, "store.db": b""},
         (*PLAN, "--state", "store.db"), ("store.db",)),
    Case("empty-store-pause", {"store.db": b""}, ("pause", "plan", "--state", "store.db"), ("store.db",)),
    Case("empty-store-approvals", {"store.db": b""}, ("approvals", "--state", "store.db"), ("store.db",)),
    Case("corrupt-row-store-plan", {"d.yaml": DESIRED, "obs.yaml": OBSERVED, "store.db": Built(store_with_corrupt_row)},
         (*PLAN, "--state", "store.db", "--loop", "plan"), ("store.db",)),
    Case("corrupt-row-store-approvals", {"store.db": Built(store_with_corrupt_row)},
         ("approvals", "--state", "store.db"), ("store.db",)),
    loop_case("loop-config-state-is-a-folder", loop_config(extra="state: st\n"), ("st: ",))._with(
        {"st/keep": ""}, argv=("watch", "LOOP.yaml", "--max-cycles", "1", "--interval", "0.01")),
    loop_case("loop-config-events-is-a-folder", loop_config(extra="events: ev\n"), ("ev: ",))._with(
        {"ev/keep": ""}, argv=("watch", "LOOP.yaml", "--max-cycles", "1", "--interval", "0.01")),
    loop_case("fifo-loop-config-watch", Fifo(), ("LOOP.yaml",))._with(argv=("watch", "LOOP.yaml", "--max-cycles", "1")),
    # 15. loop names are identifiers, never paths
    # (two folders deep, so that a store written at ../../escape.db still lands inside the case's folder)
    loop_case("loop-name-escapes", loop_config(name="../../escape"), ("LOOP.yaml", "name"), folder="a/b/"),
    loop_case("loop-name-markup", loop_config(name='"[/]"'), ("LOOP.yaml", "name"), folder="a/b/"),
    # issue 13: worst-case settings, and the scripted source of its traces
    *(worst_case_id(option, value, expect) for option, value, expect in (
        ("--horizon", "0", "--horizon 0"), ("--horizon", "1001", "--horizon 1001"), ("--step", "0", "--step 0"),
        ("--hide-step", "-1", "--hide-step -1"), ("--offset-step", "0", "--offset-step 0"),
        ("--beam", "0", "--beam 0"), ("--beam", "10000000", "--beam 10000000"),
        ("--max-cycles", "0", "--max-cycles 0"), ("--budget", "-1", "--budget -1"), ("--budget", "nan", "--budget nan"))),
    Case("worst-case-two-loops", {"s.yaml": "name: t\nloops: [{name: a, scope: {name: 'a*'}}, {name: b, scope: {name: 'b*'}}]\n"},
         ("worst-case", "s.yaml", "--out", "out"), ("loops:", "one loop")),
    Case("worst-case-oncall-release", {"s.yaml": "name: t\noncall: {delay: 60, release_after: 60}\n"},
         ("worst-case", "s.yaml", "--out", "out"), ("oncall.release_after",)),
    Case("worst-case-bad-set", {"s.yaml": "name: t\n"},
         ("worst-case", "s.yaml", "--set", "loop.guards.max_deletes.max=-1", "--out", "out"),
         ("--set loop.guards.max_deletes.max=-1",)),
    *(Case(f"sweep-worst-case{option[1:]}-{value}", {"s.yaml": "name: t\nduration: 600\n"},
           ("sweep", "s.yaml", "--grid", "loop.period=30,60", "--seeds", "1", "--seed", "1", "--worst-case", option, value,
            "--out", "out"), (f"{option} {value}",))
      for option, value in (("--worst-case-horizon", "0"), ("--worst-case-beam", "0"))),
    scenario_case("scenario-script-out-of-order", "name: t\nscript: [{at: 60}, {at: 0}]\n", ("s.yaml", "script")),
    scenario_case("scenario-script-bad-kind", "name: t\nscript: [{at: 0, desired: wipe}]\n",
                  ("s.yaml:2", "script.0.desired")),
    # issue 13: the guards' windows across cycles. A budget is a pair (window and window_max), never
    # half-configured; a window is a positive, finite number of seconds, wherever it is set.
    plan_argv_case("window-without-window-max", ("--max-deletes-window", "60"),
                   ("--max-deletes-window 60", "give --max-deletes-window-max too")),
    plan_argv_case("window-max-without-window", ("--max-deletes-window-max", "5"),
                   ("--max-deletes-window-max 5", "give --max-deletes-window too")),
    plan_argv_case("window-inf", ("--max-deletes-window", "inf", "--max-deletes-window-max", "5"),
                   ("--max-deletes-window inf", "finite")),
    plan_argv_case("shrink-window-nan", ("--shrink-window", "nan"), ("--shrink-window nan", "finite")),
    plan_argv_case("shrink-fraction-nan", ("--shrink-fraction", "nan"), ("--shrink-fraction nan", "at most 1")),
    loop_case("loop-config-negative-window", loop_config(extra="guards: {max_deletes: {window: -60, window_max: 5}}\n"),
              ("LOOP.yaml:4", "field guards.max_deletes.window", "more than 0")),
    loop_case("loop-config-window-max-without-window", loop_config(extra="guards: {max_deletes: {window_max: 5}}\n"),
              ("LOOP.yaml:4", "field guards.max_deletes", "window_max is set but window is not")),
    loop_case("loop-config-shrink-window-not-a-number", loop_config(extra="guards: {desired_shrink: {window: an hour}}\n"),
              ("LOOP.yaml:4", "field guards.desired_shrink.window", "number")),
    scenario_case("scenario-negative-shrink-window", "name: t\nduration: 600\nloop: {guards: {desired_shrink: {window: -1}}}\n",
                  ("s.yaml:3", "field loop.guards.desired_shrink.window", "more than 0")),
    scenario_case("scenario-window-without-window-max", "name: t\nduration: 600\nloop: {guards: {max_deletes: {window: 3600}}}\n",
                  ("s.yaml:3", "field loop.guards.max_deletes", "window is set but window_max is not")),
    Case("sweep-grid-negative-window", {"s.yaml": "name: t\nduration: 600\n"},
         ("sweep", "s.yaml", "--grid", "loop.guards.desired_shrink.window=-60,60", "--seeds", "1", "--seed", "1",
          "--workers", "1", "--no-progress", "--out", "out"),
         ("--grid loop.guards.desired_shrink.window=-60", "field loop.guards.desired_shrink.window")),
    # issue 14: desired sources refuse what must not reach git or a database, before anything is read
    loop_case("desired-type-unknown", source_config("{type: cmdb, path: d.yaml}"), ("LOOP.yaml:3", "unknown type 'cmdb'")),
    loop_case("git-ref-option", source_config("{type: git, repo: ., ref: --upload-pack=x}"),
              ("LOOP.yaml:3", "desired.ref", "not a branch, tag or commit")),
    loop_case("git-repo-ext-transport", source_config("{type: git, repo: 'ext::sh -c id', ref: main}"),
              ("LOOP.yaml:3", "desired.repo", "ext::")),
    loop_case("git-repo-password", source_config("{type: git, repo: 'https://u:hunter2@h.test/r.git'}"),
              ("LOOP.yaml:3", "desired.repo", "a password in a URL"))._with(secret="hunter2"),
    loop_case("git-setting-of-another-format", source_config("{type: git, repo: ., format: kubernetes, zone: a.test}"),
              ("LOOP.yaml:3", "zone is a setting of format octodns")),
    loop_case("git-octodns-without-zone", source_config("{type: git, repo: ., format: octodns, config: o.yaml}"),
              ("LOOP.yaml:3", "format octodns needs config", "and zone")),
    loop_case("sql-url-password", source_config("{type: sql, url: 'postgresql://u:hunter2@h.test/db', query: SELECT 1}"),
              ("LOOP.yaml:3", "desired.url", "carries a password"))._with(secret="hunter2"),
    loop_case("sql-two-statements", source_config("{type: sql, url: 'sqlite:///c.db', query: 'SELECT 1; DROP TABLE t'}"),
              ("LOOP.yaml:3", "desired.query", "one statement")),
    loop_case("desired-history-not-git", loop_config(), ("LOOP.yaml", "desired-history reads a git source"))._with(
        argv=("desired-history", "LOOP.yaml")),
    loop_case("desired-history-no-repository", source_config("{type: git, repo: nowhere, ref: main}"),
              ("git nowhere@main",))._with(argv=("desired-history", "LOOP.yaml")),
    # a plan whose desired source fails creates no state store (.recon/bad-inputs.db), nor its folder
    loop_case("loop-desired-missing", source_config("{path: missing.yaml}"), ("missing.yaml", "no such file")),
    loop_case("loop-desired-missing-spec", loop_config(), ("d.yaml:4", "spec"))._with(
        {"d.yaml": DESIRED + "  - {kind: A, name: cut}\n"}),
    loop_case("loop-desired-git-no-repository", source_config("{type: git, repo: nowhere}"), ("git nowhere@HEAD",)),
    loop_case("loop-desired-sql-unreachable",
              source_config("{type: sql, url: 'postgresql+psycopg://u@127.0.0.1:1/db', query: SELECT 1, timeout: 5}"),
              ("sql postgresql+psycopg://u@127.0.0.1:1/db", "connection")),
    plan_case("state-desired-missing-spec", DESIRED + "  - {kind: A, name: cut}\n", ("d.yaml:4", "spec"))._with(
        argv=(*PLAN, "--state", "new.db")),
    # issue 15: calibration inputs and the settings to paste
    calibrate_case("calibrate-no-history", {}, (), ("audit-history.db", "no such file")),
    calibrate_case("calibrate-history-too-short", {"h.db": Built(history_with_one_run)},
                   ("--history", "sqlite:///h.db"), ("h.db", "history too short", "1 observation")),
    calibrate_case("calibrate-snapshot-unreadable", {"s1.yaml": SNAPSHOT, "s2.yaml": "resources: [\n"},
                   ("--snapshots", "s1.yaml", "--snapshots", "s2.yaml"), ("s2.yaml",)),
    calibrate_case("calibrate-snapshot-undated", {"s1.yaml": OBSERVED}, ("--snapshots", "s1.yaml"),
                   ("s1.yaml", "observed_at")),
    calibrate_case("calibrate-snapshot-bad-time", {"s1.yaml": "observed_at: 'yesterday'\n" + OBSERVED},
                   ("--snapshots", "s1.yaml"), ("s1.yaml", "observed_at", "ISO 8601")),
    calibrate_case("calibrate-snapshots-too-few", {"s1.yaml": SNAPSHOT}, ("--snapshots", "s1.yaml"),
                   ("1 snapshot", "history too short")),
    calibrate_case("calibrate-bad-since", {"s1.yaml": SNAPSHOT}, ("--snapshots", "s1.yaml", "--since", "soon"),
                   ("--since", "ISO 8601")),
    calibrate_case("calibrate-bad-commits", {"s1.yaml": SNAPSHOT, "c.json": '{"commits": [{"creates": 1}]}'},
                   ("--snapshots", "s1.yaml", "--snapshots", "s1.yaml", "--snapshots", "s1.yaml", "--commits", "c.json"),
                   ("c.json", "commits[0]", "time")),
    recommend_case("recommend-missing-file", Link("nowhere.json"), ("rec.json",)),
    recommend_case("recommend-not-json", "{not json", ("rec.json",)),
    recommend_case("recommend-unsatisfied", '{"satisfied": false, "statement": "no setting"}', ("rec.json", "no setting")),
    recommend_case("recommend-no-guards", '{"satisfied": true, "guards": null}', ("rec.json", "guards")),
    recommend_case("recommend-invalid-guard", '{"satisfied": true, "guards": {"max_deletes": {"max": -1}}}',
                   ("LOOP.yaml", "max_deletes")),
]


def make(root: Path, files: Mapping[str, Content]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Fifo):
            os.mkfifo(p)
        elif isinstance(content, Sock):
            here = os.getcwd()
            os.chdir(p.parent)  # a socket path must fit in 108 bytes: bind relative to its folder
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.bind(p.name)
            finally:
                os.chdir(here)
        elif isinstance(content, Link):
            p.symlink_to(content.target)
        elif isinstance(content, Built):
            content.build(p)
        else:
            p.write_bytes(content if isinstance(content, bytes) else content.encode())


def snapshot(root: Path) -> dict[str, object]:
    """Every entry under *root*: its type, and a file's bytes or a link's target (never opens a FIFO)."""
    out: dict[str, object] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            mode = p.lstat().st_mode
            if stat.S_ISLNK(mode):
                out[str(p.relative_to(root))] = ("link", os.readlink(p))
            elif stat.S_ISREG(mode):
                out[str(p.relative_to(root))] = ("file", p.read_bytes())
            else:
                out[str(p.relative_to(root))] = ("type", stat.S_IFMT(mode))
    return out


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(case: Case, cwd: Path) -> tuple[int | None, str, float, float]:
    """Run recon with the case's argv in *cwd*: exit code (None if killed), output, CPU and wall seconds."""
    env = {**os.environ, **case.env, "COLUMNS": "400", "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "recon", *case.argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=_limit_memory)
    try:
        output, _ = proc.communicate(timeout=WALL_LIMIT)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)  # the child's own session: it and anything it started
        output, _ = proc.communicate()
        code = None
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return code, output.decode("utf-8", "replace"), cpu, wall


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_bad_input_is_one_line_naming_it_exit_1_fast_and_nothing_written(tmp_path: Path, case: Case) -> None:
    make(tmp_path, case.files)
    before = snapshot(tmp_path)
    code, output, cpu, wall = run(case, tmp_path)
    assert code is not None, f"still running after {WALL_LIMIT:g} s (killed); output so far: {output[-500:]!r}"
    assert "Traceback" not in output, output[-2000:]
    if case.secret is not None:
        assert case.secret not in output, output
    assert snapshot(tmp_path) == before, "the command wrote, removed or recreated files"
    assert cpu < CPU_LIMIT, f"{cpu:.1f} s of CPU"
    if case.in_sync_ok and code == 0:
        return  # loaded verbatim and found in sync: the name was not rewritten
    lines = [line for line in output.splitlines() if line.strip()]
    assert code == 1, f"exit {code}: {output[-1000:]}"
    assert len(lines) == 1, output[-2000:]
    for part in case.expect:
        assert part in lines[0], lines[0]


def test_the_table_covers_every_input_item_of_issue_9() -> None:
    ids = " ".join(c.id for c in CASES)
    for needle in ("folder-", "yaml11-", "count-mismatch", "missing-spec", "json-nan", "alias-bomb-inventory",
                   "alias-bomb-loop-config", "alias-bomb-scenario", "fifo-desired", "fifo-loop-config", "too-large-",
                   "deep-json", "deep-yaml", "deep-loop-config", "scenario-", "sweep-grid", "dbname-", "empty-store",
                   "corrupt-row-store", "is-a-folder", "loop-name-"):
        assert needle in ids, needle
    assert len({c.id for c in CASES}) == len(CASES)
    assert {f"scenario-{i}" for i in ITEM_10} <= set(ids.split())
