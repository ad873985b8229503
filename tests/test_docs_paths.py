"""Every repository path the README and docs/*.md name exists: in code spans, code blocks and links.

A new user copies ``recon plan examples/dns/loop.yaml`` from the README; on a case-sensitive file
system that must be the file's real name. ``<name>`` placeholders and ``*`` globs must match at
least one file, ``recon/metrics`` may name the module ``recon/metrics.py``, and a path the
repository's .gitignore ignores (``benchmarks/.venv-octodns``) is made by a command, not shipped."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = ("examples", "scenarios", "notebooks", "docs", "recon", "benchmarks", "scripts", "tests", ".ci")
PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(re.escape(t) for t in TOP) + r")(?:/[\w.*<>-]+)*/?)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _code(text: str) -> list[str]:
    """The text of fenced blocks and inline code spans (spans only outside the blocks)."""
    blocks = FENCE.findall(text)
    return blocks + SPAN.findall(FENCE.sub("", text))


def named_paths(doc: Path) -> set[str]:
    """Repository paths *doc* names, relative to the repository root."""
    text = doc.read_text(encoding="utf-8")
    found = {m.rstrip(".:") for chunk in _code(text) for m in PATH.findall(chunk)}
    for target in LINK.findall(text):
        target = target.split("#", 1)[0]
        if target and "://" not in target:
            found.add((doc.parent / target).resolve().relative_to(ROOT).as_posix())
    return {p.rstrip("/") for p in found if p.rstrip("/") not in TOP}


IGNORED = [line.strip().strip("/") for line in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
           if line.strip() and not line.startswith("#")]


def exists(path: str) -> bool:
    pattern = re.sub(r"<[^>]+>", "*", path)
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    if any(fnmatch.fnmatchcase(pattern, ignored) for ignored in IGNORED):
        return True
    return any((ROOT / p).exists() and p == _real_case(p) for p in (pattern, pattern + ".py"))


def _real_case(path: str) -> str:
    """*path* spelled as the file system spells it, so ``loop.yaml`` does not pass for ``LOOP.yaml``."""
    here, parts = ROOT, []
    for part in Path(path).parts:
        names = {p.name for p in here.iterdir()} if here.is_dir() else set()
        parts.append(part if part in names else f"<{part}?>")
        here = here / part
    return "/".join(parts)


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_path_a_doc_names_exists(doc: Path) -> None:
    paths = named_paths(doc)
    missing = sorted(p for p in paths if not exists(p))
    assert not missing, f"{doc.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_the_check_sees_paths_and_spelling() -> None:
    readme = named_paths(ROOT / "README.md")
    assert {"examples/desired.yaml", "scripts/demo", "docs/design.md"} <= readme
    assert not exists("examples/dns/loop.yaml") and exists("examples/dns/LOOP.yaml")
    assert exists("benchmarks/<name>.py") and not exists("benchmarks/<name>.txt")
    assert exists("recon/metrics") and not exists("recon/metric")


def test_the_scenario_table_names_real_files() -> None:
    # docs/scenarios.md names scenario files without their folder: `omni-loop.yaml`
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    names = {m for span in SPAN.findall(text) for m in re.findall(r"^([\w-]+\.yaml)$", span)}
    assert len(names) >= 10
    assert sorted(n for n in names if not (ROOT / "scenarios" / n).is_file()) == []
