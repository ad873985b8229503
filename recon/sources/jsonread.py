"""JSON text to plain data within the input limits: no duplicate keys, no NaN or infinite numbers,
no lone surrogates (``"\\ud800"``: no UTF-8 output can hold one), nesting at most MAX_DEPTH, and every
such error at its line.

The standard library's C decoder does the parsing; it reports neither positions nor depth for these
problems, so only when one is found a tokenising second pass (:func:`scan`) finds its line.
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from recon.sources.limits import MAX_DEPTH
from recon.sources.yamlread import ParseError, Path

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
_NOKEY = object()
# A \u escape of a surrogate: only then can decoded strings hold a lone one (the text itself is UTF-8).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class _Refused(Exception):
    """Raised from inside the decoder's hooks; the scan then finds where."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused
    return out


def _constant(_: str) -> Any:
    raise _Refused


def _float(s: str) -> float:
    value = float(s)
    if not math.isfinite(value):
        raise _Refused
    return value


def parse_json(text: str) -> Any:
    """Parse JSON text; raises ParseError with the line for syntax errors and refused content."""
    enabled = gc.isenabled()
    gc.disable()  # decoded JSON holds no reference cycles
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant, parse_float=_float)
    except json.JSONDecodeError as e:
        raise ParseError(e.lineno, f"malformed JSON: {e.msg} (column {e.colno})") from None
    except (_Refused, RecursionError, ValueError) as e:  # ValueError: an integer of too many digits
        raise _problem(text, str(e) if type(e) is ValueError else "") from None
    finally:
        if enabled:
            gc.enable()
    if _too_deep(data) or (_SURROGATE_ESCAPE.search(text) and _lone_surrogate(data)):
        raise _problem(text, "")
    return data


def _lone_surrogate(data: Any) -> bool:
    """Whether a key or string of *data* holds a surrogate that no pair completes."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _too_deep(data: Any) -> bool:
    """Whether containers nest deeper than MAX_DEPTH: level by level, no recursion."""
    level = [data] if type(data) in (dict, list) else []
    for _ in range(MAX_DEPTH):
        level = [c for o in level for c in (o.values() if type(o) is dict else o) if type(c) is dict or type(c) is list]
        if not level:
            return False
    return True


def _problem(text: str, fallback: str) -> ParseError:
    problem, _ = scan(text, ())
    return problem or ParseError(None, f"malformed JSON: {fallback or 'refused content'}")


def scan(text: str, paths: Iterable[Path]) -> tuple[ParseError | None, dict[Path, int]]:
    """One pass over the tokens: the first refused content (too deep, a duplicate key, NaN or a
    non-finite number, a lone surrogate) as a ParseError, and the lines of *paths* and their prefixes."""
    wanted = {p[:n] for p in paths for n in range(len(p) + 1)}
    found: dict[Path, int] = {}
    stack: list[list[Any]] = []  # per open container: [key -> line (None for a list), key or index, on a wanted path]
    line, last = 1, 0

    def here() -> Path:
        return tuple(f[1] for f in stack)

    for m in _TOKEN.finditer(text):
        tok, pos = m.group(), m.start()
        line += text.count("\n", last, pos)
        last = pos
        if tok in (",", ":"):
            continue
        if tok in ("}", "]"):
            if stack:
                stack.pop()
            if stack and stack[-1][0] is not None:
                stack[-1][1] = _NOKEY
            continue
        if tok.startswith('"') and _SURROGATE_ESCAPE.search(tok) and _lone_surrogate(json.loads(tok)):
            return ParseError(line, "a lone surrogate (\\uD800-\\uDFFF) in a string; "
                                    "write the character itself, or its surrogate pair"), found
        top = stack[-1] if stack else None
        if top is not None and top[0] is not None and top[1] is _NOKEY:  # a key
            key = json.loads(tok) if tok.startswith('"') else tok
            if key in top[0]:
                return ParseError(line, f"malformed JSON: duplicate key {key!r} (first at line {top[0][key]})"), found
            top[0][key] = line
            top[1] = key
            if top[2]:
                p = here()
                if p in wanted and p not in found:
                    found[p] = line
            continue
        if top is not None and top[0] is None:
            top[1] += 1
        # A path costs a tuple: build one only inside a container that lies on a wanted path.
        p = here() if wanted and (top is None or top[2]) else None
        if p is not None and p in wanted and p not in found:
            found[p] = line
        if tok in ("{", "["):
            if len(stack) >= MAX_DEPTH:
                return ParseError(line, f"nested deeper than {MAX_DEPTH} levels (the input limit)"), found
            on = p is not None and p in wanted
            stack.append([{}, _NOKEY, on] if tok == "{" else [None, -1, on])
            continue
        if not tok.startswith('"'):
            problem = _number(tok, line)
            if problem is not None:
                return problem, found
        if top is not None and top[0] is not None:
            top[1] = _NOKEY
    return None, found


def _number(tok: str, line: int) -> ParseError | None:
    if tok in ("NaN", "Infinity", "-Infinity"):
        return ParseError(line, f"{tok} is not a finite number; inputs hold finite numbers only")
    if any(c in tok for c in ".eE"):
        try:
            if not math.isfinite(float(tok)):
                return ParseError(line, f"{tok} is out of range for a number")
        except ValueError:
            return None
    elif len(tok.lstrip("-")) > 4300:
        return ParseError(line, f"an integer of {len(tok)} digits is out of range")
    return None


def lines_for(text: str, paths: Iterable[Path]) -> dict[Path, int]:
    """The 1-based line of each of *paths* in JSON text (see :func:`scan`)."""
    return scan(text, paths)[1]
