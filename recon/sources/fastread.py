"""Input text to plain data by a compiled parser first, and by the strict reader whenever that is not provably the same.

yaml-rs (YAML, in Rust) and orjson (JSON, in Rust) build Python data 4-5 times faster than the strict
readers (:mod:`yamlread`, :mod:`jsonread`), whose rules they do not know. This module keeps their
result only when cheap checks prove the strict reader would return the very same data: the text
holds none of the constructs on which the readers may differ (anchors, aliases, tags, escapes, block
scalars, directives, tabs, numbers not written in plain decimal), every value passes the strict
reader's own scalar rule, and nesting is within the limit. Everything else, every error included,
goes to the strict reader, which decides and explains; so messages, their lines and the limits stay
the strict reader's. This module never raises an error of its own and never words one.
"""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Callable
from typing import Any

from recon.sources import jsonread, yamlread
from recon.sources.limits import MAX_DEPTH

try:  # optional at run time: without them every file takes the strict path
    import orjson
except ImportError:  # pragma: no cover - both are dependencies of the package
    orjson = None  # type: ignore[assignment]
try:
    import yaml_rs
except ImportError:  # pragma: no cover
    yaml_rs = None  # type: ignore[assignment]

UNPROVED = object()  # what a fast path returns when the strict reader must decide

# Each byte of the text by its role, so that byte searches (fast, in C) find what regexes would (slow):
# " " where a node may start or end (":" keeps its own role), "&" for what only matters at a node's start (&anchor, *alias,
# !tag, | and > block scalars, % directives, reserved @ and `, ? complex keys), "\\" for escapes,
# tabs, carriage returns and control characters (the readers' rules for them differ in corners),
# "0" and "1" for digits (1-9 as 1); + - . _ < stay; every other byte is "x".
_ROLE = bytearray(b"x" * 256)
for _chars, _role in ((b" \n[]{},", b" "), (b"&*!|>%@`?", b"&"), (b"0", b"0"), (b"123456789", b"1"),
                      (b"+-._<:", None), (bytes(set(range(0x20)) - {0x0A}) + b"\\\x7f", b"\\")):
    for _b in _chars:
        _ROLE[_b] = _b if _role is None else _role[0]
