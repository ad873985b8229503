"""scripts/bootstrap sets up what the job needs: ``demo`` a .venv with recon and no servers or browser,
``all`` (the default, what scripts/test runs) every Debian package and the dev extra.

The script runs in a copy of the repository's layout with stand-ins for dpkg-query, apt-get, sudo,
systemctl, service and Python that only write down how they were called: nothing is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOG_STUB = '#!/bin/sh\necho "$(basename "$0") $*" >> "$STUB_LOG"\n'
PYTHON_STUB = LOG_STUB + """
case "$*" in
  "-c import ensurepip, venv") exit "$ENSUREPIP_RC" ;;
  "-m venv .venv") mkdir -p .venv/bin && cp "$0" .venv/bin/python ;;
esac
"""
SERVERS = {"bind9", "postgresql", "nftables", "chromium"}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap", tmp_path / "scripts" / "bootstrap")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    for name, text in {"dpkg-query": "#!/bin/sh\nexit 1\n", "apt-get": LOG_STUB, "systemctl": LOG_STUB,
                       "service": LOG_STUB, "sudo": LOG_STUB + 'exec "$@"\n', "python3": PYTHON_STUB}.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    return tmp_path


def bootstrap(repo: Path, *args: str, ensurepip: bool = True,
              path: str | None = None) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    log = repo / "calls.log"
    log.write_text("")
    env = {**os.environ, "PATH": f"{repo / 'stubs'}:{path or os.environ['PATH']}", "STUB_LOG": str(log),
           "ENSUREPIP_RC": "0" if ensurepip else "1", "PYTHON": str(repo / "stubs" / "python3")}
    r = subprocess.run(["bash", str(repo / "scripts" / "bootstrap"), *args], cwd=repo, env=env,
                       capture_output=True, text=True, timeout=60)
    return r, log.read_text().splitlines()


def installed(calls: list[str]) -> set[str]:
    return {p for c in calls if c.startswith("apt-get install") for p in c.split()[2:] if not p.startswith("-")}


def pip(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith("python ") and "-m pip install" in c and "--upgrade" not in c]


def test_the_demo_gets_a_venv_with_recon_and_no_servers(repo: Path) -> None:
    r, calls = bootstrap(repo, "demo", ensurepip=False)
    assert r.returncode == 0, r.stderr
    assert installed(calls) == {"python3-venv"}  # this Python could not make a venv without it
    assert pip(calls) == ["python -m pip install -e ."]
    assert not any("ipykernel" in c or c.startswith(("systemctl", "service")) for c in calls)
    assert (repo / ".venv" / ".recon-installed-demo").exists()
    r, calls = bootstrap(repo, "demo")
    assert r.returncode == 0 and calls == []  # nothing missing, nothing done


def test_all_is_the_default_and_installs_everything(repo: Path) -> None:
    for args in ((), ("all",)):
        shutil.rmtree(repo / ".venv", ignore_errors=True)
        r, calls = bootstrap(repo, *args)
        assert r.returncode == 0, r.stderr
        assert SERVERS <= installed(calls) and "python3-venv" not in installed(calls)
        assert pip(calls) == ["python -m pip install -e .[dev]"]
        assert any("ipykernel install" in c for c in calls)
        assert any(c.startswith(("systemctl", "service")) for c in calls)  # packaged servers stopped
    r, calls = bootstrap(repo, "demo")  # the full install serves the demo too
    assert r.returncode == 0 and pip(calls) == []


def test_all_installs_kubectl_only_when_none_is_on_path(repo: Path, tmp_path: Path) -> None:
    with_kubectl = repo / "with-kubectl"
    with_kubectl.mkdir()
    (with_kubectl / "kubectl").write_text("#!/bin/sh\nexit 0\n")
    (with_kubectl / "kubectl").chmod(0o755)
    r, calls = bootstrap(repo, path=f"{with_kubectl}:{os.environ['PATH']}")
    assert r.returncode == 0 and "kubernetes-client" not in installed(calls), r.stderr
    # The same PATH without any kubectl: every other program linked into one folder.
    bare = tmp_path / "no-kubectl"
    bare.mkdir()
    for d in os.environ["PATH"].split(":"):
        for exe in Path(d).glob("*") if Path(d).is_dir() else ():
            if exe.name != "kubectl" and not (bare / exe.name).exists():
                (bare / exe.name).symlink_to(exe)
    shutil.rmtree(repo / ".venv", ignore_errors=True)
    r, calls = bootstrap(repo, path=str(bare))
    assert r.returncode == 0 and "kubernetes-client" in installed(calls), r.stderr
    r, calls = bootstrap(repo, "demo", path=str(bare))
    assert "kubernetes-client" not in installed(calls)  # the demo needs no kubectl


def test_an_unknown_job_is_refused_before_anything_is_done(repo: Path) -> None:
    r, calls = bootstrap(repo, "servers")
    assert r.returncode == 1 and calls == []
    assert r.stderr.strip() == "bootstrap: unknown job 'servers': expected demo or all"


def test_the_scripts_ask_for_their_job() -> None:
    assert "bash scripts/bootstrap demo\n" in (ROOT / "scripts" / "demo").read_text()
    assert "bash scripts/bootstrap all\n" in (ROOT / "scripts" / "test").read_text()
