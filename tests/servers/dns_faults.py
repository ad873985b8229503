"""A misbehaving AXFR server on loopback, for testing that broken transfers are never short lists.

``BrokenAxfrServer`` answers every AXFR with the real records of an upstream zone (transferred from
BIND when the query arrives) but breaks the transfer on the wire, by *mode*:

- ``cut``: sends the first message (opening SOA and a few RRsets) and closes the connection;
- ``no-closing-soa``: sends every record except the closing SOA, then closes;
- ``stall``: sends the first message and then says nothing until the client gives up.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading

import dns.message
import dns.query
import dns.rrset

from tests.servers.bind import BindZone


def _frame(msg: dns.message.Message) -> bytes:
    wire = msg.to_wire(max_size=65535)
    return struct.pack("!H", len(wire)) + wire


class BrokenAxfrServer:
    """A TCP DNS server on 127.0.0.1 that breaks every AXFR it serves (see the module doc)."""

    MODES = ("cut", "no-closing-soa", "stall")

    def __init__(self, upstream: BindZone, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"mode must be one of {self.MODES}")
        self.upstream, self.mode = upstream, mode
        self._release = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=True)
        self._server.daemon_threads = True
        self.server, self.port = "127.0.0.1", self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _rrsets(self) -> list[dns.rrset.RRset]:
        out: list[dns.rrset.RRset] = []
        for msg in dns.query.xfr(self.upstream.server, self.upstream.zone, port=self.upstream.port, timeout=10,
                                 relativize=False):
            out.extend(msg.answer)
        return out

    def _serve(self, sock: socket.socket) -> None:
        (n,) = struct.unpack("!H", sock.recv(2))
        query = dns.message.from_wire(sock.recv(n))
        rrsets = self._rrsets()  # opening SOA, records, closing SOA
        first = dns.message.make_response(query)
        if self.mode == "no-closing-soa":
            first.answer = rrsets[:-1]
            sock.sendall(_frame(first))
        else:
            first.answer = rrsets[: max(2, len(rrsets) // 2)]
            sock.sendall(_frame(first))
            if self.mode == "stall":
                self._release.wait(60)
        sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> BrokenAxfrServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
