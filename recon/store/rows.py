"""Turning stored rows back into the core's values, refusing any row recon could not have written.

SQLite keeps whatever a column is given, so a hand-edited or damaged row can hold text where a
number belongs or JSON that does not parse. Every decoder here checks the shape and raises
:class:`ValueError` saying which column is wrong; the store adds the file and the row.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from recon.core.approval import Approval, ApprovalRequest
from recon.core.baseline import CountBaseline, Window, Windows
from recon.core.record import CarriedApproval, LoopState
from recon.core.model import Key
from recon.store.lease import Lease


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int(value: Any, column: str, optional: bool = False) -> Any:
    if (value is None and optional) or (type(value) is int):
        return value
    raise ValueError(f"column {column} holds {_short(value)}, not an integer")


def _number(value: Any, column: str) -> float:
    if type(value) in (int, float):
        return float(value)
    raise ValueError(f"column {column} holds {_short(value)}, not a number")


def _text(value: Any, column: str, optional: bool = False) -> Any:
    if (value is None and optional) or isinstance(value, str):
        return value
    raise ValueError(f"column {column} holds {_short(value)}, not text")


def _flag(value: Any, column: str) -> bool:
    if type(value) is int and value in (0, 1):
        return bool(value)
    raise ValueError(f"column {column} holds {_short(value)}, not 0 or 1")


def _json_list(value: Any, column: str) -> list[Any]:
    try:
        data = json.loads(_text(value, column))
    except json.JSONDecodeError as e:
        raise ValueError(f"column {column} is not valid JSON ({e})") from None
    if not isinstance(data, list):
        raise ValueError(f"column {column} holds {_short(data)}, not a JSON list")
    return data


def _key(value: Any, column: str) -> Key:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(x, str) for x in value):
        return (value[0], value[1])
    raise ValueError(f"column {column} holds {_short(value)}, not a [kind, name] pair")


def _keys(value: Any, column: str) -> tuple[Key, ...]:
    return tuple(_key(k, column) for k in _json_list(value, column))


def _backoff(value: Any) -> MappingProxyType[Key, tuple[int, float]]:
    out: dict[Key, tuple[int, float]] = {}
    for entry in _json_list(value, "backoff"):
        if not (isinstance(entry, list) and len(entry) == 3):
            raise ValueError(f"column backoff holds {_short(entry)}, not a [key, attempts, until] entry")
        out[_key(entry[0], "backoff")] = (_int(entry[1], "backoff"), _number(entry[2], "backoff"))
    return MappingProxyType(out)


def count_baseline(count: Any, lower: Any, seen: Any) -> CountBaseline:
    """The baseline's columns last_observed, lower_observed, lower_seen; a run is both or neither."""
    b = CountBaseline(_int(count, "last_observed", optional=True), _int(lower, "lower_observed", optional=True),
                      _int(seen, "lower_seen"))
    if (b.lower is None) != (b.seen == 0) or b.seen < 0 or (b.lower is not None and b.count is None):
        raise ValueError(f"columns lower_observed {_short(b.lower)} and lower_seen {b.seen} disagree "
                         f"(with last_observed {_short(b.count)})")
    return b


def window(value: Any, column: str) -> Window:
    """A window column: a JSON list of [time, count] with a finite time and a count of at least 0.
    A damaged entry would shrink a delete budget's memory or a shrink's baseline: it is refused."""
    entries = []
    for entry in _json_list(value, column):
        if not (isinstance(entry, list) and len(entry) == 2):
            raise ValueError(f"column {column} holds {_short(entry)}, not a [time, count] entry")
        t, n = _number(entry[0], column), _int(entry[1], column)
        if not math.isfinite(t) or n < 0:
            raise ValueError(f"column {column} holds {_short(entry)}: the time must be finite and the count at least 0")
        entries.append((t, n))
    return Window(tuple(entries))


def loop_state(row: Sequence[Any]) -> LoopState:
    """Row: cycle, last_accepted_desired, last_observed, own_deletes_last, backoff, approved_keys,
    approved_until, approved_by, lower_observed, lower_seen, delete_window, desired_window."""
    return LoopState(
        _int(row[0], "cycle"), _int(row[1], "last_accepted_desired", optional=True),
        count_baseline(row[2], row[8], row[9]), _int(row[3], "own_deletes_last"), _backoff(row[4]),
        CarriedApproval(frozenset(_keys(row[5], "approved_keys")), _number(row[6], "approved_until"),
                        _text(row[7], "approved_by", optional=True)),
        Windows(window(row[10], "delete_window"), window(row[11], "desired_window")))


def window_json(w: Window) -> str:
    """A window as its column stores it (what :func:`window` reads back)."""
    return json.dumps([[t, n] for t, n in w.entries])


def approval(row: Sequence[Any]) -> Approval:
    """Row: request_id, digest, granted, by, decided_at, expires_at."""
    return Approval(_text(row[0], "request_id"), _text(row[1], "digest"), _flag(row[2], "granted"),
                    _text(row[3], "by"), _number(row[4], "decided_at"), _number(row[5], "expires_at"))


def digest(row: Sequence[Any]) -> str:
    """Row: digest."""
    return str(_text(row[0], "digest"))


def pending(row: Sequence[Any]) -> tuple[ApprovalRequest, Approval | None, float]:
    """Row: a request (id, loop, digest, keys, guard, reason, requested_at, last_seen_at) joined with
    its answer (granted, by, decided_at, expires_at; all null while nobody answered)."""
    req = ApprovalRequest(_text(row[0], "id"), _text(row[1], "loop"), _text(row[2], "digest"),
                          _keys(row[3], "keys"), _text(row[4], "guard"), _text(row[5], "reason"),
                          _number(row[6], "requested_at"))
    answer = None if row[8] is None else approval((row[0], row[2], *row[8:12]))
    return req, answer, _number(row[7], "last_seen_at")


def lease(row: Sequence[Any]) -> Lease:
    """Row: loop, holder, pid, host, acquired_at, expires_at."""
    return Lease(_text(row[0], "loop"), _text(row[1], "holder"), _int(row[2], "pid"), _text(row[3], "host"),
                 _number(row[4], "acquired_at"), _number(row[5], "expires_at"))


def engaged(value: Any) -> bool:
    return _flag(value, "engaged")
