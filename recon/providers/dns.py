"""Observe one DNS zone by AXFR (dnspython), from any RFC-compliant server. Observer only.

Each RRset becomes a resource: ``kind`` is the record type, ``name`` the owner name relative to the
zone (``@`` for the apex, lower case), ``spec`` is ``{ttl, values}`` with the values in presentation
form, absolute names, sorted. The SOA, DNSSEC records and the TXT ownership markers (see
:mod:`recon.providers.txt_registry`) are not managed resources. A transfer that cannot start
(refused, unreachable, TSIG rejected) raises :class:`ProviderError`; one that starts and breaks off,
or does not end with the closing SOA, is an incomplete observation with the reason, never a short
list. This module sends AXFR queries only: it has no update, notify or write path of any kind.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import dns.exception
import dns.name
import dns.query
import dns.rdata
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.xfr
from pydantic import Field, IPvAnyAddress

from recon.core.model import Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.names import DnsName
from recon.providers.settings import ProviderSettings, Secret, parse_settings, read_secret
from recon.providers.txt_registry import RegistryConfig, TxtRegistry

# Never managed: the SOA belongs to the server, DNSSEC records to the signer.
_IGNORED = frozenset({"SOA", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "DNSKEY", "CDS", "CDNSKEY", "TYPE65534"})


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
    """Lists the records of one zone by AXFR."""

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

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> DnsObserver:
        s = parse_settings(DnsSettings, settings, "dns")
        secret = read_secret("dns", "tsig_secret", s.tsig_secret_env, s.tsig_secret_file, base_dir)
        return cls(s, secret)

    def _where(self) -> str:
        return f"AXFR of {self.zone} from {self.settings.server} port {self.settings.port}"

    def observe(self) -> Observation:
        s = self.settings
        records: dict[tuple[str, str], tuple[int, list[str]]] = {}
        soa_count = 0
        last_type = ""
        origin = self.origin
        apex = origin.to_text().lower()
        suffix, cut = "." + apex, -len(apex) - 1
        started = False
        reason: str | None = None
        try:
            for msg in dns.query.xfr(str(s.server), origin, port=s.port, timeout=s.timeout, lifetime=s.lifetime,
                                     relativize=False, keyring=self._keyring, keyname=self._keyname):
                started = True
                for rrset in msg.answer:
                    rtype = dns.rdatatype.to_text(rrset.rdtype)
                    last_type = rtype
                    if rtype == "SOA":
                        soa_count += 1
                        continue
                    if rtype in _IGNORED:
                        continue
                    # Relative name by string: the same as Name.relativize(), at a fraction of the cost.
                    full = rrset.name.to_text().lower()
                    name = full[:cut] if full.endswith(suffix) else ("@" if full == apex else full)
                    entry = records.get((rtype, name))
                    if entry is None:
                        records[(rtype, name)] = (rrset.ttl, [r.to_text() for r in rrset])
                    else:
                        entry[1].extend(r.to_text() for r in rrset)
        except dns.xfr.TransferError as e:
            raise ProviderError(f"{self._where()}: refused by the server ({dns.rcode.to_text(e.rcode)})") from None
        except dns.tsig.PeerError as e:
            raise ProviderError(f"{self._where()}: TSIG rejected by the server ({type(e).__name__})") from None
        except (ConnectionRefusedError, socket.gaierror) as e:
            raise ProviderError(f"{self._where()}: cannot connect: {e.strerror or e}") from None
        except dns.exception.Timeout:
            if not started:
                raise ProviderError(f"{self._where()}: no answer within {s.timeout:g}s") from None
            reason = f"{self._where()}: timed out midway after {len(records)} RRsets"
        except (EOFError, ConnectionError, OSError) as e:
            if not started:
                raise ProviderError(f"{self._where()}: connection failed: {getattr(e, 'strerror', None) or e or type(e).__name__}") from None
            reason = f"{self._where()}: connection closed midway after {len(records)} RRsets, before the closing SOA"
        except dns.exception.DNSException as e:
            if not started:
                raise ProviderError(f"{self._where()}: {type(e).__name__}: {e}") from None
            reason = f"{self._where()}: broken transfer after {len(records)} RRsets: {type(e).__name__}: {e}"
        if reason is None and (soa_count < 2 or last_type != "SOA"):
            reason = f"{self._where()}: transfer did not end with the closing SOA"
        resources = {}
        for (rtype, name), (ttl, values) in records.items():
            values.sort()  # spec built frozen here, so Resource need not walk it again
            resources[(rtype, name)] = Resource(rtype, name, MappingProxyType({"ttl": ttl, "values": tuple(values)}))
        managed = self.registry.split(resources)
        return Observation.of(managed.values(), complete=reason is None, reason=reason, source=self.name,
                              observed_at=time.time())
