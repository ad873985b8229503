"""pytest fixtures that start and stop real servers on loopback (loaded by tests/conftest.py).

Every fixture checks its binary with ``require_binary`` (a missing binary skips outside CI and
fails with CI=true) and removes everything it started or wrote when its scope ends.

DNS (BIND 9, one ``named`` per session on a 127.0.0.1 high port):

- ``bind_server`` -> :class:`tests.servers.bind.BindServer` (``.port``, ``.add_zone(...)``).
- ``bind_zone`` -> :class:`tests.servers.bind.BindZone`: a fresh zone per test holding
  ``DEFAULT_RECORDS`` (plus SOA, ``NS ns1`` and ``ns1 A 127.0.0.1``). Attributes ``server``,
  ``port``, ``zone``; ``add(name, type, ttl, *values)``, ``delete(name, type=None)``,
  ``replace(name, type, ttl, *values)`` by TSIG-signed RFC 2136 update; ``axfr()`` returns
  ``{(type, name): (ttl, sorted values)}`` with the SOA; ``serial()``.
- ``bind_zone_factory(records=None, zone=None, allow_transfer=True, text=None)`` -> BindZone, for
  zones with other contents, with AXFR refused, or (``allow_transfer="tsig"``) allowed only when
  signed with the update key (``BindServer.update_secret``).
- Updates go to the zone's journal, which answers IXFR; ``BindServer.transfers(zone)`` lists the
  transfers BIND logged, ``drop_journal`` and ``reload_zone`` make it answer IXFR in full or with a
  serial gone backwards.

PostgreSQL, nftables and moto fixtures are documented in their modules below and re-exported here:
``pg_cluster`` / ``pg_roles`` (tests.servers.postgres), ``netns`` (tests.servers.nft) and
``moto_server`` (tests.servers.moto).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import pytest

from tests.conftest import require_binary
from tests.servers.bind import BindServer, BindZone, Records
from tests.servers.moto import moto_server  # noqa: F401  (fixture)
from tests.servers.nft import netns  # noqa: F401  (fixture)
from tests.servers.postgres import pg_cluster, pg_roles  # noqa: F401  (fixtures)

DEFAULT_RECORDS: Records = {
    ("A", "www"): (300, ["192.0.2.10", "192.0.2.11"]),
    ("AAAA", "www"): (300, ["2001:db8::10"]),
    ("CNAME", "docs"): (3600, ["www.{zone}."]),
    ("MX", "@"): (3600, ["10 mail.{zone}."]),
    ("A", "mail"): (3600, ["192.0.2.25"]),
    ("TXT", "@"): (3600, ['"v=spf1 mx -all"']),
}


def records_for(zone: str, records: Records) -> Records:
    """*records* with ``{zone}`` in values replaced by the zone name."""
    return {k: (ttl, [v.replace("{zone}", zone) for v in vals]) for k, (ttl, vals) in records.items()}


@pytest.fixture(scope="session")
def bind_server() -> Iterator[BindServer]:
    require_binary("named", "/usr/sbin/named")
    require_binary("rndc", "/usr/sbin/rndc")
    with BindServer() as server:
        yield server


@pytest.fixture
def bind_zone_factory(bind_server: BindServer) -> Iterator[Callable[..., BindZone]]:
    made: list[str] = []

    def make(records: Records | None = None, zone: str | None = None, allow_transfer: bool | Literal["tsig"] = True,
             text: str | None = None) -> BindZone:
        name = zone or bind_server.new_zone_name()
        if text is not None:
            z = bind_server.add_zone(name, text=text, allow_transfer=allow_transfer)
        else:
            recs = records_for(name, DEFAULT_RECORDS if records is None else records)
            z = bind_server.add_zone(name, recs, allow_transfer=allow_transfer)
        made.append(z.zone)
        return z

    yield make
    for name in made:
        bind_server.delete_zone(name)


@pytest.fixture
def bind_zone(bind_zone_factory: Callable[..., BindZone]) -> BindZone:
    return bind_zone_factory()
