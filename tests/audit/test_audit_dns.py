"""`recon audit` against a real DNS zone on BIND: exit codes, drift history, and no secret in any output."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import nbformat
import pytest

from tests.providers.helpers import recon, scan_for, write_loop
from tests.servers.bind import UPDATE_KEY, BindServer, BindZone

pytestmark = [pytest.mark.server, pytest.mark.slow]

SECRET_ENV = "RECON_AUDIT_TEST_TSIG"


def zone_as_desired(z: BindZone) -> list[dict]:
    return [{"kind": t, "name": n, "spec": {"ttl": ttl, "values": list(v)}}
            for (t, n), (ttl, v) in z.axfr().items() if t != "SOA"]


def test_audit_of_a_bind_zone_with_a_tsig_secret_from_the_environment(
        bind_server: BindServer, bind_zone: BindZone, tmp_path: Path) -> None:
    # The canary is the real TSIG secret the server knows: the audit must use it and show it nowhere.
    canary = bind_server.update_secret
    env = {SECRET_ENV: canary}
    provider = {"type": "dns", "zone": bind_zone.zone, "server": bind_zone.server, "port": bind_zone.port,
                "timeout": 3, "tsig_key_name": UPDATE_KEY, "tsig_secret_env": SECRET_ENV}
    in_sync = zone_as_desired(bind_zone)
    drifted = [r for r in in_sync if (r["kind"], r["name"]) != ("A", "mail")]  # the zone holds one extra record
    drifted.append({"kind": "A", "name": "api", "spec": {"ttl": 300, "values": ["192.0.2.30"]}})
    loop = write_loop(tmp_path / "loop", provider, drifted, name="zone-audit")
    before = bind_zone.axfr()
    serial = bind_zone.serial()

    first = recon("audit", loop, "--out", tmp_path / "run1", cwd=tmp_path, env=env, timeout=300)
    assert first.code == 2, first.stdout + first.stderr
    data = json.loads((tmp_path / "run1" / "audit.json").read_text())
    assert data["provider"] == "dns" and data["counts"] == {"create": 1, "update": 0, "delete": 1}
    assert {(c["op"], c["kind"], c["name"]) for c in data["changes"]} == {("create", "A", "api"),
                                                                         ("delete", "A", "mail")}
    for name in ("audit.ipynb", "audit.html"):
        assert (tmp_path / "run1" / name).stat().st_size > 0

    write_loop(tmp_path / "loop", provider, in_sync, name="zone-audit")
    second = recon("audit", loop, "--out", tmp_path / "run2", cwd=tmp_path, env=env, timeout=300)
    assert second.code == 0, second.stdout + second.stderr
    data2 = json.loads((tmp_path / "run2" / "audit.json").read_text())
    assert [(r["id"], r["exit_code"], r["drift"]) for r in data2["trend"]] == [(1, 2, 2), (2, 0, 0)]
    nb = nbformat.read(tmp_path / "run2" / "audit.ipynb", as_version=4)
    trend = next(c for c in nb.cells if c.source.startswith("trend_frame"))
    assert trend.outputs[0]["data"]["text/html"].split("<tbody>")[1].count("<tr>") == 2
    history = tmp_path / "loop" / ".recon" / "audit-history.db"
    with sqlite3.connect(history) as db:
        assert db.execute("SELECT count(*) FROM audit_runs WHERE loop = 'zone-audit'").fetchone()[0] == 2

    # Observe-only: the zone and its serial are as they were.
    assert bind_zone.axfr() == before and bind_zone.serial() == serial
    # The secret was really used (a wrong one fails the transfer) ...
    wrong = recon("audit", loop, "--out", tmp_path / "run3", cwd=tmp_path,
                  env={SECRET_ENV: "d3Jvbmcgc2VjcmV0IHdyb25nIHNlY3JldA=="}, timeout=300)
    assert wrong.code == 1, wrong.stdout + wrong.stderr
    # ... and appears in no output, record, history, state store, stdout or stderr.
    texts = [r.stdout + r.stderr for r in (first, second, wrong)]
    assert scan_for(canary, *texts, paths=[tmp_path]) == []
