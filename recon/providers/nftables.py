"""Observe the rules of one nftables chain via ``nft -j list chain``, optionally inside a named
network namespace. Observer only: the only command it runs is that listing.

No name is ever parsed as nft syntax: nft joins its command-line arguments into one command and
parses it, so ``chain: "input; flush chain ..."`` would run a second command. The listing is sent
instead as one JSON ``list chain`` command on stdin (``nft -j -f -``), built with :func:`json.dumps`,
where a name is a JSON string and nothing else; the names are also validated as nft identifiers at
settings time, and the nft and ip binaries are limited to their names on PATH or an allow-list.

A rule is identified by its comment. With ``owner_separator: ":"`` (the default) a comment
``fw-loop:allow-ssh`` is the rule ``allow-ssh`` owned by ``fw-loop``; a comment without the separator
has no owner. A rule without a comment is ``handle-<N>`` and a second rule with an already seen name
gets ``#<handle>`` appended, so every rule is in the observation and nothing is silently dropped.
The spec is ``{expr: [...]}``, the rule's expressions exactly as nft's JSON gives them; rule order
is not compared. Any failure of the listing (namespace, table or chain missing, nft absent, output
not JSON) is an error naming the namespace, table and chain: a listing is all or nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from recon.core.model import Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.names import NetnsName, NftIdentifier, binary
from recon.providers.settings import ProviderSettings, parse_settings


def _resolve(binary_setting: str, where: str) -> str:
    """An allow-listed absolute path as it is; a bare tool name looked up on PATH, or an error."""
    if binary_setting.startswith("/"):
        return binary_setting
    found = shutil.which(binary_setting)
    if found is None:
        raise ProviderError(f"{where}: cannot run {binary_setting}: not found on PATH")
    return found


class NftablesSettings(ProviderSettings):
    family: Literal["ip", "ip6", "inet", "arp", "bridge", "netdev"] = "inet"
    table: NftIdentifier
    chain: NftIdentifier
    netns: NetnsName | None = Field(None, description="named network namespace (ip netns) to list inside")
    owner_separator: str | None = Field(":", description="comment = <owner><separator><name>; null: no owners")
    nft: binary("nft") = Field("nft", description="nft binary: nft (on PATH) or an allow-listed absolute path")
    ip: binary("ip") = Field("ip", description="ip binary (for netns): ip (on PATH) or an allow-listed path")
    timeout: float = Field(30.0, gt=0)


class NftablesObserver:
    """Lists the rules of one chain."""

    normalizer = Normalizer(unordered=frozenset())

    def __init__(self, settings: NftablesSettings) -> None:
        self.settings = settings
        s = settings
        self.name = f"nftables:{s.family} {s.table} {s.chain}" + (f" in netns {s.netns}" if s.netns else "")

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> NftablesObserver:
        return cls(parse_settings(NftablesSettings, settings, "nftables"))

    def argv(self) -> list[str]:
        """The command run: fixed words and the allow-listed binaries only; no setting's text."""
        s = self.settings
        cmd = [_resolve(s.nft, self.name), "-j", "-f", "-"]
        if s.netns:
            return [_resolve(s.ip, self.name), "netns", "exec", s.netns, *cmd]
        return cmd

    def _request(self) -> str:
        """The JSON command nft reads on stdin: list this one chain; the names travel as JSON strings."""
        s = self.settings
        return json.dumps({"nftables": [{"list": {"chain": {"family": s.family, "table": s.table,
                                                            "name": s.chain}}}]})

    def _list(self) -> list[dict[str, Any]]:
        try:
            r = subprocess.run(self.argv(), input=self._request(), capture_output=True, text=True,
                               timeout=self.settings.timeout)
        except FileNotFoundError as e:
            raise ProviderError(f"{self.name}: cannot run {e.filename}: not found") from None
        except subprocess.TimeoutExpired:
            raise ProviderError(f"{self.name}: listing took longer than {self.settings.timeout:g}s") from None
        if r.returncode != 0:
            msg = " ".join(r.stderr.split()) or f"exit status {r.returncode}"
            raise ProviderError(f"{self.name}: listing failed: {msg[:300]}")
        try:
            data = json.loads(r.stdout)
            items = data["nftables"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError(f"{self.name}: nft did not print the expected JSON") from None
        if not any("chain" in i for i in items):
            raise ProviderError(f"{self.name}: nft listed no chain header; refusing a partial listing")
        return [i["rule"] for i in items if "rule" in i]

    def observe(self) -> Observation:
        sep = self.settings.owner_separator
        seen: set[str] = set()
        out = []
        for rule in self._list():
            handle = rule.get("handle")
            comment = rule.get("comment")
            owner = None
            if comment is None:
                name = f"handle-{handle}"
            elif sep and sep in comment:
                owner, name = comment.split(sep, 1)
                owner = owner or None
            else:
                name = comment
            if name in seen:
                name = f"{name}#{handle}"
            seen.add(name)
            out.append(Resource("rule", name, {"expr": rule.get("expr", [])}, owner))
        return Observation.of(out, source=self.name, observed_at=time.time())
