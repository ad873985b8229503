"""Misbehaving transfer servers on loopback, for testing that broken transfers are never short lists.

``BrokenAxfrServer`` answers every AXFR with the real records of an upstream zone (transferred from
BIND when the query arrives) but breaks the transfer on the wire, by *mode*:

- ``cut``: sends the first message (opening SOA and a few RRsets) and closes the connection;
- ``no-closing-soa``: sends every record except the closing SOA, then closes;
- ``stall``: sends the first message and then says nothing until the client gives up.

``BrokenIxfrServer`` serves AXFR faithfully (so an observer can start from it) and breaks every IXFR
of the real changes since the asked serial (transferred from BIND when the query arrives), by *mode*:

- ``cut``: sends the first half of the answer and closes the connection;
- ``serial-mismatch``: the first deletion set starts from a serial other than the one asked from;
- ``unknown-deletion``: the first deletion set also deletes an A record the zone never held;
- ``garbage``: sends the first half, then a message that is not DNS;
- ``notimp``: answers NOTIMP, as a server without IXFR may.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.message
import dns.query
import dns.rcode
import dns.name
import dns.rrset
import dns.xfr

from tests.servers.bind import BindZone


def _frame(msg: dns.message.Message) -> bytes:
    wire = msg.to_wire(max_size=65535)
    return struct.pack("!H", len(wire)) + wire


class _FaultServer:
    """A threaded TCP DNS server on 127.0.0.1 that answers each query with ``self._answer``."""

    MODES: tuple[str, ...] = ()

    def __init__(self, upstream: BindZone, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        self.upstream, self.mode = upstream, mode
        self._release = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                (n,) = struct.unpack("!H", self.request.recv(2))
                outer._answer(self.request, dns.message.from_wire(self.request.recv(n)))
                self.request.shutdown(socket.SHUT_RDWR)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=True)
        self._server.daemon_threads = True
        self.server, self.port = "127.0.0.1", self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _upstream(self, rdtype: str = "AXFR", serial: int = 0) -> list[dns.rrset.RRset]:
        """The upstream zone's answer to an AXFR, or to an IXFR since *serial*, as a list of RRsets."""
        out: list[dns.rrset.RRset] = []
        for msg in dns.query.xfr(self.upstream.server, self.upstream.zone, rdtype=rdtype, serial=serial,
                                 port=self.upstream.port, timeout=10, relativize=False):
            out.extend(msg.answer)
        return out

    def _answer(self, sock: socket.socket, query: dns.message.Message) -> None:
        raise NotImplementedError

    def __enter__(self) -> _FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()


def _send(sock: socket.socket, query: dns.message.Message, rrsets: list[dns.rrset.RRset]) -> None:
    msg = dns.message.make_response(query)
    msg.answer = rrsets
    sock.sendall(_frame(msg))


class BrokenAxfrServer(_FaultServer):
    """Breaks every AXFR it serves (see the module doc)."""

    MODES = ("cut", "no-closing-soa", "stall")

    def _answer(self, sock: socket.socket, query: dns.message.Message) -> None:
        rrsets = self._upstream()  # opening SOA, records, closing SOA
        if self.mode == "no-closing-soa":
            _send(sock, query, rrsets[:-1])
            return
        _send(sock, query, rrsets[: max(2, len(rrsets) // 2)])
        if self.mode == "stall":
            self._release.wait(60)


class BrokenIxfrServer(_FaultServer):
    """Serves AXFR as the upstream does and breaks every IXFR (see the module doc)."""

    MODES = ("cut", "serial-mismatch", "unknown-deletion", "garbage", "notimp")

    def _answer(self, sock: socket.socket, query: dns.message.Message) -> None:
        serial = dns.xfr.extract_serial_from_query(query)
        if serial is None:
            _send(sock, query, self._upstream())
            return
        if self.mode == "notimp":
            msg = dns.message.make_response(query)
            msg.set_rcode(dns.rcode.NOTIMP)
            sock.sendall(_frame(msg))
            return
        rrsets = self._upstream("IXFR", serial)  # new SOA, (old SOA, deletions, SOA, additions)..., new SOA
        origin = self.upstream.origin
        if self.mode == "serial-mismatch":
            old = rrsets[1][0]
            rrsets[1] = dns.rrset.from_rdata(origin, rrsets[1].ttl, old.replace(serial=old.serial + 1000))
        elif self.mode == "unknown-deletion":
            rrsets.insert(2, dns.rrset.from_text(dns.name.from_text("never", origin), 300, "IN", "A", "192.0.2.254"))
        half = max(2, len(rrsets) // 2)
        _send(sock, query, rrsets[:half])
        if self.mode == "garbage":
            sock.sendall(struct.pack("!H", 5) + b"\x00\x01junk")
        if self.mode not in ("cut", "garbage"):
            _send(sock, query, rrsets[half:])
