"""Input documents (loop configs, scenarios, inventory files) as plain data, and errors that name them.

This module owns the two things every reader of a recon input shares: turning a file's text into
plain data with one error line naming ``file:line`` (the parsing itself is :mod:`yamlread` and
:mod:`jsonread`), and wording pydantic's validation errors as ``file:line: field a.b.c: message``.
It never validates a document's meaning; the model that reads the data does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from recon.core.errors import ReconError
from recon.sources import jsonread, yamlread
from recon.sources.readfile import read_text_input
from recon.sources.validation import error_words, without_tags
from recon.sources.yamlread import ParseError


def source_lines(text: str, paths: Iterable[tuple[Any, ...]], name: str = "") -> dict[tuple[Any, ...], int]:
    """The 1-based lines of *paths* (tuples of keys and indexes) in YAML, or JSON for a *name* ending
    in .json: a second pass over the text, made only for an error."""
    return (jsonread.lines_for if name.endswith(".json") else yamlread.lines_for)(text, paths)


def line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of *loc*, or of its nearest enclosing path that has one."""
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return None


def describe_validation_error(e: ValidationError, name: str, text: str | None,
                              prefix: tuple[Any, ...] = (),
                              overrides: Mapping[tuple[str, ...], str] | None = None,
                              model: type[BaseModel] | None = None) -> str:
    """Pydantic's errors as `file:line: field a.b.c: message`, lines found in the YAML source, each
    message in the user's words (:func:`error_words`; *model*, the model validated below *prefix*,
    names the valid fields).

    A field under a path set on the command line (*overrides*: dotted path parts → the option as
    typed) is blamed on that option instead of on a line of the file."""
    shown = e.errors()[:5]
    locs = [prefix + without_tags(model, tuple(err["loc"])) for err in shown]
    lines = source_lines(text, locs, name) if text is not None else {}
    msgs = []
    for err, loc in zip(shown, locs):
        field = ".".join(str(x) for x in loc) or "(top level)"
        parts = tuple(str(x) for x in loc)
        option = next((o for path, o in (overrides or {}).items() if parts[:len(path)] == path), None)
        if option is not None:
            msgs.append(f"{option}: field {field}: {error_words(err, model)}")
            continue
        line = line_for(lines, loc) if lines else None
        msgs.append(f"{name}:{line or '?'}: field {field}: {error_words(err, model)}")
    more = f" (and {e.error_count() - 5} more)" if e.error_count() > 5 else ""
    return "; ".join(msgs) + more


def read_yaml_file(path: Path, what: str, error: type[ReconError] = ReconError) -> tuple[Any, str]:
    """Read and parse a YAML file; return (data, text). Errors (raised as *error*) name the file,
    the line, and what the file was meant to be (*what*: "loop config", "scenario", ...)."""
    text, _ = read_text_input(path, what, error)
    try:
        return yamlread.parse_yaml(text), text
    except ParseError as e:
        raise error(_where(str(path), e)) from None


def parse_document(text: str, name: str, error: type[ReconError]) -> Any:
    """Parse *text* as JSON when *name* ends in .json, as YAML otherwise; errors (raised as *error*)
    name the file and line."""
    # By suffix only: YAML reads JSON too, and a YAML flow mapping also starts with "{".
    try:
        return jsonread.parse_json(text) if name.endswith(".json") else yamlread.parse_yaml(text)
    except ParseError as e:
        raise error(_where(name, e)) from None


def _where(name: str, e: ParseError) -> str:
    return f"{name}:{e.line}: {e.message}" if e.line else f"{name}: {e.message}"
