"""Settings to paste: a sweep's recommended guards merged into a loop config's text, and octoDNS's equivalents.

The loop config is rewritten textually (no round-trip YAML library is installed): only the
entries of the ``guards:`` block that the recommendation changes are replaced, so every other
line, comments included, stays as written; the result is validated by loading it as a loop config
and comparing its guards with the intended ones before anything is written. This module computes
texts; :mod:`recon.cli.recommend` shows them and writes.
"""

from __future__ import annotations

import difflib
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from recon.calibrate.observations import CalibrationError

_TOP_GUARDS = re.compile(r"^guards:[ \t]*(#.*)?$")
_TOP_GUARDS_FLOW = re.compile(r"^guards:[ \t]*\{")
_TOP_KEY = re.compile(r"^[^\s#]")
# octoDNS checks its thresholds only when the zone already holds at least this many records.
OCTODNS_MIN_EXISTING = 10


def read_recommendation(path: Path) -> dict[str, Any]:
    """The ``guards`` block of a sweep's ``recommendation.json``; errors name the file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise CalibrationError(f"{path}: cannot read the recommendation: {getattr(e, 'strerror', None) or e}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{path}: not a recommendation.json (expected a mapping)")
    if not data.get("satisfied"):
        raise CalibrationError(f"{path}: the sweep recommends no setting ({data.get('statement', 'not satisfied')})")
    block = data.get("guards")
    if not isinstance(block, dict) or not block:
        raise CalibrationError(f"{path}: field guards: no guard settings to apply (the grid set none, or an older "
                               "recon wrote it: rerun the sweep)")
    return block


def merge(current: Any, block: Mapping[str, Any]) -> dict[str, Any]:
    """The loop config's ``guards:`` mapping with *block* merged in, guard by guard and field by field."""
    out = dict(current) if isinstance(current, Mapping) else {}
    for name, value in block.items():
        old = out.get(name)
        if isinstance(old, bool):  # `max_deletes: false` keeps its switch; the sweep ran it that way too
            old = {"enabled": old}
        out[name] = {**old, **value} if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return out


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 20, sort_keys=False)
    return text.removesuffix("...\n").strip()  # a bare scalar ends with the document-end marker


def guard_lines(name: str, value: Any, indent: str = "  ", comment: str = "") -> list[str]:
    return [f"{indent}{name}: {_flow(value)}{'  ' + comment if comment else ''}\n"]


def _comment(rest: str) -> str:
    """The comment ending an entry's first line after its key (``# why`` of ``{max: 5}  # why``), or ""."""
    if rest.startswith("#"):
        return rest
    for i, ch in enumerate(rest):
        # a `#` after whitespace starts a comment unless it sits inside a quoted value: then the
        # text before it does not parse as the same value
        if ch == "#" and rest[i - 1] in " \t":
            try:
                if yaml.safe_load(rest[:i]) == yaml.safe_load(rest):
                    return rest[i:]
            except yaml.YAMLError:
                continue
    return ""


