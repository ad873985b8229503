"""Credentials never come from config text, and never leave in any output.

First line: a credential in any provider setting (a URL password, ``password=`` in a libpq string,
an AWS key id, an inline TSIG secret), at any depth, is refused with one line naming the loop
config and the setting, and the secret is not echoed. Second line: where a credential reaches a
message by another road (here, a desired-inventory path), every output masks it: plan text and
--json, watch output and events.jsonl, audit.json, the executed notebook, its HTML, the history.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from recon.audit.history import HistoryError, parse_history_url
from recon.core.redact import credential_in, redact
from tests.providers.helpers import recon, scan_for, write_loop

CANARY = "CANARY-s3cr3t-9d2f"
B64_CANARY = "Q0FOQVJZczNjcjN0OWQyZg=="  # a TSIG secret's form
AWS_KEY = "AKIAZZCANARY9D2F0000"

# (provider settings, the setting the error must name, the canary it hides)
INLINE: list[tuple[dict[str, Any], str, str]] = [
    ({"type": "postgres", "user": "u", "dbname": f"postgresql://u:{CANARY}@127.0.0.1:5432/db"}, "dbname", CANARY),
    ({"type": "postgres", "user": "u", "dbname": f"dbname=x password={CANARY}"}, "dbname", CANARY),
    ({"type": "postgres", "user": "u", "dbname": f"dbname=x sslpassword='{CANARY}'"}, "dbname", CANARY),
    ({"type": "postgres", "user": "u", "host": f"h passfile=/tmp/{CANARY}"}, "host", CANARY),
    ({"type": "postgres", "user": f"postgres://u:{CANARY}@h"}, "user", CANARY),
    ({"type": "dns", "zone": "x.test", "tsig_key_name": f"hmac-sha256:k:{B64_CANARY}"}, "tsig_key_name", B64_CANARY),
    ({"type": "dns", "zone": "x.test", "registry": {"heritage": f'key k {{ secret "{B64_CANARY}"; }}'}},
     "registry.heritage", B64_CANARY),
    ({"type": "aws-security-group", "group_id": "sg-0123456789abcdef0",
      "endpoint_url": f"http://{AWS_KEY}:{CANARY}@127.0.0.1:5000"}, "endpoint_url", CANARY),
    ({"type": "aws-route53", "hosted_zone_id": "Z1", "owner_tag": AWS_KEY}, "owner_tag", AWS_KEY),
    ({"type": "aws-route53", "hosted_zone_id": "Z1", "region": f"aws_secret_access_key={CANARY}"}, "region", CANARY),
    ({"type": "nftables", "table": "t", "chain": f"token={CANARY}"}, "chain", CANARY),
    ({"type": "files", "path": ".", "exclude": ["*.swp", f"https://u:{CANARY}@h/x"]}, "exclude.1", CANARY),
    ({"type": "snapshot", "path": f"x password={CANARY}.yaml"}, "path", CANARY),
    ({"type": "dns", "zone": "x.test", "registry": {f"password={CANARY}": 1}}, "registry", CANARY),
]


def outputs(root: Path, config: Path) -> list[Path]:
    """Every file a run may have written under *root*: all but the loop config that holds the canary."""
    return [p for p in root.rglob("*") if p.is_file() and p != config]


def refused_everywhere(provider: dict[str, Any], setting: str, canary: str, tmp_path: Path, *commands: str) -> None:
    """Each of *commands* on a loop config with *provider*: exit 1, one line naming the config and
    the setting, and the canary in no output or file."""
    loop = write_loop(tmp_path, provider, [])
    argv = {"plan": ("plan",), "json": ("plan", "--json"), "snapshot": ("snapshot", "--out", tmp_path / "snap.yaml"),
            "watch": ("watch", "--interval", "0.05", "--max-cycles", "1")}
    runs = [recon(argv[c][0], loop, *argv[c][1:], cwd=tmp_path) for c in commands]
    for r in runs:
        assert r.code == 1, (r.stdout, r.stderr)
        line = r.stderr.strip()
        assert len(line.splitlines()) == 1 and str(loop) in line and f"field {setting} holds" in line, line
        assert "credentials come only from the environment or a file" in line
    assert scan_for(canary, *(t for r in runs for t in (r.stdout, r.stderr)), paths=outputs(tmp_path, loop)) == []


@pytest.mark.parametrize("provider,setting,canary", INLINE, ids=[f"{p['type']}-{s}-{i}" for i, (p, s, _) in
                                                                 enumerate(INLINE)])
def test_a_credential_in_any_setting_is_refused_and_never_echoed(provider: dict[str, Any], setting: str,
                                                                 canary: str, tmp_path: Path) -> None:
    refused_everywhere(provider, setting, canary, tmp_path, "plan", "json")


def test_a_password_in_dbname_is_refused_by_every_command(tmp_path: Path) -> None:
    provider, setting, canary = INLINE[0]
    refused_everywhere(provider, setting, canary, tmp_path, "plan", "json", "snapshot", "watch")


def test_an_audit_refuses_a_credential_in_a_setting_before_writing_anything(tmp_path: Path) -> None:
    provider, setting, canary = INLINE[1]
    loop = write_loop(tmp_path, provider, [])
    run = recon("audit", loop, "--out", tmp_path / "out", cwd=tmp_path)
    assert run.code == 1 and str(loop) in run.stderr and f"field {setting} holds" in run.stderr, run.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / ".recon").exists()
    assert scan_for(canary, run.stdout, run.stderr) == []


def test_a_credential_in_a_history_url_is_refused_in_every_form(tmp_path: Path) -> None:
    urls = [f"postgresql://audit:{CANARY}@127.0.0.1:1/h", f"postgresql://audit@127.0.0.1:1/h?password={CANARY}",
            f"sqlite:///{tmp_path}/h.db?sslpassword={CANARY}", f"sqlite:///{tmp_path}/password={CANARY}.db"]
    for url in urls:
        with pytest.raises(HistoryError, match="history store") as e:
            parse_history_url(url)
        assert CANARY not in str(e.value)
    loop = write_loop(tmp_path, {"type": "snapshot", "path": "desired.yaml"}, [])
    run = recon("audit", loop, "--out", tmp_path / "out", "--history", urls[-1], cwd=tmp_path)
    assert run.code == 1 and "history store" in run.stderr, run.stdout + run.stderr
    assert scan_for(CANARY, run.stdout, run.stderr, paths=outputs(tmp_path, loop)) == []


@pytest.mark.slow
def test_a_credential_reaching_a_message_is_masked_in_every_output(tmp_path: Path) -> None:
    """The desired path is no provider setting, so nothing refuses it: redaction is what keeps the
    canary out of plan, watch, events.jsonl and every audit output."""
    (tmp_path / "observed.yaml").write_text("resources: []\n")
    cfg = {"name": "leaky", "provider": {"type": "snapshot", "path": "observed.yaml"},
           "desired": {"path": f"inv password={CANARY}.yaml"}, "events": "events.jsonl"}
    loop = tmp_path / "LOOP.yaml"
    loop.write_text(json.dumps(cfg))
    runs = [recon("plan", loop, cwd=tmp_path), recon("plan", loop, "--json", cwd=tmp_path),
            recon("watch", loop, "--interval", "0.05", "--max-cycles", "2", cwd=tmp_path),
            recon("audit", loop, "--out", tmp_path / "audit", cwd=tmp_path)]
    # watch's exit code when every cycle failed to load is another item's business; its outputs are checked here
    assert [r.code for i, r in enumerate(runs) if i != 2] == [1, 1, 1], [(r.stdout, r.stderr) for r in runs]
    assert "password=***" in runs[0].stderr and "password=***" in runs[1].json()["error"]
    events = (tmp_path / "events.jsonl").read_text()
    assert events.count("\n") == 2 and "password=***" in events
    audit = json.loads((tmp_path / "audit" / "audit.json").read_text())
    assert "password=***" in audit["error"]
    for name in ("audit.ipynb", "audit.html"):
        assert (tmp_path / "audit" / name).is_file()
    history = sqlite3.connect(tmp_path / ".recon" / "audit-history.db").execute("SELECT error FROM audit_runs")
    # The history holds the audit's run and watch's two cycles (watch records into it too): all masked.
    assert ["password=***" in e for (e,) in history.fetchall()] == [True, True, True]
    texts = [t for r in runs for t in (r.stdout, r.stderr)]
    assert scan_for(CANARY, *texts, paths=outputs(tmp_path, loop)) == []


def test_a_credential_in_the_desired_source_is_masked_in_plan_output(tmp_path: Path) -> None:
    (tmp_path / "observed.yaml").write_text("resources: []\n")
    (tmp_path / f"inv password={CANARY}.yaml").write_text("resources: []\n")
    loop = tmp_path / "LOOP.yaml"
    loop.write_text(json.dumps({"name": "leaky", "provider": {"type": "snapshot", "path": "observed.yaml"},
                                "desired": {"path": f"inv password={CANARY}.yaml"}, "guards": {"empty_desired": False}}))
    text, as_json = recon("plan", loop, cwd=tmp_path), recon("plan", loop, "--json", cwd=tmp_path)
    assert (text.code, as_json.code) == (0, 0), text.stdout + text.stderr
    assert "password=***" in text.stdout and "password=***" in as_json.json()["desired"]["source"]
    assert scan_for(CANARY, text.stdout, text.stderr, as_json.stdout, as_json.stderr) == []


@pytest.mark.parametrize("text,masked", [
    (f"postgresql://u:{CANARY}@h:5432/db", "postgresql://u:***@h:5432/db"),
    (f"cannot open postgresql:/u:{CANARY}@h/x.yaml", "cannot open postgresql:/u:***@h/x.yaml"),
    (f"dbname=x password={CANARY} host=h", "dbname=x password=*** host=h"),
    (f"dbname=x password='{CANARY} with space' host=h", "dbname=x password=*** host=h"),
    (f"x?user=u&PASSWORD={CANARY}&sslmode=require", "x?user=u&PASSWORD=***&sslmode=require"),
    (f"sslpassword = {CANARY}", "sslpassword = ***"),
    (f"aws_secret_access_key={CANARY}", "aws_secret_access_key=***"),
    (f"key id {AWS_KEY} rejected", "key id *** rejected"),
    (f"-y hmac-sha256:xfr-key:{B64_CANARY}", "-y hmac-sha256:xfr-key:***"),
    (f'key "k" {{ algorithm hmac-sha256; secret "{B64_CANARY}"; }};', 'key "k" { algorithm hmac-sha256; secret ***; };'),
])
def test_redact_masks_every_form(text: str, masked: str) -> None:
    assert redact(text) == masked and credential_in(text) is not None


@pytest.mark.parametrize("text", [
    "http://127.0.0.1:5000/path", "postgres 127.0.0.1:5432 database postgres as auditor: cannot connect",
    "provider dns: tsig_secret_env names $RECON_TSIG, which is not set", "recon-owner=pg-loop",
    "heritage=external-dns,external-dns/owner=dns-loop", "/srv/a:b@c", "_owner.{type}.{name}",
])
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text and credential_in(text) is None
