"""Pydantic's validation errors in the user's words: what is wrong, and which names are valid.

One error of ``ValidationError.errors()`` becomes a short message such as ``unknown guard; known:
kill_switch, ...``, ``missing (write spec: {} for none)`` or ``expected a list of events, got a
mapping``. The names come from the model that was validated, walked along the error's location.
The offending value is never echoed (it could be a pasted secret): only its kind is named.
Pure: no file is read here; :mod:`document` adds the ``file:line: field`` in front.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from recon.core.text import plural

QUOTE = "'"
_MAPPING = {"dict_type", "model_type", "model_attributes_type", "dataclass_type", "mapping_type"}
_LIST = {"list_type", "tuple_type", "set_type", "frozen_set_type", "iterable_type"}
_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "float_type": "a number", "float_parsing": "a number", "decimal_type": "a number",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string", "bytes_type": "a string", "none_required": "nothing (null)",
}
_BOUND = {"greater_than": ("gt", "more than"), "greater_than_equal": ("ge", "at least"),
          "less_than": ("lt", "less than"), "less_than_equal": ("le", "at most"),
          "multiple_of": ("multiple_of", "a multiple of")}
_PREFIXES = ("Value error, ", "Assertion failed, ")


def value_kind(value: Any) -> str:
    """What *value* is, in YAML's words ("a mapping", "a list", "nothing"), never the value itself."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (Sequence, set, frozenset)):
        return "a list"
    return "a value of another kind"


def error_words(err: Mapping[str, Any], model: type[BaseModel] | None = None) -> str:
    """The message of one pydantic error *err* in plain words; *model*, the model that was validated
    (its location is relative to it), supplies the known names and the expected shapes."""
    kind, loc, ctx = err["type"], tuple(err["loc"]), err.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown(loc, type_at(model, loc[:-1]))
    if kind == "missing":
        return _missing(loc, model)
    if kind in _MAPPING or kind in _LIST or kind in _EXPECTED:
        return f"expected {_expected(kind, type_at(model, loc))}, got {value_kind(err.get('input'))}"
    if kind == "union_tag_invalid":  # the type of a `desired:` source, say: a name, never a secret
        field, known = str(ctx.get("discriminator", "type")), str(ctx.get("expected_tags", ""))
        return f"unknown {field.strip(QUOTE)} {ctx.get('tag')!r}; known: {known.replace(QUOTE, '')}"
    if kind in ("literal_error", "enum"):
        return f"expected {_one_of(ctx.get('expected', ''))}, got {value_kind(err.get('input'))}"
    if kind in _BOUND:
        key, words = _BOUND[kind]
        return f"must be {words} {ctx.get(key)}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return _length(kind, ctx)
    if kind == "finite_number":
        return "must be a finite number, not inf or nan"
    msg = str(err["msg"])
    return next((msg.removeprefix(p) for p in _PREFIXES if msg.startswith(p)), msg)


def type_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> Any:
    """The annotation at *loc* inside *model* (a field, a list item, a mapping value), or None."""
    tp: Any = model
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return None
    return tp


def _step(tp: Any, part: Any) -> Any:
    for c in _choices(tp):
        if isinstance(part, str) and isinstance(c, type) and issubclass(c, BaseModel):
            if part in c.model_fields:
                return c.model_fields[part].annotation
            if part == c.__name__ or part == _tag(c):  # a union member's tag in the location
                return c
        origin, args = typing.get_origin(c), typing.get_args(c)
        if isinstance(part, int) and origin in (list, tuple, set, frozenset) and args:
            return args[0]
        if isinstance(part, str) and origin is dict and len(args) == 2:
            return args[1]
    return None


def _tag(model: type[BaseModel]) -> Any:
    """The tag that selects *model* in a union discriminated by its ``type`` field, or None."""
    f = model.model_fields.get("type")
    args = typing.get_args(f.annotation) if f is not None and typing.get_origin(f.annotation) is typing.Literal else ()
    return args[0] if len(args) == 1 else None


