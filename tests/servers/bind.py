"""A BIND 9 server on a loopback high port, and zones on it for tests and benchmarks.

``BindServer`` runs one ``named`` with a generated configuration (rndc on loopback, new zones
allowed). ``BindServer.add_zone`` writes a zone file and adds the zone with ``rndc addzone``;
AXFR and IXFR are allowed from 127.0.0.1 unless asked otherwise, and RFC 2136 updates are accepted
only when signed with the server's TSIG update key; the updates go to a journal, from which IXFRs
are answered however large the delta (``max-ixfr-ratio unlimited``). ``BindZone`` is what tests
hold: address, port, zone name, ``add`` / ``delete`` / ``replace`` through dynamic update,
``axfr()`` and ``serial()``.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import dns.message
import dns.name
import dns.query
import dns.rdatatype
import dns.rcode
import dns.tsigkeyring
import dns.update

from tests.servers.process import free_port, random_b64, spawn, stop, tcp_open, wait_for

Records = Mapping[tuple[str, str], tuple[int, Iterable[str]]]
UPDATE_KEY = "recon-test-update."
_zone_ids = itertools.count(1)


def find_named() -> str | None:
    return shutil.which("named") or (p if Path(p := "/usr/sbin/named").exists() else None)


@dataclass
class BindZone:
    """One zone on a running BIND: the handle tests use to build a known state and check it."""

    server: str
    port: int
    zone: str
    keyring: dict = field(repr=False)

    @property
    def origin(self) -> dns.name.Name:
        return dns.name.from_text(self.zone)

    def _send(self, upd: dns.update.UpdateMessage) -> None:
        resp = dns.query.tcp(upd, self.server, port=self.port, timeout=10)
        if resp.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"update of {self.zone} refused: {dns.rcode.to_text(resp.rcode())}")

    def _update(self) -> dns.update.UpdateMessage:
        return dns.update.UpdateMessage(self.origin, keyring=self.keyring, keyname=dns.name.from_text(UPDATE_KEY),
                                        keyalgorithm="hmac-sha256")

    def add(self, name: str, rtype: str, ttl: int, *values: str) -> None:
        """Add *values* to the RRset (*name*, *rtype*); *name* is relative ('@' for the apex)."""
        upd = self._update()
        for v in values:
            upd.add(name, ttl, rtype, v)
        self._send(upd)

    def delete(self, name: str, rtype: str | None = None) -> None:
        """Delete the RRset (*name*, *rtype*), or every RRset at *name*."""
        upd = self._update()
        if rtype is None:
            upd.delete(name)
        else:
            upd.delete(name, rtype)
        self._send(upd)

    def replace(self, name: str, rtype: str, ttl: int, *values: str) -> None:
        """Replace the RRset (*name*, *rtype*) with *values* at *ttl*."""
        upd = self._update()
        upd.replace(name, ttl, rtype, *values)
        self._send(upd)

    def axfr(self) -> dict[tuple[str, str], tuple[int, tuple[str, ...]]]:
        """The whole zone, SOA included, as {(type, relative name): (ttl, sorted values)}."""
        out: dict[tuple[str, str], tuple[int, list[str]]] = {}
        for msg in dns.query.xfr(self.server, self.zone, port=self.port, timeout=10, relativize=False):
            for rrset in msg.answer:
                key = (dns.rdatatype.to_text(rrset.rdtype), rrset.name.relativize(self.origin).to_text())
                ttl, vals = out.setdefault(key, (rrset.ttl, []))
                if key[0] == "SOA" and vals:
                    continue  # the closing SOA repeats the opening one
                vals.extend(r.to_text() for r in rrset)
        return {k: (t, tuple(sorted(v))) for k, (t, v) in out.items()}

    def serial(self) -> int:
        q = dns.message.make_query(self.zone, "SOA")
        resp = dns.query.tcp(q, self.server, port=self.port, timeout=10)
        return int(resp.answer[0][0].serial)


def zone_text(zone: str, records: Records, serial: int = 1, default_ttl: int = 3600) -> str:
    """A zone file: SOA, NS ns1 with its address, then *records* {(type, name): (ttl, values)}."""
    origin = zone.rstrip(".") + "."
    lines = [f"$ORIGIN {origin}", f"$TTL {default_ttl}",
             f"@ {default_ttl} IN SOA ns1.{origin} hostmaster.{origin} {serial} 3600 600 86400 300",
             f"@ {default_ttl} IN NS ns1.{origin}", f"ns1 {default_ttl} IN A 127.0.0.1"]
    for (rtype, name), (ttl, values) in records.items():
        lines.extend(f"{name} {ttl} IN {rtype} {v}" for v in values)
    return "\n".join(lines) + "\n"


class BindServer:
    """One ``named`` process on 127.0.0.1 with rndc control; stop() removes everything it made."""

    def __init__(self, workdir: Path | None = None) -> None:
        self.dir = Path(workdir or tempfile.mkdtemp(prefix="recon-bind-"))
        self.port, self.rndc_port = free_port(), free_port()
        self.update_secret = random_b64()
        self.keyring = dns.tsigkeyring.from_text({UPDATE_KEY: ("hmac-sha256", self.update_secret)})
        self.proc: subprocess.Popen | None = None
        self.log = self.dir / "named.log"

    def _write_config(self) -> None:
        rndc_secret = random_b64()
        d = self.dir
        (d / "rndc.conf").write_text(
            f'key "rndc-key" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};\n'
            f'options {{ default-key "rndc-key"; default-server 127.0.0.1; default-port {self.rndc_port}; }};\n')
        (d / "named.conf").write_text(f"""
