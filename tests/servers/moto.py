"""``moto_server`` on 127.0.0.1 for EC2 and Route53, and a fault proxy in front of it.

Fixture ``moto_server`` (session) -> :class:`MotoServer`: ``endpoint``, ``client(service)`` with
dummy credentials, ``state()`` (the EC2 and Route53 sections of moto's ``/moto-api/data.json``, for
before/after comparisons).

:class:`AwsFaultProxy` forwards to moto and misbehaves like a real API can: it pages
``DescribeSecurityGroupRules`` (which moto answers in one page) by ``page_size`` with its own
``NextToken``, and with ``fail_page=2`` answers the request for page two with ``fail_code``
(``Throttling``, ``InternalError``...) for EC2 and Route53 alike.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import missing
from tests.servers.process import free_port, spawn, stop, tcp_open, wait_for

DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


class MotoServer:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "moto.log"
        self.proc = None

    def start(self) -> MotoServer:
        exe = Path(sys.executable).with_name("moto_server")
        if not exe.exists():
            missing("needs moto_server (pip install 'moto[server]', the dev extra)")
        self.proc = spawn([str(exe), "-H", "127.0.0.1", "-p", str(self.port)], self.log)
        wait_for(lambda: tcp_open(self.port), "moto_server", proc=self.proc, log=self.log)
        return self

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def state(self, services: tuple[str, ...] = ("ec2", "route53")) -> Any:
        """What a write would change: moto's models of *services* (``/moto-api/data.json``) plus the
        API's own view of every security group (with its rules) and every hosted zone's record sets,
        which data.json does not serialise."""
        with urllib.request.urlopen(self.endpoint + "/moto-api/data.json", timeout=30) as r:
            data = json.loads(r.read())
        out = {k: data.get(k) for k in services}
        if isinstance(out.get("ec2"), dict):
            # moto lists every live SecurityGroupRule object, and DescribeSecurityGroupRules makes
            # throwaway copies of the rules: a read artefact. The rules are compared through the API below.
            out["ec2"] = {k: v for k, v in out["ec2"].items() if k != "SecurityGroupRule"}
        ec2, r53 = self.client("ec2"), self.client("route53")
        out["api.security_groups"] = sorted(ec2.describe_security_groups()["SecurityGroups"], key=lambda g: g["GroupId"])
        zones = r53.list_hosted_zones()["HostedZones"]
        out["api.record_sets"] = {z["Id"]: r53.list_resource_record_sets(HostedZoneId=z["Id"], MaxItems="1000")
                                  ["ResourceRecordSets"] for z in zones}
        return out

    def stop(self) -> None:
        stop(self.proc)


class AwsFaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of moto (see the module doc)."""

    def __init__(self, upstream: str, page_size: int | None = None, fail_page: int | None = None,
                 fail_code: str = "InternalError") -> None:
        self.upstream, self.page_size, self.fail_page, self.fail_code = upstream, page_size, fail_page, fail_code
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer._handle(self, b"")

            def do_POST(self) -> None:
                outer._handle(self, self.rfile.read(int(self.headers.get("Content-Length", 0))))

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _forward(self, h: http.server.BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        headers = {k: v for k, v in h.headers.items() if k.lower() not in ("host", "content-length")}
        req = urllib.request.Request(self.upstream + h.path, data=body if h.command == "POST" else None,
                                     headers=headers, method=h.command)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read(), r.headers.get("Content-Type", "text/xml")
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers.get("Content-Type", "text/xml")

    def _error(self, h: http.server.BaseHTTPRequestHandler, ec2: bool) -> None:
        status = 400 if self.fail_code in ("Throttling", "RequestLimitExceeded", "ThrottlingException") else 500
        if ec2:
            body = (f"<Response><Errors><Error><Code>{self.fail_code}</Code><Message>injected fault on page "
                    f"{self.fail_page}</Message></Error></Errors><RequestID>fault</RequestID></Response>")
        else:
            body = (f'<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type>'
                    f"<Code>{self.fail_code}</Code><Message>injected fault on page {self.fail_page}</Message></Error>"
                    f"<RequestId>fault</RequestId></ErrorResponse>")
        self._send(h, status, body.encode(), "text/xml")

    @staticmethod
    def _send(h: http.server.BaseHTTPRequestHandler, status: int, body: bytes, ctype: str) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        form = urllib.parse.parse_qs(body.decode()) if body else {}
        action = form.get("Action", [""])[0]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(h.path).query)
        self.requests.append((h.command, action or h.path))
        if action == "DescribeSecurityGroupRules" and self.page_size:
            offset = int(form.get("NextToken", ["0"])[0])
            if self.fail_page and offset // self.page_size + 1 == self.fail_page:
                return self._error(h, ec2=True)
            rest = {k: v for k, v in form.items() if k not in ("NextToken", "MaxResults")}
            status, data, ctype = self._forward(h, urllib.parse.urlencode(rest, doseq=True).encode())
            return self._send(h, status, self._page(data, offset) if status == 200 else data, ctype)
        if "/rrset" in h.path and self.fail_page and "name" in query and self.fail_page == 2:
            return self._error(h, ec2=False)
        status, data, ctype = self._forward(h, body)
        self._send(h, status, data, ctype)

    def _page(self, data: bytes, offset: int) -> bytes:
        assert self.page_size
        root = ET.fromstring(data)
        ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
        ET.register_namespace("", ns.strip("{}"))
        rules = root.find(f"{ns}securityGroupRuleSet")
        assert rules is not None, data[:300]
        items = list(rules)
        for i, item in enumerate(items):
            if not offset <= i < offset + self.page_size:
                rules.remove(item)
        if offset + self.page_size < len(items):
            ET.SubElement(root, f"{ns}nextToken").text = str(offset + self.page_size)
        return ET.tostring(root)

    def __enter__(self) -> AwsFaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    for k, v in DUMMY_ENV.items():
        os.environ.setdefault(k, v)
    m = MotoServer(tmp_path_factory.mktemp("moto"))
    try:
        yield m.start()
    finally:
        m.stop()
