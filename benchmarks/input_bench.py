"""Loading a large inventory (YAML and JSON): recon's parser against the bare library on the same bytes.

Generates an inventory of --mb megabytes (default 50, the supported size in recon/sources/limits.py)
in a temporary folder, then measures, each in a fresh child process so peak memory is its own:
the bare library (yaml.CSafeLoader, json.loads), the bare fast parsers recon tries first (yaml-rs,
orjson), recon's load_inventory on the valid file (the fast path), and recon failing on a duplicate
resource, a duplicate key, a bad spec or a NaN placed at the end (the strict reader explains). Prints
seconds, peak RSS, and the CPU-time and memory ratios to the bare library's.
Run: .venv/bin/python benchmarks/input_bench.py [--mb 5]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import tempfile
import time
from pathlib import Path
from typing import Callable

import orjson
import yaml
import yaml_rs

from recon.sources.inventory import InventoryError, load_inventory  # imported before any timing

ITEM_YAML = "  - kind: A\n    name: host{i}.example.test\n    spec:\n      ttl: 300\n      values: [10.0.{a}.{b}]\n"
ITEM_JSON = '{{"kind": "A", "name": "host{i}.example.test", "spec": {{"ttl": 300, "values": ["10.0.{a}.{b}"]}}}}'


def generate(folder: Path, mb: int) -> dict[str, Path]:
    """Valid YAML and JSON inventories of about *mb* MB, and copies with an error near the end."""
    n = mb * 1024 * 1024 // len(ITEM_YAML.format(i=500000, a=1, b=1))
    rows = [dict(i=i, a=i // 256 % 256, b=i % 256) for i in range(n)]
    yaml_body = "resources:\n" + "".join(ITEM_YAML.format(**r) for r in rows)
    json_rows = [ITEM_JSON.format(**r) for r in rows]
    files = {
        "yaml": yaml_body,
        "yaml-duplicate-resource": yaml_body + ITEM_YAML.format(**rows[0]),
        "yaml-duplicate-key": yaml_body + ITEM_YAML.format(i="x", a=0, b=0) + "    ttl: 1\n    ttl: 2\n",
        "yaml-bad-spec": yaml_body + "  - {kind: A, name: last, spec: [1]}\n",
        "json": '{"resources": [\n' + ",\n".join(json_rows) + "]}\n",
        "json-nan": '{"resources": [\n' + ",\n".join(json_rows + ['{"kind": "A", "name": NaN}']) + "]}\n",
        "json-bad-spec": '{"resources": [\n' + ",\n".join(json_rows + ['{"kind": "A", "name": "x", "spec": 1}']) + "]}\n",
        "json-duplicate-key": '{"resources": [\n' + ",\n".join(json_rows + ['{"kind": "A", "kind": "B"}']) + "]}\n",
    }
    out = {}
    for label, text in files.items():
        p = folder / f"{label}.{'json' if label.startswith('json') else 'yaml'}"
        p.write_text(text)
        out[label] = p
    return out


def _bare_yaml(path: Path) -> None:
    yaml.load(path.read_text(), Loader=yaml.CSafeLoader)


def _bare_json(path: Path) -> None:
    json.loads(path.read_text())


def _fast_yaml(path: Path) -> None:
    yaml_rs.loads(path.read_text(), parse_datetime=False)


def _fast_json(path: Path) -> None:
    orjson.loads(path.read_text())


def _recon(path: Path) -> None:
    try:
        load_inventory(path)
    except InventoryError as e:
        print(f"    error: {str(e)[:110]}")


def _child(fn: Callable[[Path], None], path: Path, out: mp.Queue) -> None:
    t, cpu = time.perf_counter(), time.process_time()
    fn(path)
    out.put((time.perf_counter() - t, time.process_time() - cpu,
             resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(fn: Callable[[Path], None], path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (what a shared machine does not distort) and peak RSS (MB) of
    fn(path) in a fresh process."""
    q: mp.Queue = mp.get_context("spawn").Queue()
    p = mp.get_context("spawn").Process(target=_child, args=(fn, path, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=50)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        files = generate(Path(d), args.mb)
        print(f"{'case':34} {'wall s':>7} {'CPU s':>6} {'peak MB':>8} {'CPU x':>6} {'RSS x':>6}")
        for kind, bare, fast in (("yaml", _bare_yaml, _fast_yaml), ("json", _bare_json, _fast_json)):
            base_wall, base_cpu, base_mb = measure(bare, files[kind])
            size = files[kind].stat().st_size / 1e6
            print(f"{kind + f' bare ({size:.0f} MB)':34} {base_wall:7.1f} {base_cpu:6.1f} {base_mb:8.0f} {1:6.2f} {1:6.2f}")
            wall, cpu, mb = measure(fast, files[kind])
            print(f"{kind + ' bare fast parser':34} {wall:7.1f} {cpu:6.1f} {mb:8.0f} {cpu / base_cpu:6.2f} {mb / base_mb:6.2f}")
            for label in [k for k in files if k.startswith(kind)]:
                wall, cpu, mb = measure(_recon, files[label])
                print(f"{'recon ' + label:34} {wall:7.1f} {cpu:6.1f} {mb:8.0f} {cpu / base_cpu:6.2f} {mb / base_mb:6.2f}")


if __name__ == "__main__":
    main()