key "rndc-key" {{ algorithm hmac-sha256; secret "{rndc_secret}"; }};
key "{UPDATE_KEY}" {{ algorithm hmac-sha256; secret "{self.update_secret}"; }};
controls {{ inet 127.0.0.1 port {self.rndc_port} allow {{ 127.0.0.1; }} keys {{ "rndc-key"; }}; }};
options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {self.port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  notify no;
  dnssec-validation no;
  allow-new-zones yes;
  allow-query {{ 127.0.0.1; }};
  max-journal-size 10M;
  transfer-message-size 65535;
  max-ixfr-ratio unlimited;
}};
""")

    def start(self) -> BindServer:
        named = find_named()
        if named is None:
            raise RuntimeError("named not found")
        self._write_config()
        self.proc = spawn([named, "-g", "-n", "1", "-c", str(self.dir / "named.conf")], self.log)
        wait_for(lambda: tcp_open(self.port) and self.rndc("status").returncode == 0, "named", proc=self.proc,
                 log=self.log)
        return self

    def rndc(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["rndc", "-c", str(self.dir / "rndc.conf"), *args], capture_output=True, text=True,
                              timeout=30)

    def add_zone(self, zone: str | None = None, records: Records | None = None, *, text: str | None = None,
                 allow_transfer: bool | Literal["tsig"] = True) -> BindZone:
        """Serve a new zone (default name ``z<N>.test``) holding *records* or the zone file *text*;
        *allow_transfer* ``"tsig"`` allows transfers signed with the update key only."""
        zone = (zone or self.new_zone_name()).rstrip(".")
        path = self.dir / f"{zone}.zone"
        path.write_text(text if text is not None else zone_text(zone, records or {}))
        xfr = f'key "{UPDATE_KEY}";' if allow_transfer == "tsig" else "127.0.0.1;" if allow_transfer else "none;"
        spec = (f'{{ type primary; file "{path}"; allow-transfer {{ {xfr} }}; '
                f'allow-update {{ key "{UPDATE_KEY}"; }}; }};')
        r = self.rndc("addzone", zone, spec)
        if r.returncode != 0:
            raise RuntimeError(f"rndc addzone {zone}: {r.stderr or r.stdout}")
        bz = BindZone("127.0.0.1", self.port, zone, self.keyring)
        wait_for(lambda: bz.serial() >= 0, f"zone {zone} loading", log=self.log)
        return bz

    def new_zone_name(self) -> str:
        return f"z{next(_zone_ids)}.test"

    def delete_zone(self, zone: str) -> None:
        self.rndc("delzone", "-clean", zone)

    def transfers(self, zone: str) -> list[str]:
        """The transfers of *zone* served so far, oldest first: ``AXFR``, ``IXFR`` or ``AXFR-style IXFR``
        (an IXFR answered with the whole zone), from the server's log."""
        pattern = re.compile(rf"transfer of '{re.escape(zone)}/IN': (AXFR|IXFR|AXFR-style IXFR) started")
        return [m.group(1) for m in pattern.finditer(self.log.read_text())]

    def drop_journal(self, zone: str) -> None:
        """Write *zone* to its file and remove its journal: IXFRs from earlier serials get the whole zone."""
        r = self.rndc("sync", "-clean", zone)
        if r.returncode != 0:
            raise RuntimeError(f"rndc sync -clean {zone}: {r.stderr or r.stdout}")

    def reload_zone(self, zone: BindZone, text: str, serial: int) -> None:
        """Replace the file of the dynamic *zone* by *text* and load it (freeze, write, thaw), as an
        operator restoring an old file would; waits until the server serves *serial*."""
        for args in (("freeze", zone.zone), None, ("thaw", zone.zone)):
            if args is None:
                (self.dir / f"{zone.zone}.zone").write_text(text)
                continue
            r = self.rndc(*args)
            if r.returncode != 0:
                raise RuntimeError(f"rndc {' '.join(args)}: {r.stderr or r.stdout}")
        wait_for(lambda: zone.serial() == serial, f"zone {zone.zone} reloading", log=self.log)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.rndc("stop")
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        stop(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> BindServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
