"""Real providers are observers only: no write method exists, and enforce mode on one is refused."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from recon.providers.base import Actuator, Observer, factory_for
from tests.providers.helpers import recon, write_loop

REAL = ["dns", "postgres", "nftables", "aws-security-group", "aws-route53", "files"]
# Any public callable besides these would be a way to act on the world.
ALLOWED = {"observe", "from_config", "argv"}

SETTINGS = {
    "dns": {"zone": "example.test"},
    "postgres": {"user": "auditor"},
    "nftables": {"table": "t", "chain": "c"},
    "aws-security-group": {"group_id": "sg-0123456789abcdef0"},
    "aws-route53": {"hosted_zone_id": "Z1"},
    "files": {"path": "."},
}


@pytest.mark.parametrize("name", REAL)
def test_provider_offers_no_write_method(name: str, tmp_path: Path) -> None:
    cls = factory_for(name)
    obj = cls.from_config(SETTINGS[name], tmp_path)
    assert isinstance(obj, Observer)
    assert not isinstance(obj, Actuator)
    public = {n for n, v in inspect.getmembers(obj) if callable(v) and not n.startswith("_")}
    assert public - {"normalizer"} <= ALLOWED, f"{name} exposes {sorted(public - ALLOWED)}"


@pytest.mark.parametrize("name", REAL)
def test_enforce_mode_on_a_real_provider_is_a_clear_error(name: str, tmp_path: Path) -> None:
    loop = write_loop(tmp_path, {"type": name, **SETTINGS[name]}, [], mode="enforce", name="l1")
    run = recon("plan", loop, cwd=tmp_path)
    assert run.code == 1
    assert f"loop l1: provider {name!r} is observe-only" in run.stderr
