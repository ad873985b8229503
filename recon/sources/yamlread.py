"""YAML text to plain data (dicts, lists, str, int, float, bool, None), event by event, within limits.

Scalars follow the YAML 1.2 core schema, and a plain scalar that YAML 1.1 tools read differently
(``0127``, ``12:30``, ``yes``, ``1_000``, dates) or that does not read back as written (``1.10``,
``0x1F``) is refused with a message saying to quote it. Mapping keys are always the text as written.
Characters YAML 1.1 reads as line breaks but 1.2 does not (NEL, U+2028, U+2029), and those PyYAML
refuses (NUL, most C0 and C1 controls), are refused anywhere in the text; so are lone surrogates from
``\\u`` escapes. Nesting is bounded by MAX_DEPTH and alias expansion by MAX_ALIAS_NODES and
MAX_ALIAS_CHARS. No node tree is built: the
line of a path is found, only when an error needs it, by a second pass over the events.
"""

from __future__ import annotations

import copy
import gc
import math
import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml
from yaml import events as ev

from recon.sources.limits import MAX_ALIAS_CHARS, MAX_ALIAS_NODES, MAX_DEPTH, PURE_YAML_MAX_BYTES

Path = tuple[Any, ...]
_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_WORDS: dict[str, Any] = {w: None for w in ("null", "Null", "NULL", "~")}
_WORDS.update({w: True for w in ("true", "True", "TRUE")})
_WORDS.update({w: False for w in ("false", "False", "FALSE")})
# Booleans of YAML 1.1 only. Its spec lists y and n too, but PyYAML reads those as text, as 1.2 does,
# so names like `y` stay accepted.
_OLD_BOOLS = {w: w.lower() in ("yes", "on") for w in "yes Yes YES no No NO on On ON off Off OFF".split()}
_FIRST = frozenset("~nNtTfFyYoO-+.0123456789<=")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_CORE_NUMBER = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NONFINITE = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_V11 = yaml.resolver.Resolver()
# Every character a YAML file may hold as it is: PyYAML's printable set (its reader refuses the rest
# with a traceback-shaped error) less NEL, LS and PS, which YAML 1.1 folds as line breaks and 1.2 keeps.
_UNWRITTEN = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS_1_1 = {"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}
_SURROGATE = re.compile("[\ud800-\udfff]")
_KINDS = {"int": "an integer", "float": "a number", "bool": "a boolean", "timestamp": "a date",
          "merge": "a merge key", "value": "a value marker", "null": "null"}


class ParseError(Exception):
    """A problem at a 1-based *line* (None when unknown); *message* is complete without the file name."""

    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _loader(text: str) -> Any:
    fast = len(text) > PURE_YAML_MAX_BYTES and getattr(yaml, "__with_libyaml__", False)
    return (yaml.CSafeLoader if fast else yaml.SafeLoader)(text)


def _events(text: str) -> Iterator[Any]:
    try:
        loader = _loader(text)  # the pure reader checks every character here, libyaml while it reads
    except yaml.YAMLError as err:
        raise _syntax(err, text) from None
    try:
        while True:
            try:
                e = loader.get_event()
            except yaml.YAMLError as err:
                raise _syntax(err, text) from None
            yield e
            if type(e) is ev.StreamEndEvent:
                return
    finally:
        loader.dispose()


def _syntax(err: yaml.YAMLError, text: str) -> ParseError:
    if isinstance(err, yaml.reader.ReaderError):  # its position counts bytes for libyaml: find the character
        return _refused_character(text) or ParseError(None, f"malformed YAML: {err}")
    mark, ctx = getattr(err, "problem_mark", None), getattr(err, "context_mark", None)
    context = getattr(err, "context", None)
    since = f" ({context} at line {ctx.line + 1})" if ctx and context else ""
    return ParseError(mark.line + 1 if mark else None,
                      f"malformed YAML: {getattr(err, 'problem', None) or err}{since}")


def _characters(text: str) -> None:
    """Refuse NEL, LS and PS, at their line: both YAML readers take them for line breaks."""
    if "\x85" in text or "\u2028" in text or "\u2029" in text:  # a search of the rest costs ~1 s per 50 MB
        raise _refused_character(text) or ParseError(None, "malformed YAML")


def _refused_character(text: str) -> ParseError | None:
    """The first character no YAML reader keeps exactly as written, at its line (None: there is none)."""
    bad = _UNWRITTEN.search(text)
    if bad is None:
        return None
    ch, line = bad.group(), text.count("\n", 0, bad.start()) + 1
    if ch in _BREAKS_1_1:
        return ParseError(line, f"character U+{ord(ch):04X} is a line break in YAML 1.1 and text in YAML 1.2; "
                                f"write it as the escape {_BREAKS_1_1[ch]} inside double quotes")
    escape = f"write it as the escape \\x{ord(ch):02X} inside double quotes, or " if ord(ch) < 0x100 else ""
    return ParseError(line, f"character U+{ord(ch):04X} is not allowed in YAML; {escape}remove it")


def _field(path: Path) -> str:
    return f"field {'.'.join(str(p) for p in path)}: " if path else ""


def scalar(text: str) -> Any:
    """The value of an unquoted scalar under the rules above; raises ValueError saying what to write."""
    if not text:
        return None
    if text[0] not in _FIRST:
        return text
    if text in _WORDS:
        return _WORDS[text]
    if text.count(".") > 1 and ":" not in text and "-" not in text:
        return text  # an address or version (10.0.0.1): no number or date of either YAML has two dots
    if text in _OLD_BOOLS:
        raise ValueError(f"unquoted {text} is {str(_OLD_BOOLS[text]).lower()} in YAML 1.1 and text in YAML 1.2; "
                         f"quote it ('{text}') for text, or write {str(_OLD_BOOLS[text]).lower()}")
    if _INT.fullmatch(text):
        if text == "-0":  # the only integer of _INT whose value does not read back as written
            raise ValueError("unquoted -0 reads as the number 0; quote it ('-0') to keep the text, or write 0")
        return int(text)
    if _FLOAT.fullmatch(text):
        value = float(text)
        if not math.isfinite(value):
            raise ValueError(f"unquoted {text} is out of range for a number; quote it ('{text}') for text")
        mantissa = text.split("e")[0].split("E")[0]
        if "." in mantissa and len(mantissa.split(".")[1]) > 1 and mantissa.endswith("0"):
            raise ValueError(f"unquoted {text} reads as the number {value!r}; quote it ('{text}') to keep the "
                             f"text, or write {value!r}")
        return value
    if _NONFINITE.fullmatch(text):
        raise ValueError(f"unquoted {text} is not a finite number; inputs hold finite numbers only")
    if _CORE_NUMBER.fullmatch(text):
        raise ValueError(f"unquoted {text} {_readings(text)}; quote it ('{text}') for text, "
                         "or write the number in plain decimal")
    tag = _V11.resolve(yaml.ScalarNode, text, (True, False))
    if tag != _STR:
        kind = _KINDS.get(tag.rsplit(":", 1)[-1], "not text")
        raise ValueError(f"unquoted {text} is {kind} in YAML 1.1 and text in YAML 1.2; quote it ('{text}')")
    return text


def _readings(text: str) -> str:
    """How YAML 1.2 and 1.1 read a number not written in plain decimal, for the message."""
    body = text.lstrip("+-")
    v12: Any = int(body[2:], 8 if body[1] == "o" else 16) if body[:2] in ("0o", "0x") else None
    if v12 is None:
        v12 = int(body) if body.isdigit() else float(body)
    v12 = -v12 if text.startswith("-") else v12
    try:
        v11 = yaml.safe_load(text)
    except yaml.YAMLError:
        v11 = text
    if v11 == v12 and type(v11) is type(v12):
        return f"reads as {v12!r}, not as written"
    return f"is {v11!r} in YAML 1.1 and {v12!r} in YAML 1.2"


class _Frame:
    """An open mapping or sequence: its value so far, the key awaiting a value, its anchor, and the
    node and character counts at its start (an anchor's size is what an alias to it adds)."""

    __slots__ = ("value", "key", "anchor", "start", "chars")

    def __init__(self, value: Any, anchor: str | None, start: int, chars: int) -> None:
        self.value, self.key, self.anchor, self.start, self.chars = value, _NOKEY, anchor, start, chars


_NOKEY = object()
_OPEN = object()


def _path(stack: list[_Frame]) -> Path:
    out: list[Any] = []
    for f in stack:
        if type(f.value) is dict:
            if f.key is not _NOKEY:
                out.append(f.key)
        else:
            out.append(len(f.value))
    return tuple(out)


def _height(obj: Any, budget: int) -> int:
    """Nesting depth of *obj* (1 for a flat container), counted up to *budget* + 1."""
    best, todo = 0, [(obj, 1)]
    while todo:
        o, d = todo.pop()
        best = max(best, d)
        if best > budget:
            break
        todo.extend((c, d + 1) for c in (o.values() if type(o) is dict else o) if type(c) in (dict, list))
    return best


def parse_yaml(text: str) -> Any:
    """One YAML document as plain data (None for an empty one); raises ParseError with the line."""
    return _parse(text, None)


def parse_yaml_documents(text: str) -> list[tuple[int, Any]]:
    """Every document of a multi-document stream (Kubernetes manifests), as (its first line, plain
    data or None for an empty one), within the same limits; aliases reach only inside their document."""
    documents: list[tuple[int, Any]] = []
    _parse(text, documents)
    return documents


def _parse(text: str, documents: list[tuple[int, Any]] | None) -> Any:
    enabled = gc.isenabled()
    gc.disable()  # the data holds no reference cycles: the cyclic collector would only rescan it, again and again
    try:
        _characters(text)
        return _build(text, documents)
    finally:
        if enabled:
            gc.enable()


def _build(text: str, multi: list[tuple[int, Any]] | None = None) -> Any:
    """The one document of *text*; with *multi*, each document is appended to it instead."""
    stack: list[_Frame] = []
    anchors: dict[str, Any] = {}
    root: Any = None
    start = 1
    nodes = aliased = documents = chars = aliased_chars = 0

    def fail(e: Any, message: str) -> ParseError:
        return ParseError(e.start_mark.line + 1, _field(_path(stack)) + message)

    for e in _events(text):
        t = type(e)
        top = stack[-1] if stack else None
        if top is not None and type(top.value) is dict and top.key is _NOKEY and t is not ev.MappingEndEvent:
            if t is not ev.ScalarEvent:
                raise fail(e, "a mapping key must be text, not a mapping, a sequence or an alias")
            if e.tag not in (None, "!", _STR):
                raise fail(e, f"tag {e.tag} on a mapping key; keys are plain text")
            if e.value == "<<" and e.implicit[0]:
                raise fail(e, "merge keys (<<) are not supported; write the fields out")
            if e.style == '"' and _SURROGATE.search(e.value):
                raise fail(e, "a lone surrogate (\\uD800-\\uDFFF) in a key; write the character itself")
            if e.value in top.value:  # parsers keep the last of two keys: a merge slip would drop data
                first = lines_for(text, [_path(stack) + (e.value,)]).get(_path(stack) + (e.value,))
                raise ParseError(e.start_mark.line + 1,
                                 f"malformed YAML: duplicate key {e.value!r} (first at line {first or '?'})")
            top.key = e.value
            chars += len(e.value)
            if e.anchor is not None:
                anchors[e.anchor] = (e.value, 1, len(e.value))
            continue
        if t is ev.ScalarEvent:
            nodes += 1
            if e.tag is None and e.implicit[0]:
                try:
                    value: Any = scalar(e.value)
                except ValueError as err:
                    raise fail(e, str(err)) from None
            elif e.tag in (None, "!", _STR):
                value = e.value
                if e.style == '"' and _SURROGATE.search(value):
                    raise fail(e, "a lone surrogate (\\uD800-\\uDFFF) in a string; write the character itself")
            else:
                raise fail(e, f"tag {e.tag} is not supported; quote the value, or drop the tag")
            chars += len(e.value)
            if e.anchor is not None:
                anchors[e.anchor] = (value, 1, len(e.value))
        elif t is ev.MappingStartEvent or t is ev.SequenceStartEvent:
            if e.tag not in (None, "!", _MAP if t is ev.MappingStartEvent else _SEQ):
                raise fail(e, f"tag {e.tag} is not supported")
            if len(stack) >= MAX_DEPTH:
                raise ParseError(e.start_mark.line + 1, f"nested deeper than {MAX_DEPTH} levels (the input limit)")
            nodes += 1
            if e.anchor is not None:
                anchors[e.anchor] = _OPEN
            stack.append(_Frame({} if t is ev.MappingStartEvent else [], e.anchor, nodes, chars))
            continue
        elif t is ev.MappingEndEvent or t is ev.SequenceEndEvent:
            done = stack.pop()
            top, value = (stack[-1] if stack else None), done.value
            if done.anchor is not None:
                anchors[done.anchor] = (value, nodes - done.start + 1, chars - done.chars)
        elif t is ev.AliasEvent:
            found = anchors.get(e.anchor)
            if found is None:
                raise fail(e, f"alias *{e.anchor} names no anchor before it")
            if found is _OPEN:
                raise fail(e, f"alias *{e.anchor} refers to a node that contains it")
            value, size, length = found
            aliased += size
            aliased_chars += length
            if aliased > MAX_ALIAS_NODES:
                raise fail(e, f"aliases expand to more than {MAX_ALIAS_NODES} nodes (the input limit); "
                              "write the data out, or use fewer aliases")
            if aliased_chars > MAX_ALIAS_CHARS:
                raise fail(e, f"aliases expand to more than {MAX_ALIAS_CHARS} characters (the input limit); "
                              "write the data out, or use fewer aliases")
            if type(value) in (dict, list):
                room = MAX_DEPTH - len(stack)
                if size > room and _height(value, room) > room:
                    raise fail(e, f"alias *{e.anchor} nests deeper than {MAX_DEPTH} levels (the input limit)")
                value = copy.deepcopy(value)  # each use is its own data: editing one must not edit another
            nodes += size
            chars += length
        elif t is ev.DocumentStartEvent:
            documents += 1
            if multi is not None:
                anchors, root, start = {}, None, e.start_mark.line + 1
            elif documents > 1:
                raise ParseError(e.start_mark.line + 1, "a second YAML document (---); a file holds one")
            continue
        elif t is ev.DocumentEndEvent and multi is not None:
            multi.append((start, root))
            continue
        else:
            continue
        if top is None:
            root = value
        elif type(top.value) is dict:
            top.value[top.key] = value
            top.key = _NOKEY
        else:
            top.value.append(value)
    return root


def lines_for(text: str, paths: Iterable[Path]) -> dict[Path, int]:
    """The 1-based line of each of *paths* (tuples of keys and indexes), and of the prefixes met on the
    way: a second pass over the events, stopping once every path is found. Unparseable text: {}."""
    wanted = {p[:n] for p in paths for n in range(len(p) + 1)}
    found: dict[Path, int] = {}
    stack: list[list[Any]] = []  # per open container: [is a mapping, current key or index, on a wanted path]

    def seen(line: int) -> bool:
        """Record the current path's line; whether it is a wanted one. A path costs a tuple, so
        only containers on a wanted path build one."""
        if stack and not stack[-1][2]:
            return False
        p = tuple(f[1] for f in stack)
        if p not in wanted:
            return False
        found.setdefault(p, line)
        return True

    try:
        for e in _events(text):
            t = type(e)
            if t in (ev.StreamStartEvent, ev.StreamEndEvent, ev.DocumentStartEvent, ev.DocumentEndEvent):
                continue
            if t is ev.MappingEndEvent or t is ev.SequenceEndEvent:
                stack.pop()
                if stack and stack[-1][0]:
                    stack[-1][1] = _NOKEY
                continue
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[1] is _NOKEY:
                top[1] = e.value if t is ev.ScalarEvent else None
                seen(e.start_mark.line + 1)
                continue
            if top is not None and not top[0]:
                top[1] += 1
            on = seen(e.start_mark.line + 1)
            if len(found) == len(wanted):
                break
            if t is ev.MappingStartEvent or t is ev.SequenceStartEvent:
                stack.append([t is ev.MappingStartEvent, _NOKEY if t is ev.MappingStartEvent else -1, on])
            elif top is not None and top[0]:
                top[1] = _NOKEY
    except ParseError:
        pass
    return found
