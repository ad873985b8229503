"""Starting and stopping the real server processes the fixtures own: free loopback ports, readiness
polling and a stop that never leaves a child behind. Only loopback addresses are ever used."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def free_port() -> int:
    """A loopback port free for both TCP and UDP right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(port)
    raise RuntimeError("no free loopback port")


def random_b64(n: int = 32) -> str:
    return base64.b64encode(secrets.token_bytes(n)).decode()


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20.0, proc: subprocess.Popen | None = None,
             log: Path | None = None) -> None:
    """Poll *check* until it holds; fail naming *what* (and the log tail) when it does not in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            break
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
    state = f"exited with {proc.returncode}" if proc is not None and proc.poll() is not None else "not ready"
    raise RuntimeError(f"{what}: {state} after {timeout:g}s\n{tail}")


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def spawn(argv: Sequence[str], log: Path, env: dict[str, str] | None = None,
          preexec: Callable[[], None] | None = None) -> subprocess.Popen:
    """Start *argv* in its own process group, output to *log*."""
    fh = open(log, "ab")
    try:
        return subprocess.Popen(list(argv), stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True, preexec_fn=preexec)
    finally:
        fh.close()


def stop(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """Terminate *proc*'s process group (SIGTERM, then SIGKILL) and reap it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
