"""How fast does `recon plan` read a large zone, against a bare AXFR and against octoDNS?

Builds a 20,000-record zone on a local BIND (loopback high port, started and stopped here), a
desired state that differs from it by 100 creates, 100 updates and 100 deletes, and times in one
run, median of several interleaved repeats:

- ``recon plan LOOP.yaml --json`` as a command, and the same plan as library calls in this process;
- the bare floor any AXFR-based planner stands on, as a command and in this process: a dnspython AXFR
  of the zone into a dict, the desired YAML file loaded into a dict, and a dict/set diff; once with
  PyYAML's libyaml loader, once with the fastest loader recon itself uses (yaml-rs);
- ``octodns-sync`` (plan only, no ``--doit``) with ``octodns-bind`` reading the same BIND by AXFR:
  the one beside this Python when installed there (``pip install octodns octodns-bind``), else in
  this benchmark's own virtual environment, benchmarks/.venv-octodns (created on first run with pip).

Every planning process is pinned to one core (``taskset -c CPU`` for the commands, the same
affinity for this process once BIND runs), so no figure gains from a second core; BIND stays free.
It checks that recon, the bare floors and octoDNS all find exactly 100/100/100 and prints times,
ratios against both floors and the machine's load averages. Targets: recon under 0.35x octoDNS
(command vs command) and under 1.3x the bare floor with yaml-rs (in this process vs in this
process; the libyaml floor is printed beside it, not judged), also at
200,000 records (``--records 200000 --no-octodns``: octoDNS needs many minutes there).
Usage: ``.venv/bin/python benchmarks/dns_plan_bench.py [--records N] [--repeats K] [--cpu 0] [--no-octodns]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.bind import BindServer, zone_text  # noqa: E402

OCTO_VENV = ROOT / "benchmarks" / ".venv-octodns"
ZONE = "bench.test"
Records = dict[tuple[str, str], tuple[int, list[str]]]

# The bare floor, run both in this process (exec'd) and as a command: AXFR into a dict, the desired file
# into a dict, a dict/set diff. The same code with two loaders: PyYAML's libyaml (collector on, as a
# script would), and the fastest loader recon itself uses for YAML (yaml-rs, with the collector off
# while parsing, as recon.sources.fastread does). The 1.3x target is judged against
# the fast one: against libyaml the ratio would mostly measure the parser, not recon's own overhead.
BARE = """
import gc, sys
import dns.name, dns.query, dns.rdatatype

def bare_axfr(port, zone):
    origin = dns.name.from_text(zone)
    recs = {}
    for m in dns.query.xfr("127.0.0.1", zone, port=port, relativize=False, timeout=30):
        for rr in m.answer:
            if rr.rdtype != dns.rdatatype.SOA:
                key = (dns.rdatatype.to_text(rr.rdtype), rr.name.relativize(origin).to_text())
                recs[key] = (rr.ttl, sorted(r.to_text() for r in rr))
    return recs

def bare_load(path, loader):
    if loader == "pyyaml":
        import yaml
        with open(path, "rb") as f:
            return yaml.load(f, Loader=yaml.CSafeLoader)
    import yaml_rs
    with open(path, encoding="utf-8") as f:
        text = f.read()
    gc.disable()
    try:
        return yaml_rs.loads(text, parse_datetime=False)
    finally:
        gc.enable()

def bare_plan(port, zone, path, loader):
    observed = bare_axfr(port, zone)
    desired = {(r["kind"], r["name"]): (r["spec"]["ttl"], sorted(r["spec"]["values"]))
               for r in bare_load(path, loader)["resources"]}
    both = desired.keys() & observed.keys()
    return {"create": len(desired.keys() - both), "update": sum(desired[k] != observed[k] for k in both),
            "delete": len(observed.keys() - both)}
