"""Incremental zone transfer (IXFR, RFC 1995) for the dns provider: what changed since a serial.

``incremental_transfer`` asks a server for the changes to a zone since a serial and says what the
server answered: the zone is unchanged, a delta (the RRs deleted and added, in order), the whole zone
(an AXFR-style answer, e.g. when its journal no longer reaches back), a reason to fall back to AXFR
(the serial went backwards, IXFR refused) or a broken transfer. dnspython's transfer state machine
checks the sequence (base serials, the closing SOA, TSIG on the first and last message); this
module records what it would apply instead of applying it. It sends IXFR queries only.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.transaction
import dns.tsig
import dns.xfr

from recon.providers.base import ProviderError
from recon.providers.zonecache import IGNORED, Change, RecordCollector


@dataclass(frozen=True, slots=True)
class Server:
    """Where and how to transfer a zone: the same for AXFR and IXFR."""

    address: str
    port: int
    origin: dns.name.Name
    timeout: float
    lifetime: float
    keyring: dict[dns.name.Name, dns.tsig.Key] | None = None
    keyname: dns.name.Name | None = None

    def where(self, serial: int | None = None) -> str:
        """The transfer, for messages: ``AXFR of ZONE from HOST port N``, or the IXFR since *serial*."""
        zone = self.origin.to_text(omit_final_dot=True)
        if serial is None:
            return f"AXFR of {zone} from {self.address} port {self.port}"
        return f"IXFR of {zone} from {self.address} port {self.port} since serial {serial}"


@dataclass(frozen=True, slots=True)
class UpToDate:
    """The zone is still at the serial asked from."""

    serial: int


@dataclass(frozen=True, slots=True)
class Delta:
    """The RRs deleted and added, in the server's order, to bring the zone to *serial*."""

    changes: tuple[Change, ...]
    serial: int


@dataclass(frozen=True, slots=True)
class FullZone:
    """The server answered with the whole zone (RFC 1995 section 4), as an AXFR would give it."""

    records: RecordCollector
    serial: int


@dataclass(frozen=True, slots=True)
class Fallback:
    """No incremental answer to use (the serial went backwards, IXFR refused): transfer the whole zone."""


@dataclass(frozen=True, slots=True)
class Broken:
    """The transfer started and broke: nothing of it may be applied."""

    reason: str


IxfrAnswer = UpToDate | Delta | FullZone | Fallback | Broken


def transfer_failure(where: str, e: BaseException, started: bool, progress: str, timeout: float) -> str:
    """Why a transfer that started broke off (an incomplete observation), or, if it never started,
    the ProviderError naming *where*, raised."""
    if isinstance(e, dns.xfr.TransferError):
        raise ProviderError(f"{where}: refused by the server ({dns.rcode.to_text(e.rcode)})") from None
    if isinstance(e, dns.tsig.PeerError):
        raise ProviderError(f"{where}: TSIG rejected by the server ({type(e).__name__})") from None
    if isinstance(e, (ConnectionRefusedError, socket.gaierror)):
        raise ProviderError(f"{where}: cannot connect: {e.strerror or e}") from None
    if isinstance(e, dns.exception.Timeout):
        if not started:
            raise ProviderError(f"{where}: no answer within {timeout:g}s") from None
        return f"{where}: timed out midway {progress}"
    if isinstance(e, (EOFError, OSError)):
        if not started:
            why = getattr(e, "strerror", None) or e or type(e).__name__
            raise ProviderError(f"{where}: connection failed: {why}") from None
        return f"{where}: connection closed midway {progress}, before the closing SOA"
    if not started:
        raise ProviderError(f"{where}: {type(e).__name__}: {e}") from None
    return f"{where}: broken transfer {progress}: {type(e).__name__}: {e}"


class _Recorder(dns.transaction.TransactionManager):
    """Stands in for the zone the transfer state machine writes to, and records what it is told."""

    def __init__(self, origin: dns.name.Name) -> None:
        self.origin = origin
        self.names = RecordCollector(origin)  # for relative names
        self.full: RecordCollector | None = None
        self.changes: list[Change] = []
        self.serial: int | None = None
        self.started = self.committed = False

    def origin_information(self) -> tuple[dns.name.Name, bool, dns.name.Name]:
        return self.origin, False, self.origin

    def get_class(self) -> dns.rdataclass.RdataClass:
        return dns.rdataclass.IN

    def reader(self) -> Any:
        raise NotImplementedError("an IXFR from a given serial never reads the zone")

    def writer(self, replacement: bool = False) -> Any:
        self.started = True
        if replacement:  # an AXFR-style answer: what was recorded so far is dropped
            self.full, self.changes = RecordCollector(self.origin), []
        return _Transaction(self)


class _Transaction:
    """The calls dns.xfr.Inbound makes on a zone transaction, recorded on the _Recorder."""

    def __init__(self, recorder: _Recorder) -> None:
        self.rec = recorder

    def add(self, name: dns.name.Name, rrset: dns.rrset.RRset) -> None:
        self._record(True, rrset)

    def delete_exact(self, name: dns.name.Name, rrset: dns.rrset.RRset) -> None:
        self._record(False, rrset)

    def _record(self, added: bool, rrset: dns.rrset.RRset) -> None:
        rtype = dns.rdatatype.to_text(rrset.rdtype)
        if self.rec.full is not None:
            self.rec.full.add(rtype, rrset)
        elif rtype not in IGNORED:
            key = (rtype, self.rec.names.relative(rrset.name))
            self.rec.changes.extend(Change(added, key, rrset.ttl, r.to_text()) for r in rrset)

    def replace(self, name: dns.name.Name, rrset: dns.rrset.RRset) -> None:
        # Inbound replaces only the origin's SOA: at each addition set and at the closing SOA.
        if rrset.rdtype == dns.rdatatype.SOA:
            self.rec.serial = rrset[0].serial

    def commit(self) -> None:
        self.rec.committed = True

    def rollback(self) -> None:
        pass


def incremental_transfer(server: Server, serial: int) -> IxfrAnswer:
    """Ask *server* for the changes to its zone since *serial* (see the module doc for the answers).
    Raises ProviderError if the transfer cannot start (unreachable, no answer, TSIG rejected)."""
    query = dns.message.make_query(server.origin, dns.rdatatype.IXFR, dns.rdataclass.IN)
    query.find_rrset(query.authority, server.origin, dns.rdataclass.IN, dns.rdatatype.SOA, create=True).add(
        dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, f". . {serial} 0 0 0 0"), 0)
    if server.keyring is not None:
        query.use_tsig(server.keyring, server.keyname)
    rec = _Recorder(server.origin)
    try:
        dns.query.inbound_xfr(server.address, rec, query, port=server.port, timeout=server.timeout,
                              lifetime=server.lifetime)
    except (dns.xfr.SerialWentBackwards, dns.xfr.TransferError):
        # An error code, e.g. NOTIMP from a server without IXFR: the AXFR that follows reports a
        # refusal in its own words.
        return Fallback()
    except (dns.exception.DNSException, EOFError, OSError) as e:
        progress = (f"after {len(rec.changes)} changed RRs" if rec.full is None else
                    f"after {len(rec.full.records)} RRsets of the whole zone")
        return Broken(transfer_failure(server.where(serial), e, rec.started, progress, server.timeout))
    if not rec.committed:
        return UpToDate(serial)
    assert rec.serial is not None  # the closing SOA was seen, or nothing is committed
    return FullZone(rec.full, rec.serial) if rec.full is not None else Delta(tuple(rec.changes), rec.serial)
