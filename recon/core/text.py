"""How user text (names, values, paths, error messages) is shown: never interpreted, always one line.

Every string that came from an inventory, a config, a provider or an error passes through one of
these before it reaches a terminal (rich markup), an HTML page or widget, or a matplotlib label
(mathtext). Control characters are shown as Python-style escapes (``\\x1b``, ``\\n``), so a
resource is always one line and no escape sequence reaches the terminal. Counts in messages go
through :func:`plural`. Pure: ``re`` and ``html`` only; nothing here prints.
"""

from __future__ import annotations

import html
import re
from typing import Any

# C0 and C1 controls, DEL, line and paragraph separators, and the bidi overrides and isolates that
# reorder what a reader sees (a name could otherwise display as a different name).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}

# The tags rich's markup parser recognises, as in rich.markup.escape: "[" followed by a letter, "#",
# "/" or "@" up to the next "]". Written here so the core does not import rich.
_RICH_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def _escape_control(m: re.Match[str]) -> str:
    c = m.group()
    if c in _SHORT:
        return _SHORT[c]
    return f"\\x{ord(c):02x}" if ord(c) <= 0xFF else f"\\u{ord(c):04x}"


def visible(value: Any) -> str:
    """*value* as text with every control character shown as an escape, so it prints on one line."""
    return _CONTROL.sub(_escape_control, str(value))


def rich_escape(text: str) -> str:
    """*text* with rich markup tags escaped (the same rule as ``rich.markup.escape``)."""
    text = _RICH_TAG.sub(lambda m: f"{m.group(1)}{m.group(1)}\\{m.group(2)}", text)
    # A trailing lone backslash would escape whatever markup the caller appends next.
    return text + "\\" if text.endswith("\\") and not text.endswith("\\\\") else text


def for_terminal(value: Any) -> str:
    """*value* ready to embed in a rich markup string: tags escaped, control characters visible."""
    return rich_escape(visible(value))


def for_html(value: Any) -> str:
    """*value* ready to embed in HTML text or a quoted attribute: escaped, control characters visible."""
    return html.escape(visible(value), quote=True)


def plural(n: int, word: str, many: str | None = None) -> str:
    """*n* and *word*, the word in the plural unless *n* is 1 (*many*: an irregular plural):
    ``plural(1, "delete")`` is "1 delete", ``plural(3, "entry", "entries")`` is "3 entries"."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def for_plot(value: Any) -> str:
    """*value* ready for a matplotlib label: ``$`` escaped so no mathtext is parsed, controls visible."""
    return visible(value).replace("$", "\\$")


__all__ = ["for_html", "for_plot", "for_terminal", "plural", "rich_escape", "visible"]