def rewrite(text: str, guards: Mapping[str, Any], changed: set[str]) -> str:
    """*text* with the entries of ``guards:`` named in *changed* replaced by *guards*' values (added
    when absent); a one-line flow ``guards: {...}`` is rewritten whole, and a missing block is appended."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _TOP_GUARDS.match(line) or _TOP_GUARDS_FLOW.match(line)), None)
    if start is None:
        tail = "" if not lines or lines[-1].endswith("\n") else "\n"
        return text + tail + "guards:\n" + "".join(line for n, v in guards.items() for line in guard_lines(n, v))
    end = next((i for i in range(start + 1, len(lines)) if _TOP_KEY.match(lines[i])), len(lines))
    if _TOP_GUARDS_FLOW.match(lines[start]):
        body = "".join(line for n, v in guards.items() for line in guard_lines(n, v))
        return "".join(lines[:start]) + "guards:\n" + body + "".join(lines[end:])
    block = lines[start + 1:end]
    indent = next((m.group(1) for m in (re.match(r"^(\s+)[^\s#]", b) for b in block) if m), "  ")
    entry = re.compile(rf"^{re.escape(indent)}([^\s#:][^:]*):")
    out, seen, skipping = [], set(), False
    for line in block:
        m = entry.match(line)
        if m:
            name = m.group(1).strip()
            skipping = name in changed
            if skipping:
                seen.add(name)
                out.extend(guard_lines(name, guards[name], indent, _comment(line[m.end():].strip())))
                continue
        if skipping and (line.startswith(indent + " ") or not line.strip()):
            continue  # the rest of a replaced entry (its nested lines)
        skipping = False
        out.append(line)
    trail: list[str] = []  # blank lines and top-level comments after the block stay after it
    while out and (not out[-1].strip() or out[-1].startswith("#")):
        trail.insert(0, out.pop())
    for name in sorted(changed - seen):
        out.extend(guard_lines(name, guards[name], indent))
    return "".join(lines[:start + 1] + out + trail + lines[end:])


def validated(config: Path, text: str, guards: Mapping[str, Any]) -> None:
    """Raise unless *text* loads as a loop config whose guards are exactly *guards*."""
    from recon.config import ConfigError, load_loop_config
    from recon.core.policy import Guards

    with tempfile.TemporaryDirectory() as d:
        probe = Path(d) / config.name  # same file name: a config without name: takes it from the stem
        probe.write_text(text, encoding="utf-8")
        try:
            cfg, _ = load_loop_config(probe)
        except ConfigError as e:
            raise CalibrationError(f"{config}: the updated config would not load: {e}".replace(str(probe), str(config))) from None
    if cfg.guards != Guards.model_validate(guards):
        raise CalibrationError(f"{config}: the guards: block could not be rewritten in place; paste it by hand")


def unified_diff(config: Path, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=str(config), tofile=f"{config} (recommended)"))


def backup_path(config: Path) -> Path:
    """The first free ``LOOP.yaml.bak``, ``LOOP.yaml.bak.1``, ...: an earlier backup is never overwritten."""
    candidate, n = config.with_name(config.name + ".bak"), 0
    while candidate.exists():
        n += 1
        candidate = config.with_name(f"{config.name}.bak.{n}")
    return candidate


def octodns_equivalents(guards: Mapping[str, Any], zone_size: int | None) -> dict[str, Any]:
    """octoDNS provider safety thresholds nearest to recon *guards* (a loop config's merged mapping),
    and what octoDNS cannot express."""
    from recon.core.policy import Guards

    g = Guards.model_validate(guards)
    md, mc = g.max_deletes, g.max_changes
    out: dict[str, Any] = {"update_pcent_threshold": None, "delete_pcent_threshold": None, "cannot_express": []}
    if md.enabled and md.max_fraction is not None:
        out["delete_pcent_threshold"] = md.max_fraction
    elif md.enabled and md.max is not None and zone_size:
        out["delete_pcent_threshold"] = round(min(1.0, md.max / zone_size), 4)
    if mc.enabled and zone_size:
        out["update_pcent_threshold"] = round(min(1.0, mc.max / zone_size), 4)
    cannot = out["cannot_express"]
    if md.enabled and md.max is not None:
        cannot.append(f"max_deletes.max={md.max}: an absolute cap; octoDNS thresholds are shares of the existing records")
    if md.enabled and md.fraction_min_observed != OCTODNS_MIN_EXISTING:
        cannot.append(f"max_deletes.fraction_min_observed={md.fraction_min_observed}: octoDNS checks only zones of "
                      f"at least {OCTODNS_MIN_EXISTING} records, fixed")
    if md.enabled and md.action == "hold":
        cannot.append("max_deletes.action=hold: octoDNS fails the whole plan (until --force); it cannot hold deletes "
                      "for an approval bound to their keys while the rest applies")
    if mc.enabled:
        cannot.append(f"max_changes.max={mc.max}: recon defers changes beyond the cap to later cycles; octoDNS fails "
                      "the plan when updates exceed the share (creates are never limited)")
    if g.desired_shrink.enabled:
        cannot.append("desired_shrink: a source that shrinks against the last accepted desired count")
    if g.incomplete_observation.enabled:
        cannot.append("incomplete_observation: an observed count that falls against its baseline")
    if g.protected.enabled and g.protected.selectors:
        cannot.append("protected selectors: octoDNS's per-record `octodns: {ignored: true}` is nearest, but it ignores "
                      "the record entirely rather than refusing to delete it")
    for extra in ("window", "window_max"):  # delete budgets across cycles, where this recon has them
        if getattr(md, extra, None) is not None:
            cannot.append(f"max_deletes.{extra}: octoDNS has no budget across runs")
    return out
