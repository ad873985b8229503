"""Observe AWS through boto3: the rules of one security group, the record sets of one Route53 zone.
Observer only: the calls made are Describe*, Get* and List*, nothing else.

Credentials come from boto3's standard chain (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` /
``AWS_SESSION_TOKEN`` or the shared files); settings that would put a key in the config are refused.
Listings are paginated; a page that fails after the first one (an error, throttling that outlasts
the retries, a broken connection) makes the observation incomplete with the reason, and a failure
before any page arrived is an error naming the API, the group or zone, and the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field

from recon.core.model import Observation, Resource
from recon.core.normalize import Normalizer
from recon.providers.base import ProviderError
from recon.providers.dns import dns_normalizer
from recon.providers.names import AwsRegion, DnsName, HostedZoneId, HttpUrl, PlainText, SecurityGroupId
from recon.providers.settings import ProviderSettings, parse_settings
from recon.providers.txt_registry import RegistryConfig, TxtRegistry


class AwsSettings(ProviderSettings):
    region: AwsRegion | None = Field(None, description="region; default from AWS_DEFAULT_REGION, else us-east-1")
    endpoint_url: HttpUrl | None = Field(None, description="API endpoint (for moto or a VPC endpoint)")
    page_size: int | None = Field(None, ge=1, le=1000, description="items per page")
    max_attempts: int = Field(3, ge=1, le=10, description="attempts per call, throttling included")
    timeout: float = Field(30.0, gt=0)


def _client(service: str, s: AwsSettings) -> Any:
    import os

    import boto3
    from botocore.config import Config

    cfg = Config(retries={"mode": "standard", "max_attempts": s.max_attempts}, connect_timeout=s.timeout,
                 read_timeout=s.timeout)
    region = s.region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
    return boto3.session.Session().client(service, region_name=region, endpoint_url=s.endpoint_url, config=cfg)


class _ClientOnce:
    """One boto3 client per observer, built on first use: a new session each cycle costs a tenth of a
    second or more and walks the credential chain again. A bad endpoint or region is a ProviderError."""

    name: str
    settings: AwsSettings
    _service: str
    _client_obj: Any = None

    def _api(self) -> Any:
        if self._client_obj is None:
            try:
                self._client_obj = _client(self._service, self.settings)
            except Exception as e:
                raise ProviderError(f"{self.name}: cannot set up the {self._service} client: {_describe(e)}") from None
        return self._client_obj


def _describe(e: BaseException) -> str:
    """An AWS failure in one line: the error code and message, never request headers or keys."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(e, NoCredentialsError):
        return "no AWS credentials (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a shared credentials file)"
    if isinstance(e, ClientError):
        err = e.response.get("Error", {})
        return f"{err.get('Code', 'error')}: {err.get('Message', '')}".strip()
    return f"{type(e).__name__}: {e}"


def collect(pages: Iterator[Mapping[str, Any]], key: str, where: str) -> tuple[list[Any], str | None]:
    """All items under *key* across *pages*, and the reason if a page after the first failed."""
    from botocore.exceptions import BotoCoreError, ClientError

    items: list[Any] = []
    n = 0
    try:
        for page in pages:
            n += 1
            items.extend(page.get(key, ()))
    except (ClientError, BotoCoreError) as e:
        if n == 0:
            raise ProviderError(f"{where}: {_describe(e)}") from None
        return items, f"{where}: page {n + 1} failed after {len(items)} items: {_describe(e)}"
    return items, None


def _pages(client: Any, op: str, page_size: int | None, **kw: Any) -> Iterator[Mapping[str, Any]]:
    cfg = {"PageSize": page_size} if page_size else {}
    return iter(client.get_paginator(op).paginate(PaginationConfig=cfg, **kw))


class SecurityGroupSettings(AwsSettings):
    group_id: SecurityGroupId = Field(description="sg- and 8 or 17 hex digits")
    owner_tag: PlainText = Field("recon-owner", description="tag on a rule whose value is its owner")


def _ports(r: Mapping[str, Any]) -> str:
    lo, hi = r.get("FromPort"), r.get("ToPort")
    if lo in (None, -1) and hi in (None, -1):
        return "all"
    return str(lo) if lo == hi else f"{lo}-{hi}"


def _peer(r: Mapping[str, Any]) -> str:
    ref = r.get("ReferencedGroupInfo") or {}
    return r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("PrefixListId") or ref.get("GroupId") or "?"


