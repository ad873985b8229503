"""How fast does `recon plan` read a large zone, against a bare AXFR and against octoDNS?

Builds a 20,000-record zone on a local BIND (loopback high port, started and stopped here), a
desired state that differs from it by 100 creates, 100 updates and 100 deletes, and times in one
run, median of several interleaved repeats:

- ``recon plan LOOP.yaml --json`` as a command, and the same plan as library calls in this process;
- a bare dnspython AXFR of the zone plus loading the desired YAML file (libyaml), as a command and
  in this process: the floor any AXFR-based planner stands on;
- ``octodns-sync`` (plan only, no ``--doit``) with ``octodns-bind`` reading the same BIND by AXFR:
  the one beside this Python when installed there (``pip install octodns octodns-bind``), else in
  this benchmark's own virtual environment, benchmarks/.venv-octodns (created on first run with pip).

Every planning process is pinned to one core (``taskset -c CPU`` for the commands, the same
affinity for this process once BIND runs), so no figure gains from a second core; BIND stays free.
It checks that recon and octoDNS both find exactly 100/100/100 and prints times, ratios and the
machine's load averages before and after. Targets: recon under 0.35x octoDNS (command vs
command) and under 1.3x the bare AXFR plus load (in this process vs in this process), also at
200,000 records (``--records 200000 --no-octodns``: octoDNS needs many minutes there).
Usage: ``.venv/bin/python benchmarks/dns_plan_bench.py [--records N] [--cpu 0] [--no-octodns]``.
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
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers.bind import BindServer, zone_text  # noqa: E402

OCTO_VENV = ROOT / "benchmarks" / ".venv-octodns"
ZONE = "bench.test"
Records = dict[tuple[str, str], tuple[int, list[str]]]

BARE = """
import sys, dns.query, yaml
msgs = list(dns.query.xfr("127.0.0.1", sys.argv[1], port=int(sys.argv[2]), relativize=False, timeout=30))
rrsets = [r for m in msgs for r in m.answer]
with open(sys.argv[3], "rb") as f:
    data = yaml.load(f, Loader=yaml.CSafeLoader)
print(len(rrsets), len(data["resources"]))
"""


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

        def bare_lib() -> int:
            import dns.query

            msgs = list(dns.query.xfr("127.0.0.1", ZONE, port=bind.port, relativize=False, timeout=30))
            with open(d / "desired.yaml", "rb") as f:
                data = yaml.load(f, Loader=yaml.CSafeLoader)
            return sum(len(m.answer) for m in msgs) + len(data["resources"])

        def bare_cli() -> str:
            r = run([*pin, py, "-c", BARE, ZONE, str(bind.port), str(d / "desired.yaml")], cwd=d)
            if r.returncode != 0:
                raise SystemExit(f"bare AXFR failed: {r.stderr}")
            return r.stdout

        def octodns() -> dict:
            r = run([*pin, str(octo), f"--config-file={octo_cfg}"], cwd=d)
            text = r.stdout + r.stderr
            m = re.search(r"Creates=(\d+), Updates=(\d+), Deletes=(\d+)", text)
            if r.returncode != 0 or not m:
                raise SystemExit(f"octodns-sync failed ({r.returncode}):\n{text[-3000:]}")
            return {"create": int(m[1]), "update": int(m[2]), "delete": int(m[3])}

        recon_lib()  # warm imports once, as a long-lived process would be
        tools = (("bare AXFR + load (in process)", bare_lib), ("recon plan (in process)", recon_lib),
                 ("bare AXFR + load (command)", bare_cli), ("recon plan (command)", recon_cli),
                 ("octodns-sync plan (command)", octodns))
        tools = tools if octo else tools[:-1]
        # Repeats are interleaved, tool after tool, so that every tool samples the same machine load.
        times: dict[str, list[float]] = {name: [] for name, _ in tools}
        found: dict[str, object] = {}
        for _ in range(args.repeats):
            for name, fn in tools:
                t0 = time.perf_counter()
                found[name] = fn()
                times[name].append(time.perf_counter() - t0)
        results = {name: (statistics.median(ts), found[name]) for name, ts in times.items()}
        for name, ts in times.items():
            print(f"  {name:32s} median {statistics.median(ts):7.3f} s   min {min(ts):7.3f} s", flush=True)

        ok = True
        for name in ("recon plan (in process)", "recon plan (command)", "octodns-sync plan (command)"):
            if name not in results:
                continue
            counts = results[name][1]
            good = counts == want
            ok &= good
            print(f"  {name:32s} found {counts} {'OK' if good else 'MISMATCH, expected ' + str(want)}")
        t = {k: v[0] for k, v in results.items()}
        r_bare = t["recon plan (in process)"] / t["bare AXFR + load (in process)"]
        r_bare_cli = t["recon plan (command)"] / t["bare AXFR + load (command)"]
        if octo:
            r_octo = t["recon plan (command)"] / t["octodns-sync plan (command)"]
            print(f"ratio recon / octoDNS (commands):          {r_octo:5.2f}x  (target < 0.35x) "
                  f"{'MET' if r_octo < 0.35 else 'MISSED'}")
        print(f"ratio recon / bare AXFR+load (in process): {r_bare:5.2f}x  (target < 1.3x)  "
              f"{'MET' if r_bare < 1.3 else 'MISSED'}")
        print(f"ratio recon / bare AXFR+load (commands):   {r_bare_cli:5.2f}x")
        lo = {k: min(v) for k, v in times.items()}
        octo_lo = f"octoDNS {lo['recon plan (command)'] / lo['octodns-sync plan (command)']:.2f}x, " if octo else ""
        print(f"same ratios on the fastest run of each: {octo_lo}"
              f"bare in process {lo['recon plan (in process)'] / lo['bare AXFR + load (in process)']:.2f}x, "
              f"bare commands {lo['recon plan (command)'] / lo['bare AXFR + load (command)']:.2f}x")
        print(f"load average after: {load()}")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