def without_tags(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """*loc* without the union tags pydantic puts in it (``desired.git.repo`` is the file's
    ``desired.repo``): the path as the user wrote it, for the message and the line lookup."""
    tp: Any = model
    out: list[Any] = []
    for part in loc:
        member = next((c for c in _choices(tp) if isinstance(c, type) and issubclass(c, BaseModel)
                       and isinstance(part, str) and part not in c.model_fields and part == _tag(c)), None)
        if member is not None:
            tp = member
            continue
        out.append(part)
        tp = _step(tp, part) if tp is not None else None
    return tuple(out)


def _choices(tp: Any) -> list[Any]:
    """*tp* without Annotated and None, each member of a union on its own."""
    if typing.get_origin(tp) is typing.Annotated:
        return _choices(typing.get_args(tp)[0])
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return [c for a in typing.get_args(tp) for c in _choices(a)]
    return [] if tp is type(None) or tp is None else [tp]


def _model(tp: Any) -> type[BaseModel] | None:
    return next((c for c in _choices(tp) if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _noun(model: type[BaseModel]) -> str:
    """What a key of *model* is called: its ``item_name`` ("guard"), or "field"."""
    return str(getattr(model, "item_name", "field"))


def _unknown(loc: tuple[Any, ...], tp: Any) -> str:
    model = _model(tp)
    noun = _noun(model) if model else "field"
    if model is None:
        return f"unknown {noun}"
    known = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]) if loc else "", known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown {noun}{hint}; known: {', '.join(known)}"


def _missing(loc: tuple[Any, ...], model: type[BaseModel] | None) -> str:
    parent = _model(type_at(model, loc[:-1]))
    info: FieldInfo | None = parent.model_fields.get(str(loc[-1])) if parent and loc else None
    if info is None:
        return "missing"
    name, tp = loc[-1], info.annotation
    if any(typing.get_origin(c) is dict or c is dict for c in _choices(tp)):
        return f"missing (write {name}: {{}} for none)"
    if any(typing.get_origin(c) in (list, tuple) or c in (list, tuple) for c in _choices(tp)):
        return f"missing (write {name}: [] for none)"
    required = _required(_model(tp))
    if required:
        return f"missing (write {name}: {required})"
    return f"missing: {info.description}" if info.description else "missing"


def _expected(kind: str, tp: Any) -> str:
    if kind in _LIST:
        items = next((typing.get_args(c) for c in _choices(tp)
                      if typing.get_origin(c) in (list, tuple, set, frozenset)), ())
        return f"a list of {_item_words(items[0])}" if items else "a list"
    if kind in _MAPPING:
        model = _model(tp)
        if model is None:
            return "a mapping"
        required = _required(model)
        return f"a mapping {required}" if required else f"a mapping of {_noun(model)}s ({', '.join(model.model_fields)})"
    return _EXPECTED[kind]


def _required(model: type[BaseModel] | None) -> str:
    """*model*'s required fields as a YAML flow mapping to fill in ("{path: ...}"), or ""."""
    names = [n for n, f in model.model_fields.items() if f.is_required()] if model else []
    return "{" + ", ".join(f"{n}: ..." for n in names) + "}" if names else ""


def _item_words(tp: Any) -> str:
    """The items of a list of *tp*, in the plural: "events" for DesiredEvent, "strings" for str."""
    model = _model(tp)
    if model is not None:
        words = re.findall(r"[A-Z][a-z]+", model.__name__)
        words = [w for w in words if w not in ("Spec", "Model", "Config")] or ["item"]
        return words[-1].lower() + "s"
    return {str: "strings", int: "whole numbers", float: "numbers"}.get(next(iter(_choices(tp)), None), "items")


def _one_of(expected: str) -> str:
    # pydantic writes "'a', 'b' or 'c'"; one value reads as itself
    return expected if " or " not in expected else f"one of {expected}"


def _length(kind: str, ctx: Mapping[str, Any]) -> str:
    unit = "character" if kind.startswith("string") else "item"
    if kind.endswith("too_short"):
        n = int(ctx.get("min_length", 1))
        return "must not be empty" if n == 1 else f"needs at least {plural(n, unit)}"
    return f"takes at most {plural(int(ctx.get('max_length', 0)), unit)}"
