"""nftables inside a network namespace the fixture creates (``ip netns add``) and deletes after.

Fixture ``netns`` -> :class:`Netns`: ``name``; ``load(ruleset_text)`` runs ``nft -f -`` inside the
namespace; ``nft(*args)`` runs any nft command there; ``ruleset()`` returns the parsed
``nft -j list ruleset`` for before/after comparisons. Nothing touches the host's own ruleset.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import missing, require_binary

_ids = itertools.count(1)


@dataclass
class Netns:
    name: str
    ip: str
    nft_bin: str

    def nft(self, *args: str, stdin: str | None = None) -> str:
        r = subprocess.run([self.ip, "netns", "exec", self.name, self.nft_bin, *args], input=stdin,
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(f"nft {' '.join(args)} in netns {self.name}: {r.stderr.strip()}")
        return r.stdout

    def load(self, ruleset: str) -> None:
        self.nft("-f", "-", stdin=ruleset)

    def ruleset(self) -> Any:
        return json.loads(self.nft("-j", "list", "ruleset"))


@pytest.fixture
def netns() -> Iterator[Netns]:
    ip = require_binary("ip", "/usr/sbin/ip")
    nft = require_binary("nft", "/usr/sbin/nft")
    name = f"recon-t{os.getpid()}-{next(_ids)}"
    r = subprocess.run([ip, "netns", "add", name], capture_output=True, text=True)
    if r.returncode != 0:
        missing(f"cannot create a network namespace (`ip netns add {name}`): {r.stderr.strip()}")
    try:
        yield Netns(name, ip, nft)
    finally:
        subprocess.run([ip, "netns", "delete", name], capture_output=True)