_ROLES = bytes(_ROLE)
_DIGITS = bytes(0x31 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
# Floats yaml-rs reads that the strict reader refuses (it takes only the JSON number grammar, less
# non-finite values and fractions ending in 0): 1., 1.e5, 1.10. Searched only when the data holds a float.
_ODD_FLOAT = re.compile(r"[\s\[{,:]-?[0-9]+\.(?:(?![0-9])|[0-9]*[0-9]0(?=[eE\s,\]}#:]|\Z))")
# After a quoted key a node may start right after the colon ({"a":0127}): these are checked by pattern.
_AFTER_QUOTED_KEY = re.compile(r"""["']:(?:[&*!|>%@`?:+.0]|-[0.])""")
_ESCAPED_COLON = re.compile(r"\\u003[aA]")
_LONG_DIGITS = b"1" * 19  # orjson reads integers past 64 bits as floats
_DEEP = b"\n" + b" " * (2 * MAX_DEPTH)  # in orjson's 2-space indentation: an item inside the deepest allowed level


def parse_yaml(text: str) -> Any:
    """One YAML document as plain data, exactly as :func:`yamlread.parse_yaml` reads it, and its errors."""
    return _first(fast_yaml, yamlread.parse_yaml, text)


def parse_json(text: str) -> Any:
    """JSON text as plain data, exactly as :func:`jsonread.parse_json` reads it, and its errors."""
    return _first(fast_json, jsonread.parse_json, text)


def _first(fast: Callable[[str], Any], strict: Callable[[str], Any], text: str) -> Any:
    enabled = gc.isenabled()
    gc.disable()  # the data holds no reference cycles: the collector would only rescan it
    try:
        data = fast(text)
    finally:
        if enabled:
            gc.enable()
    return strict(text) if data is UNPROVED else data


def fast_yaml(text: str) -> Any:
    """The data of *text* by yaml-rs when the strict reader provably reads the same, else UNPROVED."""
    if yaml_rs is None or not _plain_yaml(text):
        return UNPROVED
    try:
        data = yaml_rs.loads(text, parse_datetime=False)  # a duplicate key is an error by default
    except Exception:  # noqa: BLE001 - any refusal: the strict reader words it
        return UNPROVED
    floats: list[float] = []
    if not _reads_alike(data, floats):
        return UNPROVED
    if floats and _ODD_FLOAT.search("\n" + text):
        return UNPROVED
    return data


def _plain_yaml(text: str) -> bool:
    """Whether *text* avoids every construct on which yaml-rs and the strict reader may differ, floats aside."""
    if not text.isascii() and (yamlread._UNWRITTEN.search(text) or "\ufeff" in text):
        return False
    if text.startswith(("---", "...")) or "\n---" in text or "\n..." in text:
        return False  # document markers: a second document, or one yaml-rs would return as a list
    r = b" " + text.encode("utf-8").translate(_ROLES) + b" "
    # One-byte searches (memchr) first: the two-byte ones are slow where spaces abound.
    if b"\\" in r or (b"&" in r and b" &" in r) or (b"<" in r and b"<<" in r) or (b"+" in r and b" +" in r):
        return False
    if b" ." in r or b" -." in r:
        return False
    # YAML 1.2 lets a plain scalar start with ":" ([:0]); PyYAML does not. " : " is a key's colon.
    if r.count(b" :") != r.count(b" : ") or (("\":" in text or "':" in text) and _AFTER_QUOTED_KEY.search(text)):
        return False
    if b"_" in r and (b"1_" in r or b"0_" in r or b"_1" in r or b"_0" in r):  # 1_000 is 1000 to yaml-rs
        return False
    # A plain number starting with 0 is 0 or 0.x (0127, 0o17, 0x1F, 00 are not); one starting with -0 is -0.x.
    return r.count(b" 0") == r.count(b" 0 ") + r.count(b" 0.") and r.count(b" -0") == r.count(b" -0.")


def _reads_alike(data: Any, floats: list[float]) -> bool:
    """Whether each key is text and each value one the strict reader gives for it, within MAX_DEPTH;
    *floats* receives a float if there is one (their spelling is checked on the text, only then)."""
    if type(data) is not dict and type(data) is not list:
        return _leaf_alike(data, floats)
    first = yamlread._FIRST
    todo = [(data, 1)]
    while todo:
        obj, depth = todo.pop()
        if depth > MAX_DEPTH:
            return False
        if type(obj) is dict:
            for k in obj:
                if type(k) is not str:  # keys are the text as written; yaml-rs resolved this one
                    return False
            values: Any = obj.values()
        else:
            values = obj
        for v in values:
            t = type(v)
            if t is str:
                # Quoted or plain, a string is the same to both readers when its plain reading is itself.
                if v and v[0] in first and not _text_as_plain(v):
                    return False
            elif t is dict or t is list:
                todo.append((v, depth + 1))
            elif not _leaf_alike(v, floats):
                return False
    return True


def _leaf_alike(v: Any, floats: list[float]) -> bool:
    t = type(v)
    if t is str:
        return not v or v[0] not in yamlread._FIRST or _text_as_plain(v)
    if t is float:
        floats.append(v)
        return math.isfinite(v)
    return t is int or t is bool or v is None


def _text_as_plain(s: str) -> bool:
    try:
        return type(yamlread.scalar(s)) is str
    except ValueError:
        return False


def fast_json(text: str) -> Any:
    """The data of *text* by orjson when the strict reader provably reads the same, else UNPROVED."""
    if orjson is None or ("\\u003" in text and _ESCAPED_COLON.search(text)):
        return UNPROVED
    try:
        digits = text.encode("utf-8").translate(_DIGITS)
    except UnicodeEncodeError:  # a lone surrogate in the text itself: not from a file, the strict reader decides
        return UNPROVED
    if _LONG_DIGITS in digits:
        return UNPROVED
    try:
        data = orjson.loads(text)  # refuses NaN, 1e400 and lone surrogates itself
        shown = orjson.dumps(data, option=orjson.OPT_INDENT_2)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return UNPROVED
    # orjson keeps the last of two equal keys. Each key in the text has one colon, and colons are
    # written only as themselves (no \u003a above): the same count shown again proves no key was dropped.
    if shown.count(b":") != text.count(":") or _DEEP in shown:
        return UNPROVED
    return data
