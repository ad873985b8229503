"""Observe one DNS zone by AXFR (dnspython), from any RFC-compliant server; under watch, by IXFR. Observer only.

Each RRset becomes a resource: ``kind`` is the record type, ``name`` the owner name relative to the
zone (``@`` for the apex, lower case), ``spec`` is ``{ttl, values}`` with the values in presentation
form, absolute names, sorted. The SOA, DNSSEC records and the TXT ownership markers (see
:mod:`recon.providers.txt_registry`) are not managed resources. A transfer that cannot start
(refused, unreachable, TSIG rejected) raises :class:`ProviderError`; one that starts and breaks off,
or does not end with the closing SOA, is an incomplete observation with the reason, never a short
list.

The first observation is an AXFR, and so is every observation of a one-shot command (``recon plan``,
``recon audit``). A long-lived observer (``recon watch``) keeps the zone it saw and later asks for an
IXFR since that serial (:mod:`recon.providers.ixfr`), applies the delta to its copy and reports the
changed keys with the serial; it transfers the whole zone again every ``resync`` seconds, when the
server answers with the whole zone, and when the serial went backwards. A broken IXFR is an
incomplete observation of the zone as last seen, and the next observation is an AXFR. This module
sends AXFR and IXFR queries only: it has no update, notify or write path of any kind.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import dns.exception
import dns.name
import dns.query
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
from pydantic import Field, IPvAnyAddress

from recon.core.model import Key, Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.ixfr import Broken, Delta, Fallback, FullZone, Server, UpToDate, incremental_transfer, \
    transfer_failure
from recon.providers.names import DnsName
from recon.providers.settings import ProviderSettings, Secret, parse_settings, read_secret
from recon.providers.txt_registry import RegistryConfig, TxtRegistry
from recon.providers.zonecache import DeltaError, RecordCollector, ZoneCache


class DnsSettings(ProviderSettings):
    zone: DnsName = Field(description="zone to observe, e.g. example.test")
    server: IPvAnyAddress = Field(IPv4Address("127.0.0.1"),
                                  description="IP address of a server that allows AXFR of the zone "
                                              "(an address: names are not resolved)")
    port: int = Field(53, ge=1, le=65535)
    timeout: float = Field(10.0, gt=0, description="seconds to wait for each transfer message")
    lifetime: float = Field(120.0, gt=0, description="seconds the whole transfer may take")
    default_ttl: int = Field(3600, ge=0, description="TTL assumed for desired records that give none")
    registry: RegistryConfig = RegistryConfig()
    tsig_key_name: DnsName | None = Field(None, description="TSIG key name, if the server demands one for AXFR")
    tsig_algorithm: Literal["hmac-md5.sig-alg.reg.int", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha256-128",
                            "hmac-sha384", "hmac-sha384-192", "hmac-sha512", "hmac-sha512-256"] = "hmac-sha256"
    tsig_secret_env: str | None = Field(None, description="environment variable holding the base64 TSIG secret")
    tsig_secret_file: str | None = Field(None, description="file holding the base64 TSIG secret")
    ixfr: bool = Field(True, description="under watch, follow the zone by IXFR from the last serial seen; "
                                         "false: an AXFR every cycle")
    resync: float = Field(600.0, gt=0, description="under watch, seconds between full AXFRs that check the "
                                                   "incrementally kept zone, as informers resync")


def _canonical(origin: dns.name.Name, kind: str) -> Callable[[Mapping[str, Any]], Mapping[str, Any]]:
    """A normaliser hook for *kind*: values in canonical presentation form, absolute names, sorted."""

    def hook(spec: Mapping[str, Any]) -> Mapping[str, Any]:
        out = dict(spec)
        vals = out.get("values", ())
        vals = (vals,) if isinstance(vals, str) else tuple(vals)
        canon = []
        for v in vals:
            try:
                rd = dns.rdata.from_text(dns.rdataclass.IN, kind, str(v), origin=origin, relativize=False)
                wire = rd.to_digestable(origin)  # canonical form: names absolute and, where RFC 4034 says, lower case
                canon.append(dns.rdata.from_wire(dns.rdataclass.IN, kind, wire, 0, len(wire)).to_text())
            except Exception:  # an unparsable desired value stays as written, and so shows in the diff
                canon.append(str(v))
        out["values"] = tuple(sorted(canon))
        if isinstance(out.get("ttl"), str) and out["ttl"].isdigit():
            out["ttl"] = int(out["ttl"])
        return out

    return hook


def dns_normalizer(zone: str, default_ttl: int) -> Normalizer:
    """The normaliser for records of *zone*: TTL default, value order and value spelling."""
    origin = dns.name.from_text(zone)
    hooks = {dns.rdatatype.to_text(t): _canonical(origin, dns.rdatatype.to_text(t)) for t in dns.rdatatype.RdataType}
    return Normalizer(unordered=frozenset({"values"}), defaults={"*": {"ttl": default_ttl}}, hooks=hooks)


class DnsObserver:
    """Lists the records of one zone by AXFR; observed again, follows it by IXFR (see the module doc)."""

    def __init__(self, settings: DnsSettings, tsig_secret: Secret | None = None) -> None:
        self.settings = settings
        self.origin = dns.name.from_text(settings.zone)
        self.zone = self.origin.to_text(omit_final_dot=True)
        self.name = f"dns:{self.zone}@{settings.server}:{settings.port}"
        self.normalizer = dns_normalizer(settings.zone, settings.default_ttl)
        self.registry = TxtRegistry(settings.registry)
        self._keyring: dict[dns.name.Name, dns.tsig.Key] | None = None
        self._keyname: dns.name.Name | None = None
        if settings.tsig_key_name:
            if tsig_secret is None:
                raise ProviderError("provider dns: tsig_key_name given without tsig_secret_env or tsig_secret_file")
            self._keyname = dns.name.from_text(settings.tsig_key_name)
            try:
                key = dns.tsig.Key(self._keyname, tsig_secret.reveal(), settings.tsig_algorithm)
            except Exception:
                raise ProviderError(f"provider dns: TSIG secret from {tsig_secret.origin} is not valid base64 "
                                    f"for {settings.tsig_algorithm}") from None
            self._keyring = {self._keyname: key}
        self._server = Server(str(settings.server), settings.port, self.origin, settings.timeout, settings.lifetime,
                              self._keyring, self._keyname)
        # The zone as last transferred, kept by a long-lived observer to follow it by IXFR.
        self._cache: ZoneCache | None = None
        self._synced_at = 0.0

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> DnsObserver:
        s = parse_settings(DnsSettings, settings, "dns")
        secret = read_secret("dns", "tsig_secret", s.tsig_secret_env, s.tsig_secret_file, base_dir)
        return cls(s, secret)

    def observe(self) -> Observation:
        cache = self._cache
        if cache is None or time.monotonic() - self._synced_at >= self.settings.resync:
            return self._full()
        answer = incremental_transfer(self._server, cache.serial)
        if isinstance(answer, UpToDate):
            return self._observation(cache, since=cache.serial, changed=frozenset())
        if isinstance(answer, FullZone):
            return self._keep(answer.records.resources(), answer.serial)
        if isinstance(answer, Fallback):
            return self._full()
        since = cache.serial
        if isinstance(answer, Delta):
            try:
                changed = cache.apply(answer.changes, answer.serial)
            except DeltaError as e:
                answer = Broken(f"{self._server.where(since)}: {e}")
            else:
                return self._observation(cache, since=since, changed=changed)
        # Broken: the zone as last seen, incomplete, so that no delete is trusted; the next cycle
        # transfers the whole zone rather than build on a copy the server may disagree with.
        self._cache = None
        return self._observation(cache, reason=answer.reason)

    def _observation(self, cache: ZoneCache, since: int | None = None, changed: frozenset[Key] | None = None,
                     reason: str | None = None) -> Observation:
        # A copy of the managed dict, not a view: the cache moves on while the core holds this one.
        return Observation(MappingProxyType(dict(cache.managed)), reason is None, reason, self.name, time.time(),
                           version=str(cache.serial), since=None if since is None else str(since), changed=changed)

    def _keep(self, raw: dict[Key, Resource], serial: int) -> Observation:
        """Start following the zone from a whole transfer of it at *serial*."""
        cache = ZoneCache(self.registry, serial, raw)
        self._synced_at = time.monotonic()
        self._cache = cache if self.settings.ixfr else None
        return self._observation(cache)

    def _full(self) -> Observation:
        """One AXFR of the zone."""
        s = self.settings
        collector = RecordCollector(self.origin)
        soa_count = 0
        serial = 0
        last_type = ""
        started = False
        reason: str | None = None
        try:
            for msg in dns.query.xfr(str(s.server), self.origin, port=s.port, timeout=s.timeout, lifetime=s.lifetime,
                                     relativize=False, keyring=self._keyring, keyname=self._keyname):
                started = True
                for rrset in msg.answer:
                    last_type = rtype = dns.rdatatype.to_text(rrset.rdtype)
                    if rtype == "SOA":
                        soa_count += 1
                        serial = rrset[0].serial
                    else:
                        collector.add(rtype, rrset)
        except (dns.exception.DNSException, EOFError, OSError) as e:
            reason = transfer_failure(self._server.where(), e, started, f"after {len(collector.records)} RRsets",
                                      s.timeout)
        if reason is None and (soa_count < 2 or last_type != "SOA"):
            reason = f"{self._server.where()}: transfer did not end with the closing SOA"
        self._cache = None
        if reason is None:
            return self._keep(collector.resources(), serial)
        managed = self.registry.split(collector.resources())
        return Observation.of(managed.values(), complete=False, reason=reason, source=self.name,
                              observed_at=time.time())