class SecurityGroupObserver(_ClientOnce):
    """Lists the ingress and egress rules of one security group.

    A rule is ``kind: ingress|egress``, ``name: <protocol>:<ports>:<peer>`` (``tcp:22:10.0.0.0/8``,
    ``all:all:0.0.0.0/0``), ``spec: {description, tags}``; its owner is the ``owner_tag`` tag.
    """

    _service = "ec2"
    normalizer = Normalizer(unordered=frozenset(), defaults={"*": {"description": None, "tags": {}}})

    def __init__(self, settings: SecurityGroupSettings) -> None:
        self.settings = settings
        self.name = f"aws-security-group:{settings.group_id}" + (f"@{settings.endpoint_url}" if settings.endpoint_url else "")

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> SecurityGroupObserver:
        return cls(parse_settings(SecurityGroupSettings, settings, "aws-security-group"))

    def observe(self) -> Observation:
        s = self.settings
        ec2 = self._api()
        try:
            ec2.describe_security_groups(GroupIds=[s.group_id])
        except Exception as e:
            raise ProviderError(f"{self.name}: DescribeSecurityGroups: {_describe(e)}") from None
        rules, reason = collect(_pages(ec2, "describe_security_group_rules", s.page_size,
                                       Filters=[{"Name": "group-id", "Values": [s.group_id]}]),
                                "SecurityGroupRules", f"{self.name}: DescribeSecurityGroupRules")
        out: dict[tuple[str, str], Resource] = {}
        for r in rules:
            if r.get("GroupId") not in (None, s.group_id):
                continue
            proto = r.get("IpProtocol", "-1")
            name = f"{'all' if proto == '-1' else proto}:{_ports(r)}:{_peer(r)}"
            kind = "egress" if r.get("IsEgress") else "ingress"
            if (kind, name) in out:
                name = f"{name}#{r.get('SecurityGroupRuleId')}"
            tags = {t["Key"]: t["Value"] for t in r.get("Tags", ())}
            owner = tags.pop(s.owner_tag, None)
            out[(kind, name)] = Resource(kind, name, {"description": r.get("Description"), "tags": tags}, owner)
        return Observation.of(out.values(), complete=reason is None, reason=reason, source=self.name,
                              observed_at=time.time())


class Route53Settings(AwsSettings):
    hosted_zone_id: HostedZoneId
    zone: DnsName | None = Field(None, description="the zone's name; checked against the hosted zone if given")
    default_ttl: int = Field(300, ge=0)
    registry: RegistryConfig = RegistryConfig()


class Route53Observer(_ClientOnce):
    """Lists the record sets of one hosted zone, like the dns provider lists a zone.

    ``kind`` is the type, ``name`` is relative to the zone (``@`` for the apex; ``name#set-id`` for
    records with a SetIdentifier), ``spec`` is ``{ttl, values}`` or ``{alias}`` plus any routing
    fields. The SOA and the apex NS (owned by Route53) and the TXT ownership markers are left out.
    """

    _service = "route53"

    def __init__(self, settings: Route53Settings) -> None:
        self.settings = settings
        self.name = f"aws-route53:{settings.hosted_zone_id}" + (f"@{settings.endpoint_url}" if settings.endpoint_url else "")
        self.zone = (settings.zone or "").rstrip(".")
        self.registry = TxtRegistry(settings.registry)
        self.normalizer = dns_normalizer(self.zone or ".", settings.default_ttl)

    @classmethod
    def from_config(cls, settings: Mapping[str, Any], base_dir: Path) -> Route53Observer:
        return cls(parse_settings(Route53Settings, settings, "aws-route53"))

    def _zone_name(self, r53: Any) -> str:
        try:
            name = r53.get_hosted_zone(Id=self.settings.hosted_zone_id)["HostedZone"]["Name"].rstrip(".")
        except Exception as e:
            raise ProviderError(f"{self.name}: GetHostedZone: {_describe(e)}") from None
        if self.zone and self.zone.lower() != name.lower():
            raise ProviderError(f"{self.name}: hosted zone is {name}, but the config says zone: {self.zone}")
        if not self.zone:
            self.zone = name
            self.normalizer = dns_normalizer(name, self.settings.default_ttl)
        return name

    def _relative(self, fqdn: str, zone: str) -> str:
        n = fqdn.rstrip(".").replace("\\052", "*").lower()
        z = zone.lower()
        if n == z:
            return "@"
        return n[: -len(z) - 1] if n.endswith("." + z) else n + "."

    def _resources(self, sets: Iterable[Mapping[str, Any]], zone: str) -> Iterator[Resource]:
        for rs in sets:
            rtype, name = rs["Type"], self._relative(rs["Name"], zone)
            if rtype == "SOA" or (rtype == "NS" and name == "@"):
                continue
            if rs.get("SetIdentifier"):
                name = f"{name}#{rs['SetIdentifier']}"
            spec: dict[str, Any] = {}
            if "AliasTarget" in rs:
                a = rs["AliasTarget"]
                spec["alias"] = {"dns_name": a["DNSName"], "hosted_zone_id": a["HostedZoneId"],
                                 "evaluate_target_health": a.get("EvaluateTargetHealth", False)}
            else:
                spec["ttl"] = rs.get("TTL")
                spec["values"] = sorted(v["Value"] for v in rs.get("ResourceRecords", ()))
            extra = {k: v for k, v in rs.items()
                     if k not in ("Name", "Type", "TTL", "ResourceRecords", "AliasTarget", "SetIdentifier")}
            if extra:
                spec["routing"] = extra
            yield Resource(rtype, name, spec)

    def observe(self) -> Observation:
        s = self.settings
        r53 = self._api()
        zone = self._zone_name(r53)
        sets, reason = collect(_pages(r53, "list_resource_record_sets", s.page_size, HostedZoneId=s.hosted_zone_id),
                               "ResourceRecordSets", f"{self.name}: ListResourceRecordSets")
        by_key = {r.key: r for r in self._resources(sets, zone)}
        managed = self.registry.split(by_key)
        return Observation.of(managed.values(), complete=reason is None, reason=reason, source=self.name,
                              observed_at=time.time())