"""
BARE_MAIN = """
import json
print(json.dumps(bare_plan(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4])))
"""
BARE_NS: dict = {}
exec(compile(BARE, "<bare>", "exec"), BARE_NS)  # noqa: S102 - our own text, so both runs are the same code
LOADERS = {"pyyaml": "libyaml", "fast": "yaml-rs"}


def ensure_octodns() -> Path:
    beside = Path(sys.executable).parent / "octodns-sync"
    if beside.exists():
        return beside
    exe = OCTO_VENV / "bin" / "octodns-sync"
    if not exe.exists():
        print(f"creating {OCTO_VENV} with octodns and octodns-bind ...", flush=True)
        venv.create(OCTO_VENV, with_pip=True)
        subprocess.run([str(OCTO_VENV / "bin" / "pip"), "install", "-q", "octodns", "octodns-bind"], check=True)
    return exe


def build_zone(n: int) -> Records:
    """*n* records: mostly A, some AAAA, TXT and CNAME, spread over distinct names."""
    recs: Records = {}
    for i in range(n):
        m = i % 20
        if m < 16:
            recs[("A", f"h{i}")] = (300, [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"])
        elif m < 18:
            # One group holds 16 bits: past 65,535 records the address takes two (as BIND writes it).
            v6 = f"2001:db8::{i:x}" if i < 1 << 16 else f"2001:db8::{i >> 16:x}:{i & 0xFFFF:x}"
            recs[("AAAA", f"h{i}")] = (300, [v6])
        elif m == 18:
            recs[("TXT", f"t{i}")] = (600, [f'"v=bench id{i}"'])
        else:
            recs[("CNAME", f"c{i}")] = (3600, [f"h{i - 3}.{ZONE}."])
    return recs


def desired_from(observed: Records, changes: int) -> tuple[Records, set, set, set]:
    """The observed zone with *changes* deletes, updates and creates (A records only)."""
    a_names = sorted(k for k in observed if k[0] == "A")
    deletes = set(a_names[:changes])
    updates = set(a_names[changes:2 * changes])
    creates = {("A", f"new{i}") for i in range(changes)}
    desired: Records = {}
    for k, (ttl, vals) in observed.items():
        if k in deletes:
            continue
        desired[k] = (ttl, ["192.0.2.1"] if k in updates else vals)
    for i, k in enumerate(sorted(creates)):
        desired[k] = (300, [f"198.51.100.{i % 250 + 1}"])
    return desired, creates, updates, deletes


def write_recon(d: Path, port: int, desired: Records) -> Path:
    res = [{"kind": t, "name": n, "spec": {"ttl": ttl, "values": sorted(v)}} for (t, n), (ttl, v) in desired.items()]
    with open(d / "desired.yaml", "w") as f:
        yaml.dump({"resources": res}, f, Dumper=yaml.CSafeDumper, sort_keys=False)
    loop = {"name": "bench", "provider": {"type": "dns", "zone": ZONE, "server": "127.0.0.1", "port": port},
            "desired": {"path": "desired.yaml"}, "state": str(d / "state.db"),
            "guards": {"max_deletes": {"max": 1000, "max_fraction": 1.0}, "max_changes": {"max": 100000}}}
    (d / "LOOP.yaml").write_text(yaml.safe_dump(loop, sort_keys=False))
    return d / "LOOP.yaml"


def write_octodns(d: Path, port: int, desired: Records) -> Path:
    by_name: dict[str, list[dict]] = {}
    for (t, n), (ttl, vals) in desired.items():
        values = [v.strip('"') for v in vals] if t == "TXT" else vals
        rec: dict = {"type": t, "ttl": ttl}
        if t == "CNAME":
            rec["value"] = values[0]
        else:
            rec["values"] = sorted(values)
        by_name.setdefault("" if n == "@" else n, []).append(rec)
    (d / "octo").mkdir(exist_ok=True)
    with open(d / "octo" / f"{ZONE}.yaml", "w") as f:
        yaml.dump(by_name, f, Dumper=yaml.CSafeDumper)
    cfg = {"providers": {"config": {"class": "octodns.provider.yaml.YamlProvider", "directory": str(d / "octo"),
                                    "enforce_order": False},
                         "bind": {"class": "octodns_bind.Rfc2136Provider", "host": "127.0.0.1", "port": port,
                                  "timeout": 120}},
           "zones": {f"{ZONE}.": {"sources": ["config"], "targets": ["bind"]}}}
    (d / "octodns.yaml").write_text(yaml.safe_dump(cfg))
    return d / "octodns.yaml"


def load() -> str:
    """The machine's 1-, 5- and 15-minute load averages: figures from a busy machine say so."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(argv: list[str], **kw: object) -> subprocess.CompletedProcess:
    r = subprocess.run(argv, capture_output=True, text=True, **kw)  # type: ignore[call-overload]
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=0, help="the one core every planning process runs on")
    ap.add_argument("--no-octodns", action="store_true", help="leave octoDNS out (it takes minutes at 200k)")
    args = ap.parse_args()
    pin = ["taskset", "-c", str(args.cpu)]

    octo = None if args.no_octodns else ensure_octodns()
    observed = build_zone(args.records)
    desired, creates, updates, deletes = desired_from(observed, args.changes)
    # The zone file adds NS and ns1 A; both sides declare them too.
    base = {("NS", "@"): (3600, [f"ns1.{ZONE}."]), ("A", "ns1"): (3600, ["127.0.0.1"])}
    desired = {**base, **desired}
    want = {"create": args.changes, "update": args.changes, "delete": args.changes}

    with tempfile.TemporaryDirectory(prefix="recon-bench-") as tmp, BindServer() as bind:
        d = Path(tmp)
        bind.add_zone(ZONE, text=zone_text(ZONE, observed))
        loop_path = write_recon(d, bind.port, desired)
        octo_cfg = write_octodns(d, bind.port, desired)
        py = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
        os.sched_setaffinity(0, {args.cpu})  # after BIND started: it keeps every core
        print(f"zone {ZONE}: {args.records + 2} records on BIND 127.0.0.1:{bind.port}; desired differs by "
              f"{args.changes} creates / {args.changes} updates / {args.changes} deletes; median of {args.repeats}; "
              f"planning pinned to core {args.cpu} ({' '.join(pin)}); load average {load()}")

        def recon_cli() -> dict:
            r = run([*pin, py, "-m", "recon", "plan", str(loop_path), "--json"], cwd=d)
            if r.returncode not in (0, 2, 3):
                raise SystemExit(f"recon plan failed ({r.returncode}): {r.stderr}")
            return json.loads(r.stdout)["counts"]

        def recon_lib() -> dict:
            from recon.config import build_loop, load_loop_config
            from recon.drivers.loop import run_once
            from recon.store.sqlite import StateStore

            cfg, b = load_loop_config(loop_path)
            loop = build_loop(cfg, b, store=StateStore(":memory:"))
            des, obs = loop.source.load(), loop.observer.observe()
            decision = run_once(loop, time.time(), persist=False, desired=des, observation=obs).decision
            return decision.plan.counts()

        def bare_lib(loader: str) -> Callable[[], dict]:
            return lambda: BARE_NS["bare_plan"](bind.port, ZONE, str(d / "desired.yaml"), loader)

        def bare_cli(loader: str) -> Callable[[], dict]:
            def go() -> dict:
                r = run([*pin, py, "-c", BARE + BARE_MAIN, str(bind.port), ZONE, str(d / "desired.yaml"), loader],
                        cwd=d)
                if r.returncode != 0:
                    raise SystemExit(f"bare AXFR failed: {r.stderr}")
                return json.loads(r.stdout)
            return go

        def octodns() -> dict:
            r = run([*pin, str(octo), f"--config-file={octo_cfg}"], cwd=d)
            text = r.stdout + r.stderr
            m = re.search(r"Creates=(\d+), Updates=(\d+), Deletes=(\d+)", text)
            if r.returncode != 0 or not m:
                raise SystemExit(f"octodns-sync failed ({r.returncode}):\n{text[-3000:]}")
            return {"create": int(m[1]), "update": int(m[2]), "delete": int(m[3])}

        recon_lib()  # warm imports once, as a long-lived process would be
        tools = (("bare, libyaml (in process)", bare_lib("pyyaml")), ("bare, yaml-rs (in process)", bare_lib("fast")),
                 ("recon plan (in process)", recon_lib),
                 ("bare, libyaml (command)", bare_cli("pyyaml")), ("bare, yaml-rs (command)", bare_cli("fast")),
                 ("recon plan (command)", recon_cli), ("octodns-sync plan (command)", octodns))
        tools = tools if octo else tools[:-1]
        # Repeats are interleaved, tool after tool, so that every tool samples the same machine load.
        times: dict[str, list[float]] = {name: [] for name, _ in tools}
        found: dict[str, object] = {}
        for _ in range(args.repeats):
            for name, fn in tools:
                t0 = time.perf_counter()
                found[name] = fn()
                times[name].append(time.perf_counter() - t0)
                # Each run as it ends: at 200k on a loaded machine a whole run takes long enough to be cut short.
                print(f"    run {len(times[name])}: {name:32s} {times[name][-1]:7.3f} s   load {load()}", flush=True)
        results = {name: (statistics.median(ts), found[name]) for name, ts in times.items()}
        for name, ts in times.items():
            print(f"  {name:32s} median {statistics.median(ts):7.3f} s   min {min(ts):7.3f} s", flush=True)

        ok = True
        for name, (_, counts) in results.items():
            good = counts == want
            ok &= good
            print(f"  {name:32s} found {counts} {'OK' if good else 'MISMATCH, expected ' + str(want)}")
        t = {k: v[0] for k, v in results.items()}
        lo = {k: min(v) for k, v in times.items()}
        if octo:
            r_octo = t["recon plan (command)"] / t["octodns-sync plan (command)"]
            print(f"ratio recon / octoDNS (commands):                 {r_octo:5.2f}x  (target < 0.35x) "
                  f"{'MET' if r_octo < 0.35 else 'MISSED'}  fastest runs {lo['recon plan (command)'] / lo['octodns-sync plan (command)']:.2f}x")
        for where in ("in process", "command"):
            for loader, label in LOADERS.items():
                mine, floor = f"recon plan ({where})", f"bare, {label} ({where})"
                r = t[mine] / t[floor]
                judged = loader == "fast" and where == "in process"
                verdict = f"(target < 1.3x) {'MET' if r < 1.3 else 'MISSED'}" if judged else "(not judged)"
                print(f"ratio recon / bare AXFR+load, {label:7s} ({where + '):':12s} {r:5.2f}x  {verdict:21s}"
                      f"  fastest runs {lo[mine] / lo[floor]:.2f}x")
        print("the 1.3x target is judged against the yaml-rs floor in process: the fastest loader recon itself "
              "uses, so the ratio is recon's own cost, not the parser's")
        print(f"load average after: {load()}")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
